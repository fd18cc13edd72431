"""The gradient check in the window: passes on the real backward pass, fails on a broken one."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from visualcnn.nn import layers


@pytest.fixture
def window(make_window):
    """A small learning rate: on the tests' random images a larger one saturates the softmax
    within a step, and gradients near 1e-6 leave finite differences nothing to measure."""
    window = make_window(lr=1e-4)
    for _ in range(3):
        window.actions["step"].trigger()
    return window


def check(window, tensor, mode="all", count=200):
    view = window.debugger
    gc = view.gradcheck
    gc.tensor.setCurrentIndex(gc.tensor.findData(tensor))
    gc.mode.setCurrentIndex(gc.mode.findData(mode))
    gc.count.setValue(count)
    window.actions["gradcheck"].trigger()
    return gc


def test_gradient_check_passes_on_the_network(window, qtbot):
    weights = window.session.net.get_state()
    gc = check(window, "conv1/W")
    assert window.debugger.gradcheck_dock.isVisible()
    report = gc.report
    t = report.tensors[0]
    assert t.name == "conv1/W" and len(t.index) == 72  # all entries
    assert report.passed and report.max_error < 1e-6
    assert "PASS" in gc.summary.text() and f"{report.max_error:.2e}" in gc.summary.text()
    # The analytic side is the backward pass on the sample shown.
    trace = window.session.net.forward_backward(
        window.session.dataset.x_train[window.session.sample_index],
        int(window.session.dataset.y_train[window.session.sample_index]))
    np.testing.assert_array_equal(t.analytic, trace.layer("conv1").grads["W"].ravel())
    for key, value in window.session.net.get_state().items():  # nothing was changed
        np.testing.assert_array_equal(value, weights[key])
    xs, ys = gc.scatter.getData()
    np.testing.assert_array_equal(xs, t.analytic)
    np.testing.assert_array_equal(ys, t.numeric)


def test_random_sample_of_a_large_tensor_and_the_input(window, qtbot):
    gc = check(window, "dense1/W", "sample", 40)
    assert len(gc.report.tensors[0].index) == 40 and gc.report.passed
    gc = check(window, "input", "sample", 60)
    t = gc.report.tensors[0]
    assert t.name == "input" and len(t.index) == 60
    assert gc.report.passed
    assert f"{int(t.at_kink.sum())} at a kink" in gc.summary.text()


def test_gradient_check_fails_on_a_broken_backward_pass(window, qtbot, monkeypatch):
    right = layers.Conv2D.backward

    def broken(self, dout):
        dx = right(self, dout)
        self.grads["W"] = self.grads["W"] * 1.01  # one per cent off: a subtle bug
        return dx

    monkeypatch.setattr(layers.Conv2D, "backward", broken)
    gc = check(window, "conv1/W")
    assert not gc.report.passed and gc.report.max_error > 1e-3
    assert "FAIL" in gc.summary.text()
    monkeypatch.setattr(layers.Conv2D, "backward", right)
    assert check(window, "conv1/W").report.passed


def test_ctrl_g_runs_the_check(window, qtbot):
    qtbot.keyClick(window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert window.debugger.gradcheck.report is not None
