"""The red bar under the toolbar for what must not be missed: divergence, a breakpoint, a bad
file. One line of text, the buttons of the actions that go with it, and Dismiss."""

from __future__ import annotations

from PyQt6.QtWidgets import QLabel, QSizePolicy, QStyle, QToolBar

from visualcnn.common.i18n import tr


class Banner(QToolBar):
    """``show_message(text, actions)`` shows ``text`` with a button for each action (each
    message replaces the buttons of the one before); Dismiss or ``hide()`` hides it."""

    def __init__(self, parent):
        super().__init__(tr("Messages"), parent)
        self.setObjectName("toolbar_banner")
        self.setMovable(False)
        self.toggleViewAction().setVisible(False)
        self.setStyleSheet("QToolBar { background: #b71c1c; border: 0; }"
                           "QToolButton { color: white; font-weight: bold; "
                           "border: 1px solid white; border-radius: 3px; padding: 2px 6px; }")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setStyleSheet("color: white; font-weight: bold; padding: 4px;")
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addWidget(self.label)
        self.dismiss = self.addAction(
            self.style().standardIcon(QStyle.StandardPixmap.SP_DialogCloseButton), tr("Dismiss"))
        self.dismiss.triggered.connect(self.hide)
        self.offered: list = []  # the actions whose buttons show now
        self.hide()

    def show_message(self, text: str, actions=()) -> None:
        for action in self.offered:
            self.removeAction(action)
        self.offered = list(actions)
        self.insertActions(self.dismiss, self.offered)
        self.label.setText(text)
        self.show()
