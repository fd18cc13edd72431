"""Breakpoints pause Run through the Breakpoints dock's controls.

Every condition is ticked in the dock, Run is pressed, and the test checks that the run
stopped on the constructed case, with the condition, step and sample in the banner; and that
with a threshold that the case does not meet, the run goes on.
"""

import gc

import numpy as np
import pytest
from PyQt6.QtCore import QCoreApplication, QEvent, Qt

from tests.app.conftest import make_dataset
from visualcnn.data.dataset import Dataset
from visualcnn.nn import Network
from visualcnn.training.breakpoints import layer_grad_norms
from visualcnn.training.session import Session

GO_ON = 25  # steps a run must pass when its breakpoint should not fire


@pytest.fixture
def make(qtbot, settings_dir):
    from visualcnn.app.main_window import MainWindow

    windows = []

    def build(labels=None):
        data = make_dataset()
        if labels is not None:
            y = np.resize(np.asarray(labels, dtype=np.int64), len(data.y_train))
            data = Dataset("random", data.x_train, y, data.x_test, data.y_test)
        window = MainWindow(Session(data, Network.from_arch("conv8x3-pool2-dense10"),
                                    lr=0.01, seed=0))
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        window.controls.speed_slider.setValue(window.controls.speed_slider.maximum())
        return window

    yield build
    # Destroy the windows in Qt first, then collect their Python side: collected the other
    # way round, pyqtgraph items can die while a live view still paints them.
    for window in windows:
        window.loop.stop()
        window.close()
        window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    windows.clear()
    gc.collect()


def run_until_paused(window, qtbot):
    qtbot.keyClick(window, Qt.Key.Key_Space) if window.isActiveWindow() else \
        window.actions["run"].trigger()
    qtbot.waitUntil(lambda: not window.loop.running, timeout=20000)


def run_for(window, qtbot, steps=GO_ON):
    window.actions["run"].trigger()
    qtbot.waitUntil(lambda: window.session.net.step >= steps or not window.loop.running,
                    timeout=20000)
    window.actions["run"].trigger()
    return window.session.net.step


def assert_fired(window, words, step):
    s = window.session
    assert not window.loop.running and s.net.step == step
    assert window.banner_bar.isVisible()
    text = window.banner.text()
    assert words in text and f"step {step}" in text and f"sample #{s.sample_index}" in text
    assert window.last_trace.step == step  # that step's trace is the one shown
    assert words in window.debugger.breakpoints.fired.text()


def test_wrong_prediction(make, qtbot):
    # The output layer starts at zero: step 1 predicts class 0 for every sample.
    window = make(labels=[3])
    window.debugger.breakpoints.wrong.setChecked(True)
    run_until_paused(window, qtbot)
    assert_fired(window, "wrong prediction", 1)
    right = make(labels=[0])  # always right: class 0 from the start, and it learns 0
    right.debugger.breakpoints.wrong.setChecked(True)
    assert run_for(right, qtbot) >= GO_ON and not right.banner_bar.isVisible()


def test_loss_above(make, qtbot):
    window = make()
    bp = window.debugger.breakpoints
    bp.loss_value.setValue(2.0)  # step 1's loss is ln 10 = 2.303
    bp.loss_on.setChecked(True)
    run_until_paused(window, qtbot)
    assert_fired(window, "loss 2.303 above 2", 1)
    bp.loss_value.setValue(50.0)
    window.hide_banner()
    assert run_for(window, qtbot, 1 + GO_ON) >= 1 + GO_ON
    assert not window.banner_bar.isVisible()


def test_label_is(make, qtbot):
    labels = [1, 2, 4, 1, 2, 4, 7]
    window = make(labels=labels)
    bp = window.debugger.breakpoints
    bp.label_value.setValue(7)
    bp.label_on.setChecked(True)
    run_until_paused(window, qtbot)
    s = window.session
    assert window.last_trace.label == 7
    earlier = [int(s.dataset.y_train[i]) for i in s.epoch_order(s.epoch)[:s.index_in_epoch - 1]]
    assert 7 not in earlier
    assert_fired(window, "label 7", s.net.step)
    bp.label_value.setValue(9)  # no sample has label 9
    window.hide_banner()
    start = s.net.step
    assert run_for(window, qtbot, start + GO_ON) >= start + GO_ON
    assert not window.banner_bar.isVisible()


@pytest.mark.parametrize("which", ["above", "below"])
def test_gradient_norm(make, qtbot, which):
    probe = Session(make_dataset(), Network.from_arch("conv8x3-pool2-dense10"), lr=0.01)
    norm = layer_grad_norms(probe.step())["dense1"]
    window = make()
    bp = window.debugger.breakpoints
    box, spin = (bp.norm_above if which == "above" else bp.norm_below)["dense1"]
    spin.setValue(norm / 2 if which == "above" else norm * 2)
    box.setChecked(True)
    run_until_paused(window, qtbot)
    assert_fired(window, f"dense1 gradient norm {norm:.3g} {which}", 1)
    # A threshold the gradient does not cross: no pause.
    spin.setValue(1e6 if which == "above" else 0.0)
    window.hide_banner()
    assert run_for(window, qtbot, 1 + GO_ON) >= 1 + GO_ON
    assert not window.banner_bar.isVisible()


def test_dead_layer_fires_gradient_norm_below(make, qtbot):
    # conv1's gradient is exactly zero while the output layer is zero (step 1).
    window = make()
    box, spin = window.debugger.breakpoints.norm_below["conv1"]
    spin.setValue(1e-6)
    box.setChecked(True)
    run_until_paused(window, qtbot)
    assert_fired(window, "conv1 gradient norm 0 below", 1)


def test_step_number(make, qtbot):
    window = make()
    bp = window.debugger.breakpoints
    bp.step_value.setValue(7)
    bp.step_on.setChecked(True)
    run_until_paused(window, qtbot)
    assert_fired(window, "reached step 7", 7)
    window.hide_banner()
    assert run_for(window, qtbot, 7 + GO_ON) >= 7 + GO_ON  # step 7 is behind: no pause
    assert not window.banner_bar.isVisible()


def test_non_finite_always_pauses_and_names_step_and_sample(make, qtbot):
    window = make()
    window.session.net.layers[-1].params["W"][...] = np.inf  # nothing ticked
    run_until_paused(window, qtbot)
    text = window.banner.text()
    assert "infinite or NaN at step 1" in text
    assert f"(sample #{window.session.sample_index})" in text
