"""The whole-network gradient check: every parameter, the input and every layer's output."""

import numpy as np
import pytest

from visualcnn.nn import Network, layers
from visualcnn.nn.arch import DEEPER_ARCH
from visualcnn.nn.gradcheck import (
    TOLERANCE,
    all_tensor_names,
    check_entry,
    gradcheck_all,
    tensor_shape,
)


def trained(arch: str, seed: int = 0, steps: int = 15) -> tuple[Network, np.ndarray, int]:
    """A network a few steps in (at step 0 the zero output layer zeroes every earlier
    gradient), and a fresh sample with some exact zeros, like a digit's background."""
    net = Network.from_arch(arch, seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        net.train_step(rng.random((1, 28, 28)), int(rng.integers(10)), 0.01)
    x = rng.random((1, 28, 28))
    x[:, :6] = 0.0  # flat rows: ties in the pool windows above them
    return net, x, int(rng.integers(10))


@pytest.mark.parametrize("arch", ["conv8x3-pool2-dense10", DEEPER_ARCH])
@pytest.mark.parametrize("seed", [0, 1])
def test_every_tensor_is_checked_whole_and_passes(arch, seed):
    net, x, y = trained(arch, seed)
    report = gradcheck_all(net, x, y)
    names = [t.name for t in report.tensors]
    assert names == all_tensor_names(net)
    assert "input" in names and "conv1/W" in names and "conv1/out" in names
    assert {f"{layer.name}/out" for layer in net.layers} <= set(names)
    for t in report.tensors:
        assert t.shape == tensor_shape(net, t.name)
        assert t.index.size == int(np.prod(t.shape))  # all of it, no sample
        assert t.max_error < 1e-7, t.name
    assert report.passed


def test_a_layer_output_is_compared_with_the_trace_dout():
    net, x, y = trained(DEEPER_ARCH)
    trace = net.forward_backward(x, y)
    report = gradcheck_all(net, x, y, tensors=["relu1/out", "input"])
    assert np.array_equal(report["relu1/out"].analytic, trace.layer("relu1").dout.reshape(-1))
    assert np.array_equal(report["input"].analytic, trace.dinput.reshape(-1))


def test_kinks_are_counted_and_kept_not_hidden():
    net, x, y = trained(DEEPER_ARCH)
    report = gradcheck_all(net, x, y)
    relu_out = report["relu1/out"]
    assert relu_out.kinks > 0  # zero outputs tie inside pool windows
    assert relu_out.index.size == relu_out.rel_error.size == 8 * 26 * 26
    # A kink's entry is still there to look at, only left out of the worst error.
    k = int(np.flatnonzero(relu_out.at_kink)[0])
    entry = relu_out.entry(relu_out.unravel(int(relu_out.index[k])))
    assert entry is not None and entry.at_kink


def test_a_broken_relu_backward_is_found_below_the_relu_only():
    net, x, y = trained(DEEPER_ARCH)
    honest = layers.ReLU.backward

    def leaky(self, dout):  # lets the gradient through where the gate was shut
        return honest(self, dout) + np.where(self.extras["relu_mask"], 0.0, 0.1 * dout)

    mp = pytest.MonkeyPatch()
    mp.setattr(layers.ReLU, "backward", leaky)
    try:
        report = gradcheck_all(net, x, y)
    finally:
        mp.undo()
    failed = {t.name for t in report.tensors if t.max_error > TOLERANCE}
    assert "conv2/out" in failed and "conv1/W" in failed and "input" in failed
    # What the broken ReLU receives is still right: the bug sits between the two.
    assert report["relu2/out"].max_error < TOLERANCE
    assert report["pool2/out"].max_error < TOLERANCE
    assert not report.passed


def test_one_entry_by_its_index_matches_the_whole_check():
    net, x, y = trained("conv8x3-pool2-dense10")
    report = gradcheck_all(net, x, y)
    for name, index in [("conv1/W", (3, 0, 1, 2)), ("dense1/W", (7, 1000)),
                        ("conv1/out", (2, 20, 5)), ("input", (0, 14, 14))]:
        one = check_entry(net, x, y, name, index)
        whole = report[name].entry(index)
        assert one.index == index
        assert one.analytic == whole.analytic
        assert one.numeric == pytest.approx(whole.numeric, rel=1e-6, abs=1e-9)
        assert one.rel_error < 1e-6 or one.at_kink


def test_an_index_outside_the_tensor_is_a_one_line_error():
    net, x, y = trained("conv8x3-pool2-dense10", steps=1)
    with pytest.raises(ValueError, match=r"conv1/W has shape \(8, 1, 3, 3\): no entry at"):
        check_entry(net, x, y, "conv1/W", (8, 0, 0, 0))
    with pytest.raises(ValueError, match="no entry"):
        check_entry(net, x, y, "conv1/out", (0, 0))
    with pytest.raises(KeyError, match="no tensor named"):
        check_entry(net, x, y, "conv9/W", (0, 0, 0, 0))


def test_the_weights_are_left_exactly_as_they_were():
    net, x, y = trained(DEEPER_ARCH, steps=3)
    before = {(la.name, k): v.copy() for la, k, v in net.parameters()}
    gradcheck_all(net, x, y, tensors=["conv1/W", "conv2/b", "relu1/out", "input"])
    for la, k, v in net.parameters():
        assert np.array_equal(v, before[(la.name, k)])
