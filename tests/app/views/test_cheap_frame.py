"""What a frame skips to be cheap never leaves a stale picture: the output's bars keep their
outline box only while nothing moved, a max-pool's dots recolour only the pixels that can
change, an empty colour-bar label is hidden and comes back with its text, the levels and the
"all zero" note come from a group's largest and smallest value, and an opaque image is the same
colours as a blended one."""

import numpy as np
import pyqtgraph as pg
from PyQt6.QtGui import QImage

from tests.app.views.test_indexed_image import painted
from visualcnn.app.views.board import Board, IndexedImage, argb_table
from visualcnn.app.views.colormaps import colour_indices, layer_levels
from visualcnn.app.views.mosaic import MaskOverlay, Mosaic
from visualcnn.app.views.output import Bars, OutputPanel
from visualcnn.app.views.tiling import map_tiling


def fresh_box(bars: Bars):
    """The box pyqtgraph works out for the bars as they are now, nothing kept."""
    return pg.BarGraphItem.boundingRect(bars)


def shown_output(qtbot, classes: int) -> OutputPanel:
    panel = OutputPanel(classes)
    qtbot.addWidget(panel.widget)
    panel.widget.resize(300, 300)
    panel.widget.show()
    qtbot.waitExposed(panel.widget)
    return panel


def test_the_bars_box_follows_new_heights_and_a_new_range(qtbot):
    panel = shown_output(qtbot, 10)
    bars = panel.prob_bars
    bars.setOpts(height=np.full(10, 0.2))
    low = bars.boundingRect()
    assert low == fresh_box(bars)
    bars.setOpts(height=np.linspace(0.1, 0.9, 10))
    assert bars.boundingRect().height() > low.height()
    assert bars.boundingRect() == fresh_box(bars)
    # A new range changes the size of a pixel, and so the outline's margin in data units.
    panel.prob_plot.setYRange(0, 5, padding=0)
    qtbot.wait(20)
    assert bars.boundingRect() == fresh_box(bars)


def test_the_bars_paint_their_new_heights_and_colours(qtbot):
    panel = shown_output(qtbot, 3)
    bars = panel.prob_bars

    def red_rows() -> int:
        image = panel.widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
        bits = image.constBits()
        bits.setsize(image.sizeInBytes())
        rgb = np.frombuffer(bits, np.uint8).reshape(image.height(), -1, 4)[..., 2::-1]
        red = (rgb[..., 0] > 200) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)
        return int(red.any(axis=1).sum())

    bars.setOpts(height=np.array([0.2, 0.2, 0.2]), brushes=[(220, 0, 0)] * 3)
    qtbot.wait(20)
    short = red_rows()
    bars.setOpts(height=np.array([0.2, 1.0, 0.2]))
    qtbot.wait(20)
    assert red_rows() > 2 * short > 0
    bars.setOpts(brushes=[(0, 0, 220)] * 3)
    qtbot.wait(20)
    assert red_rows() == 0


def test_new_masks_dot_exactly_their_winners(qtbot):
    board = Board()
    qtbot.addWidget(board)
    tiling = map_tiling((3, 4, 4))
    mosaic = Mosaic(board, "pool", "input", tiling, True)
    overlay = MaskOverlay(mosaic)
    rng = np.random.default_rng(1)
    table = overlay.image._table
    for _ in range(5):
        mask = rng.random((3, 4, 4)) > 0.5
        overlay.set_mask(mask)
        overlay.image.render()
        shape = overlay.dots.shape
        np.testing.assert_array_equal(painted(overlay.image, shape), table[overlay.dots])
        marked = overlay.marked()
        for n in range(3):
            r, c = divmod(n, mosaic.cols)
            top, left = r * (mosaic.h + 1), c * (mosaic.w + 1)
            np.testing.assert_array_equal(marked[top:top + 4, left:left + 4], mask[n])
    # A new colour redraws every pixel in it.
    overlay.image.set_colour(1, (0, 0, 255))
    overlay.image.render()
    np.testing.assert_array_equal(painted(overlay.image, overlay.dots.shape),
                                  overlay.image._table[overlay.dots])


def test_an_empty_bar_label_is_hidden_and_shows_again_with_its_text(qtbot):
    board = Board()
    qtbot.addWidget(board)
    mosaic = Mosaic(board, "relu", "output", map_tiling((2, 3, 3)), False)
    maps = np.abs(np.random.default_rng(2).normal(size=(2, 3, 3)))
    mosaic.show(maps)
    assert mosaic.bottom_label.isVisible() and mosaic.bottom_label.text() == "0"
    assert mosaic.top_label.isVisible() and mosaic.top_label.text() != ""
    mosaic.show(np.zeros((2, 3, 3)))  # all zero: no scale, the labels go
    assert mosaic.all_zero
    assert not mosaic.top_label.isVisible() and not mosaic.bottom_label.isVisible()
    mosaic.show(maps * 2)
    assert mosaic.bottom_label.isVisible() and mosaic.bottom_label.text() == "0"
    assert mosaic.top_label.isVisible() and mosaic.top_label.text() != ""
    signed = Mosaic(board, "conv", "dL/dW", map_tiling((2, 3, 3)), True)
    signed.show(maps - 1)
    assert signed.top_label.isVisible() and not signed.bottom_label.isVisible()


def test_levels_and_all_zero_come_out_as_the_whole_group_gives_them(qtbot):
    board = Board()
    qtbot.addWidget(board)
    rng = np.random.default_rng(3)
    cases = [rng.normal(size=(4, 5, 5)), -np.abs(rng.normal(size=(4, 5, 5))),
             np.abs(rng.normal(size=(4, 5, 5))), np.zeros((4, 5, 5))]
    for signed in (True, False):
        mosaic = Mosaic(board, "conv", "maps", map_tiling((4, 5, 5)), signed)
        for maps in cases:
            mosaic.show(maps.copy())
            assert mosaic.levels == layer_levels(maps, signed)
            assert mosaic.all_zero == (not maps.any())
        with_nan = cases[0].copy()
        with_nan[1, 2, 3] = np.nan
        with_inf = cases[0].copy()
        with_inf[0, 0, 0] = -np.inf
        for maps in (with_nan, with_inf):
            mosaic.show(maps)
            assert mosaic.levels == layer_levels(maps, signed)
            assert not mosaic.all_zero


def test_colours_of_values_within_their_levels_need_no_clipping(qtbot):
    rng = np.random.default_rng(5)
    for signed in (True, False):
        for scale in (1e-9, 0.03, 1.0, 7e4):
            values = rng.normal(size=(3, 6, 6)) * scale
            values = values if signed else np.abs(values)
            values.flat[:2] = (values.max(), values.min())  # the extremes, exactly
            levels = layer_levels(values, signed)
            np.testing.assert_array_equal(colour_indices(values, levels, within=True),
                                          colour_indices(values, levels))
    # A group whose values leave the levels (fixed levels; an unsigned group gone below
    # zero) is still clipped: its mosaic shows the colours of the clipped values.
    board = Board()
    qtbot.addWidget(board)
    tiling = map_tiling((2, 3, 3))
    for signed in (True, False):
        mosaic = Mosaic(board, "conv", "maps", tiling, signed)
        mosaic.show(np.full((2, 3, 3), 0.5))
        mosaic.set_scale_mode("fixed")
        mosaic.show(np.full((2, 3, 3), 0.5))  # freezes the levels at 0.5
        wider = np.linspace(-3.0, 3.0, 18).reshape(2, 3, 3)
        mosaic.show(wider)
        expected = colour_indices(np.clip(wider, *mosaic.levels), mosaic.levels)
        for r, c in ((0, 0), (0, 1)):
            np.testing.assert_array_equal(mosaic.tile(r, c), expected[2 * r + c])


def test_an_opaque_table_makes_an_opaque_image_of_the_same_colours(qapp):
    rng = np.random.default_rng(4)
    indices = rng.integers(0, 256, (6, 9)).astype(np.uint8)
    lut = rng.integers(0, 256, (256, 3)).astype(np.uint8)
    item = IndexedImage(indices, lut)
    item.render()
    assert item.qimage.format() == QImage.Format.Format_RGB32
    np.testing.assert_array_equal(painted(item, indices.shape), argb_table(lut)[indices])
    item.set_colour(7, (10, 20, 30))
    item.render()
    assert item.qimage.format() == QImage.Format.Format_RGB32
    np.testing.assert_array_equal(painted(item, indices.shape), item._table[indices])
    # One see-through colour: the image blends again.
    see_through = np.concatenate([lut, np.full((256, 1), 255, np.uint8)], axis=1)
    see_through[9, 3] = 0
    clear = IndexedImage(indices, see_through)
    clear.render()
    assert clear.qimage.format() == QImage.Format.Format_ARGB32_Premultiplied
    np.testing.assert_array_equal(painted(clear, indices.shape),
                                  argb_table(see_through)[indices])



def test_the_test_points_follow_each_new_evaluation_and_a_reset(window):
    curves = window.curves_panel
    for _ in range(5):
        window.step()
    window.evaluate_test(wait=True)
    steps, accuracy = curves.test_accuracy.getData()
    assert list(steps) == list(window.session.history.test_steps)
    curves.show_history(window.session.history)  # no new evaluation: the same points
    assert list(curves.test_accuracy.getData()[0]) == list(steps)
    for _ in range(5):
        window.step()
    window.evaluate_test(wait=True)
    history = window.session.history
    new_steps, new_accuracy = curves.test_accuracy.getData()
    assert len(new_steps) == len(steps) + 1 and new_steps[-1] == history.test_steps[-1]
    np.testing.assert_array_equal(new_accuracy, history.test_accuracy)
    window.reset()
    after = curves.test_accuracy.getData()[0]  # None when pyqtgraph holds no points
    assert (0 if after is None else len(after)) == len(window.session.history.test_steps)


def test_new_heights_place_the_bars_as_pyqtgraph_does(qtbot):
    panel = shown_output(qtbot, 4)
    bars = panel.grad_bars
    brushes = [pg.mkBrush(c) for c in ((200, 0, 0), (0, 0, 200), (0, 200, 0), (9, 9, 9))]
    for heights in ([0.5, -0.25, 0.0, 1.0], [-1.0, -0.5, np.nan, 0.25], [2.0, 3.0, 1.0, 0.5]):
        bars.setOpts(height=np.array(heights), brushes=brushes)
        made = pg.BarGraphItem(x=panel.x, width=0.7, height=np.array(heights), brushes=brushes)
        np.testing.assert_array_equal(bars._rectarray.ndarray(), made._rectarray.ndarray())
        np.testing.assert_array_equal(bars._dataBounds, made._dataBounds)
        assert [b.color() for b in bars._brushes] == [b.color() for b in made._brushes]
        brushes = brushes[1:] + brushes[:1]
