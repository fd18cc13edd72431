"""Tiles drawn in colour: a colour sample as the picture it is, and a first convolution's
filters over red, green and blue as small colour patches.

A ``Mosaic`` draws one number per pixel through a colour map; here each pixel has three
numbers, drawn as its red, green and blue. The mosaic's own indexed image stays underneath,
all gap: it gives the gaps between tiles the board's background (which the theme sets), and
the colour image on top is transparent there.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg

from visualcnn.app.views.board import text_size
from visualcnn.app.views.mosaic import TITLE_GAP, Mosaic
from visualcnn.app.views.tiling import Tiling, cell_for, grid_for
from visualcnn.common import i18n
from visualcnn.common.i18n import N_, tr

# Marked here, translated where shown.
CHANNEL_NAMES = (N_("red"), N_("green"), N_("blue"))
# How a tile's values become colours.
AS_IMAGE = "image"      # values in [0, 1] drawn as they are: the sample's own colours
PER_TILE = "per tile"   # each tile divided by its largest |value| over its three channels


def colour_sample_tiling(shape: tuple[int, int, int], cell: float) -> Tiling:
    """One (3, H, W) sample as a single colour tile."""
    _, h, w = (int(v) for v in shape)
    return Tiling((1, 1), (h, w), cell, lambda a: a[None], lambda r, c: tr("colour"),
                  lambda r, c: (0,))


def named_channels(tiling: Tiling) -> Tiling:
    """A tiling of three maps whose tiles are named red, green and blue."""
    cols = tiling.grid[1]
    return dataclasses.replace(
        tiling, name_of=lambda r, c: i18n.lookup(CHANNEL_NAMES[r * cols + c]))


def colour_filter_tiling(w_shape: tuple[int, ...], target: float) -> Tiling:
    """A convolution's W (F, 3, K, K) as F colour tiles, in the feature maps' grid."""
    f, _, k, _ = (int(v) for v in w_shape)
    rows, cols = grid_for(f)
    return Tiling((rows, cols), (k, k), cell_for((k, k), target), lambda a: a,
                  lambda r, c: tr("filter {index}", index=r * cols + c),
                  lambda r, c: (r * cols + c,))


def tile_colours(tiles: np.ndarray, scaling: str) -> np.ndarray:
    """(n, 3, h, w) values -> (n, 3, h, w) uint8 colour bytes, and a finite mask.

    AS_IMAGE: v in [0, 1] -> round(255 v), the bytes the image was read from. PER_TILE: each
    tile is divided by its largest |value| over all three channels, so its channels keep their
    proportions, and 0 is mid grey: 128 + 127 v / max|v|.
    """
    values = np.asarray(tiles, dtype=np.float64)
    if scaling == PER_TILE:
        top = np.max(np.abs(values), axis=(1, 2, 3), initial=0.0, where=np.isfinite(values))
        top[top <= 0] = 1.0
        scaled = 128.0 + 127.0 * values / top[:, None, None, None]
    else:
        scaled = values * 255.0
    with np.errstate(invalid="ignore"):
        return np.clip(np.rint(np.nan_to_num(scaled, nan=0.0)), 0, 255).astype(np.uint8)


class ColourMosaic(Mosaic):
    """A group of colour tiles (``tiling.arrange`` gives (n, 3, h, w)) with a title and no
    colour bar: the colours are the values (``AS_IMAGE``) or each tile's own scale
    (``PER_TILE``, said in the title). ``colours()`` is the RGB picture drawn."""

    def __init__(self, board, layer: str, title: str, tiling: Tiling, scaling: str):
        self.scaling = scaling
        self.colour_image = pg.ImageItem(axisOrder="row-major")
        self.colour_image.setZValue(0.5)  # over the indexed image, under outlines and notes
        board.view.addItem(self.colour_image)
        super().__init__(board, layer, title, tiling, False, fixed_range=(0.0, 1.0))
        self.bar.setVisible(False)
        h, w = tiling.tile
        self._rgba = np.zeros((self.rows, h + 1, self.cols, w + 1, 4), dtype=np.uint8)
        self.colour_image.setImage(self._picture(), autoLevels=False, levels=None)
        self.colour_image.setRect(self.image_rect())

    def size(self, unit: float) -> tuple[float, float]:
        """The picture and its title: no colour bar beside it."""
        title_w, title_h = text_size(self.title_at(unit))
        return (max(self.image_width, title_w * unit),
                (title_h + TITLE_GAP) * unit + self.image_height)

    def title_at(self, unit: float) -> str:
        return self.title

    def place(self, x: float, y: float, unit: float | None = None) -> None:
        super().place(x, y, unit)
        self.bar.setVisible(False)
        self.colour_image.setRect(self.image_rect())

    def items(self) -> list:
        return [*super().items(), self.colour_image]

    def set_maps(self, maps: np.ndarray, zero_reason: str = "") -> None:
        """Show ``maps``, (n, 3, h, w) with n <= rows * cols."""
        self._source = None
        n = maps.shape[0]
        self.count = n
        padded = np.full((self.rows * self.cols, 3, self.h, self.w), np.nan)
        padded[:n] = maps
        self.raw = padded.reshape(self.rows, self.cols, 3, self.h, self.w)
        finite = np.isfinite(padded).all(axis=1)                       # (tiles, h, w)
        rgb = tile_colours(padded, self.scaling)
        grid = lambda a: a.reshape(self.rows, self.cols, *a.shape[1:])  # noqa: E731
        self._rgba[:, :self.h, :, :self.w, :3] = grid(rgb).transpose(0, 3, 1, 4, 2)
        self._rgba[:, :self.h, :, :self.w, 3] = grid(finite).transpose(0, 2, 1, 3) * 255
        self.colour_image.setImage(self._picture(), autoLevels=False, levels=None)
        computed = bool(finite.any())
        self._show_zero(computed and not np.any(padded, where=np.isfinite(padded)), zero_reason)
        self.bar.setVisible(False)

    def _picture(self) -> np.ndarray:
        flat = self._rgba.reshape(self.rows * (self.h + 1), self.cols * (self.w + 1), 4)
        return np.ascontiguousarray(flat[:-1, :-1])

    def colours(self) -> np.ndarray:
        """The RGBA picture the colour item holds ((H, W, 4) uint8, gaps transparent)."""
        return self.colour_image.image

    def tile_colours(self, tile: int) -> np.ndarray:
        """Tile number ``tile``'s (h, w, 3) colours as drawn."""
        r, c = divmod(tile, self.cols)
        top, left = r * (self.h + 1), c * (self.w + 1)
        return self.colours()[top:top + self.h, left:left + self.w, :3]

    def describe(self, x: float, y: float) -> str:
        hit = self.locate(x, y)
        if hit is None:
            return ""
        r, c, i, j = hit
        values = self.raw[r, c, :, i, j]
        if np.isnan(values).any():
            shown = tr("not yet computed")
        else:
            shown = ", ".join(f"{i18n.lookup(name)} {v:.5g}"
                              for name, v in zip(CHANNEL_NAMES, values, strict=True))
        return (f"{self.layer} {self.title} · {self.tiling.name_of(r, c)} · y {i}, x {j} · "
                f"{shown}")
