"""A hand-drawn digit turned into a sample the way the MNIST digits were made.

MNIST's digits were scanned, their ink's bounding box was scaled (keeping the aspect ratio,
anti-aliased) so that the longer side is 20 pixels, and the 20 x 20 box was placed in a
28 x 28 field so that the centre of mass of the ink sits at the centre of the field.
``to_sample`` does the same to a canvas of any size. NumPy only: no Qt here.

    >>> canvas = np.zeros((280, 280)); canvas[40:200, 150:170] = 1.0   # a "1"
    >>> to_sample(canvas).shape
    (1, 28, 28)
"""

from __future__ import annotations

import numpy as np

from visualcnn.common.errors import DataError

INK_THRESHOLD = 0.02  # canvas values above this count as ink for the bounding box


def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix that resamples a line of ``n_in`` pixels to ``n_out`` by area.

    Output pixel i covers the input interval [i * n_in / n_out, (i + 1) * n_in / n_out); its
    value is the mean of the input over that interval, each input pixel weighted by how much
    of it lies inside. Rows sum to one, so a constant line stays constant.
    """
    edges = np.arange(n_out + 1) * (n_in / n_out)
    lo, hi = edges[:-1, None], edges[1:, None]
    j = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0.0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the centre of mass in pixel indices (pixel i is at i).

    MNIST put this point at (14, 14) of the 28 x 28 field, pixel indices: measured on the
    bundled digits it lies within half a pixel of 14 in both directions.
    """
    total = image.sum()
    rows = np.arange(image.shape[0])
    cols = np.arange(image.shape[1])
    return (float(image.sum(axis=1) @ rows / total), float(image.sum(axis=0) @ cols / total))


def to_sample(canvas: np.ndarray, size: int = 28, box: int = 20) -> np.ndarray:
    """canvas: (H, W) ink in [0, 1] (0 is paper) -> float32 (1, size, size) in [0, 1].

    The ink's bounding box is scaled by area averaging, aspect kept, so its longer side is
    ``box`` pixels; it is put in a ``size`` x ``size`` field with its centre of mass moved to
    pixel (size / 2, size / 2), shifted by whole pixels (rounded) but never pushing ink off
    the field; the brightest pixel becomes 1. A canvas with no ink raises DataError.
    """
    canvas = np.asarray(canvas, dtype=np.float64)
    if canvas.ndim != 2:
        raise DataError(f"a drawing must be a 2-D canvas, got shape {canvas.shape}")
    if not 0 < box <= size:
        raise DataError(f"the box ({box}) must fit the field ({size})")
    canvas = np.clip(np.nan_to_num(canvas), 0.0, 1.0)
    ink = canvas > INK_THRESHOLD
    if not ink.any():
        raise DataError("the canvas is blank: draw a digit first")
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = canvas[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = box / max(h, w)
    nh, nw = max(1, min(box, round(h * scale))), max(1, min(box, round(w * scale)))
    small = area_weights(h, nh) @ crop @ area_weights(w, nw).T
    peak = small.max()
    if peak <= 0:  # cannot happen with ink above the threshold, but never divide by zero
        raise DataError("the canvas is blank: draw a digit first")
    small = np.clip(small / peak, 0.0, 1.0)

    top, left = (size - nh) // 2, (size - nw) // 2
    cy, cx = centre_of_mass(small)
    # Whole-pixel shift that brings the centre of mass to pixel size / 2, within the field.
    dy = int(np.clip(round(size / 2 - (top + cy)), -top, size - nh - top))
    dx = int(np.clip(round(size / 2 - (left + cx)), -left, size - nw - left))
    out = np.zeros((1, size, size), dtype=np.float32)
    out[0, top + dy:top + dy + nh, left + dx:left + dx + nw] = small
    return out
