"""The curves panel: loss, accuracy, gradient norm and update/weight ratio per layer over the
steps, drawn from the session's history."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QGraphicsItem

from visualcnn.app.views.colormaps import SEQUENTIAL
from visualcnn.app.views.panel import Panel

# Curves redraw at most this often while running (always at a pause): a refresh costs a
# repaint or two of the whole strip, 15 ms or more each.
CURVE_REFRESH_S = 1.0
EMPTY_LOG_DECADES = (-4, 0)  # a log axis with no data yet shows 1e-4 to 1


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.5, 2, 3, 4, 5, 6 or 8 times a power of ten) that is at
    least ``value`` (> 0): fine enough steps that a curve fills most of its plot."""
    if not (value > 0 and math.isfinite(value)):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 1.5, 2, 3, 4, 5, 6, 8, 10)
                if m * power >= value * (1 - 1e-12))


def cache_axes(plot: pg.PlotItem) -> None:
    """Keep each axis of ``plot`` as a pixmap between changes of its range.

    pyqtgraph replays an axis's recorded drawing, tick labels and all, on every repaint of
    its view: measured here, 19 ms to repaint the four curve plots, 6 ms with cached axes.
    """
    for name in ("left", "bottom", "right", "top"):
        plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


# ---------------------------------------------------------------------------- curves
class CurvesPanel(Panel):
    """Loss, accuracy, gradient norm and update/weight ratio per layer over the steps."""

    key, title = "curves", "Curves"
    help = ("Loss at each step and its moving average; training accuracy (moving) and test\n"
            "accuracy; per layer, the size of dL/dW and of the update against the weights'\n"
            "size, on log axes: a ratio near 1e-3 is a healthy learning rate.")

    def __init__(self, layer_names: list[str]):
        self.widget = pg.GraphicsLayoutWidget()
        self.widget.setBackground("w")
        self.widget.setToolTip(self.help)
        self.loss_plot = self._plot("loss", "step")
        self.accuracy_plot = self._plot("accuracy", "step")
        self.grad_plot = self._plot("gradient norm |dL/dW|", "step", log=True)
        self.ratio_plot = self._plot("|update| / |weights|", "step", log=True)
        self.accuracy_plot.setYRange(0, 1, padding=0.02)
        self.loss_step = self._curve(self.loss_plot, "each step", (170, 170, 170))
        self.loss_avg = self._curve(self.loss_plot, "moving average", (200, 30, 30), width=2)
        self.train_accuracy = self._curve(self.accuracy_plot, "train (moving)", (30, 90, 200),
                                          width=2)
        self.test_accuracy = self._curve(self.accuracy_plot, "test split", (20, 150, 20),
                                         width=2, symbol=True)
        colours = [SEQUENTIAL.map(0.15 + 0.7 * i / max(1, len(layer_names) - 1), mode="qcolor")
                   for i in range(len(layer_names))]
        pairs = list(zip(layer_names, colours, strict=True))
        self.grad_norm = [self._curve(self.grad_plot, n, c) for n, c in pairs]
        self.update_ratio = [self._curve(self.ratio_plot, n, c) for n, c in pairs]

    def _plot(self, title: str, x_label: str, log: bool = False):
        plot = self.widget.addPlot()
        cache_axes(plot)
        plot.setTitle(title, size="10pt")
        plot.addLegend(offset=(-5, 5), labelTextSize="9pt", verSpacing=-6)
        plot.showGrid(x=True, y=True, alpha=0.25)
        if log:
            plot.setLogMode(y=True)
        plot.disableAutoRange()  # show_history sets the ranges (see _fit_ranges)
        return plot

    @staticmethod
    def _curve(plot, name, colour, width=1, symbol=False):
        curve = plot.plot(name=name, pen=pg.mkPen(colour, width=width),
                          symbol="o" if symbol else None, symbolSize=5,
                          symbolBrush=colour if symbol else None)
        curve.setClipToView(True)
        curve.setDownsampling(auto=True, method="peak")
        return curve

    def show_history(self, history) -> None:
        steps = history.steps
        self.loss_step.setData(steps, history.loss)
        self.loss_avg.setData(steps, history.loss_avg)
        self.train_accuracy.setData(steps, history.accuracy_avg)
        self.test_accuracy.setData(history.test_steps, history.test_accuracy)
        # Log axes cannot show zero (no gradient yet): such points are left out (NaN).
        logs = []
        for curves, values in ((self.grad_norm, history.grad_norm),
                               (self.update_ratio, history.update_ratio)):
            positive = np.where(values > 0, values, np.nan)
            for j, curve in enumerate(curves):
                curve.setData(steps, positive[:, j], connect="finite")
            logs.append(positive)
        self._fit_ranges(steps, history.loss, *logs)

    def _fit_ranges(self, steps, loss, grad_norm, update_ratio) -> None:
        """Set every range in one go, rounded out to round numbers.

        Left to auto-range, each plot settles in several deferred passes, each one a repaint
        of the whole strip (about 20 ms); rounded ranges also change, and so re-render the
        axes, only now and then rather than on every refresh.
        """
        x_max = nice_ceiling(max(float(steps[-1]) if len(steps) else 0.0, 10.0))
        for plot in (self.loss_plot, self.accuracy_plot, self.grad_plot, self.ratio_plot):
            plot.setXRange(0, x_max, padding=0.01)
        finite = loss[np.isfinite(loss)]
        self.loss_plot.setYRange(0, nice_ceiling(float(finite.max()) if finite.size else 1.0),
                                 padding=0.02)
        for plot, values in ((self.grad_plot, grad_norm), (self.ratio_plot, update_ratio)):
            finite = values[np.isfinite(values)]
            if finite.size:  # whole decades: log10 of the data, as the log-mode view expects
                low, high = np.floor(np.log10(finite.min())), np.ceil(np.log10(finite.max()))
            else:
                # Nothing yet: a few whole decades, labelled at each power of ten. Left at
                # its default of 0 to 1 (1 to 10), the axis labels every integer and the
                # labels run into each other.
                low, high = EMPTY_LOG_DECADES
            plot.setYRange(low, max(high, low + 1), padding=0.02)

    def show_trace(self, trace, sample_index):
        """The curves draw from the session's history, not from one trace."""


