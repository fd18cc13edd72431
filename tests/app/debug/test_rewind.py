"""Step back, Replay and Dry run through the window's actions and keys."""

import gc

import numpy as np
from PyQt6.QtCore import QCoreApplication, QEvent, Qt

from visualcnn.nn import Network

REWIND_STEPS = 500  # the default budget keeps more than this of the default network


def state(window):
    return window.session.net.get_state()


def assert_state(window, expected):
    for key, value in state(window).items():
        np.testing.assert_array_equal(value, expected[key])


def test_500_steps_then_500_step_backs_restore_the_initial_weights_exactly(window, qtbot):
    initial = state(window)
    view = window.debugger
    # Run to step 500 exactly: a step-number breakpoint stops it there.
    view.breakpoints.step_on.setChecked(True)
    view.breakpoints.step_value.setValue(REWIND_STEPS)
    window.controls.speed_slider.setValue(window.controls.speed_slider.maximum())
    window.actions["run"].trigger()
    qtbot.waitUntil(lambda: not window.loop.running, timeout=60000)
    assert window.session.net.step == REWIND_STEPS
    assert window.session.epoch > 0  # 60 samples: the way back crosses epochs
    view.breakpoints.step_on.setChecked(False)
    at_499 = None
    for i in range(REWIND_STEPS):
        window.actions["step_back"].trigger()
        if i == 0:
            at_499 = (window.last_trace, state(window))
    assert window.session.net.step == 0 and len(window.session.history) == 0
    assert window.session.sample_index is None
    assert_state(window, initial)
    window.actions["step_back"].trigger()  # one more: it says why it cannot
    assert window.statusBar().currentMessage().startswith("nothing to step back to")
    assert not window.last_trace.applied  # the preview of the first sample again
    # Forward again to step 499: the same weights, the same trace, bit for bit.
    for _ in range(REWIND_STEPS - 1):
        window.session.step()
    window.actions["step"].trigger()
    window.actions["step_back"].trigger()
    trace, weights = at_499
    assert window.last_trace.step == trace.step == REWIND_STEPS - 1
    assert window.last_trace.loss == trace.loss
    for a, b in zip(window.last_trace.layers, trace.layers, strict=True):
        np.testing.assert_array_equal(a.out, b.out)
        for k in a.grads:
            np.testing.assert_array_equal(a.grads[k], b.grads[k])
    assert_state(window, weights)


def test_left_undoes_the_last_update_and_shows_the_trace_before(window, qtbot):
    traces = []
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key.Key_Right)
        traces.append(window.last_trace)
    curve_points = len(window.curves_panel.loss_step.getData()[0])
    qtbot.keyClick(window, Qt.Key.Key_Left)
    s = window.session
    assert s.net.step == 2 and len(s.history) == 2
    assert len(window.curves_panel.loss_step.getData()[0]) == curve_points - 1
    shown = window.last_trace
    assert shown.step == 2 and shown.loss == traces[1].loss
    np.testing.assert_array_equal(shown.input, traces[1].input)
    assert "step 2 " in window.status.text()
    for lt in traces[2].layers:  # the weights before step 3
        for k, v in lt.params.items():
            np.testing.assert_array_equal(
                s.net.layers[[la.name for la in s.net.layers].index(lt.name)].params[k], v)


def test_step_back_with_momentum_restores_the_velocity(qtbot, dataset, settings_dir):
    from visualcnn.app.main_window import MainWindow
    from visualcnn.training.session import Session

    session = Session(dataset, Network.from_arch("conv8x3-pool2-dense10", momentum=0.9),
                      lr=0.01)
    window = MainWindow(session)
    try:
        window.actions["step"].trigger()
        velocity = {k: v.copy() for k, v in session.net.velocity.items()}
        weights = state(window)
        for _ in range(4):
            window.actions["step"].trigger()
        for _ in range(4):
            window.actions["step_back"].trigger()
        assert_state(window, weights)
        for k, v in session.net.velocity.items():
            np.testing.assert_array_equal(v, velocity[k])
    finally:
        # Qt side first, then the Python side (see test_breakpoints.make).
        window.close()
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        del window
        gc.collect()


def test_replay_trains_the_shown_sample_again_and_dry_run_changes_nothing(window):
    window.actions["step"].trigger()
    s = window.session
    sample, position = s.sample_index, (s.epoch, s.index_in_epoch)
    before = state(window)
    window.actions["replay"].trigger()
    assert s.net.step == 2 and window.last_trace.label == int(s.dataset.y_train[sample])
    np.testing.assert_array_equal(window.last_trace.input[0], s.dataset.x_train[sample])
    assert (s.epoch, s.index_in_epoch, s.sample_index) == (*position, sample)
    after = state(window)
    window.actions["dry_run"].trigger()
    assert s.net.step == 2 and not window.last_trace.applied
    np.testing.assert_array_equal(window.last_trace.input[0], s.dataset.x_train[sample])
    assert f"#{sample}" in window.panels[0].caption.item.text()
    assert window.status.text().startswith(f"phase: dry run on sample #{sample}")
    assert_state(window, after)
    window.actions["step_back"].trigger()  # undoes the replay
    assert_state(window, before)
    assert s.net.step == 1


def test_replay_and_dry_run_use_the_sample_on_screen_even_when_it_is_not_a_training_one(
        window):
    sample = np.zeros((1, 28, 28))
    sample[0, 8:20, 12:16] = 1.0  # a bar, as if drawn
    shown = window.session.try_sample(sample, 1, "drawn, target 1")
    window.show_trace(shown)
    window.actions["dry_run"].trigger()
    np.testing.assert_array_equal(window.last_trace.input[0], sample)
    step = window.session.net.step
    window.actions["replay"].trigger()
    assert window.session.net.step == step + 1
    np.testing.assert_array_equal(window.last_trace.input[0], sample)
    assert window.last_trace.label == 1
