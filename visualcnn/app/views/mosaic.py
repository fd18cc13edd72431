"""A mosaic: a group of equally shaped maps tiled into one image, with a title and a colour bar;
and the dots a boolean mask puts on top of one (the max-pool's winners).

How an array becomes tiles is a ``Tiling`` (``tiling.py``); a mosaic draws one.
"""

from __future__ import annotations

import math
import re

import numpy as np
from PyQt6.QtCore import QRectF
from PyQt6.QtWidgets import QGraphicsItem

from visualcnn.app.views.board import Board, IndexedImage, text_size
from visualcnn.app.views.colormaps import (
    DIVERGING_LUT,
    GAP_INDEX,
    SEQUENTIAL_LUT,
    colour_indices,
    layer_levels,
    levels_up_to,
    per_map_normalised,
)
from visualcnn.app.views.tiling import Tiling
from visualcnn.app.views.zero_note import ZeroNote
from visualcnn.common.i18n import tr
from visualcnn.common.numbers import format_number

MASK_COLOUR = (0, 200, 0)
BAR_LABEL = 0.9            # colour-bar labels, in label heights
BAR_LABEL_ROOM = "±8.88e-8"  # the widest colour-bar label a block leaves room for
BAR_GAP = 1.0              # between the image and its colour bar, in scene units
TITLE_GAP = 0.15           # under a title, in label heights
PHRASE_END = re.compile(r"[,:] |[，：]")  # where a title may break into two lines


def set_label(item, text: str) -> bool:
    """Give a colour bar's label ``text``; returns whether it changed. An empty label is
    hidden: a text item lays its text out again at every repaint, even when there is none
    (a signed group's foot label is always empty)."""
    if item.text() == text:
        return False
    item.setText(text)
    item.setVisible(bool(text))
    return True


class Mosaic:
    """A group of equally shaped maps tiled into one image, with a title and a colour bar.

    ``tiling`` gives the grid of tiles, their shape, the size of one map pixel in scene units
    (``cell``) and the tiles' names for the hover text. ``show(array)`` draws one sample's
    array through the tiling; ``set_maps`` takes maps already shaped (rows, cols, h, w) or
    (n, h, w). ``fixed_range`` (e.g. (0, 1) for masks) overrides every scale mode.

    A group whose values are all zero has no colour bar (its levels would be a meaningless
    +-1e-12): the words "all zero at this step" stand over it instead, with the reason when
    the panel knows one (``zero_reason``).

    Drawing is skipped when nothing would change it (``show`` of the very array already
    shown: trace arrays never change) and put off while the board is off screen (its dock
    closed or tabbed behind another, see ``Board.defers_drawing``); ``raw`` always holds the
    values last given, and the board draws what was put off as soon as it shows again.
    """

    optional = False  # always part of its panel's picture (see panel.Rows)

    def __init__(self, board: Board, layer: str, title: str, tiling: Tiling, signed: bool,
                 fixed_range: tuple[float, float] | None = None):
        self.board, self.layer, self.title = board, layer, title
        self.tiling = tiling
        self.rows, self.cols = tiling.grid
        self.h, self.w = tiling.tile
        self.signed = signed
        self.cell = cell = tiling.cell
        self.fixed_range = fixed_range
        self.scale_mode = "layer"
        self.fixed_levels: tuple[float, float] | None = None
        self.raw: np.ndarray | None = None      # (rows, cols, h, w), the values last shown
        self.count = self.rows * self.cols      # maps in it; a grid may end with empty tiles
        self.levels = (0.0, 1.0)
        self.all_zero = False                   # the values last shown are all zero
        self.zero_reason = ""
        self.zero_note: ZeroNote | None = None
        self.overlays: list[MaskOverlay] = []
        self._source = None         # the array ``show`` drew last, while nothing else was drawn
        self._source_reason = ""
        self._pending_reason: str | None = None  # set while a drawing is put off
        # Colour indices, (rows, h+1, cols, w+1) so that one transposed assignment fills every
        # tile; the extra row and column of each tile keep the gap index.
        self._tiles = np.full((self.rows, self.h + 1, self.cols, self.w + 1), GAP_INDEX,
                              dtype=np.uint8)
        self._normalised = np.empty((self.rows * self.cols, self.h, self.w))
        self.image_width = (self.cols * (self.w + 1) - 1) * cell
        self.image_height = (self.rows * (self.h + 1) - 1) * cell
        self.bar_width = max(1.5, min(3.0, self.image_height / 8))
        # Unsigned groups label both ends of their bar; signed ones only "+-top".
        self.bar_labels = 2 if (not signed or fixed_range is not None) else 1

        lut = DIVERGING_LUT if signed else SEQUENTIAL_LUT
        # setRect scales by the current image's size, so an image must be there first.
        self.image = IndexedImage(self._mosaic(), lut)
        bar = np.linspace(GAP_INDEX - 1, 0, 64).round().astype(np.uint8)[:, None]
        self.bar = IndexedImage(bar, lut)
        # The bar never changes: kept as a pixmap, it costs a blit a frame, not a paint.
        self.bar.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        board.view.addItem(self.image)
        board.view.addItem(self.bar)
        self.title_item = board.add_text(0, 0, title)
        self.top_label = board.add_text(0, 0, "", rel=BAR_LABEL)
        self.bottom_label = board.add_text(0, 0, "", rel=BAR_LABEL)
        for label in (self.top_label, self.bottom_label):
            label.setVisible(False)  # empty until the first drawing (see set_label)
        zero_rgb = tuple(int(v) for v in lut[colour_indices(np.zeros(1), (-1.0, 1.0) if signed
                                                            else (0.0, 1.0))[0]])
        self.place(0.0, 0.0)  # the note places itself from the block's geometry
        self.zero_note = ZeroNote(self, zero_rgb)
        self.note, self.note_back = self.zero_note.text, self.zero_note.back
        board.mosaics.append(self)

    # ------------------------------------------------------------------------ layout
    def title_at(self, unit: float) -> str:
        """The title as drawn with labels ``unit`` tall: on two lines when on one, with the
        colour bar's label beside it, it would make the block wider than its maps and bar.
        It breaks only after a comma or a colon (a Chinese one too), where a phrase ends."""
        label_w = BAR_LABEL * text_size(BAR_LABEL_ROOM)[0]
        room = (self.image_width + BAR_GAP + self.bar_width) / unit - 0.5 - label_w
        splits = [(self.title[:m.end()].rstrip(), self.title[m.end():].lstrip())
                  for m in PHRASE_END.finditer(self.title) if m.end() < len(self.title)]
        if text_size(self.title)[0] <= room or not splits:
            return self.title
        first, second = min(splits, key=lambda s: max(text_size(s[0])[0] + label_w,
                                                      text_size(s[1])[0]))
        return f"{first}\n{second}"

    def size(self, unit: float) -> tuple[float, float]:
        """(width, height) of the block, in scene units, with labels ``unit`` tall.

        The colour bar's top label sits on the title's first line, over the bar; an unsigned
        group's "0" sits beside the bar's foot.
        """
        title = self.title_at(unit)
        first_w = text_size(title.split("\n")[0])[0]
        title_w, title_h = text_size(title)
        label_w, label_h = text_size(BAR_LABEL_ROOM)
        foot_w = (0.25 + BAR_LABEL * text_size("0")[0]) * unit if self.bar_labels == 2 else 0.0
        width = max(self.image_width + BAR_GAP + self.bar_width + foot_w,
                    (first_w + 0.5 + BAR_LABEL * label_w) * unit, title_w * unit)
        # Room for a line of the "all zero" note, even under a strip one unit high.
        body = max(self.image_height, label_h * unit,
                   BAR_LABEL * label_h * unit if self.bar_labels == 2 else 0)
        return width, (title_h + TITLE_GAP) * unit + body

    def place(self, x: float, y: float, unit: float | None = None) -> None:
        """Put the block's top-left corner (its title) at scene position (x, y), laid out for
        labels ``unit`` tall (the board's present one by default)."""
        unit = self.board.unit if unit is None else unit
        self.unit = unit
        self.width, self.height = self.size(unit)
        self.x, self.y = x, y
        title = self.title_at(unit)
        if self.title_item.text() != title:
            self.title_item.setText(title)
        self.image_x, self.image_y = x, y + (text_size(title)[1] + TITLE_GAP) * unit
        self.image.setRect(self.image_rect())
        bar_x = self.image_x + self.image_width + BAR_GAP
        self.bar.setRect(QRectF(bar_x, self.image_y, self.bar_width, self.image_height))
        self.title_item.setPos(x, y)
        self._align_top_label()
        label_h = text_size("0")[1] * BAR_LABEL * unit
        self.bottom_label.setPos(bar_x + self.bar_width + 0.25 * unit,
                                 self.image_y + max(self.image_height, label_h) - label_h)
        if self.zero_note is not None:
            self.zero_note.place()
        for overlay in self.overlays:
            overlay.place()

    def _align_top_label(self) -> None:
        """The top label's right end over the bar's right edge, on the title's first line
        (further right when a long title leaves no room for it there)."""
        unit = self.unit
        width = text_size(self.top_label.text() or "0")[0] * BAR_LABEL * unit
        first = self.title_item.text().split("\n")[0]
        right = max(self.image_x + self.image_width + BAR_GAP + self.bar_width,
                    self.x + (text_size(first)[0] + 0.5) * unit + width)
        self.top_label.setPos(right - width, self.y + (1 - BAR_LABEL) * 0.8 * unit)

    def image_rect(self) -> QRectF:
        """Where the image is, in scene units."""
        return QRectF(self.image_x, self.image_y, self.image_width, self.image_height)

    def items(self) -> list:
        """Every graphics item the block is made of (its overlays' too)."""
        return [self.image, self.bar, self.title_item, self.top_label, self.bottom_label,
                self.note, self.note_back, *(o.image for o in self.overlays)]

    def _show_zero(self, zero: bool, reason: str) -> None:
        """The note (over the maps, where the colour bar was), or none."""
        if zero == self.all_zero and reason == self.zero_reason:
            return
        self.all_zero, self.zero_reason = zero, reason
        self.zero_note.set_shown(zero, reason)

    # ----------------------------------------------------------------------- drawing
    def set_scale_mode(self, mode: str) -> None:
        self.scale_mode = mode
        self.fixed_levels = None
        self._source = None  # the same array must be drawn again, with the new levels

    def show(self, array: np.ndarray, zero_reason: str = "") -> None:
        """Draw one sample's ``array`` (no batch axis) through the tiling; ``zero_reason``
        says why it would be all zero (shown only when it is)."""
        if array is self._source and zero_reason == self._source_reason:
            return  # a trace's arrays never change: the picture shows this one already
        self.set_maps(self.tiling.arrange(array), zero_reason)
        self._source, self._source_reason = array, zero_reason

    def set_maps(self, maps: np.ndarray, zero_reason: str = "") -> None:
        """Show ``maps``, (rows, cols, h, w) or (n, h, w) with n <= rows * cols."""
        self._source = None
        self.count = maps.shape[0] if maps.ndim == 3 else self.rows * self.cols
        if maps.ndim == 3:
            n = maps.shape[0]
            if n == self.rows * self.cols:
                maps = maps.reshape(self.rows, self.cols, self.h, self.w)
            else:
                padded = np.full((self.rows * self.cols, self.h, self.w), np.nan)
                padded[:n] = maps
                maps = padded.reshape(self.rows, self.cols, self.h, self.w)
        self.raw = maps
        self._pending_reason = zero_reason
        if self.board.defers_drawing():
            self.board.defer(self)
        else:
            self.draw_pending()

    def draw_pending(self) -> None:
        """Draw ``raw`` (the maps last given), if that was put off."""
        if self._pending_reason is None:
            return
        maps, zero_reason = self.raw, self._pending_reason
        self._pending_reason = None
        # Finite almost always: the largest and the smallest value decide it (both keep a NaN,
        # and an infinity is one of them), and give the levels and whether all is zero; only
        # NaN (not computed yet) or an infinity pays for the masks.
        high, low = float(maps.max()), float(maps.min())
        finite = None if math.isfinite(high) and math.isfinite(low) else np.isfinite(maps)
        if self.fixed_range is not None:
            shown, levels = maps, self.fixed_range
            top, bottom = format_number(levels[1]), format_number(levels[0])
        elif self.scale_mode == "map":
            shown = per_map_normalised(maps.reshape(-1, self.h, self.w), self.signed,
                                       self._normalised)
            shown = shown.reshape(self.rows, self.cols, self.h, self.w)
            levels = (-1.0, 1.0) if self.signed else (0.0, 1.0)
            top, bottom = tr("per map"), ("" if self.signed else "0")
        else:
            shown = maps
            if finite is None:  # layer_levels, from the two values at hand
                levels = levels_up_to(max(high, -low) if self.signed else high, self.signed)
            else:
                levels = layer_levels(maps, self.signed)
            if self.scale_mode == "fixed":
                # Frozen from the first frame with something to show: an all-zero group (the
                # output layer at step 0) or a not-yet-computed one would freeze at +-1e-12.
                if self.fixed_levels is None and levels[1] > 1e-12:
                    self.fixed_levels = levels
                levels = self.fixed_levels or levels
            top = ("±" if self.signed else "") + format_number(levels[1])
            bottom = "" if self.signed else format_number(levels[0])
        # Levels made from these very values hold them all (fixed ones may not, nor per-map).
        within = shown is maps and finite is None and levels[0] <= low and high <= levels[1]
        colour_indices(shown.transpose(0, 2, 1, 3), levels, out=self._tiles[:, :self.h, :, :self.w],
                       finite=finite is None, within=within)
        self.levels = levels
        self.image.set_indices(self._mosaic())
        if finite is None:
            computed, zero = True, high == 0 and low == 0
        else:  # all NaN: not computed yet (a phase walk)
            computed = bool(finite.any())
            zero = computed and not np.any(maps, where=finite)
        self._show_zero(zero, zero_reason)
        self.bar.setVisible(computed and not zero)
        if zero or not computed:  # no scale to give
            top = bottom = ""
        if set_label(self.top_label, top):
            self._align_top_label()
        set_label(self.bottom_label, bottom)

    def _mosaic(self) -> np.ndarray:
        # Contiguous, so that Qt can take the buffer as it is.
        flat = self._tiles.reshape(self.rows * (self.h + 1), self.cols * (self.w + 1))
        return np.ascontiguousarray(flat[:-1, :-1])

    def shown_image(self) -> np.ndarray:
        """The colour indices the image item holds (gaps at GAP_INDEX), for tests and tools."""
        return self.image.image

    def tile(self, r: int, c: int) -> np.ndarray:
        """The part of the shown image that is tile (r, c)."""
        top, left = r * (self.h + 1), c * (self.w + 1)
        return self.shown_image()[top:top + self.h, left:left + self.w]

    def locate(self, x: float, y: float) -> tuple[int, int, int, int] | None:
        """(tile row, tile col, y, x) of the map pixel at scene point (x, y), or None when the
        point is on a gap, outside the image or on the padding after the last map."""
        if self.raw is None:
            return None
        col = math.floor((x - self.image_x) / self.cell)
        row = math.floor((y - self.image_y) / self.cell)
        if not (0 <= col < self.cols * (self.w + 1) and 0 <= row < self.rows * (self.h + 1)):
            return None
        (r, i), (c, j) = divmod(row, self.h + 1), divmod(col, self.w + 1)
        if i == self.h or j == self.w or r >= self.rows or c >= self.cols:
            return None
        if r * self.cols + c >= self.count:
            return None
        return r, c, i, j

    def pixel_rect(self, tile: int, rows: tuple[int, int], cols: tuple[int, int]) -> QRectF:
        """Scene rectangle of map pixels rows[0]:rows[1], cols[0]:cols[1] of tile number
        ``tile`` (counted row by row)."""
        r, c = divmod(tile, self.cols)
        x0 = self.image_x + (c * (self.w + 1) + cols[0]) * self.cell
        y0 = self.image_y + (r * (self.h + 1) + rows[0]) * self.cell
        return QRectF(x0, y0, (cols[1] - cols[0]) * self.cell, (rows[1] - rows[0]) * self.cell)

    def pixel_centre(self, tile: int, i: int, j: int) -> tuple[float, float]:
        """Scene position of the middle of map pixel (i, j) of tile number ``tile``."""
        centre = self.pixel_rect(tile, (i, i + 1), (j, j + 1)).center()
        return centre.x(), centre.y()

    def describe(self, x: float, y: float) -> str:
        """The hover text for scene point (x, y), or "" when it is not on a map pixel."""
        hit = self.locate(x, y)
        if hit is None:
            return ""
        r, c, i, j = hit
        value = self.raw[r, c, i, j]
        # NaN is a value not computed yet (a phase walk draws those blank), never a number.
        shown = tr("not yet computed") if np.isnan(value) else f"{value:.5g}"
        return (f"{self.layer} {self.title} · {self.tiling.name_of(r, c)} · "
                f"y {i}, x {j} · {shown}")


class DotImage(IndexedImage):
    """A ``MaskOverlay``'s image: its indices change only at the middle pixel of each ``step``
    x ``step`` block (the rest stay 0, transparent), so a new mask recolours those pixels, a
    ninth of the image, rather than all of it."""

    def __init__(self, indices: np.ndarray, lut: np.ndarray, step: int):
        self._step = step
        self._table_drawn = None  # the colour table the buffer was last wholly drawn with
        super().__init__(indices, lut)

    def render(self):
        if (self._argb is None or self._argb.shape != self.image.shape
                or self._table_drawn is not self._table):
            super().render()
            self._table_drawn = self._table
            return
        s, c = self._step, self._step // 2
        np.take(self._table, self.image[c::s, c::s], out=self._argb[c::s, c::s], mode="clip")
        self._renderRequired = False
        self._unrenderable = False


class MaskOverlay:
    """Marks the True pixels of a boolean mosaic with a dot on top of a ``Mosaic``.

    Each map pixel becomes 3 x 3 overlay pixels and a marked one gets the middle one, so most
    of the value underneath stays visible.
    """

    UPSAMPLE = 3

    def __init__(self, mosaic: Mosaic, colour=MASK_COLOUR):
        self.mosaic = mosaic
        m = mosaic
        u = self.UPSAMPLE
        self._shown = None  # the mask last drawn (a trace's arrays never change)
        self._mask = np.zeros((m.rows, m.h + 1, m.cols, m.w + 1), dtype=bool)
        height, width = (m.rows * (m.h + 1) - 1) * u, (m.cols * (m.w + 1) - 1) * u
        self.dots = np.zeros((height, width), dtype=np.uint8)
        lut = np.zeros((2, 4), dtype=np.uint8)   # 0: transparent, 1: the mark colour
        lut[1] = (*colour, 255)
        self.image = DotImage(self.dots, lut, u)
        self.image.setZValue(1)
        m.board.view.addItem(self.image)
        m.overlays.append(self)
        self.place()

    def place(self) -> None:
        """Cover the mosaic's image; call again when the mosaic moves."""
        m = self.mosaic
        self.image.setRect(QRectF(m.image_x, m.image_y, m.image_width, m.image_height))

    def set_mask(self, mask: np.ndarray) -> None:
        """``mask``: bool (rows, cols, h, w) or (n, h, w), shaped like the mosaic's maps."""
        if mask is self._shown:
            return
        self._shown = mask
        m = self.mosaic
        if mask.ndim == 3 and mask.shape[0] < m.rows * m.cols:  # a grid ending in empty tiles
            padded = np.zeros((m.rows * m.cols, m.h, m.w), dtype=bool)
            padded[:mask.shape[0]] = mask
            mask = padded
        mask = mask.reshape(m.rows, m.cols, m.h, m.w)
        self._mask[:, :m.h, :, :m.w] = mask.transpose(0, 2, 1, 3)
        flat = self._mask.reshape(m.rows * (m.h + 1), m.cols * (m.w + 1))[:-1, :-1]
        # Only the middle pixel of each u x u block is ever marked: the rest stay 0.
        u = self.UPSAMPLE
        self.dots[u // 2::u, u // 2::u] = flat
        self.image.set_indices(self.dots)

    def marked(self) -> np.ndarray:
        """Bool mosaic (map pixels, gaps included) of the pixels drawn as winners."""
        u = self.UPSAMPLE
        return self.image.image[u // 2::u, u // 2::u] > 0
