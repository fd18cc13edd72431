"""Draw a digit: mouse strokes on the canvas, the target label, dry run and one training step."""

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, Qt

from visualcnn.app.views.output import OutputPanel
from visualcnn.app.views.panels import ConvPanel, InputPanel
from visualcnn.data import load_dataset
from visualcnn.data.drawn import centre_of_mass, strokes_to_sample


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
    expected = strokes_to_sample(draw.canvas.strokes())
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
    draw.target.setValue(7)
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


# ------------------------------------------------------------- MNIST-like at any size
def stroke_at(qtbot, canvas, shape, left, top, scale):
    """Draw ``shape`` (fractions of a unit square) at ``scale`` of the canvas's square, its
    top-left corner at (left, top), fractions of the square too."""
    w, h = canvas.width(), canvas.height()
    side = min(w, h)
    x0, y0 = (w - side) // 2, (h - side) // 2
    points = [(x0 + round((left + fx * scale) * side), y0 + round((top + fy * scale) * side))
              for fx, fy in shape]
    stroke(qtbot, canvas, points)


SEVEN = [(0.0, 0.0), (0.5, 0.0), (1.0, 0.0), (0.7, 0.45), (0.4, 1.0)]
ONE = [(0.5, 0.0), (0.5, 0.5), (0.5, 1.0)]


def drawn_sample(window, draw, qtbot, shape, left, top, scale):
    qtbot.mouseClick(draw.clear_button, Qt.MouseButton.LeftButton)
    stroke_at(qtbot, draw.canvas, shape, left, top, scale)
    return np.array(window.last_trace.input[0, 0])


def row_mass(image):
    """MNIST's stroke width of an upright stroke: the ink summed across each row, median over
    the middle half of the rows with ink (the ends of a stroke are rounded)."""
    rows = np.flatnonzero(image.sum(axis=1) > 0.5)
    middle = rows[len(rows) // 4:3 * len(rows) // 4]
    return float(np.median(image[middle].sum(axis=1)))


def test_a_tiny_drawing_and_a_large_one_give_the_same_digit(window, draw, qtbot):
    large = drawn_sample(window, draw, qtbot, SEVEN, 0.15, 0.15, 0.7)
    tiny = drawn_sample(window, draw, qtbot, SEVEN, 0.05, 0.6, 0.15)
    assert np.corrcoef(large.ravel(), tiny.ravel())[0, 1] > 0.9
    assert 0.8 < tiny.sum() / large.sum() < 1.25   # not a blob: as much ink as the large one
    # As thin as an MNIST 7 (about 90 of ink in 28 x 28), not a smear.
    digits = load_dataset("bundled")
    sevens = digits.x_train[digits.y_train == 7, 0].sum(axis=(1, 2))
    lo, hi = np.percentile(sevens, [10, 90])
    assert lo <= tiny.sum() <= hi and lo <= large.sum() <= hi


def test_a_drawn_one_has_the_stroke_width_of_mnist_ones_at_any_size(window, draw, qtbot):
    digits = load_dataset("bundled")
    ones = digits.x_train[digits.y_train == 1, 0]
    lo, hi = np.percentile([row_mass(one) for one in ones], [10, 90])   # about 2 to 4.3
    for top, scale in ((0.1, 0.8), (0.45, 0.12)):
        one = drawn_sample(window, draw, qtbot, ONE, 0.2, top, scale)
        assert lo <= row_mass(one) <= hi
        rows = np.flatnonzero(one.any(axis=1))
        assert rows[-1] - rows[0] + 1 == 20          # fitted to the 20-pixel box
        grey = one[(one > 0.05) & (one < 0.95)]
        assert grey.size >= 10                        # anti-aliased edges, as MNIST's


# ------------------------------------------------------------------ no target yet
def test_the_target_starts_at_none_and_a_run_shows_the_forward_pass_only(window, draw, qtbot):
    assert draw.target.text() == "target none" and draw.target_label() is None
    train = window.actions["draw_train"]
    assert not train.isEnabled() and not draw.train_button.isEnabled()
    stroke(qtbot, draw.canvas, seven(draw.canvas))
    trace = window.last_trace
    net = window.session.net
    # The forward pass and the prediction, as a dry run would have them.
    expected = net.predict(trace.input)[0]
    np.testing.assert_allclose(trace.probs, expected, rtol=1e-12)
    output = next(p for p in window.panels if isinstance(p, OutputPanel))
    np.testing.assert_allclose(output.prob_bars.opts["height"], expected, rtol=1e-12)
    assert output.predicted_mark.isVisible() and output.true_mark.toPlainText() == ""
    conv = next(p for p in window.panels if isinstance(p, ConvPanel))
    assert np.isfinite(conv.maps.raw).all()
    # No backward pass: its panels say how to get one, never numbers.
    notes = window.classroom.drawing.notes
    for panel in window.panels:
        for mosaic in getattr(getattr(panel, "board", None), "mosaics", []):
            blank = bool(np.isnan(mosaic.raw).all())
            assert blank == mosaic.title.startswith("dL/d")
            label = notes.label(mosaic)
            assert (label is not None and label.isVisible()) == blank
            if blank:
                assert "pick a target" in " ".join(label.text().split())
                assert mosaic.top_label.text() == "" and mosaic.bottom_label.text() == ""
    assert "nan" not in conv.biases.item.text() and "e-12" not in conv.biases.item.text()
    assert notes.gradient_note(output).isVisible()
    caption = next(p for p in window.panels if isinstance(p, InputPanel)).caption
    assert "no target" in caption.item.text() and f"predicted {trace.prediction}" in \
        caption.item.text()
    # Training on it waits for a target.
    qtbot.keyClick(window, Qt.Key.Key_D,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.session.net.step == 0 and window.last_trace is trace


def test_picking_a_target_shows_the_backward_pass_and_allows_training(window, draw, qtbot):
    stroke(qtbot, draw.canvas, seven(draw.canvas))
    draw.target.setValue(7)          # what the teacher does: the drawing runs again
    trace = window.last_trace
    assert trace.label == 7 and np.isfinite(trace.loss) and not trace.applied
    conv = next(p for p in window.panels if isinstance(p, ConvPanel))
    np.testing.assert_array_equal(
        conv.grad_weights.raw.reshape(trace.layer("conv1").grads["W"].shape),
        trace.layer("conv1").grads["W"])
    notes = window.classroom.drawing.notes
    assert not notes.label(conv.grad_weights).isVisible()
    output = next(p for p in window.panels if isinstance(p, OutputPanel))
    assert not notes.gradient_note(output).isVisible()
    assert window.actions["draw_train"].isEnabled() and draw.train_button.isEnabled()
    qtbot.mouseClick(draw.train_button, Qt.MouseButton.LeftButton)
    assert window.session.net.step == 1 and window.last_trace.label == 7
    # Back to "none": no stale gradients of the target left on screen.
    draw.target.setValue(draw.target.minimum())
    assert draw.target_label() is None and not window.actions["draw_train"].isEnabled()
    assert np.isnan(conv.grad_weights.raw).all() and notes.label(conv.grad_weights).isVisible()


def test_the_notes_go_when_a_dataset_step_is_shown(window, draw, qtbot):
    stroke(qtbot, draw.canvas, seven(draw.canvas))
    conv = next(p for p in window.panels if isinstance(p, ConvPanel))
    notes = window.classroom.drawing.notes
    assert notes.label(conv.grad_maps).isVisible()
    window.actions["step"].trigger()
    assert not notes.label(conv.grad_maps).isVisible()
    output = next(p for p in window.panels if isinstance(p, OutputPanel))
    assert not notes.gradient_note(output).isVisible()
    assert np.isfinite(conv.grad_maps.raw).all()
    assert output.true_mark.toPlainText() in ("true", "true = pred")


def test_the_notes_follow_a_layer_in_focus_and_survive_its_panel(window, draw, qtbot):
    qtbot.keyClick(window, Qt.Key.Key_F6)  # conv1 alone, forward and backward side by side
    stroke(qtbot, draw.canvas, seven(draw.canvas))
    focus = window.classroom.focus.panel
    notes = window.classroom.drawing.notes
    assert np.isnan(focus.dW.raw).all() and notes.label(focus.dW).isVisible()
    assert not np.isnan(focus.W.raw).any() and notes.label(focus.W) is None
    qtbot.keyClick(window, Qt.Key.Key_F6)  # the next layer: conv1's focus panel is deleted
    qtbot.wait(10)
    window.actions["step"].trigger()
    assert not any(notes.label(m) is not None and notes.label(m).isVisible()
                   for m in window.classroom.focus.panel.board.mosaics)
