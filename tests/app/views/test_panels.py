"""The layer panels draw the trace's arrays: every tile, mask, template and bar."""

import numpy as np

from tests.app.panel_checks import assert_tiles, panel
from visualcnn.app.views.output import OutputPanel
from visualcnn.app.views.panels import ConvPanel, DensePanel, PoolPanel, ReluPanel

DEEPER = "conv8x3-relu-pool2-conv16x3-relu-pool2-dense10"


def test_panels_show_the_trace_arrays(window):
    window.actions["step"].trigger()
    trace = window.last_trace
    conv = panel(window, ConvPanel)
    lt = trace.layer("conv1")
    assert_tiles(conv.maps, lt.out[0])
    assert_tiles(conv.grad_maps, lt.dout[0])
    assert_tiles(conv.weights, lt.params["W"][:, 0])
    assert_tiles(conv.grad_weights, lt.grads["W"][:, 0])
    assert f"{lt.params['b'][3]:.3g}"[:5] in conv.biases.item.text()
    pool = panel(window, PoolPanel)
    pt = trace.layer("pool1")
    assert_tiles(pool.inputs, pt.x[0])
    assert_tiles(pool.routed, pt.dx[0])
    assert_tiles(pool.pooled, pt.out[0])
    mask = pt.extras["argmax_mask"][0]
    marked = pool.winners.marked()
    for i, m in enumerate(mask):
        r, c = divmod(i, pool.inputs.cols)
        h, w = m.shape
        np.testing.assert_array_equal(marked[r * (h + 1):r * (h + 1) + h,
                                             c * (w + 1):c * (w + 1) + w], m)
    assert marked.sum() == mask.sum()
    dense = panel(window, DensePanel)
    W = trace.layer("dense1").params["W"]
    # Class 4's template for channel 2 is row 4 of W reshaped to the pooled maps' shape.
    np.testing.assert_array_equal(dense.weights.raw[4, 2], W[4].reshape(8, 13, 13)[2])
    output = panel(window, OutputPanel)
    np.testing.assert_array_equal(output.prob_bars.opts["height"], trace.probs)
    expected = trace.probs - np.eye(10)[trace.label]
    np.testing.assert_allclose(output.grad_bars.opts["height"], expected, atol=1e-12)
    assert window.panels[0].caption.item.text().startswith(
        f"sample #{window.session.sample_index}  label {trace.label}")


def test_relu_panel_shows_the_gradient_mask(make_window):
    window = make_window(DEEPER)
    window.actions["step"].trigger()
    relu = panel(window, ReluPanel)
    lt = window.last_trace.layer("relu1")
    assert_tiles(relu.out, lt.out[0])
    np.testing.assert_array_equal(relu.mask.raw.reshape(lt.x[0].shape),
                                  lt.extras["relu_mask"][0])
    assert len([p for p in window.panels if isinstance(p, ConvPanel)]) == 2


def test_hover_names_layer_channel_position_and_value(window):
    window.actions["step"].trigger()
    mosaic = panel(window, ConvPanel).maps
    x = mosaic.image_x + (1 * (mosaic.w + 1) + 5 + 0.5) * mosaic.cell
    y = mosaic.image_y + (1 * (mosaic.h + 1) + 7 + 0.5) * mosaic.cell
    text = mosaic.describe(x, y)
    value = window.last_trace.layer("conv1").out[0, mosaic.cols + 1, 7, 5]
    assert text.startswith("conv1 feature maps · map 5 · y 7, x 5")
    assert f"{value:.5g}" in text


def test_scale_modes_change_the_levels(window):
    window.actions["step"].trigger()
    maps = panel(window, ConvPanel).maps
    window.scale_box.setCurrentIndex(window.scale_box.findData("map"))
    assert maps.levels == (-1.0, 1.0)
    window.scale_box.setCurrentIndex(window.scale_box.findData("fixed"))
    frozen = maps.levels
    window.session.set_lr(0.5)
    for _ in range(3):
        window.actions["step"].trigger()
    assert maps.levels == frozen


def test_filters_that_do_not_fill_a_grid_still_show_their_pool_winners(make_window):
    window = make_window("conv5x3-pool2-dense10")  # five maps on a 2 x 3 grid
    window.step()
    pool = next(p for p in window.panels if isinstance(p, PoolPanel))
    mask = window.last_trace.layer("pool1").extras["argmax_mask"][0]
    m = pool.inputs
    marked = pool.winners.marked()
    for f in range(5):
        r, c = divmod(f, m.cols)
        tile = marked[r * (m.h + 1):r * (m.h + 1) + m.h, c * (m.w + 1):c * (m.w + 1) + m.w]
        np.testing.assert_array_equal(tile, mask[f])


def test_fixed_scale_waits_for_weights_that_are_not_all_zero(window):
    window.scale_box.setCurrentIndex(window.scale_box.findData("fixed"))
    window.reset()  # the output layer is zero again: nothing to fix the levels on
    for _ in range(20):
        window.step()
    dense = next(p for p in window.panels if isinstance(p, DensePanel))
    w = np.abs(window.last_trace.layer("dense1").params["W"]).max()
    assert dense.weights.levels[1] > 1e-6
    assert dense.weights.levels[1] <= 10 * w
