"""Centred finite differences against every backward pass, layer by layer and end to end.

Each layer is checked in isolation through a random linear functional L = sum(out * R), so that
dL/d(out) = R and the backward pass under test is the only thing between R and dL/dx, dL/dW.
"""

from __future__ import annotations

import numpy as np
import pytest

from visualcnn.nn import DEEPER_ARCH, DEFAULT_ARCH, Network
from visualcnn.nn.gradcheck import gradcheck, relative_error
from visualcnn.nn.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU

EPS = 1e-6
TOL = 1e-7


def numeric_grad(f, t: np.ndarray) -> np.ndarray:
    """Centred differences of scalar f() with respect to every entry of t (changed in place)."""
    g = np.empty(t.size)
    flat = t.reshape(-1)
    assert np.shares_memory(flat, t)  # writes must reach the tensor f reads
    for i in range(t.size):
        keep = flat[i]
        flat[i] = keep + EPS
        plus = f()
        flat[i] = keep - EPS
        minus = f()
        flat[i] = keep
        g[i] = (plus - minus) / (2 * EPS)
    return g.reshape(t.shape)


def distinct_values(rng, shape, gap=1e-3):
    """Random values, every two at least ``gap`` apart and at least gap/2 away from 0.

    A perturbation of EPS then never changes a pooling winner or a ReLU mask: finite
    differences are only valid away from those kinks.
    """
    n = int(np.prod(shape))
    grid = (np.arange(n) - n // 2 + 0.5) * gap
    return rng.permutation(grid).reshape(shape)


def check_layer(layer, x, rng):
    """Compare layer.backward(R) with finite differences of sum(forward(x) * R)."""
    out = layer.forward(x)
    R = rng.standard_normal(out.shape)
    dx = layer.backward(R)
    grads = {k: np.array(v) for k, v in layer.grads.items()}

    def L():
        return float(np.sum(layer.forward(x) * R))

    errors = {"x": relative_error(dx, numeric_grad(L, x)).max()}
    for k, p in layer.params.items():
        errors[k] = relative_error(grads[k], numeric_grad(L, p)).max()
    assert dx.shape == x.shape
    # The gradient must not be trivially zero, or the comparison would prove nothing.
    assert np.abs(dx).max() > 0
    for name, err in errors.items():
        assert err < TOL, f"{layer.name} d{name}: relative error {err:.2e}"


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n, c, h, w, f, k", [
    (1, 1, 6, 6, 2, 3),
    (2, 3, 7, 5, 4, 2),
    (3, 2, 5, 8, 3, 1),
    (1, 4, 9, 9, 2, 4),
    (2, 1, 5, 5, 1, 5),
])
def test_conv_backward_matches_finite_differences(seed, n, c, h, w, f, k):
    rng = np.random.default_rng(seed)
    layer = Conv2D("conv1", (c, h, w), f, k, rng)
    layer.params["b"] = rng.standard_normal(f)  # a nonzero bias, so db is really checked
    check_layer(layer, rng.standard_normal((n, c, h, w)), rng)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n, c, h, w, k", [
    (1, 1, 4, 4, 2),
    (2, 3, 7, 7, 2),   # 7 is not divisible by 2: the last row and column are dropped
    (3, 2, 7, 7, 3),   # two rows and columns dropped
    (2, 2, 6, 9, 4),
    (1, 1, 5, 5, 5),
])
def test_maxpool_backward_matches_finite_differences(seed, n, c, h, w, k):
    rng = np.random.default_rng(seed)
    layer = MaxPool2D("pool1", (c, h, w), k)
    x = distinct_values(rng, (n, c, h, w))
    check_layer(layer, x, rng)
    # Dropped rows and columns take part in no window, so their gradient is exactly zero.
    dx = layer.backward(rng.standard_normal((n, c, h // k, w // k)))
    assert not dx[:, :, (h // k) * k:, :].any() and not dx[:, :, :, (w // k) * k:].any()


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("shape", [(1, 1, 5, 5), (3, 2, 4, 6), (2, 17)])
def test_relu_backward_matches_finite_differences(seed, shape):
    rng = np.random.default_rng(seed)
    x = distinct_values(rng, shape, gap=1e-2)
    assert (x > 0).any() and (x < 0).any()
    check_layer(ReLU("relu1"), x, rng)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("shape", [(1, 2, 3, 3), (3, 4, 2, 5)])
def test_flatten_backward_matches_finite_differences(seed, shape):
    rng = np.random.default_rng(seed)
    check_layer(Flatten("flatten1"), rng.standard_normal(shape), rng)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n, d, m", [(1, 12, 10), (4, 7, 3), (2, 30, 1)])
def test_dense_backward_matches_finite_differences(seed, n, d, m):
    rng = np.random.default_rng(seed)
    layer = Dense("dense1", d, m, rng)
    layer.params["b"] = rng.standard_normal(m)
    check_layer(layer, rng.standard_normal((n, d)), rng)


def test_linear_functional_check_catches_a_wrong_backward():
    """The harness must be able to fail: a conv whose dW is off by one filter is caught."""
    rng = np.random.default_rng(0)

    class BrokenConv(Conv2D):
        def backward(self, dout):
            dx = super().backward(dout)
            self.grads["W"] = self.grads["W"][::-1].copy()  # filters swapped
            return dx

    layer = BrokenConv("conv1", (1, 5, 5), 2, 3, rng)
    with pytest.raises(AssertionError, match="dW"):
        check_layer(layer, rng.standard_normal((1, 1, 5, 5)), rng)


# ------------------------------------------------------------------- whole network
NETWORK_CASES = [
    # (arch, input shape, entries sampled per tensor or None for all)
    (DEFAULT_ARCH, (1, 28, 28), 400),
    (DEEPER_ARCH, (1, 28, 28), 400),
    ("conv4x3-relu-pool2-dense10", (3, 12, 12), None),
    ("conv3x3-pool3-dense16-relu-dense10", (2, 11, 11), None),
    ("dense12-relu-dense8-dense10", (1, 6, 6), None),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("arch, input_shape, entries", NETWORK_CASES)
def test_network_gradients_match_finite_differences(arch, input_shape, entries, seed):
    net = Network.from_arch(arch, input_shape=input_shape, seed=seed)
    rng = np.random.default_rng(100 + seed)
    x = rng.random(input_shape)
    y = int(rng.integers(10))
    before = net.get_state()
    report = gradcheck(net, x, y, max_entries=entries, seed=seed)
    names = {t.name for t in report.tensors}
    assert names == {f"{layer.name}/{k}" for layer, k, _ in net.parameters()} | {"input"}
    assert report.max_error < TOL, {t.name: t.max_error for t in report.tensors}
    # Entries whose nudge flips a pooling winner or a ReLU gate are left out of max_error;
    # with random inputs they must be rare, or the check above would have proved little.
    checked = sum(t.index.size for t in report.tensors)
    at_kink = sum(int(np.count_nonzero(t.at_kink)) for t in report.tensors)
    assert at_kink <= 0.01 * checked
    # The check perturbs weights in place; it must put every one back exactly.
    after = net.get_state()
    assert all(np.array_equal(before[k], after[k]) for k in before)
