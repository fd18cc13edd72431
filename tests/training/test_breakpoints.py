"""Each breakpoint fires on a case built for it, and stays quiet otherwise."""

import numpy as np
import pytest

from visualcnn.nn import Network
from visualcnn.training.breakpoints import Breakpoints, layer_grad_norms


@pytest.fixture
def step():
    net = Network.from_arch(seed=0)
    x = np.random.default_rng(0).random((1, 28, 28))
    net.train_step(x, 5, 0.01)  # step 1: the output layer starts at zero

    def take(label=5, lr=0.01):
        return net.train_step(x, label, lr)

    return take


def test_nothing_ticked_never_fires(step):
    assert Breakpoints().check(step()) is None


def test_wrong_prediction(step):
    t = step(label=5)
    bp = Breakpoints(wrong_prediction=True)
    if t.prediction == t.label:
        assert bp.check(t) is None
    wrong = step(label=(t.prediction + 1) % 10)
    assert "wrong prediction" in bp.check(wrong)
    assert f"label {wrong.label}" in bp.check(wrong)


def test_loss_above(step):
    t = step()
    assert Breakpoints(loss_above=t.loss + 1e-9).check(t) is None
    assert "above" in Breakpoints(loss_above=t.loss - 1e-9).check(t)


def test_label_is(step):
    t = step(label=3)
    assert Breakpoints(label_is=4).check(t) is None
    assert "label 3" in Breakpoints(label_is=3).check(t)


def test_gradient_norm_above_and_below(step):
    t = step()
    norm = layer_grad_norms(t)["conv1"]
    assert norm > 0
    assert Breakpoints(grad_norm_above={"conv1": norm * 1.01}).check(t) is None
    assert "conv1 gradient norm" in Breakpoints(grad_norm_above={"conv1": norm * 0.99}).check(t)
    assert Breakpoints(grad_norm_below={"conv1": norm * 0.99}).check(t) is None
    assert "below" in Breakpoints(grad_norm_below={"conv1": norm * 1.01}).check(t)


def test_at_step(step):
    t = step()
    assert Breakpoints(at_step=t.step + 1).check(t) is None
    assert f"reached step {t.step}" == Breakpoints(at_step=t.step).check(t)


def test_non_finite_always_fires(step):
    t = step(lr=1e300)  # the update overflows the weights
    t = step(lr=1e300)
    assert not t.is_finite()
    assert "lower the learning rate" in Breakpoints().check(t)
