"""Colour maps and colour levels.

Signed values (weights, gradients, p - y) use a diverging map centred on zero with symmetric
levels, so white always means zero and equal distances mean equal magnitudes. Non-negative
values use a sequential map. The scale mode decides where the levels come from.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from visualcnn.common.i18n import N_

# Blue for negative, white for zero, red for positive: the usual reading of a gradient map.
DIVERGING = pg.ColorMap(
    pos=[0.0, 0.25, 0.5, 0.75, 1.0],
    color=[(33, 102, 172), (103, 169, 207), (247, 247, 247), (239, 138, 98), (178, 24, 43)],
)
# Black to white through purple and orange: a dark background makes digits read as ink.
SEQUENTIAL = pg.ColorMap(
    pos=[0.0, 0.35, 0.7, 1.0],
    color=[(0, 0, 4), (120, 28, 109), (237, 105, 37), (252, 255, 164)],
)
# Images are drawn as 8-bit colour indices through a 256-entry table: Qt paints those as
# indexed images, several times faster than float images with NaN. Index 255 is the gap
# between tiles (and any NaN), drawn in the board's background colour.
GAP_INDEX = 255
BACKGROUND = (200, 200, 200)


def _lut_with_gap(cmap: pg.ColorMap):
    lut = np.empty((256, 3), dtype=np.uint8)
    lut[:GAP_INDEX] = cmap.getLookupTable(nPts=GAP_INDEX, alpha=False)
    lut[GAP_INDEX] = BACKGROUND
    return lut


DIVERGING_LUT = _lut_with_gap(DIVERGING)
SEQUENTIAL_LUT = _lut_with_gap(SEQUENTIAL)

# Marked here, translated where shown (the scale box: i18n.lookup).
SCALE_MODES = {
    "map": N_("Scale per map"),
    "layer": N_("Scale per layer"),
    "fixed": N_("Fixed scale"),
}
DEFAULT_SCALE_MODE = "layer"


def finite_abs_max(a: np.ndarray) -> float:
    """Largest |value| among the finite ones, 0.0 when there are none."""
    top = float(np.max(np.abs(a), initial=0.0))
    if math.isfinite(top):  # no NaN, no infinity: the mask below would change nothing
        return top
    return float(np.max(np.abs(a), initial=0.0, where=np.isfinite(a)))


def finite_max(a: np.ndarray) -> float:
    top = float(np.max(a, initial=0.0))
    if math.isfinite(top):  # -inf never wins over 0.0, so only NaN and +inf need the mask
        return top
    return float(np.max(a, initial=0.0, where=np.isfinite(a)))


def layer_levels(a: np.ndarray, signed: bool) -> tuple[float, float]:
    """Levels for a whole group: symmetric around zero when signed, else from zero up.

    A group of zeros (a fresh bias, a dead map) gets a small range instead of an empty one.
    """
    return levels_up_to(finite_abs_max(a) if signed else finite_max(a), signed)


def levels_up_to(top: float, signed: bool) -> tuple[float, float]:
    """``layer_levels`` of a group whose largest finite value (magnitude, when signed) is
    ``top``, for a caller that has it at hand."""
    top = top if top > 0 else 1e-12
    return (-top, top) if signed else (0.0, top)


def colour_indices(values: np.ndarray, levels: tuple[float, float], out=None,
                   finite: bool = False, within: bool = False) -> np.ndarray:
    """uint8 colour indices 0..254 for ``values`` between ``levels`` (clipped); NaN -> gap.
    ``finite``: the caller knows there is no NaN, which saves looking for one; ``within``:
    that every value lies between the levels (they came from the values), which saves the
    clipping, the dearest part of this."""
    low, high = levels
    scaled = np.subtract(values, low, dtype=np.float64)
    scaled *= (GAP_INDEX - 1) / (high - low)
    if not within:
        # maximum and minimum keep NaN as it is, as clip does, with less overhead
        np.maximum(scaled, 0, out=scaled)
        np.minimum(scaled, GAP_INDEX - 1, out=scaled)
    # A value at a level rounds to 0 or 254 although the scaling may miss it by a hair.
    np.rint(scaled, out=scaled)
    if not finite:
        scaled[np.isnan(scaled)] = GAP_INDEX
    if out is None:
        return scaled.astype(np.uint8)
    out[...] = scaled
    return out


def per_map_normalised(maps: np.ndarray, signed: bool, out: np.ndarray) -> np.ndarray:
    """Divide each map of ``maps`` (n, h, w) by its own largest value, into ``out``.

    The result lies in [-1, 1] (signed) or [0, 1]: drawn with those levels, every map uses the
    whole colour range, whatever its magnitude.
    """
    finite = np.isfinite(maps)
    values = np.abs(maps) if signed else maps
    top = np.max(values, axis=(1, 2), initial=0.0, where=finite)
    top[top <= 0] = 1.0
    np.divide(maps, top[:, None, None], out=out)
    return out
