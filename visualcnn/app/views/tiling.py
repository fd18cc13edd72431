"""How one sample's array is cut into the tiles of a mosaic: the one place that decides the
grid, the tile shape, the display scale and the name of each tile, for every view that tiles
maps or weights (the layer panels, the focus view, the update view).

    >>> t = weight_tiling((8, 1, 3, 3))      # conv1's filters
    >>> t.grid, t.tile, t.name_of(0, 1), t.index_of(0, 1)
    ((2, 4), (3, 3), 'filter 1', (1, 0))
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from visualcnn.common.i18n import tr

MAP_UNITS = 20     # small maps (11 x 11) are enlarged to about this many scene units
STRIP_UNITS = 60   # a vector drawn as a strip is about this many units wide
# Filters are tiny next to maps: enlarged to this many units, less when there are channels.
FILTER_UNITS, FILTER_UNITS_CHANNELS = 9, 5


def grid_for(n: int, max_cols: int = 4) -> tuple[int, int]:
    """Rows and columns for n maps: at most ``max_cols`` wide, as few rows as that allows."""
    rows = math.ceil(n / max_cols)
    return rows, math.ceil(n / rows)


def cell_for(tile: tuple[int, int], target: float) -> float:
    """A display scale that makes a small tile (a 3 x 3 filter) about ``target`` units wide."""
    return max(1.0, target / max(tile))


@dataclass(frozen=True)
class Tiling:
    """``arrange`` turns one sample's array into maps, (rows, cols, h, w) or (n, h, w), for
    a grid of ``grid`` = (rows, cols) tiles of ``tile`` = (h, w) pixels, each ``cell`` scene
    units wide. ``name_of(r, c)`` names tile (r, c) for the hover text; ``index_of(r, c)``
    gives its leading indices in the original array, e.g. (filter, channel) of a conv W."""

    grid: tuple[int, int]
    tile: tuple[int, int]
    cell: float
    arrange: Callable[[np.ndarray], np.ndarray]
    name_of: Callable[[int, int], str]
    index_of: Callable[[int, int], tuple[int, ...]]

    def scaled(self, cell: float) -> Tiling:
        """The same tiles drawn ``cell`` units per pixel (pooled maps as large as their input)."""
        return dataclasses.replace(self, cell=cell)


def _tile_name(noun: str, index: int) -> str:
    """A map's name in the hover text: "channel 3", or "map 3" (``noun`` "map")."""
    return tr("map {index}", index=index) if noun == "map" else tr("channel {index}", index=index)


def map_tiling(shape: tuple[int, ...], noun: str = "channel",
               strip_units: float = STRIP_UNITS) -> Tiling:
    """Activations of one sample: (C, H, W) maps in a grid at most four wide; a vector (D,)
    as one 1 x D strip, ``strip_units`` wide (or its own length, if that is more). The maps
    are named by ``noun``, "channel" or "map"."""
    if len(shape) == 3:
        c, h, w = (int(v) for v in shape)
        rows, cols = grid_for(c)
        return Tiling((rows, cols), (h, w), cell_for((h, w), MAP_UNITS),
                      lambda a: a.reshape(c, h, w),
                      lambda r, col: _tile_name(noun, r * cols + col),
                      lambda r, col: (r * cols + col,))
    d = int(np.prod(shape))
    return Tiling((1, 1), (1, d), cell_for((1, d), strip_units),
                  lambda a: a.reshape(1, 1, d),
                  lambda r, col: tr("units left to right"),
                  lambda r, col: (0,))


def weight_tiling(w_shape: tuple[int, ...],
                  template_shape: tuple[int, int, int] | None = None) -> Tiling:
    """A layer's W. Conv (F, C, K, K): with one input channel, filter i sits where feature
    map i sits in the maps' grid; with several, a row per input channel, a column per filter.
    Dense (M, D) after flattened maps of ``template_shape`` (C, H, W): each unit's row
    reshaped to those maps, one template per unit and channel; otherwise W as one matrix."""
    if len(w_shape) == 4:
        f, c, k, _ = (int(v) for v in w_shape)
        if c == 1:
            rows, cols = grid_for(f)
            return Tiling((rows, cols), (k, k), cell_for((k, k), FILTER_UNITS),
                          lambda a: a[:, 0],
                          lambda r, col: tr("filter {index}", index=r * cols + col),
                          lambda r, col: (r * cols + col, 0))
        return Tiling((c, f), (k, k), cell_for((k, k), FILTER_UNITS_CHANNELS),
                      lambda a: a.transpose(1, 0, 2, 3),
                      lambda r, col: tr("filter {filter}, input channel {channel}",
                                        filter=col, channel=r),
                      lambda r, col: (col, r))
    units, inputs = (int(v) for v in w_shape)
    if template_shape is not None:
        c, h, w = (int(v) for v in template_shape)
        if c == 1:
            rows, cols = grid_for(units, 5)
            return Tiling((rows, cols), (h, w), 1.0,
                          lambda a: a.reshape(-1, h, w),
                          lambda r, col: tr("unit {index}", index=r * cols + col),
                          lambda r, col: (r * cols + col, 0))
        return Tiling((units, c), (h, w), 1.0,
                      lambda a: a.reshape(-1, c, h, w),
                      lambda r, col: tr("unit {unit}, channel {channel}", unit=r,
                                        channel=col),
                      lambda r, col: (r, col))
    return Tiling((1, 1), (units, inputs), cell_for((units, inputs), STRIP_UNITS),
                  lambda a: a[None],
                  lambda r, col: tr("W[unit, input]"),
                  lambda r, col: (0, 0))


def template_shape_before(net, index: int) -> tuple[int, int, int] | None:
    """The maps a dense layer ``index`` of ``net`` reads, when a flatten comes right before
    it (its W is then shown as templates); None otherwise."""
    spec = net.specs[index]
    before = net.specs[index - 1] if index > 0 else None
    if spec.kind == "dense" and before is not None and before.kind == "flatten":
        return tuple(before.shape_in)
    return None
