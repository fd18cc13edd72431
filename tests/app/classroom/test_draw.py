"""Draw a digit: mouse strokes on the canvas, the target label, dry run and one training step."""

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, Qt

from visualcnn.data.drawn import centre_of_mass, to_sample


def stroke(qtbot, canvas, points):
    """Press at the first point, drag through the others, release at the last."""
    first = QPoint(*points[0])
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=first)
    for x, y in points[1:]:
        qtbot.mouseMove(canvas, QPoint(x, y))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[-1]))


@pytest.fixture
def draw(window):
    dock = window.classroom.drawing.dock
    dock.show()
    dock.raise_()
    return window.classroom.drawing.panel


def seven(canvas):
    """A "7" in canvas widget coordinates, whatever the canvas size."""
    w, h = canvas.width(), canvas.height()
    side = min(w, h)
    x0, y0 = (w - side) // 2, (h - side) // 2
    at = lambda fx, fy: (x0 + int(fx * side), y0 + int(fy * side))  # noqa: E731
    return [at(0.25, 0.2), at(0.5, 0.2), at(0.75, 0.2), at(0.6, 0.5), at(0.45, 0.85)]


def test_a_mouse_stroke_runs_the_network_on_the_drawing_without_training(window, draw,
                                                                         qtbot):
    weights = window.session.net.layers[0].params["W"].copy()
    draw.target.setValue(7)
    stroke(qtbot, draw.canvas, seven(draw.canvas))
    ink = draw.canvas.ink()
    assert ink.max() == 1.0 and 0.02 < (ink > 0.5).mean() < 0.3  # a stroke, not a smear
    trace = window.last_trace
    assert not trace.applied and trace.label == 7
    expected = to_sample(ink)
    np.testing.assert_allclose(trace.input[0], expected)
    cy, cx = centre_of_mass(expected[0])
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    assert window.panels[0].caption.item.text().startswith("sample drawn, target 7  label 7")
    assert window.session.net.step == 0
    np.testing.assert_array_equal(window.session.net.layers[0].params["W"], weights)
    assert not draw.preview.pixmap().isNull()


def test_train_one_step_on_the_drawing_updates_by_minus_lr_grad(window, draw, qtbot):
    stroke(qtbot, draw.canvas, seven(draw.canvas))
    draw.target.setValue(1)
    before = window.session.net.layers[-1].params["W"].copy()
    position = window.session.index_in_epoch
    qtbot.mouseClick(draw.train_button, Qt.MouseButton.LeftButton)
    trace = window.last_trace
    assert trace.applied and trace.label == 1 and window.session.net.step == 1
    np.testing.assert_allclose(window.session.net.layers[-1].params["W"],
                               before - 0.01 * trace.layer("dense1").grads["W"], atol=1e-15)
    assert len(window.session.history) == 1
    assert window.session.index_in_epoch == position  # the epoch's order is not disturbed
    assert "drawn, target 1" in window.panels[0].caption.item.text()
    # The next dataset step is labelled with its index again.
    window.actions["step"].trigger()
    assert window.panels[0].caption.item.text().startswith(
        f"sample #{window.session.sample_index}")


def test_clear_then_run_says_the_canvas_is_blank_and_keeps_the_model(window, draw, qtbot):
    stroke(qtbot, draw.canvas, seven(draw.canvas))
    shown = window.last_trace
    qtbot.mouseClick(draw.clear_button, Qt.MouseButton.LeftButton)
    assert draw.canvas.is_blank()
    qtbot.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # Run drawing
    assert window.banner_bar.isVisible() and "blank" in window.banner.text()
    assert window.last_trace is shown and window.session.net.step == 0


def test_shortcuts_run_and_train_on_the_drawing(window, draw, qtbot):
    stroke(qtbot, draw.canvas, seven(draw.canvas))
    qtbot.keyClick(window, Qt.Key.Key_D,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.session.net.step == 1 and window.last_trace.applied
    qtbot.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert window.session.net.step == 1 and not window.last_trace.applied
    run_menu = [a.menu() for a in window.menuBar().actions() if a.text() == "&Run"][0]
    assert {window.actions["draw_try"], window.actions["draw_train"]} <= set(run_menu.actions())


def test_the_drawing_takes_the_shape_of_the_data(window, draw, qtbot, tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "small.npz"
    np.savez(path, x_train=rng.integers(0, 256, (20, 14, 14), dtype=np.uint8),
             y_train=rng.integers(0, 10, 20), x_test=rng.integers(0, 256, (5, 14, 14),
                                                                 dtype=np.uint8),
             y_test=rng.integers(0, 10, 5))
    assert window.classroom.model_data.open_dataset(str(path))
    stroke(qtbot, draw.canvas, seven(draw.canvas))
    trace = window.last_trace
    assert trace.input.shape == (1, 1, 14, 14) and not trace.applied
    image = trace.input[0, 0]
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 == 10  # the 20/28 box at 14
