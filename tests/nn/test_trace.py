"""What a step's trace promises: true gradients, the exact update, and arrays frozen in time."""

from __future__ import annotations

import copy
from itertools import pairwise

import numpy as np
import pytest

from visualcnn.common.errors import UserError
from visualcnn.nn import DEEPER_ARCH, DEFAULT_ARCH, Network
from visualcnn.nn.gradcheck import relative_error
from visualcnn.nn.layers import softmax_cross_entropy


def sample(seed, shape=(1, 28, 28)):
    rng = np.random.default_rng(seed)
    return rng.random(shape), int(rng.integers(10))


def trace_arrays(trace):
    """Every array a trace holds, with a label saying where it sits."""
    yield "probs", trace.probs
    yield "logits", trace.logits
    for lt in trace.layers:
        for field in ("x", "out", "dx", "dout"):
            yield f"{lt.name}.{field}", getattr(lt, field)
        for group in ("params", "grads", "updates", "extras"):
            for k, a in getattr(lt, group).items():
                yield f"{lt.name}.{group}[{k}]", a


def loss_of(net, x, y):
    return softmax_cross_entropy(net.logits(x[None]), np.array([y]))[0]


@pytest.mark.parametrize("arch", [DEFAULT_ARCH, DEEPER_ARCH])
def test_train_step_trace_grads_equal_finite_differences(arch):
    net = Network.from_arch(arch, seed=5)
    twin = Network.from_arch(arch, seed=5)  # holds the weights the step's gradients are for
    x, y = sample(1)
    trace = net.train_step(x, y, lr=0.1)
    rng = np.random.default_rng(0)
    eps = 1e-6
    for layer, k, p in twin.parameters():
        flat = p.reshape(-1)
        idx = rng.choice(flat.size, size=min(60, flat.size), replace=False)
        numeric = np.empty(idx.size)
        for j, i in enumerate(idx):
            keep = flat[i]
            flat[i] = keep + eps
            plus = loss_of(twin, x, y)
            flat[i] = keep - eps
            minus = loss_of(twin, x, y)
            flat[i] = keep
            numeric[j] = (plus - minus) / (2 * eps)
        analytic = trace.layer(layer.name).grads[k].reshape(-1)[idx]
        assert relative_error(analytic, numeric).max() < 1e-7, f"{layer.name}/{k}"
    assert trace.loss == pytest.approx(loss_of(twin, x, y), rel=1e-12)


@pytest.mark.parametrize("arch", [DEFAULT_ARCH, DEEPER_ARCH])
def test_update_is_exactly_minus_lr_times_grad(arch):
    net = Network.from_arch(arch, seed=2)
    for s, lr in enumerate([0.01, 0.3, 1e-5]):
        before = net.get_state()
        trace = net.train_step(*sample(s), lr=lr)
        assert trace.applied and trace.lr == lr
        for layer, k, p in net.parameters():
            lt = trace.layer(layer.name)
            np.testing.assert_array_equal(lt.params[k], before[f"param/{layer.name}/{k}"])
            expected_update = -lr * lt.grads[k]
            # Bit for bit: no momentum, no weight decay, no reordering of the arithmetic.
            assert np.array_equal(lt.updates[k], expected_update)
            assert np.array_equal(p, lt.params[k] + expected_update)
        no_params = [lt for lt in trace.layers if lt.kind in ("pool", "flatten", "relu")]
        assert no_params and all(not (lt.params or lt.grads or lt.updates) for lt in no_params)


def test_trace_arrays_are_read_only():
    net = Network.from_arch(DEEPER_ARCH, seed=0)
    trace = net.train_step(*sample(0), lr=0.1)
    for where, a in trace_arrays(trace):
        assert not a.flags.writeable, where
        with pytest.raises(ValueError):
            a.reshape(-1)[0] = 1.0 if a.dtype != bool else True
    with pytest.raises(AttributeError):
        trace.loss = 0.0  # the record itself is frozen too


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_trace_is_unchanged_by_later_steps(momentum):
    net = Network.from_arch(DEEPER_ARCH, seed=0, momentum=momentum)
    trace = net.train_step(*sample(0), lr=0.1)
    snapshot = {where: np.array(a, copy=True) for where, a in trace_arrays(trace)}
    loss, step = trace.loss, trace.step
    for s in range(1, 6):
        net.train_step(*sample(s), lr=0.1)
    net.forward_backward(*sample(9))
    net.predict(np.random.default_rng(0).random((3, 1, 28, 28)))
    for where, a in trace_arrays(trace):
        np.testing.assert_array_equal(a, snapshot[where], err_msg=where)
    assert (trace.loss, trace.step) == (loss, step)
    # ...while the network's own weights did move on.
    assert not np.array_equal(net.layers[0].params["W"], trace.layers[0].params["W"])


def test_trace_records_the_step():
    net = Network.from_arch(DEFAULT_ARCH, seed=0)
    x, y = sample(3)
    t1 = net.train_step(x, y, 0.01)
    t2 = net.train_step(x[None], y, 0.01)  # (1, C, H, W) is accepted too
    assert (t1.step, t2.step, net.step) == (1, 2, 2)
    assert t1.label == y and t1.prediction == int(np.argmax(t1.probs))
    assert t1.correct == (t1.prediction == y)
    assert t1.loss == pytest.approx(-np.log(t1.probs[y]), rel=1e-12)
    assert t1.probs.sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(t1.input[0], x)
    assert [lt.name for lt in t1.layers] == ["conv1", "pool1", "flatten1", "dense1"]
    for a, b in pairwise(t1.layers):
        np.testing.assert_array_equal(a.out, b.x)  # each layer reads what the last one wrote
        np.testing.assert_array_equal(a.dout, b.dx)
    pool = t1.layer("pool1")
    assert pool.extras["argmax_mask"].shape == pool.x.shape
    assert pool.extras["argmax_mask"].sum() == pool.out.size  # one winner per window
    # Each 2x2 window holds exactly one winner, and the winner's value is the window's output.
    mask = pool.extras["argmax_mask"].reshape(1, 8, 13, 2, 13, 2)
    assert (mask.sum(axis=(3, 5)) == 1).all()
    winners = np.where(mask, pool.x.reshape(mask.shape), 0.0).sum(axis=(3, 5))
    np.testing.assert_array_equal(winners, pool.out)
    assert t1.is_finite()
    with pytest.raises(KeyError):
        t1.layer("conv9")


def test_relu_mask_in_trace():
    net = Network.from_arch(DEEPER_ARCH, seed=0)
    t = net.train_step(*sample(0), 0.01)
    relu = t.layer("relu1")
    np.testing.assert_array_equal(relu.extras["relu_mask"], relu.x > 0)
    assert not relu.dx[~relu.extras["relu_mask"]].any()


def test_forward_backward_leaves_the_network_alone():
    net = Network.from_arch(DEEPER_ARCH, seed=1, momentum=0.5)
    net.train_step(*sample(0), 0.1)
    before, step = net.get_state(), net.step
    x, y = sample(1)
    dry = net.forward_backward(x, y, lr=0.2)
    after = net.get_state()
    assert all(np.array_equal(before[k], after[k]) for k in before)
    assert net.step == step == dry.step and not dry.applied
    assert all(not lt.updates for lt in dry.layers)
    # Its gradients are those that train_step computes for the same weights.
    wet = net.train_step(x, y, lr=0.2)
    assert wet.loss == dry.loss
    for a, b in zip(dry.layers, wet.layers, strict=True):
        for k in a.grads:
            np.testing.assert_array_equal(a.grads[k], b.grads[k])
            np.testing.assert_array_equal(a.params[k], b.params[k])


def test_momentum_is_sgd_with_momentum():
    mu, lr = 0.8, 0.05
    net = Network.from_arch(DEFAULT_ARCH, seed=3, momentum=mu)
    velocity = {(layer.name, k): np.zeros_like(p) for layer, k, p in net.parameters()}
    for s in range(4):
        trace = net.train_step(*sample(s), lr)
        for layer, k, p in net.parameters():
            lt = trace.layer(layer.name)
            v = mu * velocity[(layer.name, k)] - lr * lt.grads[k]
            velocity[(layer.name, k)] = v
            np.testing.assert_allclose(lt.updates[k], v, rtol=1e-14, atol=0)
            np.testing.assert_allclose(p, lt.params[k] + v, rtol=1e-14, atol=1e-17)
            np.testing.assert_allclose(net.velocity[(layer.name, k)], v, rtol=1e-14, atol=0)
    # After the first step momentum really changes something: the update is not -lr * grad.
    dense = trace.layer("dense1")
    assert not np.allclose(dense.updates["W"], -lr * dense.grads["W"])


@pytest.mark.parametrize("bad", [-0.1, 1.0, 2.0])
def test_momentum_outside_zero_one_is_refused(bad):
    with pytest.raises(UserError):
        Network.from_arch(DEFAULT_ARCH, momentum=bad)


@pytest.mark.parametrize("x_shape, y", [((28, 28), 1), ((2, 1, 28, 28), 1), ((1, 28, 28), 10),
                                        ((1, 28, 28), -1), ((1, 28, 28), 1.0)])
def test_bad_sample_or_label_is_a_user_error(x_shape, y):
    net = Network.from_arch(DEFAULT_ARCH)
    with pytest.raises(UserError):
        net.train_step(np.zeros(x_shape), y, 0.1)
    assert net.step == 0


def test_overfits_twenty_samples():
    """One-sample SGD drives the loss on a small fixed batch to near zero."""
    rng = np.random.default_rng(0)
    X = rng.random((20, 1, 28, 28))
    y = rng.permutation(np.arange(20) % 10)
    net = Network.from_arch(DEFAULT_ARCH, seed=0)
    accuracy0, loss0 = net.evaluate(X, y)
    for _epoch in range(100):
        for i in rng.permutation(20):
            net.train_step(X[i], int(y[i]), lr=0.02)
        accuracy, loss = net.evaluate(X, y)
        if loss < 0.01:
            break
    assert loss0 > 1.0
    assert loss < 0.01 and accuracy == 1.0


@pytest.mark.parametrize("arch", [DEFAULT_ARCH, "conv4x3p1s2-relu-pool2-dense10",
                                  "dense16-relu-dense10", "relu-conv4x3-pool2-dense10"])
def test_what_a_trace_makes_when_read_is_what_the_step_saw_even_read_steps_later(arch):
    """dL/d(input) and the pool's winners are made when first read: read after later steps
    and a batch (which change the weights and reuse the layers' buffers), they are still
    those of the trace's own step, as a dry run with the step's weights gives them."""
    net = Network.from_arch(arch, seed=3)
    for s in range(5, 8):  # past the first step, whose last layer may start at zero
        net.train_step(*sample(s), lr=0.05)
    before = copy.deepcopy(net)
    x, y = sample(1)
    trace = net.train_step(x, y, lr=0.05)
    for s in range(2, 5):
        net.train_step(*sample(s), lr=0.05)
    net.train_step(np.random.default_rng(0).random((3, 1, 28, 28)), [1, 2, 3], lr=0.05)
    dry = before.forward_backward(x, y)
    assert np.abs(dry.dinput).max() > 0
    assert not np.array_equal(net.layers[-1].params["W"], trace.layers[-1].params["W"])
    np.testing.assert_array_equal(trace.dinput, dry.dinput)
    assert not trace.dinput.flags.writeable
    for mine, theirs in zip(trace.layers, dry.layers, strict=True):
        assert mine.extras.keys() == theirs.extras.keys()
        for key, value in theirs.extras.items():
            np.testing.assert_array_equal(mine.extras[key], value, err_msg=f"{mine.name} {key}")
            assert not mine.extras[key].flags.writeable
