"""A board: one dock's picture, a single ViewBox holding mosaics (``mosaic.py``), colour bars
and labels.

Drawing cost grows with the number of view boxes far more than with the number of pixels, so
every panel is one ``Board`` and every group of maps (e.g. the eight feature maps of conv1) is
one ``Mosaic``: one ImageItem whose tiles are separated by NaN, which draws as a gap. Labels
are text items in scene units, so the whole picture scales with its dock, projector included.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, pyqtSignal
from PyQt6.QtGui import QBrush, QColor, QFont, QImage
from PyQt6.QtWidgets import QGraphicsItem, QGraphicsSimpleTextItem

from visualcnn.app.views.colormaps import BACKGROUND

TEXT = 5.0       # height of ordinary labels, in scene units (one unit = one map pixel)
GAP = 4.0        # space between blocks, in scene units
_FONT_PX = 40    # fonts are built large and scaled down, which keeps glyphs smooth


def format_number(v: float) -> str:
    """A short signed number for labels: three significant digits, compact exponents."""
    if not math.isfinite(v):
        return str(v)
    if v == 0 or 1e-3 <= abs(v) < 1e4:
        return f"{v:.3g}"
    mantissa, exponent = f"{v:.2e}".split("e")
    return f"{float(mantissa):.3g}e{int(exponent)}"


def argb_table(lut: np.ndarray) -> np.ndarray:
    """A (n, 3) RGB or (n, 4) RGBA uint8 colour table as premultiplied 32-bit ARGB words."""
    lut = np.asarray(lut, dtype=np.uint32)
    alpha = lut[:, 3] if lut.shape[1] == 4 else np.full(len(lut), 255, dtype=np.uint32)
    rgb = lut[:, :3] * alpha[:, None] // 255
    return (alpha << 24) | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]


class IndexedImage(pg.ImageItem):
    """An image of 8-bit colour indices, painted through a 32-bit colour table.

    A plain ImageItem hands such an image to Qt as an indexed QImage, which Qt converts to
    32-bit colour on every paint: measured here, 0.44 ms against 0.05 ms to draw a 107 x 53
    mosaic at 400 x 200. Converting once per new image makes every repaint cheap.
    ``image`` still holds the indices that were set.
    """

    def __init__(self, indices: np.ndarray, lut: np.ndarray):
        super().__init__(axisOrder="row-major")
        self._table = argb_table(lut)
        self.setImage(indices, autoLevels=False, levels=None)

    def set_colour(self, index: int, rgb) -> None:
        """Draw colour index ``index`` (e.g. the gap between tiles) in ``rgb`` from now on."""
        self._table = self._table.copy()
        self._table[index] = argb_table(np.array([rgb], dtype=np.uint8))[0]
        if self.image is not None:
            self.setImage(self.image, autoLevels=False, levels=None)

    def render(self):
        argb = self._table.take(self.image)  # (h, w) uint32: B, G, R, A bytes in memory
        self.qimage = pg.functions.ndarray_to_qimage(
            argb, QImage.Format.Format_ARGB32_Premultiplied)
        self._renderRequired = False
        self._unrenderable = False


class Board(pg.GraphicsView):
    """A panel's drawing area. ``hovered`` carries a description of the pixel under the mouse."""

    hovered = pyqtSignal(str)

    def __init__(self, parent=None):
        super().__init__(parent, background=BACKGROUND)
        self.view = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.setCentralItem(self.view)
        self.mosaics: list = []  # the Mosaics drawn on it (mosaic.py); each adds itself
        self._bounds = QRectF()
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)

    def add_text(self, x: float, y: float, text: str = "", size: float = TEXT,
                 colour=(0, 0, 0), bold: bool = False,
                 mono: bool = False) -> QGraphicsSimpleTextItem:
        """A label whose top-left corner sits at (x, y) and whose height is ``size`` units."""
        item = QGraphicsSimpleTextItem(text)
        font = QFont("monospace") if mono else QFont()
        if mono:
            font.setStyleHint(QFont.StyleHint.TypeWriter)
        font.setPixelSize(_FONT_PX)
        font.setBold(bold)
        item.setFont(font)
        item.setBrush(QBrush(QColor(*colour)))
        item.setScale(size / _FONT_PX)
        item.setPos(x, y)
        if text:
            # A label given its text up front is a title: drawn once into a pixmap, then
            # blitted, rather than laid out from a scaled font on every repaint.
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.view.addItem(item)
        return item

    def fit(self, width: float, height: float) -> None:
        """Show the scene rectangle (0, 0, width, height); call once the layout is done."""
        self._bounds = QRectF(0, 0, width, height)
        self.view.setRange(self._bounds, padding=0.02)

    def set_scale_mode(self, mode: str) -> None:
        for m in self.mosaics:
            m.set_scale_mode(mode)

    def _on_mouse_moved(self, scene_pos) -> None:
        p = self.view.mapSceneToView(scene_pos)
        for m in self.mosaics:
            text = m.describe(p.x(), p.y())
            if text:
                self.hovered.emit(text)
                return
        self.hovered.emit("")
