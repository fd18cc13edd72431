"""Padding and stride, average pooling, sigmoid, tanh and leaky ReLU: finite differences,
the loop reference, the network built from their tokens, and PyTorch when it is installed."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from visualcnn.cli import main
from visualcnn.nn import Network
from visualcnn.nn import reference as ref
from visualcnn.nn.gradcheck import gradcheck, gradcheck_all, relative_error
from visualcnn.nn.layers import AvgPool2D, Conv2D, LeakyReLU, Sigmoid, Tanh

EPS = 1e-6
TOL = 1e-7


def numeric_grad(f, t: np.ndarray) -> np.ndarray:
    """Centred differences of scalar f() with respect to every entry of t (changed in place)."""
    g = np.empty(t.size)
    flat = t.reshape(-1)
    assert np.shares_memory(flat, t)
    for i in range(t.size):
        keep = flat[i]
        flat[i] = keep + EPS
        plus = f()
        flat[i] = keep - EPS
        minus = f()
        flat[i] = keep
        g[i] = (plus - minus) / (2 * EPS)
    return g.reshape(t.shape)


def check_layer(layer, x, rng):
    """layer.backward(R) against finite differences of sum(forward(x) * R): dx and every
    parameter's gradient, each below TOL."""
    out = layer.forward(x)
    R = rng.standard_normal(out.shape)
    dx = layer.backward(R)
    grads = {k: np.array(v) for k, v in layer.grads.items()}

    def L():
        return float(np.sum(layer.forward(x) * R))

    assert dx.shape == x.shape
    assert np.abs(dx).max() > 0  # a zero gradient would prove nothing
    errors = {"x": relative_error(dx, numeric_grad(L, x)).max()}
    for k, p in layer.params.items():
        errors[k] = relative_error(grads[k], numeric_grad(L, p)).max()
    for name, err in errors.items():
        assert err < TOL, f"{layer.name} d{name}: relative error {err:.2e}"


def same(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


# (n, c, h, w, filters, kernel, padding, stride): odd sizes, kernels 1-5, padding 0-2,
# strides 1-3, some that leave rows unread and one that reads every third row only.
CONV_CASES = [
    (1, 1, 7, 7, 2, 3, 1, 1),
    (1, 2, 9, 8, 3, 3, 1, 2),
    (2, 3, 7, 5, 2, 2, 0, 2),
    (1, 1, 8, 9, 2, 5, 2, 3),
    (3, 2, 6, 7, 2, 4, 2, 1),
    (1, 3, 5, 5, 4, 1, 0, 3),
    (2, 1, 11, 6, 3, 3, 2, 2),
    (1, 2, 5, 6, 1, 5, 1, 1),
]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("n, c, h, w, f, k, p, s", CONV_CASES)
def test_padded_strided_conv_matches_finite_differences(seed, n, c, h, w, f, k, p, s):
    rng = np.random.default_rng(seed)
    layer = Conv2D("conv1", (c, h, w), f, k, rng, padding=p, stride=s)
    layer.params["b"] = rng.standard_normal(f)
    check_layer(layer, rng.standard_normal((n, c, h, w)), rng)


@pytest.mark.parametrize("n, c, h, w, f, k, p, s", CONV_CASES)
def test_padded_strided_conv_equals_loop_reference(n, c, h, w, f, k, p, s):
    rng = np.random.default_rng(h * 10 + k + p)
    layer = Conv2D("conv1", (c, h, w), f, k, rng, padding=p, stride=s)
    layer.params["b"] = rng.standard_normal(f)
    x = rng.standard_normal((n, c, h, w))
    out = layer.forward(x)
    assert out.shape == (n, f, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1)
    assert out.shape[1:] == layer.output_shape((c, h, w))
    same(out, ref.conv_forward(x, layer.params["W"], layer.params["b"], pad=p, stride=s))
    same(layer.infer(x), out)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    rdx, rdW, rdb = ref.conv_backward(dout, x, layer.params["W"], pad=p, stride=s)
    same(dx, rdx)
    same(layer.grads["W"], rdW)
    same(layer.grads["b"], rdb)
    assert dx.flags.c_contiguous


def test_padded_conv_keeps_no_state_between_samples():
    """The one-sample padded buffer is reused: a second sample must not see the first, and
    the first step's output and gradient must stay as they were returned."""
    rng = np.random.default_rng(3)
    layer = Conv2D("conv1", (2, 6, 6), 3, 3, rng, padding=2, stride=2)
    x1, x2 = rng.standard_normal((2, 1, 2, 6, 6))
    out1 = layer.forward(x1)
    dx1 = layer.backward(np.ones(out1.shape))
    kept_out, kept_dx = out1.copy(), dx1.copy()
    out2 = layer.forward(x2)
    layer.backward(np.ones(out2.shape))
    np.testing.assert_array_equal(out1, kept_out)
    np.testing.assert_array_equal(dx1, kept_dx)
    same(out2, ref.conv_forward(x2, layer.params["W"], layer.params["b"], pad=2, stride=2))


def test_a_copy_of_a_padded_conv_steps_on_its_own():
    rng = np.random.default_rng(4)
    layer = Conv2D("conv1", (1, 7, 7), 2, 3, rng, padding=1, stride=2)
    x = rng.standard_normal((1, 1, 7, 7))
    out = layer.forward(x)
    twin = copy.deepcopy(layer)  # the debugger's copies: mid-step, then backward on the copy
    dout = rng.standard_normal(out.shape)
    same(twin.backward(dout), ref.conv_backward(dout, x, layer.params["W"], pad=1, stride=2)[0])
    twin.forward(rng.standard_normal((1, 1, 7, 7)))
    same(layer.backward(dout), ref.conv_backward(dout, x, layer.params["W"], pad=1, stride=2)[0])


POOL_CASES = [(1, 1, 4, 4, 2), (2, 3, 7, 7, 2), (3, 2, 7, 8, 3), (1, 2, 5, 9, 4), (2, 1, 5, 5, 5),
              (1, 2, 6, 6, 1)]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n, c, h, w, k", POOL_CASES)
def test_avgpool_matches_finite_differences_and_loops(seed, n, c, h, w, k):
    rng = np.random.default_rng(seed)
    layer = AvgPool2D("avgpool1", (c, h, w), k)
    x = rng.standard_normal((n, c, h, w))
    check_layer(layer, x, rng)
    out = layer.forward(x)
    assert out.shape[1:] == layer.output_shape((c, h, w)) == (c, h // k, w // k)
    same(out, ref.avgpool_forward(x, k))
    same(layer.infer(x), out)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    same(dx, ref.avgpool_backward(dout, x, k))
    # Each window member gets a K^2-th of its window's gradient; rows and columns past the
    # last window get none.
    same(dx[:, :, :k, :k], np.broadcast_to(dout[:, :, :1, :1] / k ** 2, (n, c, k, k)))
    assert not dx[:, :, (h // k) * k:, :].any() and not dx[:, :, :, (w // k) * k:].any()


ACTIVATIONS = [
    (Sigmoid, ref.sigmoid_forward, ref.sigmoid_backward),
    (Tanh, ref.tanh_forward, ref.tanh_backward),
    (LeakyReLU, ref.lrelu_forward, ref.lrelu_backward),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("shape", [(1, 2, 5, 5), (3, 1, 4, 7), (2, 13)])
@pytest.mark.parametrize("cls, forward, backward", ACTIVATIONS)
def test_activation_matches_finite_differences_and_loops(cls, forward, backward, shape, seed):
    rng = np.random.default_rng(seed)
    # Three units apart and away from 0: the leaky ReLU's corner is never within a nudge.
    x = rng.standard_normal(shape) * 3
    x[np.abs(x) < 1e-3] = 0.5
    layer = cls(f"{cls.kind}1")
    check_layer(layer, x, rng)
    out = layer.forward(x)
    rout, rlocal = forward(x)
    same(out, rout)
    same(layer.extras["local_derivative"], rlocal)
    assert layer.extras["local_derivative"].shape == x.shape
    same(layer.infer(x), out)
    dout = rng.standard_normal(shape)
    dx = layer.backward(dout)
    same(dx, backward(dout, x))
    same(dx, dout * layer.extras["local_derivative"])  # the factor the panel shows


def test_sigmoid_and_tanh_stay_finite_and_quiet_far_out():
    x = np.array([[-1e4, -800.0, -40.0, 0.0, 40.0, 800.0, 1e4]])
    # An overflow, a division by zero or an invalid value would raise here (an underflow to
    # 0 is the right answer far out, and NumPy's default ignores it).
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        s = Sigmoid("sigmoid1")
        out = s.forward(x)
        local = s.extras["local_derivative"]
        dx = s.backward(np.ones_like(x))
        t = Tanh("tanh1")
        tout = t.forward(x)
        tdx = t.backward(np.ones_like(x))
    assert np.isfinite(out).all() and np.isfinite(local).all() and np.isfinite(dx).all()
    np.testing.assert_array_equal(out[0, [0, 1, 5, 6]], [0.0, 0.0, 1.0, 1.0])
    assert out[0, 3] == 0.5 and local[0, 3] == 0.25
    assert 0 < out[0, 2] < 1e-17  # sigmoid(-40) = 4.2e-18, not rounded to 0
    assert local.max() <= 0.25 and local.min() >= 0.0
    np.testing.assert_array_equal(tout[0, [0, 6]], [-1.0, 1.0])
    assert np.isfinite(tdx).all() and tdx[0, 3] == 1.0


def test_leaky_relu_slope_and_its_derivative_at_zero():
    """Slope 0.01 below zero; at exactly 0 the derivative is the slope (x > 0 decides, as
    PyTorch's leaky_relu_backward does), and the output is 0."""
    layer = LeakyReLU("lrelu1")
    assert layer.slope == 0.01
    x = np.array([[-2.0, -0.0, 0.0, 3.0]])
    out = layer.forward(x)
    np.testing.assert_array_equal(out, [[-0.02, 0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(layer.extras["local_derivative"], [[0.01, 0.01, 0.01, 1.0]])
    np.testing.assert_array_equal(layer.backward(np.full((1, 4), 5.0)), [[0.05, 0.05, 0.05, 5.0]])
    np.testing.assert_array_equal(ref.lrelu_forward(x)[1], [[0.01, 0.01, 0.01, 1.0]])


def test_activation_outputs_are_not_overwritten_by_the_next_step():
    rng = np.random.default_rng(5)
    for cls in (Sigmoid, Tanh, LeakyReLU):
        layer = cls("a1")
        out = layer.forward(rng.standard_normal((1, 6)))
        local = layer.extras["local_derivative"]
        dx = layer.backward(np.ones((1, 6)))
        kept = out.copy(), local.copy(), dx.copy()
        layer.forward(rng.standard_normal((1, 6)))
        layer.backward(np.ones((1, 6)))
        for a, b in zip((out, local, dx), kept, strict=True):
            np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------- whole networks
# Every new token, alone (with what it needs around it) and in combination.
NETWORKS = [
    ("conv4x3p1-dense10", (1, 9, 9)),
    ("conv3x3s2-dense10", (2, 9, 8)),
    ("conv3x4p2s3-dense10", (1, 10, 11)),
    ("maxpool2-dense10", (1, 6, 6)),
    ("avgpool3-dense10", (2, 8, 7)),
    ("sigmoid-dense10", (1, 5, 5)),
    ("tanh-dense10", (1, 5, 5)),
    ("lrelu-dense10", (1, 5, 5)),
    ("conv4x3p1s2-lrelu-avgpool2-conv3x2p1-tanh-dense12-sigmoid-dense10", (2, 11, 11)),
    ("conv3x5p2-sigmoid-conv4x3s2-tanh-maxpool2-dense10", (1, 13, 13)),
    ("dense9-tanh-dense7-lrelu-dense6-sigmoid-dense10", (1, 6, 6)),
]


def trained(arch, input_shape, seed, steps=8):
    """A network a few steps in (at step 0 the zero output layer zeroes every earlier
    gradient) and a fresh random sample."""
    net = Network.from_arch(arch, input_shape=input_shape, seed=seed)
    rng = np.random.default_rng(seed + 50)
    for _ in range(steps):
        net.train_step(rng.standard_normal(input_shape), int(rng.integers(10)), 0.05)
    return net, rng.standard_normal(input_shape), int(rng.integers(10))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("arch, input_shape", NETWORKS)
def test_network_gradients_match_finite_differences(arch, input_shape, seed):
    net, x, y = trained(arch, input_shape, seed)
    # A nudge of 1e-5: behind a sigmoid or an average pool the gradients are small (down to
    # 1e-3 of the loss's), and the round-off of a 1e-6 nudge, about 1e-10, would then be a
    # relative 1e-7 on its own. The truncation error of 1e-5 is far below both.
    report = gradcheck_all(net, x, y, eps=1e-5)
    for t in report.tensors:
        assert t.max_error < TOL, (t.name, t.max_error)
    checked = sum(t.index.size for t in report.tensors)
    assert sum(t.kinks for t in report.tensors) <= 0.01 * checked
    assert np.abs(report["input"].analytic).max() > 0  # the gradient reached the input


@pytest.mark.parametrize("arch, input_shape", NETWORKS)
def test_network_equals_loop_reference_for_a_few_steps(arch, input_shape):
    net = Network.from_arch(arch, input_shape=input_shape, seed=7)
    rnet = ref.ReferenceNetwork(net)
    rng = np.random.default_rng(8)
    for _ in range(3):
        x, y = rng.standard_normal(input_shape), int(rng.integers(10))
        trace = net.train_step(x, y, 0.05)
        step = rnet.train_step(x, y, 0.05)
        assert trace.loss == pytest.approx(step.loss, rel=1e-12)
        same(trace.dinput, step.dinput)
        for lt in trace.layers:
            same(lt.out, step.outs[lt.name])
            same(lt.dx, step.dxs[lt.name])
            for k, g in lt.grads.items():
                same(g, step.grads[lt.name][k])
                same(lt.updates[k], step.updates[lt.name][k])
    for layer, k, v in net.parameters():
        same(v, rnet.params[layer.name][k])
    X = rng.standard_normal((7, *input_shape))
    same(net.predict(X), rnet.predict(X))


def test_kinks_are_flagged_for_leaky_relu_at_zero_and_never_for_sigmoid_or_tanh():
    for arch, kinks in (("lrelu-dense10", True), ("sigmoid-dense10", False),
                        ("tanh-dense10", False), ("avgpool2-dense10", False)):
        net, x, y = trained(arch, (1, 6, 6), 0)
        x[0, :2] = 0.0  # twelve inputs exactly at the leaky ReLU's corner
        report = gradcheck(net, x, y, tensors=["input"])
        t = report["input"]
        if kinks:
            assert t.kinks == 12
            assert t.at_kink.reshape(6, 6)[:2].all() and not t.at_kink.reshape(6, 6)[2:].any()
        else:
            assert t.kinks == 0, arch
        assert t.max_error < TOL


def test_gradcheck_command_passes_on_every_new_token(capsys):
    arch = "conv4x3p1s2-lrelu-avgpool2-conv3x3p1-sigmoid-maxpool2-dense8-tanh-dense10"
    code = main(["gradcheck", "--arch", arch, "--all", "--json", "--steps", "5"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    if len(rows) == 1 and isinstance(rows[0], list):
        rows = rows[0]
    assert code == 0
    names = {row["tensor"] for row in rows}
    assert {"conv1/W", "lrelu1/out", "avgpool1/out", "sigmoid1/out", "tanh1/out",
            "input"} <= names
    assert all(row["passed"] for row in rows)


# ------------------------------------------------------------------- against PyTorch
TORCH_ARCHS = [
    ("conv8x3p1s2-relu-maxpool2-dense10", (1, 28, 28)),
    ("conv6x5p2s3-lrelu-avgpool2-dense16-tanh-dense10", (3, 17, 15)),
    ("conv8x3p1-sigmoid-conv8x3p1-sigmoid-conv8x3p1-sigmoid-pool2-dense32-sigmoid-dense10",
     (1, 12, 12)),
    ("conv16x3p1-relu-pool2-conv32x3p1-relu-pool2-dense10", (3, 16, 16)),
    ("conv4x2s2-tanh-conv3x3p2s2-lrelu-avgpool3-dense10", (2, 19, 19)),
    ("avgpool2-lrelu-dense10", (1, 9, 9)),
]


def torch_model(net):
    torch = pytest.importorskip("torch")
    nn = torch.nn
    modules = []
    for spec, layer in zip(net.specs, net.layers, strict=True):
        if spec.kind == "conv":
            m = nn.Conv2d(spec.shape_in[0], spec.filters, spec.kernel, stride=spec.stride,
                          padding=spec.padding).double()
        elif spec.kind == "dense":
            m = nn.Linear(spec.shape_in[0], spec.units).double()
        else:
            m = {"relu": nn.ReLU(), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(),
                 "lrelu": nn.LeakyReLU(), "pool": nn.MaxPool2d(spec.kernel),
                 "avgpool": nn.AvgPool2d(spec.kernel), "flatten": nn.Flatten()}[spec.kind]
        if layer.params:
            with torch.no_grad():
                m.weight.copy_(torch.from_numpy(layer.params["W"]))
                m.bias.copy_(torch.from_numpy(layer.params["b"]))
        modules.append(m)
    return torch, modules


@pytest.mark.parametrize("arch, input_shape", TORCH_ARCHS)
def test_forward_backward_equals_pytorch(arch, input_shape):
    net, x, y = trained(arch, input_shape, 3, steps=5)
    torch, modules = torch_model(net)
    trace = net.forward_backward(x, y)
    xt = torch.from_numpy(x[None].copy()).requires_grad_(True)
    a = xt
    for m in modules:
        a = m(a)
    loss = torch.nn.functional.cross_entropy(a, torch.tensor([y]))
    loss.backward()
    assert trace.loss == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(trace.logits, a.detach().numpy()[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(trace.dinput, xt.grad.numpy(), rtol=1e-9, atol=1e-14)
    for m, layer in zip(modules, net.layers, strict=True):
        if layer.params:
            lt = trace.layer(layer.name)
            np.testing.assert_allclose(lt.grads["W"], m.weight.grad.numpy(), rtol=1e-9,
                                       atol=1e-14)
            np.testing.assert_allclose(lt.grads["b"], m.bias.grad.numpy(), rtol=1e-9,
                                       atol=1e-14)


SIGMOID_STACK = "conv4x3p1-sigmoid-conv4x3p1-sigmoid-conv4x3p1-sigmoid-pool2-dense8-sigmoid-dense10"


def sigmoid_stack(seed):
    """Three sigmoid layers a few steps in: the gradients reaching the input are near 1e-6,
    so small that a 1e-6 nudge's round-off is a relative 1e-6 of them."""
    net = Network.from_arch(SIGMOID_STACK, input_shape=(1, 10, 10), seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(20):
        net.train_step(rng.random((1, 10, 10)), int(rng.integers(10)), 0.01)
    return net, rng.random((1, 10, 10)), int(rng.integers(10))


def test_gradcheck_resolves_the_vanishing_gradients_of_a_sigmoid_stack():
    net, x, y = sigmoid_stack(1)
    assert np.abs(net.forward_backward(x, y).dinput).max() < 1e-5
    # At a 1e-6 nudge alone the input's check does not pass: round-off, not a wrong gradient.
    alone = gradcheck_all(net, x, y, tensors=["input"], tolerance=1.0)["input"]
    assert alone.eps == 1e-6 and alone.max_error > 1e-6
    report = gradcheck_all(net, x, y)
    assert report.passed, {t.name: t.max_error for t in report.tensors}
    assert report["input"].eps > 1e-6  # a wider nudge resolved it
    assert gradcheck(net, x, y).passed


def test_gradcheck_still_fails_a_wrong_derivative_at_every_nudge(monkeypatch):
    """Trying wider nudges must not let a wrong backward pass through: a sigmoid whose local
    derivative is off by 1% fails however the check nudges."""
    net, x, y = sigmoid_stack(1)
    right = Sigmoid._out_and_derivative

    def off_by_one_percent(self, v):
        out, local = right(self, v)
        return out, local * 1.01

    monkeypatch.setattr(Sigmoid, "_out_and_derivative", off_by_one_percent)
    report = gradcheck_all(net, x, y, tensors=["input", "conv1/W", "dense1/W"])
    assert not report.passed
    assert report["input"].max_error > 1e-3
    assert report["dense1/W"].max_error > 1e-3


def test_a_checkpoint_of_every_new_token_reads_back_the_same_network(tmp_path):
    arch = "conv4x3p1s2-lrelu-avgpool2-conv3x3p2-sigmoid-maxpool2-dense8-tanh-dense10"
    net, x, y = trained(arch, (1, 28, 28), 2, steps=3)
    net.save(tmp_path / "new.npz", lr=0.05)
    back = Network.load(tmp_path / "new.npz")
    assert back.arch == arch and [la.kind for la in back.layers] == [
        la.kind for la in net.layers]
    assert (back.layers[0].padding, back.layers[0].stride) == (1, 2)
    a, b = net.forward_backward(x, y), back.forward_backward(x, y)
    assert a.loss == b.loss
    np.testing.assert_array_equal(a.dinput, b.dinput)
