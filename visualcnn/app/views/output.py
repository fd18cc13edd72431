"""The output panel: the probabilities as bars, with the true class and the prediction marked,
and dL/d(logits) = p - y."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import pyqtSignal

from visualcnn.app.views.colormaps import DIVERGING
from visualcnn.app.views.curves import cache_axes
from visualcnn.app.views.panel import Panel

NOT_COMPUTED = "not yet computed"
GRAD_TITLE = "dL/d(logits) = p - y"


class Charts(pg.GraphicsLayoutWidget):
    """A plot layout that says when it was resized."""

    resized = pyqtSignal()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.resized.emit()


class OutputPanel(Panel):
    """Bar charts: the probabilities with the true class and the prediction marked, and
    dL/d(logits) = p - y."""

    key, title = "output", "Output"
    help = ("Top: the probability the network gives each class; the true class is green, the\n"
            "prediction orange. Bottom: dL/d(logits) = p - y, what the backward pass starts\n"
            "from: negative (blue) for the true class, positive (red) for the others.")
    TRUE_BRUSH, PREDICTED_BRUSH, OTHER_BRUSH = (40, 160, 40), (230, 120, 20), (150, 150, 150)

    def __init__(self, classes: int):
        self.widget = Charts()
        self.widget.setBackground("w")
        self.widget.setToolTip(self.help)
        self.widget.resized.connect(self.fit_titles)
        self.x = np.arange(classes)
        self.prob_plot = self.widget.addPlot()
        self.prob_plot.setTitle("probabilities", size="10pt")
        self.widget.nextRow()
        self.grad_plot = self.widget.addPlot()
        self.grad_plot.setTitle(GRAD_TITLE, size="10pt")
        self.prob_bars = pg.BarGraphItem(x=self.x, height=np.zeros(classes), width=0.7)
        self.grad_bars = pg.BarGraphItem(x=self.x, height=np.zeros(classes), width=0.7)
        self.prob_plot.addItem(self.prob_bars)
        self.grad_plot.addItem(self.grad_bars)
        self.prob_plot.setYRange(0, 1.3, padding=0)  # room for the marks above a bar of 1
        self.grad_plot.setYRange(-1, 1, padding=0)
        ticks = [[(i, str(i)) for i in range(classes)]]
        for plot in (self.prob_plot, self.grad_plot):
            plot.setXRange(-0.6, classes - 0.4, padding=0)
            plot.getAxis("bottom").setTicks(ticks)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            cache_axes(plot)
        self.true_mark = pg.TextItem("true", color=self.TRUE_BRUSH, anchor=(0.5, 1))
        self.predicted_mark = pg.TextItem("pred", color=self.PREDICTED_BRUSH, anchor=(0.5, 1))
        self.prob_plot.addItem(self.true_mark)
        self.prob_plot.addItem(self.predicted_mark)
        negative, positive = DIVERGING.map([0.1, 0.9], mode="qcolor")
        self._sign_brushes = (pg.mkBrush(negative), pg.mkBrush(positive))
        self.probs = np.zeros(classes)
        self.grad = np.zeros(classes)
        # Shown by a phase walk that has not reached the loss yet.
        self.not_computed_notes = []
        for plot, y in ((self.prob_plot, 0.65), (self.grad_plot, 0.0)):
            note = pg.TextItem(NOT_COMPUTED, color=(60, 60, 60), anchor=(0.5, 0.5))
            note.setPos((classes - 1) / 2, y)
            note.hide()
            plot.addItem(note)
            self.not_computed_notes.append(note)

    def fit_titles(self) -> None:
        """The gradient chart's title on two lines when on one it would be wider than the
        panel (large text in a narrow dock), which would push the charts out of the dock."""
        label = self.grad_plot.titleLabel
        label.setText(GRAD_TITLE)  # keeps its size and colour
        if label.item.boundingRect().width() > 0.8 * self.widget.width():
            label.setText(GRAD_TITLE.replace(" = ", "<br>= "))

    def _mark_anchor(self, i: int) -> tuple[float, float]:
        """Centred over its bar, except at the ends, where the label would leave the plot."""
        if i < 2:
            return (0.0, 1.0)
        return (1.0, 1.0) if i > len(self.x) - 3 else (0.5, 1.0)

    def show_trace(self, trace, sample_index):
        self.probs = trace.probs
        self.grad = trace.layers[-1].dout[0]
        brushes = [self.OTHER_BRUSH] * len(self.x)
        brushes[trace.prediction] = self.PREDICTED_BRUSH
        brushes[trace.label] = self.TRUE_BRUSH
        self.prob_bars.setOpts(height=self.probs, brushes=brushes)
        self.grad_bars.setOpts(height=self.grad, brushes=[
            self._sign_brushes[int(g > 0)] for g in self.grad])
        top = lambda i: min(float(self.probs[i]), 1.0) if np.isfinite(self.probs[i]) else 0.0  # noqa: E731
        self.true_mark.setPos(trace.label, top(trace.label) + 0.02)
        self.true_mark.setAnchor(self._mark_anchor(trace.label))
        self.predicted_mark.setAnchor(self._mark_anchor(trace.prediction))
        if trace.prediction == trace.label:
            self.predicted_mark.hide()
            self.true_mark.setText("true = pred")
        else:
            self.true_mark.setText("true")
            self.predicted_mark.show()
            self.predicted_mark.setPos(trace.prediction, top(trace.prediction) + 0.02)

    def show_not_computed(self, on: bool) -> None:
        """Say "not yet computed" over both charts (a phase walk before the loss), or not."""
        for note in self.not_computed_notes:
            note.setVisible(on)
