"""The panels of sigmoid, tanh, leaky ReLU, average pooling and padded, strided convolutions
draw the trace's numbers: an activation's local derivative is the trace's, its dL/d(in) the
product, an average pool's gradient is shared evenly, a convolution says its padding and
stride."""

import numpy as np

from tests.app.panel_checks import assert_tiles
from visualcnn.app.views.activation_panels import ActivationPanel, AvgPoolPanel
from visualcnn.app.views.panels import ConvPanel, PoolPanel, ReluPanel

EVERY_TOKEN = "conv4x3p1s2-sigmoid-avgpool2-tanh-conv4x3-lrelu-pool2-relu-dense10"


def panels_of(window, kind):
    return [p for p in window.panels if isinstance(p, kind)]


def test_each_activation_panel_shows_output_local_derivative_and_both_gradients(make_window):
    window = make_window(EVERY_TOKEN)
    for _ in range(2):  # the second step's gradient flows through a non-zero output layer
        window.actions["step"].trigger()
    trace = window.last_trace
    activations = panels_of(window, ActivationPanel)
    assert [p.kind for p in activations] == ["sigmoid", "tanh", "lrelu"]
    for panel in activations:
        lt = trace.layer(panel.name)
        local = lt.extras["local_derivative"][0]
        assert_tiles(panel.out, lt.out[0])
        assert_tiles(panel.local, local)
        assert_tiles(panel.grad_out, lt.dout[0])
        assert_tiles(panel.grad_in, lt.dx[0])
        assert np.any(lt.dx[0])
        # What the panel shows as dL/d(in) is dL/d(out) times what it shows as the factor.
        np.testing.assert_allclose(panel.grad_in.raw, panel.grad_out.raw * panel.local.raw,
                                   rtol=1e-12, atol=0)
        assert panel.local.levels == (0.0, 1.0)  # one scale for every layer and step
        assert f"mean {local.mean():.3g}" in panel.summary.text()


def test_the_local_derivatives_are_the_ones_of_each_kind(make_window):
    window = make_window(EVERY_TOKEN)
    window.actions["step"].trigger()
    trace = window.last_trace
    by_kind = {p.kind: p for p in panels_of(window, ActivationPanel)}
    sigmoid = by_kind["sigmoid"]
    s = trace.layer(sigmoid.name).out[0]
    np.testing.assert_allclose(sigmoid.local.raw.reshape(s.shape), s * (1 - s), rtol=1e-12)
    assert sigmoid.local.raw.max() <= 0.25
    assert "(≤ 0.25)" in sigmoid.summary.text()
    t = trace.layer(by_kind["tanh"].name).out[0]
    np.testing.assert_allclose(by_kind["tanh"].local.raw.reshape(t.shape), 1 - t ** 2,
                               rtol=1e-12)
    lrelu = by_kind["lrelu"]
    x = trace.layer(lrelu.name).x[0]
    np.testing.assert_array_equal(lrelu.local.raw.reshape(x.shape), np.where(x > 0, 1.0, 0.01))


def test_each_panel_says_what_its_kind_does(make_window):
    window = make_window(EVERY_TOKEN)
    tips = {p.name: p.widget.toolTip() for p in window.panels if hasattr(p, "name")}
    words = {"conv1": "Padding 1", "sigmoid1": "deep sigmoid nets fade", "avgpool1": "mean",
             "tanh1": "(−1, 1)", "conv2": "Filters W", "lrelu1": "0.01", "pool1": "largest",
             "relu1": "negative value set to zero", "dense1": "unit's weights"}
    for name, word in words.items():
        assert word in tips[name], name
    assert "at most 0.25" in tips["sigmoid1"]
    assert "Stride 2" in tips["conv1"]
    assert "Padding" not in tips["conv2"] and "Stride" not in tips["conv2"]


def test_a_padded_strided_convolution_says_so_and_its_maps_follow(make_window):
    window = make_window(EVERY_TOKEN)
    window.actions["step"].trigger()
    conv1, conv2 = panels_of(window, ConvPanel)
    assert "pad 1, stride 2" in conv1.title
    assert "pad 1, stride 2" in window.docks["conv1"].windowTitle()
    assert "pad 1, stride 2" in conv1.maps.title
    assert "pad" not in conv2.title and "stride" not in conv2.title
    # floor((28 + 2 - 3) / 2) + 1 = 14
    assert (conv1.maps.h, conv1.maps.w) == (14, 14)
    assert_tiles(conv1.maps, window.last_trace.layer("conv1").out[0])
    assert_tiles(conv1.grad_maps, window.last_trace.layer("conv1").dout[0])


def test_average_pool_panel_shares_the_gradient_evenly_and_marks_no_winner(make_window):
    window = make_window(EVERY_TOKEN)
    for _ in range(2):
        window.actions["step"].trigger()
    (pool,) = panels_of(window, AvgPoolPanel)
    lt = window.last_trace.layer(pool.name)
    assert_tiles(pool.inputs, lt.x[0])
    assert_tiles(pool.routed, lt.dx[0])
    assert_tiles(pool.pooled, lt.out[0])
    assert_tiles(pool.grad_pooled, lt.dout[0])
    # Every member of a 2 x 2 window shows a quarter of the window's gradient.
    routed = pool.routed.raw.reshape(lt.dx[0].shape)
    np.testing.assert_allclose(routed, np.repeat(np.repeat(lt.dout[0], 2, 1), 2, 2) / 4,
                               rtol=1e-12, atol=0)
    assert not pool.inputs.overlays  # no dots: every member shares, none wins
    assert "1/4" in pool.routed.title
    assert panels_of(window, PoolPanel)[0].winners is not None  # max-pool keeps its dots


def test_an_activation_after_a_dense_layer_is_a_strip_of_units(make_window):
    window = make_window("dense16-tanh-dense12-sigmoid-dense10")
    for _ in range(2):
        window.actions["step"].trigger()
    trace = window.last_trace
    for panel in panels_of(window, ActivationPanel):
        lt = trace.layer(panel.name)
        assert (panel.out.h, panel.out.w) == (1, lt.out.shape[1])
        np.testing.assert_array_equal(panel.local.raw.ravel(),
                                      lt.extras["local_derivative"][0])
        np.testing.assert_array_equal(panel.grad_in.raw.ravel(), lt.dx[0])


def test_relu_panel_is_unchanged_beside_the_new_kinds(make_window):
    window = make_window(EVERY_TOKEN)
    window.actions["step"].trigger()
    (relu,) = panels_of(window, ReluPanel)
    lt = window.last_trace.layer("relu1")
    assert_tiles(relu.out, lt.out[0])
    np.testing.assert_array_equal(relu.mask.raw.reshape(lt.x[0].shape),
                                  lt.extras["relu_mask"][0])


def test_focus_on_an_activation_shows_its_local_derivative(make_window):
    window = make_window(EVERY_TOKEN)
    window.actions["step"].trigger()
    focus = window.classroom.focus
    window.actions["focus_next"].trigger()
    assert focus.layer == "conv1" and "pad 1, stride 2" in focus.dock.windowTitle()
    while focus.layer != "sigmoid1":
        window.actions["focus_next"].trigger()
    lt = window.last_trace.layer("sigmoid1")
    np.testing.assert_array_equal(focus.panel.local.raw.reshape(lt.x[0].shape),
                                  lt.extras["local_derivative"][0])
    assert_tiles(focus.panel.dx, lt.dx[0])
    window.actions["step"].trigger()  # the focus follows the next step
    lt = window.last_trace.layer("sigmoid1")
    np.testing.assert_array_equal(focus.panel.local.raw.reshape(lt.x[0].shape),
                                  lt.extras["local_derivative"][0])
    # Sigmoid's outputs are never negative: drawn on the sequential map, like the panel's.
    assert not focus.panel.out.signed


def test_a_tall_narrow_dock_stacks_the_activation_maps_a_wide_one_pairs_them(make_window,
                                                                             qtbot):
    window = make_window(EVERY_TOKEN)
    window.actions["step"].trigger()
    panel = next(p for p in panels_of(window, ActivationPanel) if p.kind == "tanh")
    dock = window.docks[panel.name]
    dock.setFloating(True)
    paired, stacked = panel.choices
    dock.resize(160, 700)
    qtbot.waitUntil(lambda: panel.arrangement is stacked)
    tall = (panel.out.image_x, panel.local.image_y > panel.out.image_y)
    assert tall == (panel.local.image_x, True)  # the local derivative under the output
    dock.resize(900, 260)
    qtbot.waitUntil(lambda: panel.arrangement is paired)
    assert panel.local.image_x > panel.out.image_x  # beside it
    assert panel.local.image_y == panel.out.image_y


def test_a_drawing_without_a_target_shows_activations_forward_and_no_gradient(make_window,
                                                                             qtbot):
    from tests.app.classroom.test_draw import seven, stroke

    window = make_window(EVERY_TOKEN)
    window.classroom.drawing.dock.show()
    window.classroom.drawing.dock.raise_()
    draw = window.classroom.drawing.panel
    stroke(qtbot, draw.canvas, seven(draw.canvas))
    trace = window.last_trace
    for panel in panels_of(window, ActivationPanel):
        lt = trace.layer(panel.name)
        assert_tiles(panel.out, lt.out[0])
        # The local derivative needs only the forward pass: it is there without a target.
        np.testing.assert_array_equal(panel.local.raw.reshape(lt.x[0].shape),
                                      lt.extras["local_derivative"][0])
        assert np.isnan(panel.grad_in.raw).all() and np.isnan(panel.grad_out.raw).all()
        assert "mean" in panel.summary.text()
    (pool,) = panels_of(window, AvgPoolPanel)
    assert_tiles(pool.pooled, trace.layer(pool.name).out[0])
    assert np.isnan(pool.routed.raw).all()
