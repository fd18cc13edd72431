"""The inspector: real mouse clicks on the panels, and numbers equal to the trace's."""

import math

import numpy as np
from PyQt6.QtCore import QPointF, Qt

from visualcnn.app.debug.explanations import fmt
from visualcnn.app.views.panels import ConvPanel, DensePanel, PoolPanel


def panel(window, kind):
    return next(p for p in window.panels if isinstance(p, kind))


def click_scene(qtbot, board, x, y):
    point = board.mapFromScene(board.view.mapViewToScene(QPointF(x, y)))
    qtbot.mouseClick(board.viewport(), Qt.MouseButton.LeftButton, pos=point)


def click_pixel(qtbot, mosaic, tile, i, j):
    click_scene(qtbot, mosaic.board, *mosaic.pixel_centre(tile, i, j))


def stepped(window, n=3):
    for _ in range(n):
        window.actions["step"].trigger()
    return window.last_trace


def test_click_on_a_feature_map_unit_explains_it_with_the_trace_numbers(window, qtbot):
    trace = stepped(window)
    conv = panel(window, ConvPanel)
    f, i, j = 5, 11, 9
    click_pixel(qtbot, conv.maps, f, i, j)
    inspector = window.debugger.inspector
    assert window.debugger.inspector_dock.isVisible()
    e = inspector.explanation
    lt = trace.layer("conv1")
    assert (e.filter, e.position) == (f, (i, j))
    np.testing.assert_array_equal(e.patch, lt.x[0, :, i:i + 3, j:j + 3])
    np.testing.assert_array_equal(e.kernel, lt.params["W"][f])
    np.testing.assert_array_equal(e.products, e.patch * e.kernel)
    assert e.output == lt.out[0, f, i, j]
    assert math.isclose(e.products.sum() + e.bias, lt.out[0, f, i, j], rel_tol=1e-12,
                        abs_tol=1e-12)
    assert e.gradient == lt.dout[0, f, i, j]
    text = inspector.text.text()
    assert fmt(e.total) in text and fmt(e.bias) in text and "equal" in text
    # The receptive field is outlined on the input, the unit on its map.
    rects = [item.rect() for item in inspector.outlines()]
    sample = window.panels[0].sample
    field = (sample.image_x + j * sample.cell, sample.image_y + i * sample.cell)
    assert any(math.isclose(r.x(), field[0]) and math.isclose(r.y(), field[1])
               and math.isclose(r.width(), 3 * sample.cell) for r in rects)
    # The selection follows the next step with that step's numbers.
    window.actions["step"].trigger()
    assert inspector.explanation.output == window.last_trace.layer("conv1").out[0, f, i, j]


def test_click_on_a_filter_weight_explains_its_gradient(window, qtbot):
    trace = stepped(window)
    conv = panel(window, ConvPanel)
    click_pixel(qtbot, conv.grad_weights, 2, 1, 0)
    e = window.debugger.inspector.explanation
    lt = trace.layer("conv1")
    assert e.index == (2, 0, 1, 0)
    assert e.gradient == lt.grads["W"][2, 0, 1, 0]
    np.testing.assert_allclose(e.terms, lt.dout[0, 2] * lt.x[0, 0, 1:27, 0:26], rtol=0,
                               atol=0)
    assert math.isclose(e.total, e.gradient, rel_tol=1e-10, abs_tol=1e-15)
    top = max(abs(t) for *_, t in e.largest)
    assert top == np.abs(e.terms).max()
    assert fmt(e.total) in window.debugger.inspector.text.text()
    assert window.debugger.inspector.terms_plot.isVisible()


def test_weight_gradient_is_not_yet_computed_in_the_forward_phase(window, qtbot):
    stepped(window, 1)
    window.actions["step_phase"].trigger()  # forward conv1
    conv = panel(window, ConvPanel)
    click_pixel(qtbot, conv.weights, 0, 0, 0)
    assert "not yet computed" in window.debugger.inspector.text.text()
    for _ in range(4):
        window.actions["step_phase"].trigger()  # ... pool1, flatten1, dense1, loss
    click_pixel(qtbot, conv.grad_maps, 1, 3, 3)  # a unit whose gradient is not there yet
    assert "dL/d(out)" not in window.debugger.inspector.text.text()


def test_click_on_a_pooled_unit_shows_window_winner_and_gradient_route(window, qtbot):
    trace = stepped(window)
    pool = panel(window, PoolPanel)
    click_pixel(qtbot, pool.pooled, 3, 4, 6)
    e = window.debugger.inspector.explanation
    lt = trace.layer("pool1")
    window_values = lt.x[0, 3, 8:10, 12:14]
    np.testing.assert_array_equal(e.window, window_values)
    assert e.output == lt.out[0, 3, 4, 6] == window_values.max()
    assert lt.extras["argmax_mask"][0, 3][e.winner]
    assert lt.dx[0, 3][e.winner] == lt.dout[0, 3, 4, 6] == e.gradient
    assert f"(y {e.winner[0]}, x {e.winner[1]})" in window.debugger.inspector.text.text()


def test_click_on_a_dense_output_unit(window, qtbot):
    trace = stepped(window)
    dense = panel(window, DensePanel)
    click_pixel(qtbot, dense.out, 0, 0, 4)
    e = window.debugger.inspector.explanation
    lt = trace.layer("dense1")
    assert e.unit == 4 and e.output == lt.out[0, 4]
    assert math.isclose(e.total, e.output, rel_tol=1e-12, abs_tol=1e-12)


def test_click_on_a_probability_bar_shows_the_softmax(window, qtbot):
    trace = stepped(window)
    out = window.output_panel
    scene = out.prob_plot.vb.mapViewToScene(QPointF(6, 0.5))
    point = out.widget.mapFromScene(scene)
    qtbot.mouseClick(out.widget.viewport(), Qt.MouseButton.LeftButton, pos=point)
    inspector = window.debugger.inspector
    e = inspector.explanation
    np.testing.assert_array_equal(e.logits, trace.logits)
    np.testing.assert_allclose(e.probs, trace.probs, rtol=0, atol=0)
    np.testing.assert_allclose(e.dlogits, trace.layers[-1].dout[0], rtol=0, atol=1e-15)
    assert inspector.selection.index == (6,)
    assert fmt(trace.loss) in inspector.text.text()


def test_a_click_on_a_row_the_pool_drops_selects_nothing(make_window):
    window = make_window("conv8x3-relu-pool2-conv16x3-relu-pool2-dense10")
    window.step()
    inspector = window.debugger.inspector
    pool2 = next(p for p in window.panels if isinstance(p, PoolPanel) and p.name == "pool2")
    m = pool2.inputs  # 11 x 11 maps into 5 x 5 windows: row and column 10 are dropped
    x = m.image_x + (m.w - 1 + 0.5) * m.cell
    y = m.image_y + (m.h - 1 + 0.5) * m.cell
    assert inspector.selection_at(pool2, x, y) is None
    inside = inspector.selection_at(pool2, m.image_x + 0.5 * m.cell, m.image_y + 0.5 * m.cell)
    assert inside is not None and inside.what == "pool"
