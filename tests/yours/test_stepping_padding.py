"""A student's layers on a padded, strided convolution: their functions get pad= and stride=
when (and only when) the layer has them, and a file whose functions do not take them is told
so in one line while the engine's result flows on."""

import numpy as np
import pytest

from visualcnn.nn import Network, reference
from visualcnn.yours.stepping import YourLayers
from visualcnn.yours.template import examples_folder

ARCH = "conv4x3p1s2-relu-pool2-conv3x3p2-relu-dense10"


def reference_file():
    return reference.__file__  # the plain loops follow the contract, pad= and stride= too


def samples(count, seed=0):
    rng = np.random.default_rng(seed)
    return [((rng.random((1, 28, 28)) < 0.3).astype(np.float64), int(rng.integers(10)))
            for _ in range(count)]


@pytest.fixture
def attached():
    opened = []

    def attach(path, arch=ARCH):
        mine, engine = Network.from_arch(arch, seed=2), Network.from_arch(arch, seed=2)
        yours = YourLayers(path)
        opened.append(yours)
        yours.attach(mine)
        return yours, mine, engine

    yield attach
    for yours in opened:
        yours.close()


def test_functions_that_take_pad_and_stride_step_a_padded_strided_net_as_the_engine(attached):
    yours, mine, engine = attached(reference_file())
    for x, y in samples(2):
        a, b = mine.train_step(x, y, 0.05), engine.train_step(x, y, 0.05)
        assert a.loss == pytest.approx(b.loss, rel=1e-12)
        assert yours.disagreement() is None
        calls = {(c.layer, c.function) for c in yours.comparisons}
        assert {("conv1", "conv_forward"), ("conv1", "conv_backward"),
                ("conv2", "conv_forward"), ("conv2", "conv_backward")} <= calls
        # The outputs were theirs, of the padded, strided shape.
        conv1 = next(c for c in yours.comparisons if c.function == "conv_forward")
        assert conv1.yours["out"].shape == (1, 4, 14, 14)
    for la, lb in zip(mine.layers, engine.layers, strict=True):
        for k in la.params:
            np.testing.assert_allclose(la.params[k], lb.params[k], rtol=1e-10, atol=1e-14)


def test_a_file_without_pad_and_stride_is_told_and_the_engine_flows_on(attached):
    yours, mine, engine = attached(examples_folder() / "correct_loops.py")
    x, y = samples(1)[0]
    a, b = mine.train_step(x, y, 0.05), engine.train_step(x, y, 0.05)
    np.testing.assert_allclose(a.layer("conv1").out, b.layer("conv1").out, rtol=1e-12)
    assert a.loss == pytest.approx(b.loss, rel=1e-12)
    failed = [c for c in yours.comparisons if c.failure is not None]
    assert {(c.layer, c.function) for c in failed} == {
        ("conv1", "conv_forward"), ("conv1", "conv_backward"),
        ("conv2", "conv_forward"), ("conv2", "conv_backward")}
    first = yours.disagreement()
    assert first.layer == "conv1" and first.function == "conv_forward"
    assert "\n" not in first.failure
    assert "pad=1, stride=2" in first.failure and "does not take pad, stride" in first.failure
    assert "engine's result is used" in first.failure
    conv2 = next(c for c in failed if c.layer == "conv2")
    assert "pad=2)" in conv2.failure and "stride" not in conv2.failure  # only what differs
    # Their other layers still ran and agreed.
    assert all(c.agrees for c in yours.comparisons if not c.layer.startswith("conv"))


def test_a_plain_convolution_calls_an_older_file_as_before(attached):
    yours, mine, engine = attached(examples_folder() / "correct_loops.py",
                                   "conv4x3-relu-pool2-dense10")
    for x, y in samples(2):
        mine.train_step(x, y, 0.05)
        assert yours.disagreement() is None
