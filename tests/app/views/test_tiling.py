"""The one tiler: each tile of an arranged array is the slice of the array that the tile says
it is (``index_of``), for every layout the views use."""

import numpy as np
import pytest

from visualcnn.app.views.tiling import grid_for, map_tiling, weight_tiling


def tiles(tiling, array):
    """The arranged array as (rows, cols, h, w), padded like a mosaic pads a short grid."""
    maps = tiling.arrange(array)
    rows, cols = tiling.grid
    if maps.ndim == 3:
        padded = np.full((rows * cols, *maps.shape[1:]), np.nan)
        padded[:len(maps)] = maps
        maps = padded.reshape(rows, cols, *maps.shape[1:])
    return maps


@pytest.mark.parametrize("shape", [(8, 1, 3, 3), (5, 1, 3, 3), (16, 8, 3, 3), (4, 3, 5, 5)])
def test_conv_weights_tile_per_filter_and_channel(shape):
    W = np.random.default_rng(0).normal(size=shape)
    t = weight_tiling(shape)
    assert t.tile == shape[2:]
    shown = tiles(t, W)
    count = 0
    for r in range(t.grid[0]):
        for c in range(t.grid[1]):
            f, ch = t.index_of(r, c)
            if f >= shape[0]:
                continue  # the padding after the last filter of a grid
            count += 1
            np.testing.assert_array_equal(shown[r, c], W[f, ch])
            assert f"filter {f}" in t.name_of(r, c)
    assert count == shape[0] * shape[1]


def test_one_input_channel_puts_each_filter_where_its_map_is():
    w, maps = weight_tiling((6, 1, 3, 3)), map_tiling((6, 24, 24), noun="map")
    assert w.grid == maps.grid == grid_for(6)
    for r in range(w.grid[0]):
        for c in range(w.grid[1]):
            assert w.index_of(r, c)[0] == maps.index_of(r, c)[0]


@pytest.mark.parametrize("template", [(1, 13, 13), (8, 5, 5)])
def test_dense_weights_after_maps_are_one_template_per_unit_and_channel(template):
    units, d = 10, int(np.prod(template))
    W = np.random.default_rng(1).normal(size=(units, d))
    t = weight_tiling(W.shape, template)
    shown = tiles(t, W)
    for r in range(t.grid[0]):
        for c in range(t.grid[1]):
            unit, ch = t.index_of(r, c)
            if unit < units:
                np.testing.assert_array_equal(shown[r, c], W[unit].reshape(template)[ch])


def test_dense_weights_after_a_vector_are_one_matrix():
    W = np.arange(12.0).reshape(3, 4)
    t = weight_tiling(W.shape)
    assert (t.grid, t.tile) == ((1, 1), (3, 4))
    np.testing.assert_array_equal(tiles(t, W)[0, 0], W)


def test_maps_and_vectors():
    t = map_tiling((3, 26, 26))
    assert (t.grid, t.tile, t.cell) == ((1, 3), (26, 26), 1.0)
    strip = map_tiling((10,))
    assert (strip.grid, strip.tile, strip.cell) == ((1, 1), (1, 10), 6.0)
    np.testing.assert_array_equal(tiles(strip, np.arange(10.0))[0, 0, 0], np.arange(10.0))
    assert t.scaled(2.0).cell == 2.0 and t.scaled(2.0).grid == t.grid


@pytest.mark.parametrize("arch", ["conv8x3-pool2-dense10",
                                  "conv4x3-relu-pool2-conv6x3-relu-pool2-dense10"])
def test_panels_focus_and_update_views_tile_weights_alike(make_window, arch):
    window = make_window(arch)
    window.actions["step"].trigger()
    trace = window.last_trace
    window.debugger.update_dock.show()
    window.debugger.update_view.show_trace(trace)
    updates = {view.name: view for view in window.debugger.update_view.views}
    for layer in [lt.name for lt in trace.layers if lt.params]:
        panel = window.panels[[p.key for p in window.panels].index(layer)]
        window.classroom.focus.set_layer(layer)
        views = [panel.weights, window.classroom.focus.panel.W, updates[layer].before]
        for mosaic in views:
            assert (mosaic.rows, mosaic.cols, mosaic.h, mosaic.w, mosaic.cell) == (
                panel.weights.rows, panel.weights.cols, panel.weights.h, panel.weights.w,
                panel.weights.cell)
            np.testing.assert_array_equal(mosaic.raw, panel.weights.raw)
            assert mosaic.tiling.name_of(0, 1) == panel.weights.tiling.name_of(0, 1)
    window.classroom.focus.set_layer(None)
