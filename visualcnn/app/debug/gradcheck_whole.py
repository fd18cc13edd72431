"""The whole-network gradient check in the Gradient check dock, and the single-entry lookup.

``Check whole network`` runs ``gradcheck_all`` on the sample shown (every entry of every
parameter tensor, of the input and of each layer's output) on a copy of the network, and lists
each tensor's largest relative error and where it sits. A row's click fills the lookup with
that entry; the lookup takes any entry by its index, e.g. (f, c, i, j), and shows its finite
difference next to backprop's value.
"""

from __future__ import annotations

import copy
import time

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QGuiApplication
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from visualcnn.common import i18n
from visualcnn.common.i18n import N_, tr
from visualcnn.nn.gradcheck import (
    all_tensor_names,
    check_entry,
    gradcheck_all,
    tensor_shape,
)

COLUMNS = (N_("tensor"), N_("largest rel. error"), N_("at index"), N_("corners"),
           N_("entries"), N_("backprop"), N_("numeric"))
KINK_COLUMN = 3
PASS_COLOUR, FAIL_COLOUR, KINK_COLOUR = QColor(27, 94, 32), QColor(183, 28, 28), \
    QColor(130, 130, 130)
WHOLE_TIP = N_("Every entry of every parameter tensor, of the input and of each layer's "
               "output (dL/d(output) as the backward pass recorded it, against nudging that "
               "output by ±eps and running the rest of the forward). 'corners': entries whose "
               "nudge flipped a max-pool winner or a ReLU gate; counted and left out of the "
               "largest error, never hidden: look one up below.")


def verdict_html(passed: bool, failed: str = "") -> str:
    """PASS in green, or FAIL in red (followed by ``failed``), as the summaries show it."""
    if passed:
        return "<b style='color:#1b5e20'>" + tr("PASS") + "</b>"
    return "<b style='color:#b71c1c'>" + tr("FAIL") + "</b>" + failed


def tensor_label(name: str) -> str:
    """A tensor's name as the dock shows it: "conv1/W" as it is, the input in words."""
    return tr("input") if name == "input" else name


def sample_on_screen(view) -> tuple[np.ndarray, int, str]:
    """The sample of the trace on screen (training, test image or drawing), its label and
    what to call it; the next training sample when nothing is shown yet."""
    s, trace = view.window.session, view.trace
    if trace is not None and trace.input is not None:
        note = s.note_for(trace)
        return trace.input[0], int(trace.label), \
            note or tr("sample #{index}", index=view.debugger.shown_sample(trace))
    index = s.next_sample_index
    return s.dataset.x_train[index], int(s.dataset.y_train[index]), \
        tr("sample #{index}", index=index)


def parse_index(text: str) -> tuple[int, ...]:
    """'3, 0, 1, 2' or '(3 0 1 2)' -> (3, 0, 1, 2); a one-line ValueError otherwise."""
    parts = text.replace("(", " ").replace(")", " ").replace(",", " ").split()
    if not parts:
        raise ValueError(tr("type an index, e.g. 3, 0, 1, 2"))
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(tr("an index is whole numbers separated by commas, not {text!r}",
                            text=text)) from None


class WholeNetworkCheck(QWidget):
    """The table of every tensor's worst error, and the lookup of one entry."""

    def __init__(self):
        super().__init__()
        self.view = None  # the DebuggerView: its window, session, debugger and trace
        self.report = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.run = QPushButton(tr("Check whole network"))
        self.run.setToolTip(i18n.lookup(WHOLE_TIP))
        self.run.clicked.connect(self.check_whole)
        self.summary = QLabel(tr("Every parameter, the input and each layer's dL/d(output) "
                                 "at once, on the sample shown."))
        self.summary.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.run)
        top.addWidget(self.summary, 1)
        layout.addLayout(top)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([i18n.lookup(c) for c in COLUMNS])
        self.table.setToolTip(i18n.lookup(WHOLE_TIP))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.cellClicked.connect(self._on_row)
        layout.addWidget(self.table, 1)
        lookup = QHBoxLayout()
        self.tensor = QComboBox()
        self.tensor.setToolTip(tr("Any tensor the whole check covers"))
        self.index = QLineEdit()
        self.index.setPlaceholderText(tr("index, e.g. 3, 0, 1, 2"))
        self.index.returnPressed.connect(self.look_up)
        self.look = QPushButton(tr("Look up"))
        self.look.clicked.connect(self.look_up)
        for w in (QLabel(tr("entry")), self.tensor, self.index, self.look):
            lookup.addWidget(w)
        layout.addLayout(lookup)
        self.entry = QLabel(tr("Pick a tensor and an index (or click a row) to see its "
                               "finite difference next to backprop's value."))
        self.entry.setWordWrap(True)
        self.entry.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.entry)
        self.tensor.currentIndexChanged.connect(self._on_tensor)
        self.result = None  # the last EntryCheck looked up

    def attach(self, view) -> None:
        """Follow ``view`` (the debugger in the window) for the network and the sample."""
        self.view = view

    def refresh_network(self) -> None:
        """The network was (re)built: its tensors in the lookup, the old table gone."""
        net = self._net()
        if net is None:
            return
        current = self.tensor.currentData()
        names = all_tensor_names(net)
        self.tensor.blockSignals(True)
        self.tensor.clear()
        for n in names:
            self.tensor.addItem(tensor_label(n), n)
        if current in names:
            self.tensor.setCurrentIndex(names.index(current))
        self.tensor.blockSignals(False)
        self._on_tensor(self.tensor.currentIndex())
        self.report = None
        self.table.setRowCount(0)

    def _on_tensor(self, _index: int) -> None:
        net = self._net()
        name = self.tensor.currentData()
        if net is not None and name is not None:
            shape = tensor_shape(net, name)
            self.index.setPlaceholderText(tr("index in {shape}, e.g. {example}", shape=shape,
                                             example=", ".join("0" for _ in shape)))

    def _net(self):
        return None if self.view is None else self.view.window.session.net

    def _prepare(self):
        """Pause a run; a copy of the network (the session's stays untouched) and the
        sample on screen."""
        loop = self.view.window.loop
        if loop.running:
            loop.stop()
        x, y, what = sample_on_screen(self.view)
        return copy.deepcopy(self.view.window.session.net), x, y, what

    # ------------------------------------------------------------------- whole network
    def check_whole(self) -> None:
        if self.view is None:
            return
        twin, x, y, what = self._prepare()
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        start = time.perf_counter()
        try:
            with np.errstate(all="ignore"):
                report = gradcheck_all(twin, x, y)
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.show_report(report, what, twin.step, time.perf_counter() - start)

    def show_report(self, report, what: str, step: int, seconds: float) -> None:
        self.report = report
        entries = sum(t.index.size for t in report.tensors)
        kinks = sum(t.kinks for t in report.tensors)
        failed = [tensor_label(t.name) for t in report.tensors
                  if t.max_error > report.tolerance]
        verdict = verdict_html(report.passed, f" ({', '.join(failed)})")
        self.summary.setText(tr(
            "{what} at step {step}: {entries:,} entries in {tensors} tensors ({seconds:.1f} "
            "s); largest relative error <b>{error:.2e}</b> — {verdict} against {tolerance:g}; "
            "{kinks:,} on a corner (grey).", what=what, step=step, entries=entries,
            tensors=len(report.tensors), seconds=seconds, error=report.max_error,
            verdict=verdict, tolerance=report.tolerance, kinks=kinks))
        self.table.setRowCount(len(report.tensors))
        for row, t in enumerate(report.tensors):
            w = t.worst
            cells = (tensor_label(t.name), f"{t.max_error:.2e}",
                     "—" if w is None else str(t.worst_index),
                     f"{t.kinks:,}", f"{t.index.size:,}",
                     "—" if w is None else f"{t.analytic[w]:.6g}",
                     "—" if w is None else f"{t.numeric[w]:.6g}")
            colour = FAIL_COLOUR if t.max_error > report.tolerance else PASS_COLOUR
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setForeground(KINK_COLOUR if col == KINK_COLUMN and t.kinks else colour)
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)

    def _on_row(self, row: int, _col: int) -> None:
        """A row fills the lookup with its tensor's worst entry and looks it up."""
        if self.report is None or not 0 <= row < len(self.report.tensors):
            return
        t = self.report.tensors[row]
        self.tensor.setCurrentIndex(self.tensor.findData(t.name))
        index = t.worst_index if t.worst is not None else t.unravel(int(t.index[0]))
        self.index.setText(", ".join(str(v) for v in index))
        self.look_up()

    # --------------------------------------------------------------------- one entry
    def look_up(self) -> None:
        if self.view is None:
            return
        name = self.tensor.currentData()
        try:
            index = parse_index(self.index.text())
            twin, x, y, what = self._prepare()
            with np.errstate(all="ignore"):
                e = check_entry(twin, x, y, name, index)
        except (ValueError, KeyError) as err:
            self.result = None
            self.entry.setText(f"<span style='color:#b71c1c'>{err}</span>")
            return
        self.result = e
        kink = tr("<br><span style='color:#828282'>at a corner: the nudge flipped a max-pool "
                  "winner or a ReLU gate, so the finite difference measures neither side's "
                  "slope</span>") if e.at_kink else ""
        self.entry.setText(tr(
            "<b>{entry}</b> on {what}: backprop <b>{backprop:.10g}</b>, finite difference "
            "<b>{numeric:.10g}</b>; |difference| {difference:.2e}, {error:.2e} of the two "
            "values' size (round-off alone is about 1e-10 / their size){kink}",
            entry=f"{tensor_label(name)}{list(e.index)}", what=what, backprop=e.analytic,
            numeric=e.numeric, difference=abs(e.analytic - e.numeric), error=e.rel_error,
            kink=kink))
