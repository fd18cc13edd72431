"""What a curve hands pyqtgraph: a history series brought down to the plot's pixel columns,
its min-max envelope as one line, and its moving average over a chosen number of steps."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QFontMetricsF

MIN_COLUMNS = 50  # points of a plot that is not laid out yet (no width)


def pixel_columns(plot: pg.PlotItem) -> int:
    """How many pixel columns the data area of ``plot`` covers: the most points worth
    drawing across it."""
    return max(MIN_COLUMNS, int(math.ceil(plot.vb.width())))


def envelope(steps: np.ndarray, low: np.ndarray, high: np.ndarray, single: bool):
    """x and y of one line that draws every point's range: up to its low, then its high, then
    on to the next point (two points per pixel column); the values as they are when
    ``single`` (every point one step)."""
    if single:
        return steps, low
    return np.repeat(steps, 2), np.column_stack([low, high]).ravel()


def moving_average(mean: np.ndarray, count: np.ndarray, window: int) -> np.ndarray:
    """An exponential moving average over about ``window`` steps of points that each stand
    for ``count`` steps at their ``mean`` (one column or several): as ``History``'s, its
    weights sum to one from the first point on. Points with no value (NaN) leave it as it
    was. A loop over at most a few thousand points (one per pixel column)."""
    decay = 1.0 - 1.0 / window
    values = mean[:, None] if mean.ndim == 1 else mean
    out = np.full(values.shape, np.nan)
    # A point of c equal steps adds its value with weight 1 + d + ... + d^(c-1).
    keep = decay ** count.astype(np.float64)
    add = (1.0 - keep) / (1.0 - decay) if decay > 0 else np.ones(len(count))
    for j in range(values.shape[1]):
        total = weight = 0.0
        column = out[:, j]
        for k, (x, a, b) in enumerate(zip(values[:, j].tolist(), keep.tolist(), add.tolist(),
                                          strict=True)):
            if x == x:  # not NaN
                total, weight = total * a + x * b, weight * a + b
            if weight:
                column[k] = total / weight
    return out[:, 0] if mean.ndim == 1 else out


def positive(values: np.ndarray) -> np.ndarray:
    """Values a log axis can show: zeros and below (no gradient yet) become NaN, a gap."""
    with np.errstate(invalid="ignore"):
        return np.where(values > 0, values, np.nan)


class LegendRow(pg.LegendItem):
    """A plot's legend as a row of its own above the plot, laid out by the plot's layout
    rather than drawn over the data. It is still the plot's ``legend`` (curves named when
    added join it, and the theme sizes its text)."""

    def __init__(self, entries: int):
        super().__init__(offset=None, colCount=max(1, entries), frame=False,
                         labelTextSize="9pt", horSpacing=4)
        self.layout.setContentsMargins(0, 0, 0, 0)

    def updateSize(self):
        # pyqtgraph's places the legend at (0, 0) of its parent; here the layout places it,
        # at its own width (its entries side by side, not spread over the plot's width).
        self.setMaximumWidth(self.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize).width())
        self.updateGeometry()


def step_label(value: float) -> str:
    """A step number short enough that the ticks of a long run do not run into each other:
    950, 9500, 95k, 149.2k, 1.5M."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:.4g}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:.4g}k"
    return f"{value:.0f}"


class StepAxis(pg.AxisItem):
    """The steps axis, labelled with ``step_label``, with fewer ticks than pyqtgraph's
    default: a label like 149.6k needs room."""

    def __init__(self, orientation="bottom", **kwargs):
        super().__init__(orientation, **kwargs)
        self.setTickDensity(0.6)

    def tickStrings(self, values, scale, spacing):
        return [step_label(v * scale) for v in values]


class LogAxis(pg.AxisItem):
    """A log axis that labels every decade when there is room for it, and every second,
    fourth... decade when the plot is short (a short dock, a big presenter font), so that
    its labels never run into each other."""

    def tickSpacing(self, minVal, maxVal, size):
        if not self.logMode:
            return super().tickSpacing(minVal, maxVal, size)
        font = self.style.get("tickFont") or self.font()
        line = QFontMetricsF(font).height()
        per_decade = size / max(maxVal - minVal, 1e-9)
        step = 1.0
        while per_decade * step < 1.1 * line and step < 64:
            step *= 2
        return [(step, 0.0)]
