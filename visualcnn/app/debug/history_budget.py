"""The rewind history's byte budget in the Debug menu: an entry that reads "Rewind history:
100 MB (903 snapshots)..." and opens a small dialog to change it. The budget is kept in the
settings (``debug/history_budget_mb``, see ``visualcnn.app.rewind_budget``); one that cannot
hold two rewind points of the network shown is refused."""

from __future__ import annotations

from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QSpinBox, QVBoxLayout

from visualcnn.app.rewind_budget import budget_mb, store_budget_mb
from visualcnn.common.i18n import tr
from visualcnn.training.memory import (
    BUDGET_SETTING,
    MAX_BUDGET_MB,
    MB,
    MIN_BUDGET_MB,
    MIN_POINTS,
    needed_mb,
    rewind_point_nbytes,
    steps_kept,
)
from visualcnn.training.rewind import CHECKPOINT_EVERY


def point_of(net) -> int:
    """Bytes of one rewind point of ``net``."""
    return rewind_point_nbytes(net.specs, optimizer=net.optimizer)


class BudgetDialog(QDialog):
    """The budget in MB and what it keeps of ``arch`` (``point`` bytes a step); OK is off,
    and the note says why in red, while it cannot hold two steps."""

    def __init__(self, parent, mb: int, arch: str, point: int):
        super().__init__(parent)
        self.setObjectName("history_budget_dialog")
        self.setWindowTitle(tr("Rewind history budget"))
        self.setMinimumWidth(400)
        self.arch, self.point = arch, point
        self.spin = QSpinBox(minimum=MIN_BUDGET_MB, maximum=MAX_BUDGET_MB, value=int(mb),
                             suffix=" MB")
        self.spin.setGroupSeparatorShown(True)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        intro = QLabel(tr("Every step of the run can be gone back to: snapshots of the "
                          "weights every few steps, kept within this much memory, and a "
                          "replay from the nearest one."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addWidget(self.spin)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.spin.valueChanged.connect(self._show_what_it_keeps)
        self._show_what_it_keeps(self.spin.value())

    @property
    def ok_button(self):
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def _show_what_it_keeps(self, mb: int) -> None:
        steps = steps_kept(mb, self.point)
        fits = steps >= MIN_POINTS
        if fits:
            self.note.setText(tr(
                "Keeps {snapshots:,} snapshots of {arch} ({size:.3g} MB each), one every "
                "{every} steps: a jump back is fast over the last {steps:,} steps; further "
                "back the oldest snapshots thin out and a jump replays longer.",
                snapshots=steps, arch=self.arch, size=self.point / MB, every=CHECKPOINT_EVERY,
                steps=steps * CHECKPOINT_EVERY))
        else:
            self.note.setText(tr("Too small: {arch} needs {mb:,} MB for two rewind points.",
                                 arch=self.arch, mb=needed_mb(self.point)))
        self.note.setStyleSheet("" if fits else "color: #c62828;")
        self.ok_button.setEnabled(fits)

    def accept(self) -> None:
        if self.ok_button.isEnabled():  # Enter in the spin box comes here too
            super().accept()


class HistoryBudget:
    """The budget of ``debugger``'s history in ``window``'s settings, and its menu entry."""

    def __init__(self, window, debugger, menu):
        self.window, self.debugger = window, debugger
        self.mb = budget_mb(window.settings)
        debugger.set_budget(self.mb * MB)
        self.action = QAction(menu)
        self.action.setObjectName("action_history_budget")
        self.action.setToolTip(tr("How much memory the rewind history may keep: snapshots "
                                  "of the weights every few steps, the oldest thinned first"))
        self.action.setStatusTip(self.action.toolTip())
        self.action.triggered.connect(self.open_dialog)
        menu.addAction(self.action)
        self.dialog: BudgetDialog | None = None
        self.refresh()

    def refresh(self) -> None:
        """The menu entry for the budget and the network shown now; a banner when the budget
        cannot hold two steps of it (a network built without ``check_history_budget``)."""
        net = self.window.session.net
        point = point_of(net)
        steps = steps_kept(self.mb, point)
        self.action.setText(tr("Rewind history: {mb:,} MB ({snapshots:,} snapshots)...",
                               mb=self.mb, snapshots=steps))
        if steps < MIN_POINTS:
            self.window.show_banner(tr(
                "Step back is off: {arch} needs {needed:,} MB for two rewind points; the "
                "rewind history budget is {mb:,} MB ({setting})", arch=net.arch,
                needed=needed_mb(point), mb=self.mb, setting=BUDGET_SETTING))

    def open_dialog(self) -> BudgetDialog:
        net = self.window.session.net
        if self.dialog is not None:
            self.dialog.deleteLater()  # one dialog at a time, not one more per opening
        self.dialog = BudgetDialog(self.window, self.mb, net.arch, point_of(net))
        dialog = self.dialog
        dialog.accepted.connect(lambda: self.set_mb(dialog.spin.value()))
        dialog.open()
        return dialog

    def set_mb(self, mb: int) -> bool:
        """Keep ``mb`` MB from now on; refused (False, and a message) when it cannot hold two
        rewind points of the network shown."""
        net = self.window.session.net
        point = point_of(net)
        if steps_kept(mb, point) < MIN_POINTS:
            self.window.show_banner(tr(
                "The rewind history budget stays {mb:,} MB: {arch} needs {needed:,} MB for "
                "two rewind points, more than {asked:,} MB", mb=self.mb, arch=net.arch,
                needed=needed_mb(point), asked=mb))
            return False
        self.mb = int(mb)
        store_budget_mb(self.window.settings, self.mb)
        self.debugger.set_budget(self.mb * MB)
        self.refresh()
        self.window.statusBar().showMessage(tr(
            "rewind history budget {mb:,} MB: {snapshots:,} snapshots of {arch}", mb=self.mb,
            snapshots=steps_kept(self.mb, point), arch=net.arch), 5000)
        return True
