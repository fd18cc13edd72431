"""The debugger and the classroom's actions on a mini-batch step: Replay and Dry run take the
batch, a phase walk and the inspector and the gradient check follow the sample in focus, and
a drawn digit trains alone."""

import numpy as np
from PyQt6.QtCore import Qt

from tests.app.classroom.test_draw import seven, stroke
from tests.app.debug.test_inspector import click_pixel
from tests.app.panel_checks import panel
from tests.app.test_batch_strip import click_sample, set_batch
from visualcnn.app.views.panels import ConvPanel, InputPanel


def test_replay_trains_the_whole_batch_again(window, qtbot):
    set_batch(window, 4)
    window.actions["step"].trigger()
    batch = window.session.batch_indices
    click_sample(qtbot, window, 2)
    window.actions["replay"].trigger()
    assert window.session.net.step == 2 and window.session.batch_indices == batch
    assert window.last_trace.batch == 4 and window.last_trace.focus == 2
    assert f"the batch of 4 from sample #{batch[0]}" in window.statusBar().currentMessage()


def test_dry_run_runs_the_batch_and_names_the_sample_in_focus(window, qtbot):
    set_batch(window, 4)
    window.actions["step"].trigger()
    batch = window.session.batch_indices
    click_sample(qtbot, window, 3)
    for _ in range(2):  # a second dry run stays on the same batch
        window.actions["dry_run"].trigger()
        shown = window.last_trace
        assert not shown.applied and shown.batch == 4 and shown.focus == 3
        np.testing.assert_array_equal(shown.input[0], window.session.dataset.x_train[batch[3]])
        assert f"#{batch[3]} (4 of 4)" in panel(window, InputPanel).caption.text()
        assert "dry run on the batch of 4" in window.status.text()
    assert window.session.net.step == 1


def test_a_phase_walk_draws_the_sample_in_focus_and_keeps_its_phase(window, qtbot):
    set_batch(window, 4)
    window.actions["step_phase"].trigger()  # conv1's forward pass on the next batch
    whole = window.batch.batch_trace
    assert whole.batch == 4 and window.batch.strip.right(0) is None  # nothing predicted yet
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    assert window.last_trace.focus == 1
    assert window.status.text().startswith("phase: forward conv1")
    conv = panel(window, ConvPanel)
    np.testing.assert_array_equal(conv.maps.raw.reshape(-1),
                                  whole.layer("conv1").out[1].reshape(-1))
    window.actions["step"].trigger()  # finishes the walk: the batch's real step
    assert window.session.net.step == 1 and window.last_trace.focus == 1


def test_the_inspector_explains_the_sample_in_focus(window, qtbot):
    set_batch(window, 4)
    window.actions["step"].trigger()
    click_sample(qtbot, window, 2)
    whole = window.batch.batch_trace
    conv = panel(window, ConvPanel)
    f, i, j = 3, 10, 12
    click_pixel(qtbot, conv.maps, f, i, j)
    e = window.debugger.inspector.explanation
    assert e.output == whole.layer("conv1").out[2, f, i, j]
    np.testing.assert_array_equal(e.patch, whole.layer("conv1").x[2, :, i:i + 3, j:j + 3])
    # A kernel weight: one sample's terms are its share only, and the text says so.
    click_pixel(qtbot, conv.weights, 0, 1, 1)
    text = window.debugger.inspector.text.text()
    assert "A batch of 4: these terms are sample 3's share" in text


def test_the_gradient_check_names_the_sample_in_focus(window, qtbot):
    set_batch(window, 4)
    window.actions["step"].trigger()
    click_sample(qtbot, window, 1)
    window.actions["gradcheck"].trigger()
    summary = window.debugger.gradcheck.summary.text()
    assert f"on sample #{window.session.batch_indices[1]} at step 1" in summary
    assert "PASS" in summary


def test_training_on_a_drawing_is_a_step_on_the_drawing_alone(window, qtbot):
    dock = window.classroom.drawing.dock
    dock.show()
    dock.raise_()
    draw = window.classroom.drawing.panel
    set_batch(window, 4)
    window.actions["step"].trigger()
    stroke(qtbot, draw.canvas, seven(draw.canvas))
    draw.target.setValue(7)
    qtbot.mouseClick(draw.train_button, Qt.MouseButton.LeftButton)
    trace = window.last_trace
    assert trace.applied and trace.batch == 1 and window.session.net.step == 2
    assert not window.batch.bar.isVisible()
    assert "drawn, target 7" in panel(window, InputPanel).caption.text()
    assert "alone" in window.actions["draw_train"].toolTip()
    window.actions["step"].trigger()  # the batch size is still the one chosen
    assert window.last_trace.batch == 4 and window.batch.bar.isVisible()
