"""The inspector on the new kinds of layer, through real clicks: an activation unit, an
average-pooled unit and a padded, strided convolution's unit hold the explain numbers; and a
whole step, a phase walk, inspecting, focusing, pinning and stepping back run on networks
made of every kind."""

import math

import numpy as np
import pytest
from PyQt6.QtCore import QPointF, Qt

from tests.app.panel_checks import assert_tiles
from visualcnn.app.debug.explanations import fmt
from visualcnn.app.views.activation_panels import ActivationPanel, AvgPoolPanel
from visualcnn.app.views.panels import ConvPanel, DensePanel, InputPanel, PoolPanel, ReluPanel
from visualcnn.nn import Network
from visualcnn.nn.arch import PRESETS
from visualcnn.nn.explain import (
    explain_activation_unit,
    explain_avgpool_unit,
    explain_conv_unit,
    explain_input_pixel,
)

EVERY_TOKEN = "conv4x3p1s2-sigmoid-avgpool2-tanh-conv4x3-lrelu-pool2-relu-dense10"


def click_pixel(qtbot, mosaic, tile, i, j):
    board = mosaic.board
    x, y = mosaic.pixel_centre(tile, i, j)
    point = board.mapFromScene(board.view.mapViewToScene(QPointF(x, y)))
    qtbot.mouseClick(board.viewport(), Qt.MouseButton.LeftButton, pos=point)


def stepped(window, n=3):
    for _ in range(n):
        window.actions["step"].trigger()
    return window.last_trace


def panel_named(window, name):
    return next(p for p in window.panels if getattr(p, "name", None) == name)


@pytest.mark.parametrize("name", ["sigmoid1", "tanh1", "lrelu1"])
def test_click_on_an_activation_unit_explains_its_local_derivative(make_window, qtbot, name):
    window = make_window(EVERY_TOKEN)
    trace = stepped(window)
    panel = panel_named(window, name)
    c, i, j = 1, 2, 3
    click_pixel(qtbot, panel.local, c, i, j)
    inspector = window.debugger.inspector
    e = inspector.explanation
    assert inspector.selection.what == "activation" and tuple(e.index) == (c, i, j)
    expected = explain_activation_unit(trace, name, c, i, j)
    lt = trace.layer(name)
    at = (0, c, i, j)
    assert e.input == expected.input == lt.x[at]
    assert e.output == lt.out[at]
    assert e.local_derivative == lt.extras["local_derivative"][at]
    assert e.upstream == lt.dout[at]
    assert math.isclose(e.upstream * e.local_derivative, lt.dx[at], rel_tol=1e-12,
                        abs_tol=1e-300)
    text = inspector.text.text()
    for number in (e.input, e.output, e.local_derivative, e.upstream,
                   e.upstream * e.local_derivative):
        assert fmt(number) in text
    # The unit is outlined on all four of its panel's pictures.
    assert len(inspector.outlines()) == 4


def test_click_on_an_average_pooled_unit_shows_the_mean_and_the_even_share(make_window,
                                                                           qtbot):
    window = make_window(EVERY_TOKEN)
    trace = stepped(window)
    pool = next(p for p in window.panels if isinstance(p, AvgPoolPanel))
    click_pixel(qtbot, pool.routed, 2, 9, 4)  # a member of window (4, 2)
    inspector = window.debugger.inspector
    assert inspector.selection.what == "avgpool"
    assert inspector.selection.index == (2, 4, 2)
    e = inspector.explanation
    lt = trace.layer(pool.name)
    expected = explain_avgpool_unit(trace, pool.name, 2, 4, 2)
    np.testing.assert_array_equal(e.window, lt.x[0, 2, 8:10, 4:6])
    np.testing.assert_array_equal(e.window, expected.window)
    assert math.isclose(e.window.mean(), lt.out[0, 2, 4, 2], rel_tol=1e-12)
    share = lt.dout[0, 2, 4, 2] / 4
    np.testing.assert_allclose(lt.dx[0, 2, 8:10, 4:6], share, rtol=1e-12)
    text = inspector.text.text()
    assert fmt(float(e.window.mean())) in text and fmt(share) in text and "1/4" in text


def test_click_on_a_padded_convolution_unit_shows_the_padding_as_zeros(make_window, qtbot):
    window = make_window(EVERY_TOKEN)
    trace = stepped(window)
    conv = panel_named(window, "conv1")
    click_pixel(qtbot, conv.maps, 3, 0, 5)  # top row: its window starts in the padding
    inspector = window.debugger.inspector
    e = inspector.explanation
    expected = explain_conv_unit(trace, "conv1", 3, 0, 5)
    lt = trace.layer("conv1")
    # Stride 2, padding 1: output (0, 5) reads input rows -1..1, columns 9..11.
    assert (e.rows, e.cols) == ((-1, 2), (9, 12)) == (expected.rows, expected.cols)
    np.testing.assert_array_equal(e.patch[0, 0], 0.0)  # the padding row
    np.testing.assert_array_equal(e.patch[0, 1:], lt.x[0, 0, 0:2, 9:12])
    assert math.isclose(e.products.sum() + e.bias, lt.out[0, 3, 0, 5], rel_tol=1e-12,
                        abs_tol=1e-12)
    text = inspector.text.text()
    assert "top-left at input (y -1, x 9)" in text
    assert "padding" in text and fmt(e.total) in text and "equal" in text
    # The receptive field is outlined where it lies on the input: rows 0..1 of it.
    sample = next(p for p in window.panels if isinstance(p, InputPanel)).sample
    rects = [item.rect() for item in inspector.outlines()]
    assert any(math.isclose(r.y(), sample.image_y) and math.isclose(r.height(), 2 * sample.cell)
               and math.isclose(r.x(), sample.image_x + 9 * sample.cell) for r in rects)


def test_click_on_an_input_pixel_sums_the_strided_readers(make_window, qtbot):
    window = make_window(EVERY_TOKEN)
    trace = stepped(window)
    sample = next(p for p in window.panels if isinstance(p, InputPanel)).sample
    click_pixel(qtbot, sample, 0, 13, 6)
    e = window.debugger.inspector.explanation
    expected = explain_input_pixel(trace, 0, 13, 6)
    np.testing.assert_array_equal(e.readers, expected.readers)
    assert math.isclose(e.total, trace.dinput[0, 0, 13, 6], rel_tol=1e-9, abs_tol=1e-15)
    assert fmt(e.total) in window.debugger.inspector.text.text()


def test_click_on_a_padded_strided_filter_weight_sums_its_terms(make_window, qtbot):
    window = make_window(EVERY_TOKEN)
    trace = stepped(window)
    conv = panel_named(window, "conv1")
    click_pixel(qtbot, conv.grad_weights, 1, 0, 2)
    e = window.debugger.inspector.explanation
    assert e.index == (1, 0, 0, 2)
    assert e.gradient == trace.layer("conv1").grads["W"][1, 0, 0, 2]
    assert math.isclose(e.total, e.gradient, rel_tol=1e-10, abs_tol=1e-15)
    assert fmt(e.total) in window.debugger.inspector.text.text()


def phase_names(net):
    names = [layer.name for layer in net.layers]
    return ([f"forward {n}" for n in names] + ["loss"]
            + [f"backward {n}" for n in reversed(names)] + ["update"])


def click_every_panel(window, qtbot):
    """Click a unit on every panel that has one to explain; each gives an explanation or
    says what is not computed yet."""
    inspector = window.debugger.inspector
    for panel in window.panels:
        if isinstance(panel, ConvPanel | ReluPanel | ActivationPanel):
            mosaic = panel.out if hasattr(panel, "out") else panel.maps
        elif isinstance(panel, PoolPanel | AvgPoolPanel):
            mosaic = panel.pooled
        elif isinstance(panel, DensePanel | InputPanel):
            mosaic = panel.out if isinstance(panel, DensePanel) else panel.sample
        else:
            continue
        click_pixel(qtbot, mosaic, 0, 0, 0)
        text = inspector.text.text()
        assert inspector.explanation is not None or "not yet computed" in text, panel.key


@pytest.mark.parametrize("arch", [EVERY_TOKEN, PRESETS["sigmoid deep"]])
def test_a_step_a_phase_walk_inspect_focus_pin_and_rewind_on_every_kind(make_window, qtbot,
                                                                         arch):
    window = make_window(arch)
    s = window.session
    twin = Network.from_arch(arch)
    seen_weights = []

    def train_twin():
        x, y = s.dataset.x_train[s.sample_index], int(s.dataset.y_train[s.sample_index])
        seen_weights.append({(la.name, k): v.copy() for la in twin.layers
                             for k, v in la.params.items()})
        return twin.train_step(x, y, s.lr)

    for _ in range(2):
        window.actions["step"].trigger()
        train_twin()
    diff = window.debugger.diff_view
    window.reveal(window.debugger.diff_dock)
    qtbot.mouseClick(diff.pin, Qt.MouseButton.LeftButton)
    net = s.net
    seen = []
    for _ in phase_names(net):
        window.actions["step_phase"].trigger()
        seen.append(window.debugger.phase_text)
        if seen[-1] in ("loss", f"forward {net.layers[0].name}", "update"):
            click_every_panel(window, qtbot)
    assert seen == phase_names(net)
    expected = train_twin()
    assert window.last_trace.loss == expected.loss
    for la, twin_layer in zip(net.layers, twin.layers, strict=True):
        for k, v in la.params.items():
            np.testing.assert_array_equal(v, twin_layer.params[k])
    assert diff.diffs is not None and any(np.any(d.delta) for d in diff.diffs)
    for _ in range(len(window.classroom.focus.menu.actions())):
        window.actions["focus_next"].trigger()  # every layer in focus in turn, then none
    assert window.classroom.focus.layer is None
    for _ in range(2):
        window.actions["step_back"].trigger()
    for la in net.layers:
        for k, v in la.params.items():
            np.testing.assert_array_equal(v, seen_weights[1][(la.name, k)])


def test_an_input_pixel_read_by_a_pool_first_says_so_in_the_inspector(make_window, qtbot):
    window = make_window("avgpool2-tanh-dense10")
    stepped(window, 1)
    sample = next(p for p in window.panels if isinstance(p, InputPanel)).sample
    click_pixel(qtbot, sample, 0, 5, 5)
    inspector = window.debugger.inspector
    assert inspector.explanation is None
    text = inspector.text.text()
    assert "avgpool1" in text and "first convolution or dense layer" in text
    # A unit of the pool itself is explained as usual.
    pool = next(p for p in window.panels if isinstance(p, AvgPoolPanel))
    click_pixel(qtbot, pool.pooled, 0, 2, 2)
    assert inspector.explanation is not None and inspector.selection.what == "avgpool"


def test_step_finishes_a_walk_stopped_in_an_activation_backward_phase(make_window):
    window = make_window(EVERY_TOKEN)
    s = window.session
    twin = Network.from_arch(EVERY_TOKEN)
    window.actions["step"].trigger()
    twin.train_step(s.dataset.x_train[s.sample_index], int(s.dataset.y_train[s.sample_index]),
                    s.lr)
    while window.debugger.phase_text != "backward tanh1":
        window.actions["step_phase"].trigger()
    tanh = panel_named(window, "tanh1")
    assert not np.isnan(tanh.grad_in.raw).any()  # its backward pass is done ...
    assert np.isnan(panel_named(window, "sigmoid1").grad_in.raw).all()  # ... not this one's
    window.actions["step"].trigger()
    sample = s.sample_index
    expected = twin.train_step(s.dataset.x_train[sample], int(s.dataset.y_train[sample]), s.lr)
    assert s.net.step == 2 and window.last_trace.loss == expected.loss
    lt = window.last_trace.layer("sigmoid1")
    assert_tiles(panel_named(window, "sigmoid1").grad_in, lt.dx[0])


def test_dry_run_and_the_gradient_check_work_on_every_kind(make_window):
    window = make_window(EVERY_TOKEN)
    stepped(window, 2)
    weights = {(la.name, k): v.copy() for la in window.session.net.layers
               for k, v in la.params.items()}
    window.actions["dry_run"].trigger()
    assert not window.last_trace.applied
    sigmoid = panel_named(window, "sigmoid1")
    lt = window.last_trace.layer("sigmoid1")
    assert_tiles(sigmoid.local, lt.extras["local_derivative"][0])
    for la in window.session.net.layers:
        for k, v in la.params.items():
            np.testing.assert_array_equal(v, weights[(la.name, k)])
    window.actions["gradcheck"].trigger()
    report = window.debugger.gradcheck.report
    assert report is not None and report.passed
