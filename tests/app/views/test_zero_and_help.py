"""A group of values that is all zero says so in words, with the reason when the panel knows
it, instead of a colour bar of +-1e-12; every panel says what it shows and how to read it."""

import numpy as np
from PyQt6.QtWidgets import QGraphicsSimpleTextItem

from tests.app.views.screen import at_size
from visualcnn.app.views.board import Board
from visualcnn.app.views.mosaic import Mosaic
from visualcnn.app.views.panels import ConvPanel, DensePanel, InputPanel, PoolPanel
from visualcnn.app.views.tiling import map_tiling

NO_GRADIENT_YET = "the output layer starts at zero, so no gradient flows back yet"


def panel(window, kind):
    return next(p for p in window.panels if isinstance(p, kind))


def shown_words(board) -> list[str]:
    return [item.text() for item in board.view.addedItems
            if isinstance(item, QGraphicsSimpleTextItem) and item.isVisible() and item.text()]


def says_all_zero(mosaic, reason: str = "") -> bool:
    """Words over ``mosaic``'s image say it is all zero (and why, in the words or, when they
    do not fit, in the image's tooltip); its colour bar is gone."""
    words = [item for item in mosaic.board.view.addedItems
             if isinstance(item, QGraphicsSimpleTextItem) and item.isVisible()
             and item.text().startswith("all zero")]
    over = [w for w in words if w.sceneBoundingRect().intersects(
        mosaic.image.sceneBoundingRect())]
    why = " ".join(w.text() for w in over).replace("\n", " ") + " " + mosaic.image.toolTip()
    return bool(over) and reason in why and not mosaic.bar.isVisible()


def test_before_the_first_step_the_zero_gradients_say_why(window):
    at_size(window, 1366, 768)
    conv, pool = panel(window, ConvPanel), panel(window, PoolPanel)
    dense, first = panel(window, DensePanel), panel(window, InputPanel)
    for mosaic in (conv.grad_weights, conv.grad_maps, pool.routed, pool.grad_pooled,
                   first.gradient):
        assert not np.any(np.nan_to_num(mosaic.raw))  # the output layer starts at zero
        assert says_all_zero(mosaic, NO_GRADIENT_YET), mosaic.title
    assert says_all_zero(dense.weights, "output layer starts at zero")
    assert says_all_zero(dense.out, "every logit is 0")
    for p in (conv, pool, dense, first):
        assert not any("1e-12" in words for words in shown_words(p.board))
    # What is not zero keeps its colour bar and its scale, and no note.
    assert conv.maps.bar.isVisible() and conv.maps.top_label.text().startswith("±")
    assert not says_all_zero(conv.maps)


def test_the_notes_go_once_the_gradient_flows(window):
    window.step()
    window.step()  # the second step's backward pass goes through a non-zero output layer
    conv = panel(window, ConvPanel)
    for mosaic in (conv.grad_weights, conv.grad_maps):
        assert np.any(mosaic.raw)
        assert not says_all_zero(mosaic)
        assert mosaic.bar.isVisible() and mosaic.top_label.text().startswith("±")
        assert mosaic.image.toolTip() == ""


def test_a_group_of_zeros_without_a_known_reason_says_only_that(qtbot):
    board = Board()
    qtbot.addWidget(board)
    mosaic = Mosaic(board, "relu1", "output", map_tiling((4, 6, 6)), signed=False)
    board.resize(300, 200)
    board.show()
    qtbot.waitExposed(board)
    mosaic.show(np.zeros((4, 6, 6)))
    assert says_all_zero(mosaic)
    assert mosaic.image.toolTip() == "all zero at this step"
    mosaic.show(np.full((4, 6, 6), np.nan))  # not computed: for the debugger to say so
    assert not says_all_zero(mosaic)


def test_every_panel_says_what_it_shows_and_how_to_read_its_colours(window, qtbot):
    window.classroom.focus.set_layer("conv1")
    panels = [*window.panels, window.classroom.focus.panel]
    for p in panels:
        tip = p.widget.toolTip()
        assert len(tip) > 40, p.title
    for p in panels:
        if hasattr(p, "board"):
            tip = p.widget.toolTip().lower()
            assert "blue" in tip or "dark" in tip, p.title  # how to read the colours
