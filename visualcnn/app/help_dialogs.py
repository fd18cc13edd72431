"""Help > Keyboard shortcuts (a table made from the actions table) and Help > About."""

from __future__ import annotations

from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from visualcnn.app.actions import shortcut_rows
from visualcnn.common import i18n
from visualcnn.common.i18n import N_, tr

ABOUT = N_("visualcnn trains a small NumPy CNN one sample at a time and shows what every step "
         "computed: the maps, the pooling masks, the weights and the gradient of the loss with "
         "respect to each of them.")


def show_shortcuts(window) -> QDialog:
    dialog = QDialog(window)
    dialog.setWindowTitle(tr("Keyboard shortcuts"))
    rows = shortcut_rows(window.actions)
    table = QTableWidget(len(rows), 2, dialog)
    table.setHorizontalHeaderLabels([tr("Keys"), tr("Action")])
    for i, (keys, text) in enumerate(rows):
        table.setItem(i, 0, QTableWidgetItem(keys))
        table.setItem(i, 1, QTableWidgetItem(text))
    table.resizeColumnsToContents()
    table.verticalHeader().hide()
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(table)
    layout.addWidget(buttons)
    dialog.resize(640, 330)
    dialog.show()
    return dialog


def show_about(window) -> None:
    QMessageBox.about(window, tr("About visualcnn"), i18n.lookup(ABOUT))
