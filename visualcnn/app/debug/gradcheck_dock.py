"""The Gradient check dock: backprop against centred finite differences, on the sample shown.

A plain widget: the tensor and how many of its entries to check, a summary line with the
verdict, a scatter of numeric against backprop values and the relative error per entry. The
controller runs the check (``Debugger.gradcheck``) and hands the report to ``show_report``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from visualcnn.app.debug.gradcheck_whole import WholeNetworkCheck, tensor_label, verdict_html
from visualcnn.common import i18n
from visualcnn.common.i18n import N_, ntr, tr
from visualcnn.nn.gradcheck import TOLERANCE

KINK_TIP = N_("Grey entries sit at a kink: nudging them by ±eps flipped a max-pool winner or "
              "a ReLU gate, so the loss has a corner there and a finite difference measures "
              "neither side's slope. They are shown but left out of the largest error (on "
              "MNIST, ties between all-zero pooling windows make many of them).")

LARGE = 1000  # entries above which a tensor is checked on a random sample by default


class GradcheckWidget(QWidget):
    """Choose a tensor and how many entries; shows analytic vs numeric and the errors."""

    def __init__(self):
        super().__init__()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        self.tabs = QTabWidget()
        outer.addWidget(self.tabs)
        one = QWidget()
        self.tabs.addTab(one, tr("One tensor"))
        # Every tensor at once, and any single entry by its index (gradcheck_whole.py).
        self.whole = WholeNetworkCheck()
        self.tabs.addTab(self.whole, tr("Whole network"))
        layout = QVBoxLayout(one)
        layout.setContentsMargins(0, 4, 0, 0)
        controls = QHBoxLayout()
        self.tensor = QComboBox()
        self.tensor.setToolTip(tr("The parameter tensor (or the input) whose gradient is "
                                  "checked"))
        self.mode = QComboBox()
        self.mode.addItem(tr("all entries"), "all")
        self.mode.addItem(tr("random sample of"), "sample")
        self.count = QSpinBox(minimum=1, maximum=100000, value=200)
        self.count.setToolTip(tr("How many entries a random sample checks"))
        self.run = QPushButton(tr("Check"))
        for w in (QLabel(tr("tensor")), self.tensor, self.mode, self.count, self.run):
            controls.addWidget(w)
        controls.addStretch(1)
        layout.addLayout(controls)
        self.summary = QLabel(tr("Choose a tensor and press Check (Ctrl+G): backprop against "
                                 "centred finite differences on the sample shown."))
        self.summary.setWordWrap(True)
        self.summary.setToolTip(i18n.lookup(KINK_TIP))
        layout.addWidget(self.summary)
        # Kept on self: pyqtgraph's items live in the Python object, which must outlive
        # every paint of its view.
        self.plots = plots = pg.GraphicsLayoutWidget()
        plots.setBackground("w")
        plots.setToolTip(i18n.lookup(KINK_TIP))
        self.scatter_plot = plots.addPlot()
        self.scatter_plot.setTitle(tr("numeric vs backprop, per entry"), size="8pt")
        self.scatter_plot.setLabel("bottom", tr("backprop"))
        self.scatter_plot.setLabel("left", tr("finite difference"))
        self.diagonal = self.scatter_plot.plot(pen=pg.mkPen((120, 120, 120), width=1,
                                                            style=Qt.PenStyle.DashLine))
        self.scatter = pg.ScatterPlotItem(size=5)
        self.scatter_plot.addItem(self.scatter)
        plots.nextRow()  # stacked: the dock is a narrow column
        self.error_plot = plots.addPlot()
        self.error_plot.setTitle(tr("relative error per entry (log)"), size="8pt")
        self.error_plot.setLabel("bottom", tr("entry"))
        self.error_plot.setLogMode(y=True)
        self.errors = pg.ScatterPlotItem(size=5)
        self.error_plot.addItem(self.errors)
        self.threshold = pg.InfiniteLine(pos=np.log10(TOLERANCE), angle=0,
                                         pen=pg.mkPen((200, 0, 0), width=1),
                                         label="1e-6", labelOpts={"color": (200, 0, 0)})
        self.error_plot.addItem(self.threshold)
        layout.addWidget(plots, 1)
        self.report = None
        self._sizes: dict[str, int] = {}
        self.mode.currentIndexChanged.connect(
            lambda _: self.count.setEnabled(self.mode.currentData() == "sample"))
        self.count.setEnabled(False)
        self.tensor.currentIndexChanged.connect(self._on_tensor)

    def _on_tensor(self, _index: int) -> None:
        """Large tensors default to a random sample: two forward passes per entry add up."""
        size = self._sizes.get(self.tensor.currentData(), 0)
        self.mode.setCurrentIndex(self.mode.findData("sample" if size > LARGE else "all"))

    def set_tensors(self, names: list[str], sizes: dict[str, int]) -> None:
        self._sizes = dict(sizes)
        current = self.tensor.currentData()
        self.tensor.clear()
        for n in names:
            self.tensor.addItem(tensor_label(n), n)
            self.tensor.setItemData(self.tensor.count() - 1,
                                    ntr("{n} entry", "{n} entries", sizes[n]),
                                    Qt.ItemDataRole.ToolTipRole)
        if current in names:
            self.tensor.setCurrentIndex(names.index(current))
        self.whole.refresh_network()

    def max_entries(self) -> int | None:
        return self.count.value() if self.mode.currentData() == "sample" else None

    def show_report(self, report, sample: str, step: int) -> None:
        self.tabs.setCurrentWidget(self.tabs.widget(0))
        self.report = report
        t = report.tensors[0]
        kinks = int(t.at_kink.sum())
        smooth = ~t.at_kink
        worst = ""
        if smooth.any():
            k = int(np.argmax(np.where(smooth, t.rel_error, -1.0)))
            worst = tr(" at {index} (backprop {backprop:.6g}, numeric {numeric:.6g})",
                       index=t.unravel(int(t.index[k])), backprop=t.analytic[k],
                       numeric=t.numeric[k])
        self.summary.setText(tr(
            "<b>{tensor}</b> on {sample} at step {step}: {entries} entries checked; largest "
            "relative error <b>{error:.2e}</b>{worst} — {verdict} against {tolerance:g}."
            "<br>{kinks} at a kink: skipped (grey; hover for why).", tensor=tensor_label(t.name),
            sample=sample, step=step, entries=len(t.index), error=report.max_error,
            worst=worst, verdict=verdict_html(report.passed), tolerance=report.tolerance,
            kinks=kinks))
        brushes = [pg.mkBrush(170, 170, 170) if k else
                   pg.mkBrush(30, 120, 30) if e <= report.tolerance else pg.mkBrush(200, 0, 0)
                   for k, e in zip(t.at_kink, t.rel_error, strict=True)]
        self.scatter.setData(t.analytic, t.numeric, brush=brushes, pen=None)
        lo = float(min(t.analytic.min(initial=0), t.numeric.min(initial=0)))
        hi = float(max(t.analytic.max(initial=0), t.numeric.max(initial=0)))
        self.diagonal.setData([lo, hi], [lo, hi])
        floor = np.maximum(t.rel_error, 1e-18)  # a log axis has no zero
        self.errors.setData(np.arange(len(floor)), np.log10(floor), brush=brushes, pen=None)
