"""The panels' text is large enough to read, measured as it reaches the screen: a label's font
times its own scale and its view's, in points at the screen's DPI (see ``text_size.py``)."""

import statistics

import numpy as np
import pytest
from PyQt6.QtGui import QFont, QFontMetricsF, QTransform
from PyQt6.QtWidgets import QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView

from tests.app.views.screen import at_size, panel_text, toggle_presenter
from visualcnn.app.views.board import _FONT_PX, label_font, text_size
from visualcnn.app.views.text_size import shown_text


def test_shown_text_is_the_font_times_the_item_and_view_scale(qtbot):
    scene = QGraphicsScene()
    view = QGraphicsView(scene)
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    item = QGraphicsSimpleTextItem("label")
    font = QFont()
    font.setPixelSize(40)
    item.setFont(font)
    item.setScale(0.25)                      # 10 pixels in its parent
    scene.addItem(item)
    view.setTransform(QTransform.fromScale(1.5, 1.5))  # 15 pixels on screen
    [measured] = shown_text([view])
    assert measured.kind == "text" and measured.text == "label"
    assert measured.points == pytest.approx(15 * 72 / view.logicalDpiY())


def test_normal_mode_panel_text_has_a_median_of_at_least_9_points(window):
    at_size(window, 1366, 768)
    window.step()
    text = panel_text(window)
    assert len(text) > 30
    assert statistics.median(t.points for t in text) >= 9


def test_presenter_mode_at_1280x720_draws_ticks_of_14_points_and_text_of_12(window, qtbot):
    at_size(window, 1280, 720)
    window.step()
    toggle_presenter(window, qtbot)
    text = panel_text(window)
    ticks = [t.points for t in text if t.kind == "tick"]
    others = [t.points for t in text if t.kind == "text"]
    assert ticks and min(ticks) >= 14
    assert statistics.median(others) >= 12
    smallest = min(text, key=lambda t: t.points)
    assert smallest.points >= 9, smallest


def test_presenter_mode_enlarges_the_text_of_every_panel(window, qtbot):
    at_size(window, 1280, 720)
    window.step()
    before = {(id(t.view), t.text): t.points for t in panel_text(window)}
    toggle_presenter(window, qtbot)
    after = {(id(t.view), t.text): t.points for t in panel_text(window)}
    both = before.keys() & after.keys()
    assert len(both) > 20
    grown = np.array([after[k] / before[k] for k in both])
    assert grown.min() >= 1.2, sorted(both, key=lambda k: after[k] / before[k])[0]
    assert np.median(grown) >= 1.4


def test_presenter_mode_draws_the_curves_with_thicker_lines(window, qtbot):
    curves = window.curves_panel
    widths = [c.opts["pen"].widthF() for c in (curves.loss_step, curves.loss_avg)]
    toggle_presenter(window, qtbot)
    assert [c.opts["pen"].widthF() for c in (curves.loss_step, curves.loss_avg)] == \
        [2 * max(1.0, w) for w in widths]
    toggle_presenter(window, qtbot)
    assert [c.opts["pen"].widthF() for c in (curves.loss_step, curves.loss_avg)] == \
        [max(1.0, w) for w in widths]


def test_a_table_of_numbers_takes_the_width_its_longest_line_is_drawn_at(qapp):
    metrics = QFontMetricsF(label_font(mono=True))
    tables = [" f        b      dL/db\n 0   0.0123    -4.5e-05\n 1  -1.2e+03       0.5",
              "unit  output\n  0     -3.25\n  9   1.9e-07", "x", "(p 0.68) wrong! #46 ~{}|",
              "±0.5\n12", "样本\n  0     1"]
    for table in tables:
        width = max(metrics.horizontalAdvance(line) for line in table.split("\n"))
        assert text_size(table, mono=True)[0] == pytest.approx(width / _FONT_PX, abs=1e-9)
