"""The debugger's corners, driven through the window's actions as a person stepping through a
run would: dry runs and replays of the sample on screen, rewinding around drawn digits and
test images, evaluation after a rewind, the learning rate and the trace at every rewound step,
the start of the run, stale captions, hover text and one-line errors from ``explain``."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from visualcnn.common.errors import UserError
from visualcnn.nn.explain import (
    explain_conv_unit,
    explain_dense_unit,
    explain_kernel_weight,
    explain_pool_unit,
)


def state(window):
    return window.session.net.get_state()


def assert_state(window, expected):
    for key, value in state(window).items():
        np.testing.assert_array_equal(value, expected[key])


def shown_input(window):
    return window.last_trace.input[0]


def test_a_second_dry_run_stays_on_the_sample_on_screen(window):
    s = window.session
    window.actions["step"].trigger()
    sample = s.sample_index
    window.actions["dry_run"].trigger()
    window.actions["dry_run"].trigger()
    assert not window.last_trace.applied
    np.testing.assert_array_equal(shown_input(window), s.dataset.x_train[sample])
    assert window.status.text().startswith(f"phase: dry run on sample #{sample}")
    assert f"#{sample}" in window.panels[0].caption.item.text()


def test_replay_after_a_dry_run_trains_the_sample_on_screen(window):
    s = window.session
    window.actions["step"].trigger()
    sample = s.sample_index
    window.actions["dry_run"].trigger()
    window.actions["replay"].trigger()
    assert s.net.step == 2 and window.last_trace.applied
    np.testing.assert_array_equal(shown_input(window), s.dataset.x_train[sample])
    assert window.last_trace.label == int(s.dataset.y_train[sample])
    assert s.sample_index == sample


@pytest.mark.parametrize("source", ["drawn", "test image"])
def test_replay_and_dry_run_on_an_image_from_elsewhere_keep_the_rewind_history(window,
                                                                              source):
    s = window.session
    states = [state(window)]
    for _ in range(3):
        window.actions["step"].trigger()
        states.append(state(window))
    if source == "drawn":
        drawing = np.zeros((1, 28, 28))
        drawing[0, 6:22, 12:16] = 1.0
        window.show_trace(s.try_sample(drawing, 1, "drawn, target 1"))
    else:
        window.classroom.testset.show_test_sample(4)
    image = shown_input(window).copy()
    window.actions["dry_run"].trigger()
    assert s.net.step == 3
    window.actions["replay"].trigger()
    assert s.net.step == 4
    np.testing.assert_array_equal(shown_input(window), image)
    after_replay = state(window)
    for step in (3, 2, 1, 0):
        window.actions["step_back"].trigger()
        assert s.net.step == step
        assert_state(window, states[step])
    # And forward through the run again, the image's step included, bit for bit.
    assert window.debugger.show_step(4)
    assert_state(window, after_replay)
    np.testing.assert_array_equal(shown_input(window), image)


def test_evaluate_after_step_back_and_step_records_the_test_point_again(window):
    s = window.session
    for _ in range(2):
        window.actions["step"].trigger()
    window.actions["evaluate"].trigger()
    assert list(s.history.test_steps) == [2]
    window.actions["step_back"].trigger()
    assert list(s.history.test_steps) == []
    window.actions["step"].trigger()
    window.actions["evaluate"].trigger()
    assert list(s.history.test_steps) == [2]
    steps, _accuracy = window.curves_panel.test_accuracy.getData()
    assert list(steps) == [2]


def test_step_back_restores_the_learning_rate_the_step_trained_with(window):
    s = window.session
    window.actions["step"].trigger()  # at 0.01
    window.controls.lr_field.setText("0.1")
    window.controls.lr_field.editingFinished.emit()
    assert s.lr == 0.1
    window.actions["step"].trigger()  # at 0.1
    window.actions["step_back"].trigger()
    assert s.net.step == 1 and window.last_trace.lr == 0.01
    assert s.lr == 0.01 and window.controls.lr_field.text() == "0.01"
    assert "learning rate 0.01" in window.status.text()


def test_a_rate_changed_after_the_last_step_is_kept_by_step_back(window):
    s = window.session
    for _ in range(2):
        window.actions["step"].trigger()
    window.controls.lr_field.setText("0.001")  # "lower the learning rate, then step back"
    window.controls.lr_field.editingFinished.emit()
    window.actions["step_back"].trigger()
    assert s.net.step == 1 and s.lr == 0.001


def test_the_oldest_step_within_a_small_budget_shows_its_trace(window):
    s = window.session
    assert window.debugger.budget.set_mb(1)  # nine snapshots of the default network
    traces = []
    for _ in range(30):
        window.actions["step"].trigger()
        traces.append(window.last_trace)
    for _ in range(29):
        window.actions["step_back"].trigger()
    assert s.net.step == 1
    shown = window.last_trace
    assert shown.applied and shown.step == 1 and shown.loss == traces[0].loss
    for a, b in zip(shown.layers, traces[0].layers, strict=True):
        np.testing.assert_array_equal(a.out, b.out)
    assert window.debugger.debugger.history_nbytes() <= 1_000_000


def test_step_back_at_the_start_of_the_run_says_so(window, qtbot):
    for _ in range(2):
        window.actions["step"].trigger()
    for _ in range(2):
        qtbot.keyClick(window, Qt.Key.Key_Left)
    assert window.session.net.step == 0
    window.statusBar().clearMessage()
    qtbot.keyClick(window, Qt.Key.Key_Left)
    message = window.statusBar().currentMessage()
    assert message == "nothing to step back to: step 0 is the start of the run"


def test_the_gradient_check_report_does_not_pass_for_the_rewound_step(window):
    for _ in range(3):
        window.actions["step"].trigger()
    window.actions["gradcheck"].trigger()
    summary = window.debugger.gradcheck.summary
    assert "at step 3" in summary.text()
    window.actions["step_back"].trigger()
    assert "at step 3:" not in summary.text()
    assert "now shows step 2" in summary.text()


def test_hovering_a_value_not_computed_yet_says_so_not_nan(window):
    window.actions["step"].trigger()
    window.actions["step_phase"].trigger()  # forward conv1: the rest is not computed yet
    blank = [m for p in window.panels if hasattr(p, "board") for m in p.board.mosaics
             if m.raw is not None and np.all(np.isnan(m.raw))]
    assert blank
    for mosaic in blank:
        text = mosaic.describe(mosaic.image_x + 0.5, mosaic.image_y + 0.5)
        assert text.endswith("not yet computed") and "nan" not in text


def test_the_gradient_norm_curve_says_it_includes_the_biases(window):
    curves = window.curves_panel
    assert "dL/db" in curves.grad_plot.titleLabel.text
    assert "dL/dW and dL/db together" in curves.widget.toolTip()


def test_explain_names_an_out_of_range_unit_in_one_line(window):
    window.actions["step"].trigger()
    trace = window.last_trace
    calls = [
        lambda: explain_conv_unit(trace, "conv1", 8, 0, 0),
        lambda: explain_conv_unit(trace, "conv1", 0, 26, 0),
        lambda: explain_conv_unit(trace, "conv1", -1, 0, 0),
        lambda: explain_kernel_weight(trace, "conv1", 0, 1, 0, 0),
        lambda: explain_kernel_weight(trace, "conv1", 0, 0, 3, 0),
        lambda: explain_pool_unit(trace, "pool1", 0, 13, 0),
        lambda: explain_dense_unit(trace, "dense1", 10),
        lambda: explain_dense_unit(trace, "dense1", -1),
    ]
    for call in calls:
        with pytest.raises(UserError) as caught:
            call()
        message = str(caught.value)
        assert "out of range" in message and "\n" not in message
    with pytest.raises(UserError, match=r"conv1: unit \(f, i, j\) = \(8, 0, 0\) is out of "
                                        r"range; f 0 to 7, i 0 to 25, j 0 to 25"):
        explain_conv_unit(trace, "conv1", 8, 0, 0)
