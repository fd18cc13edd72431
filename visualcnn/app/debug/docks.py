"""The debugger's docks besides the inspector: breakpoints, gradient check, the update.

Each is a plain widget with the controls and the numbers; ``debugger_view`` puts them in
docks and connects them to the window.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from visualcnn.app.views.board import format_number
from visualcnn.app.views.mosaic import Mosaic
from visualcnn.app.views.panel import BoardPanel, TextBlock
from visualcnn.app.views.tiling import template_shape_before, weight_tiling
from visualcnn.nn.gradcheck import TOLERANCE
from visualcnn.training.breakpoints import Breakpoints


# ----------------------------------------------------------------------- breakpoints
class BreakpointsWidget(QWidget):
    """Tick the conditions that pause Run. ``changed(Breakpoints)`` on every edit."""

    changed = pyqtSignal(object)

    def __init__(self, layer_names: list[str]):
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 6, 6, 6)
        row = 0

        def add(box, *widgets):
            nonlocal row
            grid.addWidget(box, row, 0)
            for col, w in enumerate(widgets, start=1):
                grid.addWidget(w, row, col)
            row += 1
            box.toggled.connect(self._emit)
            for w in widgets:
                w.valueChanged.connect(self._emit)

        self.wrong = QCheckBox("prediction is wrong")
        self.wrong.toggled.connect(self._emit)
        grid.addWidget(self.wrong, row, 0, 1, 2)
        row += 1
        self.loss_on = QCheckBox("loss above")
        self.loss_value = QDoubleSpinBox(decimals=3, minimum=0.0, maximum=1e3, value=2.3,
                                         singleStep=0.1)
        add(self.loss_on, self.loss_value)
        self.label_on = QCheckBox("label is")
        self.label_value = QSpinBox(minimum=0, maximum=9, value=0)
        add(self.label_on, self.label_value)
        self.step_on = QCheckBox("step reaches")
        self.step_value = QSpinBox(minimum=1, maximum=10**9, value=100)
        add(self.step_on, self.step_value)
        self.norm_above: dict[str, tuple[QCheckBox, QDoubleSpinBox]] = {}
        self.norm_below: dict[str, tuple[QCheckBox, QDoubleSpinBox]] = {}
        for name in layer_names:
            for table, word, value in ((self.norm_above, "above", 10.0),
                                       (self.norm_below, "below", 1e-4)):
                box = QCheckBox(f"{name} |dL/dW| {word}")
                spin = QDoubleSpinBox(decimals=6, minimum=0.0, maximum=1e9, value=value)
                add(box, spin)
                table[name] = (box, spin)
        note = QLabel("A non-finite loss, gradient or weight always pauses.")
        note.setWordWrap(True)
        grid.addWidget(note, row, 0, 1, 2)
        self.fired = QLabel("")
        self.fired.setWordWrap(True)
        self.fired.setStyleSheet("color: #b71c1c; font-weight: bold;")
        grid.addWidget(self.fired, row + 1, 0, 1, 2)
        grid.setRowStretch(row + 2, 1)

    def breakpoints(self) -> Breakpoints:
        return Breakpoints(
            wrong_prediction=self.wrong.isChecked(),
            loss_above=self.loss_value.value() if self.loss_on.isChecked() else None,
            label_is=self.label_value.value() if self.label_on.isChecked() else None,
            grad_norm_above={n: s.value() for n, (b, s) in self.norm_above.items()
                             if b.isChecked()},
            grad_norm_below={n: s.value() for n, (b, s) in self.norm_below.items()
                             if b.isChecked()},
            at_step=self.step_value.value() if self.step_on.isChecked() else None)

    def _emit(self, *_):
        self.changed.emit(self.breakpoints())


# -------------------------------------------------------------------- gradient check
KINK_TIP = ("Grey entries sit at a kink: nudging them by ±eps flipped a max-pool winner or a "
            "ReLU gate, so the loss has a corner there and a finite difference measures neither "
            "side's slope. They are shown but left out of the largest error (on MNIST, ties "
            "between all-zero pooling windows make many of them).")


LARGE = 1000  # entries above which a tensor is checked on a random sample by default


class GradcheckWidget(QWidget):
    """Choose a tensor and how many entries; shows analytic vs numeric and the errors."""

    def __init__(self):
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        controls = QHBoxLayout()
        self.tensor = QComboBox()
        self.tensor.setToolTip("The parameter tensor (or the input) whose gradient is checked")
        self.mode = QComboBox()
        self.mode.addItem("all entries", "all")
        self.mode.addItem("random sample of", "sample")
        self.count = QSpinBox(minimum=1, maximum=100000, value=200)
        self.count.setToolTip("How many entries a random sample checks")
        self.run = QPushButton("Check")
        for w in (QLabel("tensor"), self.tensor, self.mode, self.count, self.run):
            controls.addWidget(w)
        controls.addStretch(1)
        layout.addLayout(controls)
        self.summary = QLabel("Choose a tensor and press Check (Ctrl+G): backprop against "
                              "centred finite differences on the sample shown.")
        self.summary.setWordWrap(True)
        self.summary.setToolTip(KINK_TIP)
        layout.addWidget(self.summary)
        # Kept on self: pyqtgraph's items live in the Python object, which must outlive
        # every paint of its view.
        self.plots = plots = pg.GraphicsLayoutWidget()
        plots.setBackground("w")
        plots.setToolTip(KINK_TIP)
        self.scatter_plot = plots.addPlot()
        self.scatter_plot.setTitle("numeric vs backprop, per entry", size="8pt")
        self.scatter_plot.setLabel("bottom", "backprop")
        self.scatter_plot.setLabel("left", "finite difference")
        self.diagonal = self.scatter_plot.plot(pen=pg.mkPen((120, 120, 120), width=1,
                                                            style=Qt.PenStyle.DashLine))
        self.scatter = pg.ScatterPlotItem(size=5)
        self.scatter_plot.addItem(self.scatter)
        plots.nextRow()  # stacked: the dock is a narrow column
        self.error_plot = plots.addPlot()
        self.error_plot.setTitle("relative error per entry (log)", size="8pt")
        self.error_plot.setLabel("bottom", "entry")
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
        current = self.tensor.currentText()
        self.tensor.clear()
        for n in names:
            self.tensor.addItem(f"{n}", n)
            self.tensor.setItemData(self.tensor.count() - 1, f"{sizes[n]} entries",
                                    Qt.ItemDataRole.ToolTipRole)
        if current in names:
            self.tensor.setCurrentIndex(names.index(current))

    def max_entries(self) -> int | None:
        return self.count.value() if self.mode.currentData() == "sample" else None

    def show_report(self, report, sample: str, step: int) -> None:
        self.report = report
        t = report.tensors[0]
        kinks = int(t.at_kink.sum())
        smooth = ~t.at_kink
        verdict = "PASS" if report.passed else "FAIL"
        colour = "#1b5e20" if report.passed else "#b71c1c"
        worst = ""
        if smooth.any():
            k = int(np.argmax(np.where(smooth, t.rel_error, -1.0)))
            worst = (f" at entry {int(t.index[k])} (backprop {t.analytic[k]:.6g}, "
                     f"numeric {t.numeric[k]:.6g})")
        self.summary.setText(
            f"<b>{t.name}</b> on {sample} at step {step}: {len(t.index)} entries checked"
            f"; largest relative error <b>{report.max_error:.2e}</b>{worst} — "
            f"<b style='color:{colour}'>{verdict}</b> against {report.tolerance:g}."
            f"<br>{kinks} at a kink: skipped (grey; hover for why).")
        brushes = [pg.mkBrush(170, 170, 170) if k else
                   pg.mkBrush(30, 120, 30) if e <= report.tolerance else pg.mkBrush(200, 0, 0)
                   for k, e in zip(t.at_kink, t.rel_error, strict=True)]
        self.scatter.setData(t.analytic, t.numeric, brush=brushes, pen=None)
        lo = float(min(t.analytic.min(initial=0), t.numeric.min(initial=0)))
        hi = float(max(t.analytic.max(initial=0), t.numeric.max(initial=0)))
        self.diagonal.setData([lo, hi], [lo, hi])
        floor = np.maximum(t.rel_error, 1e-18)  # a log axis has no zero
        self.errors.setData(np.arange(len(floor)), np.log10(floor), brush=brushes, pen=None)


# ------------------------------------------------------------------------ the update
class UpdateLayerView(BoardPanel):
    """One parameterised layer's update: W before, the update -lr x dW, W after; b as text."""

    def __init__(self, layer, template_shape=None):
        super().__init__()
        self.name = layer.name
        self.kind = layer.kind
        tiling = weight_tiling(layer.params["W"].shape, template_shape)
        self.before = Mosaic(self.board, self.name, f"{self.name} W before", tiling, True)
        self.update = Mosaic(self.board, self.name, "update −lr·dW", tiling, True)
        self.after = Mosaic(self.board, self.name, "W after", tiling, True)
        self.biases = TextBlock(self.board, min(len(layer.params["b"]), 16) + 1, 34)
        # Stacked: the dock is a narrow column beside the panels.
        self.layout([[self.before], [self.update], [self.after], [self.biases]])
        self.board.setMinimumHeight(420 if layer.kind == "dense" else 300)

    def blank(self) -> None:
        """Nothing to show yet: empty mosaics (never the previous step's numbers)."""
        for m in (self.before, self.update, self.after):
            m.set_maps(np.full((m.rows, m.cols, m.h, m.w), np.nan))
        self.biases.set_text(" not yet computed")

    def show(self, lt) -> None:
        W, U = lt.params["W"], lt.updates["W"]
        after = W + U
        levels_source = np.concatenate([W.ravel(), after.ravel()])
        # Before and after on one scale, so that a change in colour is a change in value.
        top = float(np.max(np.abs(levels_source), initial=0.0, where=np.isfinite(
            levels_source))) or 1.0
        for m, a in ((self.before, W), (self.after, after)):
            m.scale_mode = "fixed"
            m.fixed_levels = (-top, top)
            m.show(a)
        self.update.show(U)
        b, ub = lt.params["b"], lt.updates["b"]
        lines = [" i     b before     update      after"]
        lines += [f"{i:2d} {format_number(b[i]):>11} {format_number(ub[i]):>10} "
                  f"{format_number(b[i] + ub[i]):>10}" for i in range(min(len(b), 16))]
        self.biases.set_text("\n".join(lines))


class UpdateWidget(QWidget):
    """The update phase: for every parameterised layer, before, −lr·dW and after."""

    def __init__(self):
        super().__init__()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        self.caption = QLabel("The update of the last step: weights before, the change "
                              "−lr·dW, and the weights after.")
        self.caption.setWordWrap(True)
        outer.addWidget(self.caption)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        outer.addWidget(self.scroll, 1)
        self.views: list[UpdateLayerView] = []

    def build(self, net) -> None:
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(0, 0, 0, 0)
        self.views = []
        for i, layer in enumerate(net.layers):
            if not layer.params:
                continue
            view = UpdateLayerView(layer, template_shape_before(net, i))
            self.views.append(view)
            layout.addWidget(view.widget, 1)
        self.scroll.setWidget(inner)

    def show_trace(self, trace) -> None:
        if not trace.applied:
            self.caption.setText(f"Step {trace.step + 1}: update not yet computed (the "
                                 "sample shown has not been trained on).")
            for view in self.views:
                view.blank()
            return
        self.caption.setText(f"Update of step {trace.step}: W after = W before − lr·dW with "
                             f"lr {trace.lr:g} (momentum adds the velocity when on).")
        for view in self.views:
            view.show(trace.layer(view.name))
