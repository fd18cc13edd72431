"""A hand-drawn digit turned into a sample the way the MNIST digits were made.

MNIST's digits were scanned, their ink's bounding box was scaled (keeping the aspect ratio,
anti-aliased) so that the longer side is 20 pixels, and the 20 x 20 box was placed in a
28 x 28 field so that the centre of mass of the ink sits at the centre of the field.
``to_sample`` does the same to a canvas of any size. NumPy only: no Qt here.

A pen of fixed width does not give MNIST's digits, whose strokes are about 3 pixels wide in
the 20-pixel box whatever size they were written at: a digit drawn small with a wide pen
becomes a blob once fitted. ``strokes_to_sample`` therefore takes the pen's path rather than
its ink and draws it again, fitted to the box, with an MNIST-wide pen and anti-aliased edges.

    >>> canvas = np.zeros((280, 280)); canvas[40:200, 150:170] = 1.0   # a "1"
    >>> to_sample(canvas).shape
    (1, 28, 28)
    >>> strokes_to_sample([[(160, 40), (160, 200)]]).shape               # the same "1", as a path
    (1, 28, 28)
"""

from __future__ import annotations

import numpy as np

from visualcnn.common.errors import DataError
from visualcnn.common.i18n import tr

INK_THRESHOLD = 0.02  # canvas values above this count as ink for the bounding box
# The pen, in pixels of the 20-pixel box. Across the middle rows of the bundled MNIST ones:
# a median of 3.1 of ink (2.5 to 3.7 between the quartiles), 3 pixels above 0.5, 4 above 0,
# half of them grey. A 3-pixel pen whose edge fades over 0.75 pixel gives an upright stroke,
# averaged over where it falls between pixels: 3.0 of ink, 2.9 above 0.5, 4.4 above 0, half
# of them grey. A hard edge would leave a stroke that lands on pixel borders with no grey.
PEN_WIDTH = 3.0
PEN_EDGE = 0.75
SUPERSAMPLE = 4  # the pen is drawn on a grid this many times finer, then area-averaged


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
        raise DataError(tr("a drawing must be a 2-D canvas, got shape {shape}",
                           shape=canvas.shape))
    if not 0 < box <= size:
        raise DataError(tr("the box ({box}) must fit the field ({size})", box=box, size=size))
    canvas = np.clip(np.nan_to_num(canvas), 0.0, 1.0)
    ink = canvas > INK_THRESHOLD
    if not ink.any():
        raise DataError(tr("the canvas is blank: draw a digit first"))
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = canvas[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = box / max(h, w)
    nh, nw = max(1, min(box, round(h * scale))), max(1, min(box, round(w * scale)))
    small = area_weights(h, nh) @ crop @ area_weights(w, nw).T
    return _placed(small, size)


def _placed(small: np.ndarray, size: int) -> np.ndarray:
    """``small`` (h, w) ink, brightest pixel made 1, in a ``size`` x ``size`` field with its
    centre of mass moved to pixel (size / 2, size / 2): shifted by whole pixels (rounded) but
    never pushing ink off the field. float32 (1, size, size)."""
    peak = small.max()
    if peak <= 0:  # cannot happen with ink above the threshold, but never divide by zero
        raise DataError(tr("the canvas is blank: draw a digit first"))
    small = np.clip(small / peak, 0.0, 1.0)
    nh, nw = small.shape
    top, left = (size - nh) // 2, (size - nw) // 2
    cy, cx = centre_of_mass(small)
    dy = int(np.clip(round(size / 2 - (top + cy)), -top, size - nh - top))
    dx = int(np.clip(round(size / 2 - (left + cx)), -left, size - nw - left))
    out = np.zeros((1, size, size), dtype=np.float32)
    out[0, top + dy:top + dy + nh, left + dx:left + dx + nw] = small
    return out


def _pen_ink(paths: list[np.ndarray], nh: int, nw: int, pen: float, edge: float,
             k: int) -> np.ndarray:
    """(nh, nw) ink of a round pen ``pen`` wide moved along ``paths`` (points in pixels, x
    right, y down), its edge fading from 1 to 0 over ``edge`` pixels around pen / 2 from the
    path: the mean over k x k sample points of each pixel. Each segment only looks at the
    samples near it."""
    ink = np.zeros((nh * k, nw * k))
    r = pen / 2 + edge / 2  # where the ink ends
    for path in paths:
        a, b = (path[:-1], path[1:]) if len(path) > 1 else (path, path)
        for (ax, ay), (bx, by) in zip(a, b, strict=True):
            x0 = max(0, int(np.floor((min(ax, bx) - r) * k)))
            x1 = min(nw * k, int(np.ceil((max(ax, bx) + r) * k)) + 1)
            y0 = max(0, int(np.floor((min(ay, by) - r) * k)))
            y1 = min(nh * k, int(np.ceil((max(ay, by) + r) * k)) + 1)
            if x0 >= x1 or y0 >= y1:
                continue
            px = (np.arange(x0, x1) + 0.5) / k - ax
            py = (np.arange(y0, y1)[:, None] + 0.5) / k - ay
            dx, dy = bx - ax, by - ay
            length2 = dx * dx + dy * dy
            t = np.clip((px * dx + py * dy) / length2, 0.0, 1.0) if length2 > 0 else 0.0
            ex, ey = px - t * dx, py - t * dy
            d = np.sqrt(ex * ex + ey * ey)
            here = ink[y0:y1, x0:x1]
            np.maximum(here, np.clip((r - d) / edge, 0.0, 1.0) if edge > 0 else d <= r, out=here)
    return ink.reshape(nh, k, nw, k).mean(axis=(1, 3))


def strokes_to_sample(strokes, size: int = 28, box: int = 20, pen: float | None = None,
                      edge: float | None = None) -> np.ndarray:
    """strokes: the pen's path, a list of strokes, each a sequence of (x, y) points in any
    units (y down) -> float32 (1, size, size) in [0, 1], an MNIST-like digit.

    The path is scaled, aspect kept, so that its ink (the path widened by the pen) has its
    longer side ``box`` pixels; it is drawn with a round pen ``pen`` pixels wide whose edge
    fades over ``edge`` pixels (defaults PEN_WIDTH and PEN_EDGE, scaled with the box), on a
    grid SUPERSAMPLE times finer and area-averaged; then it is placed in the field by its
    centre of mass, as in ``to_sample``. The same shape drawn at any size gives the same
    sample. A single point is a dot of the pen's width. No points at all raises DataError.
    """
    if not 0 < box <= size:
        raise DataError(tr("the box ({box}) must fit the field ({size})", box=box, size=size))
    pen = PEN_WIDTH * box / 20 if pen is None else float(pen)
    edge = PEN_EDGE * box / 20 if edge is None else float(edge)
    paths = [np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in strokes]
    paths = [p[np.isfinite(p).all(axis=1)] for p in paths]
    paths = [p for p in paths if len(p)]
    if not paths:
        raise DataError(tr("the canvas is blank: draw a digit first"))
    every = np.concatenate(paths)
    low = every.min(axis=0)
    extent = float((every.max(axis=0) - low).max())
    reach = pen + edge  # the ink's width where the path is a point
    scale = (box - reach) / extent if extent > 0 else 0.0
    # In box pixels, the path at least reach / 2 from the top and left edges.
    paths = [(p - low) * scale + reach / 2 for p in paths]
    w, h = (every.max(axis=0) - low) * scale + reach
    nw, nh = min(box, max(1, int(np.ceil(w - 1e-9)))), min(box, max(1, int(np.ceil(h - 1e-9))))
    return _placed(_pen_ink(paths, nh, nw, pen, edge, SUPERSAMPLE), size)
