"""How large the panels' text is on screen, in points.

A font size alone says little here: a board's labels are built in scene units and the board
scales its scene to fit the dock, so a label's size on screen is its font's pixel size times
its own scale times the view's. ``shown_text(widgets)`` measures every piece of text the
given graphics views draw (board labels, number tables, plot titles, legends, marks, axis
ticks) as it reaches the screen, in points at the screen's logical DPI, so that a test, or
a person tuning a layout, can hold it to the sizes a projector needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pyqtgraph as pg
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QGraphicsSimpleTextItem, QGraphicsTextItem, QGraphicsView


@dataclass(frozen=True)
class ShownText:
    """One piece of text on screen: ``kind`` is "tick" for an axis's tick labels (one entry
    per axis) and "text" for everything else; ``points`` its height on screen."""

    kind: str
    text: str
    points: float
    view: QGraphicsView


def font_pixels(font: QFont, dpi: float) -> float:
    """The pixel size of ``font``, whether it was given in pixels or in points."""
    if font.pixelSize() > 0:
        return float(font.pixelSize())
    return font.pointSizeF() * dpi / 72.0


def vertical_scale(item, view: QGraphicsView) -> float:
    """How many device pixels one unit of ``item``'s own vertical axis covers in ``view``."""
    t = item.deviceTransform(view.viewportTransform())
    return math.hypot(t.m21(), t.m22())


def _document_pixels(item: QGraphicsTextItem, dpi: float) -> float:
    """The largest font of a rich-text item (a plot title with a CSS size), in pixels."""
    base = item.font()
    largest = 0.0
    block = item.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.isValid() and fragment.text().strip():
                font = QFont(base)
                fmt = fragment.charFormat()
                if fmt.fontPointSize() > 0:
                    font.setPointSizeF(fmt.fontPointSize())
                largest = max(largest, font_pixels(fmt.font() if fmt.font().pixelSize() > 0
                                                   else font, dpi))
            it += 1
        block = block.next()
    return largest


def shown_text(views) -> list[ShownText]:
    """Every piece of text the graphics ``views`` draw, that is showing, with its size on
    screen in points. Views that are hidden are skipped; so are empty and hidden items."""
    found = []
    for view in views:
        if not view.isVisible():  # a hidden dock, or a tab behind another
            continue
        # pyqtgraph brings a view box's transform up to date only before it paints: ask for
        # that now, so that the sizes are those of the next frame, not of the last one.
        prepare = getattr(view.scene(), "prepareForPaint", None)
        if prepare is not None:
            prepare()
        dpi = view.logicalDpiY()
        to_points = 72.0 / dpi
        for item in view.scene().items():
            if not item.isVisible():
                continue
            if isinstance(item, QGraphicsSimpleTextItem):
                text = item.text()
                pixels = font_pixels(item.font(), dpi)
            elif isinstance(item, QGraphicsTextItem):
                text = item.toPlainText()
                pixels = _document_pixels(item, dpi)
            elif isinstance(item, pg.AxisItem):
                if not item.style.get("showValues", True) or item.height() <= 0:
                    continue
                font = item.style.get("tickFont") or view.font()
                found.append(ShownText("tick", item.orientation,
                                       font_pixels(font, dpi) * vertical_scale(item, view)
                                       * to_points, view))
                continue
            else:
                continue
            if text.strip():
                found.append(ShownText("text", text, pixels * vertical_scale(item, view)
                                       * to_points, view))
    return found


def window_text(window) -> list[ShownText]:
    """The text of every graphics view inside ``window`` that is showing."""
    return shown_text(window.findChildren(pg.GraphicsView))
