"""The "My layers" dock: every call of the shown step to a student's function, whether it agreed
with the engine, and for the chosen call the tensors side by side (``difference_view``).

A row per call, in the order the step made them (forward passes, the loss, backward passes);
a failed call shows the reason in its own words, the student's file and line included.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QBrush, QColor
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from visualcnn.app.yours.difference_view import DifferenceView, layer_name
from visualcnn.common.i18n import tr
from visualcnn.common.numbers import format_number
from visualcnn.yours.contract import output_label

DISAGREE = QColor(200, 40, 40)
AGREE = QColor(20, 130, 20)


def verdict(comparison) -> str:
    """One cell's words for a call: agrees, the error and where, or why it failed."""
    if comparison.failure is not None:
        return tr("failed: {reason}", reason=comparison.failure.splitlines()[0])
    error = format_number(comparison.max_rel_error)
    if comparison.agrees:
        return tr("agrees (rel. error {error})", error=error)
    where = ", ".join(str(v) for v in comparison.index or ())
    return tr("DIFFERS: rel. error {error} at {output}[{where}]", error=error,
              output=output_label(comparison.output), where=where)


class YoursWidget(QWidget):
    """The dock's content. ``show_calls(comparisons, template_of)`` fills it for one step;
    ``pause_box`` is the "my layers disagree" breakpoint; ``use_button`` asks for a file."""

    detail_shown = pyqtSignal(object)  # the DifferenceView on screen

    def __init__(self):
        super().__init__()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        self.status = QLabel(tr("No file of your own layers yet: File > Use my layers…"))
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.status)
        self.pause_box = QCheckBox(tr("Pause Run when my layers disagree (> 1e-6)"))
        self.pause_box.setToolTip(tr("A breakpoint: Run stops on the first step where one of "
                                     "your functions differs from the engine or fails."))
        outer.addWidget(self.pause_box)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([tr("layer"), tr("function"),
                                              tr("yours vs engine")])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._on_row)
        outer.addWidget(self.table, 2)
        row = QHBoxLayout()
        row.addWidget(QLabel(tr("output")))
        self.output_box = QComboBox()
        self.output_box.currentIndexChanged.connect(lambda _i: self._show_detail())
        row.addWidget(self.output_box, 1)
        outer.addLayout(row)
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.reason)
        self.detail_holder = QVBoxLayout()
        outer.addLayout(self.detail_holder, 5)
        self.detail: DifferenceView | None = None
        self.comparisons: list = []
        self._template_of = lambda layer: None

    # ------------------------------------------------------------------------ filling
    def show_calls(self, comparisons, template_of=lambda layer: None) -> None:
        """The calls of one step; the worst one (the first that failed or differs, else the
        first) is selected and drawn."""
        previous = self._selected_key()
        self.comparisons = list(comparisons)
        self._template_of = template_of
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.comparisons))
        for r, c in enumerate(self.comparisons):
            cells = (layer_name(c.layer), c.function, verdict(c))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(c.failure if c.failure else text)
                if col == 2:
                    item.setForeground(QBrush(AGREE if c.agrees else DISAGREE))
                self.table.setItem(r, col, item)
        self.table.resizeColumnsToContents()
        self.table.blockSignals(False)
        if not self.comparisons:
            self._clear_detail()
            self.reason.setText(tr("None of your functions ran on this step."))
            return
        keys = [(c.layer, c.function) for c in self.comparisons]
        bad = next((r for r, c in enumerate(self.comparisons) if not c.agrees), None)
        row = bad if bad is not None else (keys.index(previous) if previous in keys else 0)
        self.table.selectRow(row)
        self._on_row()

    def _selected_key(self):
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.comparisons):
            return None
        c = self.comparisons[rows[0].row()]
        return c.layer, c.function

    def selected(self):
        key = self._selected_key()
        return next((c for c in self.comparisons if (c.layer, c.function) == key), None)

    def _on_row(self) -> None:
        c = self.selected()
        self.output_box.blockSignals(True)
        self.output_box.clear()
        if c is not None and c.yours:
            for name in c.yours:
                self.output_box.addItem(output_label(name), name)
            if c.output in c.yours:
                self.output_box.setCurrentIndex(self.output_box.findData(c.output))
        self.output_box.blockSignals(False)
        self._show_detail()

    def _clear_detail(self) -> None:
        if self.detail is not None:
            self.detail_holder.removeWidget(self.detail.widget)
            self.detail.widget.hide()  # now: deleteLater waits for the event loop
            self.detail.widget.deleteLater()
            self.detail = None

    def _show_detail(self) -> None:
        self._clear_detail()
        c = self.selected()
        if c is None:
            return
        if c.failure is not None:
            self.reason.setText(c.failure)
            return
        output = self.output_box.currentData()
        if output not in c.yours or c.yours[output].ndim == 0:
            yours = c.yours.get(output)
            self.reason.setText("" if yours is None else
                                tr("{output}: yours {yours}, engine {engine}",
                                   output=output_label(output),
                                   yours=format_number(float(yours)),
                                   engine=format_number(float(c.engine[output]))))
            return
        self.reason.setText("" if c.agrees else
                            tr("Orange outlines the worst entry; its numbers are under the "
                               "maps."))
        self.detail = DifferenceView(c, output, self._template_of(c.layer))
        self.detail_holder.addWidget(self.detail.widget)
        self.detail_shown.emit(self.detail)
