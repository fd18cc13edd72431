"""The curves panel: loss, accuracy, gradient norm and update/weight ratio per layer over the
steps, drawn from the session's history.

However long the run, each curve gets at most two points per pixel column of its plot (see
``curve_drawing``): the history hands over the range shown (the whole run or the last N
steps) brought down to the plot's width, so a refresh costs the same at step 100 as at step
1,000,000. The loss of each step is drawn as its min-max band, the moving averages over the
chosen number of steps as lines, and each plot's legend sits in a row above it.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtWidgets import QComboBox, QGraphicsItem, QLabel, QVBoxLayout, QWidget

from visualcnn.app.views.board import RepaintWithWindow
from visualcnn.app.views.colormaps import SEQUENTIAL
from visualcnn.app.views.curve_drawing import (
    LegendRow,
    LogAxis,
    StepAxis,
    envelope,
    moving_average,
    pixel_columns,
    positive,
)
from visualcnn.app.views.panel import Panel
from visualcnn.common.i18n import N_, lookup, tr

# Curves redraw at most this often while running (always at a pause): a refresh costs a
# repaint or two of the whole strip, 15 ms or more each.
CURVE_REFRESH_S = 1.0
QWIDGETSIZE_MAX = 16_777_215  # Qt's "no maximum"
EMPTY_LOG_DECADES = (-4, 0)  # a log axis with no data yet shows 1e-4 to 1
RANGES = {N_("whole run"): None, N_("last 1,000"): 1_000, N_("last 10,000"): 10_000}
SMOOTHING = {N_("10 steps"): 10, N_("100 steps"): 100, N_("1,000 steps"): 1_000,
             N_("10,000 steps"): 10_000}
DEFAULT_SMOOTHING = "100 steps"
TEST_SYMBOLS_UP_TO = 60  # more test points than this are drawn as a line without dots
# The loss axis holds the moving average and this share of the pixel columns' highest
# losses: a few early spikes (a loss of 15 at step 3) would otherwise flatten the rest.
LOSS_AXIS_HOLDS = 0.95


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.5, 2, 3, 4, 5, 6 or 8 times a power of ten) that is at
    least ``value`` (> 0): fine enough steps that a curve fills most of its plot."""
    if not (value > 0 and math.isfinite(value)):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 1.5, 2, 3, 4, 5, 6, 8, 10)
                if m * power >= value * (1 - 1e-12))


def set_range(plot: pg.PlotItem, axis: int, low: float, high: float, padding: float) -> None:
    """Show ``low`` to ``high`` (padded) along ``axis`` (0: x, 1: y) of ``plot``, unless it is
    shown already. pyqtgraph sets a range it already has all the same, and tells every
    listener: 4 of the 7 ranges of a curves refresh, most of the time, for about 1 ms."""
    view = plot.getViewBox()
    margin = (high - low) * padding  # as pyqtgraph pads, so that an equal range compares equal
    if view.state["autoRange"][axis] is False and \
            view.state["targetRange"][axis] == [low - margin, high + margin]:
        return
    if axis == 0:
        plot.setXRange(low, high, padding=padding)
    else:
        plot.setYRange(low, high, padding=padding)


def cache_axes(plot: pg.PlotItem) -> None:
    """Keep each axis of ``plot`` as a pixmap between changes of its range.

    pyqtgraph replays an axis's recorded drawing, tick labels and all, on every repaint of
    its view: measured here, 19 ms to repaint the four curve plots, 6 ms with cached axes.
    """
    for name in ("left", "bottom", "right", "top"):
        plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


class CurvesView(pg.GraphicsLayoutWidget):
    """The plots, with a column of controls (``controls``) at their left, outside the
    scene: the view's viewport starts where the controls end."""

    def __init__(self):
        super().__init__()
        self.controls = QWidget(self)
        self.controls.setObjectName("curves_controls")

    def fit_controls(self) -> None:
        if not hasattr(self, "controls"):  # pyqtgraph resizes while being made
            return
        width = self.controls.sizeHint().width()
        self.setViewportMargins(width, 0, 0, 0)
        self.controls.setGeometry(0, 0, width, self.height())

    def resizeEvent(self, event):
        # pyqtgraph sizes the scene to the whole widget; here it is the viewport's size.
        self.fit_controls()
        if self.closed:
            return
        viewport = self.viewport().size()
        self.range = QRectF(0, 0, viewport.width(), viewport.height())
        pg.GraphicsView.setRange(self, self.range, padding=0, disableAutoPixel=False)
        self.updateMatrix()


# ---------------------------------------------------------------------------- curves
class CurvesPanel(Panel):
    """Loss, accuracy, gradient norm and update/weight ratio per layer over the steps."""

    key = "curves"

    def __init__(self, layer_names: list[str]):
        self.title = tr("Curves")  # made here, once the window's language is chosen
        self.help = tr(
            "Loss at each step (grey: its range over the steps each pixel covers) and its\n"
            "moving average; training accuracy (moving) and test accuracy; per layer, the\n"
            "size of the gradient (dL/dW and dL/db together) and of the update against the\n"
            "weights' size (W and b), on log axes: a ratio near 1e-3 is a healthy learning\n"
            "rate. Show: the whole run or the last steps; Smoothing: the moving averages'\n"
            "length. Click a legend entry to hide or show its curve.")
        self.widget = CurvesView()
        RepaintWithWindow(self.widget)  # a refresh is one paint, with the panels' frame
        self.widget.setBackground("w")
        self.widget.setToolTip(self.help)
        self.widget.ci.setContentsMargins(2, 2, 2, 2)
        self.widget.ci.layout.setVerticalSpacing(0)
        self._history = None
        self._tests_shown = None  # (steps, accuracy, symbol) of the test points drawn
        self.range_box = self._control(tr("Show"), RANGES, "whole run", "curves_range")
        self.smoothing_box = self._control(tr("Smoothing"), SMOOTHING, DEFAULT_SMOOTHING,
                                           "curves_smoothing")
        self.widget.controls.layout().addStretch(1)
        layers = len(layer_names)
        self.loss_plot = self._plot(0, tr("loss"), 2)
        self.accuracy_plot = self._plot(1, tr("accuracy"), 2)
        self.grad_plot = self._plot(2, tr("gradient norm |(dL/dW, dL/db)|"), layers, log=True)
        self.ratio_plot = self._plot(3, tr("|update| / |weights|"), layers, log=True)
        self.accuracy_plot.setYRange(0, 1, padding=0.02)
        self.loss_step = self._curve(self.loss_plot, tr("each step"), (195, 195, 195))
        self.loss_avg = self._curve(self.loss_plot, tr("average"), (200, 30, 30), width=2)
        self.train_accuracy = self._curve(self.accuracy_plot, tr("train"), (30, 90, 200),
                                          width=2)
        self.test_accuracy = self._curve(self.accuracy_plot, tr("test"), (20, 150, 20), width=2,
                                         symbol=True)
        colours = [SEQUENTIAL.map(0.15 + 0.7 * i / max(1, len(layer_names) - 1), mode="qcolor")
                   for i in range(len(layer_names))]
        pairs = list(zip(layer_names, colours, strict=True))
        self.grad_norm = [self._curve(self.grad_plot, n, c) for n, c in pairs]
        self.update_ratio = [self._curve(self.ratio_plot, n, c) for n, c in pairs]
        self.widget.fit_controls()

    def _control(self, label: str, choices: dict, default: str, name: str) -> QComboBox:
        controls = self.widget.controls
        if controls.layout() is None:
            layout = QVBoxLayout(controls)
            layout.setContentsMargins(4, 4, 4, 4)
            layout.setSpacing(2)
        box = QComboBox(controls)
        box.setObjectName(name)
        for choice in choices:  # shown in the window's language, kept by its English name
            box.addItem(lookup(choice), choice)
        box.setCurrentIndex(box.findData(default))
        box.currentIndexChanged.connect(self._redraw)
        controls.layout().addWidget(QLabel(label, controls))
        controls.layout().addWidget(box)
        return box

    def _plot(self, column: int, title: str, entries: int, log: bool = False):
        """A plot in ``column``: its title, then its legend, then the plot, one above the
        other, each as tall as its text, so that no legend covers the data."""
        layout = self.widget.ci
        axes = {"bottom": StepAxis("bottom")} | ({"left": LogAxis("left")} if log else {})
        plot = pg.PlotItem(axisItems=axes)
        plot.setTitle(title, size="10pt")
        # The title moves out of the plot (where pyqtgraph gives it 30 pixels whatever its
        # size) to the row above the legend: as tall as its text, in presenter mode too.
        plot.layout.removeItem(plot.titleLabel)
        plot.layout.setRowFixedHeight(0, 0)
        plot.titleLabel.setMaximumHeight(QWIDGETSIZE_MAX)
        layout.addItem(plot.titleLabel, row=0, col=column)
        legend = LegendRow(entries)
        layout.addItem(legend, row=1, col=column)
        layout.layout.setAlignment(legend, Qt.AlignmentFlag.AlignHCenter)
        layout.addItem(plot, row=2, col=column)
        plot.legend = legend  # before the curves, which join it by name
        cache_axes(plot)
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
        # Not clipped to the view: show_history gives only the steps shown, a point per
        # pixel column, and clipping made pyqtgraph work every curve out again each time the
        # steps axis moved on (at every refresh early in a Run), after its setData.
        return curve

    # ------------------------------------------------------------------------- drawing
    @property
    def shown_steps(self) -> int | None:
        """How many of the last steps are shown; None for the whole run."""
        return RANGES[self.range_box.currentData()]

    @property
    def smoothing(self) -> int:
        """The moving averages' length in steps."""
        return SMOOTHING[self.smoothing_box.currentData()]

    def _redraw(self, *_signal_args) -> None:
        if self._history is not None:
            self.show_history(self._history)

    def show_history(self, history) -> None:
        self._history = history
        last = history.last_step
        if last is None:
            for curve in (self.loss_step, self.loss_avg, self.train_accuracy,
                          self.test_accuracy, *self.grad_norm, *self.update_ratio):
                curve.setData([], [])
            self._tests_shown = None
            self._fit_ranges(0.0, 10.0, 0.0, None, None)
            return
        x_low, x_high = self._x_range(last)
        first = max(history.first_step, math.floor(x_low))
        columns = pixel_columns(self.loss_plot)
        loss = self._series(history, "loss", first, last, columns)
        single = bool(np.all(loss[0].count == 1))
        self.loss_step.setData(*envelope(loss[0].steps, loss[0].low, loss[0].high, single),
                               connect="finite")
        self.loss_avg.setData(loss[0].steps, loss[1])
        correct = self._series(history, "correct", first, last, columns)
        self.train_accuracy.setData(correct[0].steps, correct[1])
        tests = history.test_steps
        shown = tests >= first
        self._show_tests(tests[shown], history.test_accuracy[shown])
        bounds = []
        for name, curves in (("grad_norm", self.grad_norm), ("update_ratio", self.update_ratio)):
            points, smooth = self._series(history, name, first, last, columns)
            for j, curve in enumerate(curves):
                curve.setData(points.steps, positive(smooth[:, j]), connect="finite")
            bounds.append((positive(points.low), positive(points.high)))
        highs = loss[0].high[np.isfinite(loss[0].high)]
        average = loss[1][np.isfinite(loss[1])]
        loss_top = max(float(np.quantile(highs, LOSS_AXIS_HOLDS)) if highs.size else 0.0,
                       float(average.max()) if average.size else 0.0)
        self._fit_ranges(x_low, x_high, loss_top, *bounds)
        self._settle()

    def _settle(self) -> None:
        """Bring the plots up to date now, as pyqtgraph does just before it paints: new ranges
        re-clip the curves to the view, which left to the paint changed the scene again and
        had the strip painted a second (and third) time, in the frames after this one."""
        self.widget.scene().prepareForPaint()

    def _show_tests(self, steps: np.ndarray, accuracy: np.ndarray) -> None:
        """The test points, when they are not those shown already: a test evaluation comes
        every few hundred steps, a refresh every second, and pyqtgraph builds every dot again
        at each ``setData``."""
        symbol = "o" if len(steps) <= TEST_SYMBOLS_UP_TO else None
        last = self._tests_shown
        if (last is not None and last[2] == symbol and np.array_equal(last[0], steps)
                and np.array_equal(last[1], accuracy, equal_nan=True)):
            return
        self.test_accuracy.setData(steps, accuracy, symbol=symbol)
        self._tests_shown = (steps.copy(), accuracy.copy(), symbol)

    def _x_range(self, last: int) -> tuple[float, float]:
        """The steps the plots show, rounded out so that the axes change only now and then."""
        n = self.shown_steps
        if n is None:
            return 0.0, nice_ceiling(max(float(last), 10.0))
        tick = n / 10
        high = math.ceil(max(last, n) / tick) * tick
        return high - n, high

    def _series(self, history, name, first, last, columns):
        """The series ``name`` over ``first`` to ``last`` at ``columns`` points and its
        moving average; the average starts some lengths of it before ``first``, so that its
        first points are already an average."""
        window = self.smoothing
        lead = max(history.first_step, first - 3 * window)
        span = max(last - first + 1, 1)
        points = history.series(name, lead, last, columns * (last - lead + 1) // span)
        smooth = moving_average(points.mean, points.count, window)
        keep = points.steps >= first
        return points._replace(**{f: getattr(points, f)[keep] for f in points._fields}), \
            smooth[keep]

    def _fit_ranges(self, x_low, x_high, loss_top, grad_norm, update_ratio) -> None:
        """Set every range in one go, rounded out to round numbers.

        Left to auto-range, each plot settles in several deferred passes, each one a repaint
        of the whole strip (about 20 ms); rounded ranges also change, and so re-render the
        axes, only now and then rather than on every refresh.
        """
        for plot in (self.loss_plot, self.accuracy_plot, self.grad_plot, self.ratio_plot):
            set_range(plot, 0, x_low, x_high, 0.01)
        set_range(self.loss_plot, 1, 0, nice_ceiling(loss_top) if loss_top > 0 else 1.0, 0.02)
        for plot, bounds in ((self.grad_plot, grad_norm), (self.ratio_plot, update_ratio)):
            low, high = (None, None) if bounds is None else bounds
            if low is not None and np.isfinite(low).any():
                # whole decades: log10 of the data, as the log-mode view expects
                low, high = (float(np.floor(np.log10(np.nanmin(low)))),
                             float(np.ceil(np.log10(np.nanmax(high)))))
            else:
                # Nothing yet: a few whole decades, labelled at each power of ten. Left at
                # its default of 0 to 1 (1 to 10), the axis labels every integer and the
                # labels run into each other.
                low, high = EMPTY_LOG_DECADES
            set_range(plot, 1, low, max(high, low + 1), 0.02)

    def show_trace(self, trace, sample_index):
        """The curves draw from the session's history, not from one trace."""
