"""Nothing in a panel overlaps anything else or falls outside its dock, at the sizes of the
projectors a class meets, in normal and presenter mode; tables show every row; an empty log
axis does not crowd its labels."""

import itertools
import math

import pyqtgraph as pg
import pytest
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QFontMetricsF, QImage, QPainter
from PyQt6.QtWidgets import QGraphicsSimpleTextItem

from tests.app.views.screen import at_size, toggle_presenter
from visualcnn.app.views.board import Board
from visualcnn.app.views.panels import ConvPanel

DEEPER = "conv8x3-relu-pool2-conv16x3-relu-pool2-dense10"


def drawn_items(board: Board) -> tuple[list, list]:
    """(solid, notes): (name, scene rectangle) of the board's text, images and colour bars,
    which must not overlap; and of the "all zero" notes, laid over an image on purpose."""
    over = set()
    for m in board.mosaics:
        notes = (getattr(m, "note", None), getattr(m, "note_back", None))
        over.update(id(item) for item in (*notes, *(o.image for o in m.overlays)))
    solid, notes = [], []
    for item in board.view.addedItems:
        if not item.isVisible():
            continue
        if isinstance(item, QGraphicsSimpleTextItem):
            found = line_rects(item)
        elif isinstance(item, pg.ImageItem):
            found = [(f"image {item.width()}x{item.height()}", item.sceneBoundingRect())]
        else:
            continue
        (notes if id(item) in over else solid).extend(found)
    return solid, notes


def line_rects(item: QGraphicsSimpleTextItem) -> list:
    """(line, scene rectangle) of each line of a text item: a label beside the short first
    line of a title broken in two does not overlap it, though it is inside its bounding box."""
    metrics = QFontMetricsF(item.font())
    step = math.ceil(metrics.lineSpacing())
    found = []
    for i, line in enumerate(item.text().split("\n")):
        if line.strip():
            rect = QRectF(0, i * step, metrics.horizontalAdvance(line), step)
            found.append((line, item.mapRectToScene(rect)))
    return found


def assert_laid_out(board: Board) -> None:
    board.scene().prepareForPaint()  # the view box's transform as the next frame draws it
    seen = board.mapToScene(board.viewport().rect()).boundingRect().adjusted(-1, -1, 1, 1)
    solid, notes = drawn_items(board)
    assert solid
    for name, rect in solid + notes:
        assert seen.contains(rect), f"{name!r} leaves the board: {rect} not in {seen}"
    for (a, ra), (b, rb) in itertools.combinations(solid, 2):
        both = ra.intersected(rb)
        assert both.width() * both.height() < 1.0, f"{a!r} overlaps {b!r}"


@pytest.mark.parametrize("arch, size, presenter, steps", [
    ("conv8x3-pool2-dense10", (1024, 768), False, 0),
    ("conv8x3-pool2-dense10", (1366, 768), False, 3),
    ("conv8x3-pool2-dense10", (1280, 720), True, 0),
    ("conv8x3-pool2-dense10", (1280, 720), True, 3),
    ("conv8x3-pool2-dense10", (1920, 1080), False, 3),
    ("conv8x3-pool2-dense10", (1920, 1080), True, 3),
    (DEEPER, (1366, 768), False, 3),
])
def test_nothing_in_a_panel_overlaps_or_leaves_it(make_window, qtbot, arch, size, presenter,
                                                  steps):
    window = make_window(arch)
    at_size(window, *size)
    for _ in range(steps):
        window.step()
    if presenter:
        toggle_presenter(window, qtbot)
    boards = [p.board for p in window.panels if hasattr(p, "board") and p.board.isVisible()]
    assert len(boards) >= 4
    for board in boards:
        assert_laid_out(board)


@pytest.mark.parametrize("arch", ["conv8x3-pool2-dense10", DEEPER])
def test_the_bias_table_shows_every_row_when_it_is_shown(make_window, arch):
    window = make_window(arch)
    at_size(window, 1920, 1080)
    window.step()
    for conv in (p for p in window.panels if isinstance(p, ConvPanel)):
        table = conv.biases.item
        if getattr(conv.board, "compact", False):  # left out of a cramped picture, not cut
            assert not table.isVisible()
            continue
        rows = len(window.last_trace.layer(conv.name).params["b"]) + 1
        assert table.isVisible() and table.text().count("\n") + 1 == rows
        assert_laid_out(conv.board)


def test_an_empty_log_axis_labels_its_ticks_without_overlap(window):
    curves = window.curves_panel
    assert len(window.session.history.steps) == 0  # before the first step
    for plot in (curves.grad_plot, curves.ratio_plot):
        axis = plot.getAxis("left")
        image = QImage(100, 400, QImage.Format.Format_ARGB32)  # only its font metrics count
        painter = QPainter(image)
        try:
            _axis, _ticks, texts = axis.generateDrawSpecs(painter)
        finally:
            painter.end()
        rects = [rect for rect, _flags, text in texts if text]
        assert len(rects) >= 2
        for a, b in itertools.combinations(rects, 2):
            assert not a.intersects(b), "tick labels overlap"


@pytest.mark.parametrize("size", [(1024, 768), (1280, 720)])
def test_the_output_charts_fit_their_dock_in_presenter_mode(window, qtbot, size):
    at_size(window, *size)
    toggle_presenter(window, qtbot)
    charts = window.output_panel.widget
    needed = charts.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize)
    assert needed.width() <= charts.width() and needed.height() <= charts.height()
    for plot in (window.output_panel.prob_plot, window.output_panel.grad_plot):
        shown = plot.vb.viewRange()[0]
        assert shown[0] <= -0.5 and shown[1] >= 9.5  # every class's bar
