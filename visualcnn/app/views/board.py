"""A board: one dock's picture, a single ViewBox holding mosaics (``mosaic.py``), colour bars
and labels.

Drawing cost grows with the number of view boxes far more than with the number of pixels, so
every panel is one ``Board`` and every group of maps (e.g. the eight feature maps of conv1) is
one ``Mosaic``: one ImageItem whose tiles are separated by NaN, which draws as a gap. Labels
are text items in scene units, so the whole picture scales with its dock, projector included.

A label must stay readable however small its dock is: the board measures its own size and
picks how many scene units a label is tall (``unit``) so that labels reach ``text_points``
on screen, then has its panel lay the picture out again for that unit (``set_arrangement``).
A small dock gets larger labels relative to the maps, a large one keeps the least (TEXT).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pyqtgraph as pg
from PyQt6 import sip
from PyQt6.QtCore import QObject, QPoint, QRect, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QImage
from PyQt6.QtWidgets import QGraphicsItem, QGraphicsSimpleTextItem, QGraphicsView, QWidget

from visualcnn.app.views.colormaps import BACKGROUND

TEXT = 5.0           # the least height of an ordinary label, in scene units (1 unit = 1 map pixel)
MAX_TEXT = 4 * TEXT  # the most: however small the dock, the maps keep a share of the picture
GAP = 4.0            # space between blocks, in scene units
TEXT_POINTS = 10.5   # ordinary labels are drawn this tall on screen, when the dock allows
MIN_MAP_SCALE = 1.0  # ... and the maps allow: a map pixel keeps at least this many screen pixels
MAP_KEEP = 0.75      # and the maps keep this share of the size they have with the least labels
MIN_TEXT_POINTS = 7.0  # the least that labels are drawn on screen, when the dock allows it
_FONT_PX = 40        # fonts are built large and scaled down, which keeps glyphs smooth
_PADDING = 0.02      # the view's margin around the picture, as a fraction of its size


@functools.lru_cache(maxsize=4)
def _metrics(mono: bool, bold: bool) -> QFontMetricsF:
    return QFontMetricsF(label_font(mono, bold))


def _first_over(f, target: float) -> float:
    """The least unit in [TEXT, MAX_TEXT] where the rising ``f`` reaches ``target``."""
    if f(TEXT) >= target:
        return TEXT
    if f(MAX_TEXT) < target:
        return MAX_TEXT
    low, high = TEXT, MAX_TEXT
    while high - low > 0.01:
        mid = (low + high) / 2
        low, high = (mid, high) if f(mid) < target else (low, mid)
    return high


def _last_true(ok) -> float:
    """The largest unit in [TEXT, MAX_TEXT] where the falling condition ``ok`` still holds
    (TEXT when it holds nowhere)."""
    if ok(MAX_TEXT):
        return MAX_TEXT
    if not ok(TEXT):
        return TEXT
    low, high = TEXT, MAX_TEXT
    while high - low > 0.01:
        mid = (low + high) / 2
        low, high = (mid, high) if ok(mid) else (low, mid)
    return low


def label_font(mono: bool = False, bold: bool = False) -> QFont:
    """The font of the boards' labels, at the pixel size they are built at."""
    font = QFont("monospace") if mono else QFont()
    if mono:
        font.setStyleHint(QFont.StyleHint.TypeWriter)
    font.setPixelSize(_FONT_PX)
    font.setBold(bold)
    return font


@functools.lru_cache(maxsize=2)
def _fixed_advance(bold: bool) -> float | None:
    """The one advance every printable ASCII character has in the monospace label font, or
    None when they differ (no fixed-pitch font installed)."""
    fm = _metrics(True, bold)
    sample = "".join(chr(code) for code in range(32, 127))
    advance = fm.horizontalAdvance("0")
    return advance if fm.horizontalAdvance(sample) == len(sample) * advance else None


@functools.lru_cache(maxsize=4096)  # labels repeat: titles at every layout, scales each frame
def text_size(text: str, mono: bool = False, bold: bool = False) -> tuple[float, float]:
    """Width and height of ``text`` (lines split at newlines) in label heights: drawn as a
    label ``size`` units tall, it takes ``size`` times as many scene units."""
    fm = _metrics(mono, bold)
    lines = text.split("\n")
    advance = _fixed_advance(bold) if mono and text.isascii() else None
    if advance is not None and "".join(lines).isprintable():
        # A table of numbers, new at every frame: counted rather than measured line by line.
        width = max(len(line) for line in lines) * advance
    else:
        width = max(fm.horizontalAdvance(line) for line in lines)
    # A text item gives each line the font's line spacing, rounded up to a whole pixel.
    return width / _FONT_PX, len(lines) * math.ceil(fm.lineSpacing()) / _FONT_PX


def on_screen(widget: QWidget) -> bool:
    """Whether some of ``widget`` lies inside its window, the widget shown: False for a dock
    that is closed and for one tabbed behind another (Qt moves that one out of the window
    rather than hiding it)."""
    if not widget.isVisible():
        return False
    window = widget.window()
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size()).intersects(window.rect())


class RepaintWithWindow(QObject):
    """Has ``view`` repainted whole, in the window's next paint, whenever its scene changes.

    By default each view paints the moment its scene has handled its changes (Qt sends the
    window's update request right away), so the panels of one frame took one paint of the
    window, and one copy of it to the screen, each. Updated as an ordinary widget, they are
    all painted in one pass. A child of the view: the connection ends with it.

    The view's background (a solid colour) covers every pixel of the viewport, so Qt is told
    not to fill the viewport with the palette's colour first."""

    def __init__(self, view: QGraphicsView):
        super().__init__(view)
        view.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.NoViewportUpdate)
        self.viewport = view.viewport()
        self.viewport.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        view.scene().changed.connect(self.repaint)

    def repaint(self, regions) -> None:
        # An empty list: items were marked changed that cover no area (an empty label given
        # empty text, an item changed while it paints), so no pixel can differ; under Run it
        # painted a board a second time in about one frame in seven.
        if regions and not sip.isdeleted(self.viewport):  # its children go before its scene
            self.viewport.update()


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
        self._bounds, self._bounds_shape = QRectF(), None  # see boundingRect
        self._argb: np.ndarray | None = None  # the colours the QImage shows (see render)
        self._opaque = False  # whether that QImage is RGB32 (see render)
        super().__init__(axisOrder="row-major")
        self._set_table(argb_table(lut))
        self.setImage(indices, autoLevels=False, levels=None)

    def _set_table(self, table: np.ndarray) -> None:
        self._table = table
        self._table_opaque = bool(np.all(table >> 24 == 0xFF))

    def set_colour(self, index: int, rgb) -> None:
        """Draw colour index ``index`` (e.g. the gap between tiles) in ``rgb`` from now on."""
        table = self._table.copy()
        table[index] = argb_table(np.array([rgb], dtype=np.uint8))[0]
        self._set_table(table)
        if self.image is not None:
            self.setImage(self.image, autoLevels=False, levels=None)

    def set_indices(self, indices: np.ndarray) -> None:
        """``setImage`` for a new image of the same shape, without pyqtgraph's checks for
        levels, colour tables and shape changes, which an indexed image never needs."""
        if self.image is None or indices.shape != self.image.shape:
            self.setImage(indices, autoLevels=False, levels=None)
            return
        self.image = indices
        self._renderRequired = True
        self.update()

    def render(self):
        # One QImage an image, over a buffer of colours rewritten in place at each new
        # image: a QImage made for every new image (as pyqtgraph makes them) left about
        # 100 bytes behind in PyQt each time, 30 MB over 15 minutes of Run.
        indices = self.image
        # An opaque table (every colour but an overlay's) makes an RGB32 image: the same
        # words, which Qt scales onto the screen as a copy rather than a blend of each pixel.
        opaque = self._table_opaque
        if (self._argb is None or self._argb.shape != indices.shape
                or opaque != self._opaque):
            self._argb = np.empty(indices.shape, np.uint32)  # B, G, R, A bytes in memory
            height, width = indices.shape
            self._opaque = opaque
            self.qimage = QImage(int(sip.voidptr(self._argb)), width, height,
                                 self._argb.strides[0],
                                 QImage.Format.Format_RGB32 if opaque
                                 else QImage.Format.Format_ARGB32_Premultiplied)
        # mode "clip" (indices are always in the table) spares the check of every pixel and
        # the copy through a buffer that the default "raise" makes.
        np.take(self._table, indices, out=self._argb, mode="clip")
        self._renderRequired = False
        self._unrenderable = False

    # ImageItem's own boundingRect and paint handle orders of axes, paint modes, borders and
    # profiling; a board paints dozens of these a frame and needs none of it.
    def boundingRect(self) -> QRectF:
        # Asked for dozens of times a paint: made once per shape of image.
        shape = None if self.image is None else self.image.shape
        if shape != self._bounds_shape:
            height, width = shape[:2] if shape is not None else (0, 0)
            self._bounds, self._bounds_shape = QRectF(0.0, 0.0, width, height), shape
        return self._bounds

    def paint(self, painter, *args) -> None:
        if self.image is None:
            return
        if self._renderRequired:
            self.render()
        height, width = self.image.shape[:2]
        painter.drawImage(QRectF(0.0, 0.0, float(width), float(height)), self.qimage)


class Board(pg.GraphicsView):
    """A panel's drawing area. ``hovered`` carries a description of the pixel under the mouse.

    ``unit`` is the height of an ordinary label now, in scene units; labels made without a
    fixed ``size`` follow it. ``text_points`` is the height they aim at on screen.
    """

    hovered = pyqtSignal(str)

    def __init__(self, parent=None):
        super().__init__(parent, background=BACKGROUND)
        self.view = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.setCentralItem(self.view)
        self.mosaics: list = []  # the Mosaics drawn on it (mosaic.py); each adds itself
        self.unit = TEXT
        self.compact = False      # tables of numbers left out: see choose_layout
        self.text_points = TEXT_POINTS
        self._labels: list[tuple[QGraphicsSimpleTextItem, float]] = []  # (item, rel)
        self._arrangement = None  # (extent, arrange): see set_arrangement
        self._bounds = QRectF()
        self._deferred: dict[int, object] = {}  # mosaics whose drawing waits (defer)
        self._dock_shows = True  # see follow_dock
        # Every frame changes most of the picture: one repaint of the whole view is cheaper
        # than working out and clipping to the changed parts of it.
        RepaintWithWindow(self)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)

    def add_text(self, x: float, y: float, text: str = "", size: float | None = None,
                 colour=(0, 0, 0), bold: bool = False, mono: bool = False,
                 rel: float = 1.0) -> QGraphicsSimpleTextItem:
        """A label whose top-left corner sits at (x, y), ``size`` scene units tall; without a
        ``size``, ``rel`` times the board's ``unit``, which it then follows."""
        item = QGraphicsSimpleTextItem(text)
        item.setFont(label_font(mono, bold))
        item.setBrush(QBrush(QColor(*colour)))
        if size is None:
            self._labels.append((item, rel))
            size = rel * self.unit
        item.setScale(size / _FONT_PX)
        item.setPos(x, y)
        if text:
            # A label given its text up front is a title: drawn once into a pixmap, then
            # blitted, rather than laid out from a scaled font on every repaint.
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.view.addItem(item)
        return item

    def fit(self, width: float, height: float) -> None:
        """Show the scene rectangle (0, 0, width, height)."""
        self._bounds = QRectF(0, 0, width, height)
        self.view.setRange(self._bounds, padding=_PADDING)

    # ------------------------------------------------------------------- text size
    def set_arrangement(self, extent, arrange, compactable: bool = False) -> None:
        """Lay the picture out with ``arrange(unit, compact)`` and show it. ``extent(unit,
        compact)`` gives the picture's (width, height) with labels ``unit`` tall, without
        moving anything; ``arrange`` places everything for that unit and returns the same.
        ``compact`` leaves out what can go (tables of numbers) when the maps would be too
        small otherwise; ``compactable`` says whether there is anything to leave out. Done
        again whenever the board's size or ``text_points`` changes."""
        self._arrangement = (extent, arrange, compactable)
        self.relayout(force=True)

    def set_text_scale(self, scale: float) -> None:
        """Labels ``scale`` times TEXT_POINTS tall on screen from now on. Scaled up (presenter
        mode, a projector), the picture leaves its tables of numbers out: a class reads the
        colours, and the numbers that matter are in the labels and the output panel."""
        points = TEXT_POINTS * scale
        if points != self.text_points:
            self.text_points = points
            self.relayout()

    def _scale(self, unit: float, compact: bool) -> float:
        """Device pixels per scene unit (per map pixel) with labels ``unit`` tall."""
        w, h = self._arrangement[0](unit, compact)
        width, height = max(1, self.viewport().width()), max(1, self.viewport().height())
        return min(width / max(w, 1e-6), height / max(h, 1e-6)) / (1 + 2 * _PADDING)

    def _solve(self, compact: bool) -> float:
        """The label height for ``text_points`` on screen, kept between TEXT and MAX_TEXT,
        and lowered for the maps: they keep MAP_KEEP of the size they have with the least
        labels, and MIN_MAP_SCALE device pixels per map pixel; but never so low that labels
        fall under MIN_TEXT_POINTS (then the maps give way)."""
        to_px = self.logicalDpiY() / 72.0
        least = max(MIN_MAP_SCALE, MAP_KEEP * self._scale(TEXT, compact))

        def on_screen(unit: float) -> float:  # rises with unit
            return unit * self._scale(unit, compact)

        def maps_big_enough(unit: float) -> bool:  # true up to some unit, then false
            return self._scale(unit, compact) >= least

        unit = min(_first_over(on_screen, self.text_points * to_px), _last_true(maps_big_enough))
        return max(unit, _first_over(on_screen, MIN_TEXT_POINTS * to_px))

    def choose_layout(self) -> tuple[float, bool]:
        """(label height in scene units, compact) for the board's present size: the labels
        as near ``text_points`` on screen as the maps allow. Tables of numbers are left out
        when keeping them would shrink the labels or the maps (fewer numbers rather than
        smaller ones), and always when the text is scaled up for a projector."""
        compactable = self._arrangement[2]
        if compactable and self.text_points > TEXT_POINTS:
            return self._solve(True), True
        full = self._solve(False)
        full_scale = self._scale(full, False)
        if not compactable or full * full_scale >= 0.97 * self.text_points * \
                self.logicalDpiY() / 72.0:
            return full, False
        compact = self._solve(True)
        compact_scale = self._scale(compact, True)
        text_gain = compact * compact_scale / (full * full_scale)
        if text_gain > 1.05 or (text_gain > 0.95 and compact_scale > full_scale):
            return compact, True
        return full, False

    def relayout(self, force: bool = False) -> None:
        """Pick the label height for the board's size and lay the picture out for it (when it
        changed, or when ``force``d: a text grew)."""
        if self._arrangement is None:
            return
        unit, compact = self.choose_layout()
        if unit == self.unit and compact == self.compact and not force:
            return
        before = [(m, m.image_rect()) for m in self.mosaics]
        self.unit, self.compact = unit, compact
        for item, rel in self._labels:
            item.setScale(rel * unit / _FONT_PX)
        width, height = self._arrangement[1](unit, compact)
        self._carry_along(before)
        self.fit(width, height)

    def _carry_along(self, before: list) -> None:
        """Items that others put on a mosaic (an inspector's outline, a phase's note) move
        with it when the picture is laid out again."""
        own = {id(item) for item, _ in self._labels}
        for m in self.mosaics:
            own.update(id(item) for item in m.items())
        for item in self.view.addedItems:
            if id(item) in own:
                continue
            centre = item.mapRectToParent(item.boundingRect()).center()
            for m, rect in before:
                if rect.contains(centre):
                    item.moveBy(m.image_x - rect.x(), m.image_y - rect.y())
                    break

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event is not None:  # None: pyqtgraph's own call while the view is being built
            self.relayout()

    # ------------------------------------------------------------ drawing put off
    def defers_drawing(self) -> bool:
        """True while the board's dock does not show (closed, or tabbed behind another, as
        its ``visibilityChanged`` says: see ``follow_dock``). Its mosaics then put their
        drawing off (``defer``) until it shows again."""
        return not self._dock_shows

    def defer(self, mosaic) -> None:
        """Draw ``mosaic`` (its ``draw_pending``) when the board shows again."""
        self._deferred[id(mosaic)] = mosaic

    def draw_deferred(self) -> None:
        """Draw what was put off while the board was off screen."""
        deferred, self._deferred = self._deferred, {}
        for mosaic in deferred.values():
            mosaic.draw_pending()

    def follow_dock(self, shows: bool) -> None:
        """For its dock's ``visibilityChanged``: drawing is put off while the dock does not
        show, and what was put off is drawn the moment it shows again."""
        self._dock_shows = shows
        if shows:
            self.draw_deferred()

    def showEvent(self, event) -> None:
        self.draw_deferred()
        super().showEvent(event)

    def paintEvent(self, event) -> None:
        # Shown in a way no signal told (a floating dock, a window restored): draw first.
        if self._deferred:
            self.draw_deferred()
        super().paintEvent(event)

    # ------------------------------------------------------------------------ state
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
