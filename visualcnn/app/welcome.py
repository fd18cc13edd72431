"""The welcome: one screen, shown over the main window at the first start, that says what the
app shows and where to click first. Once dismissed (Start, Esc or its close button) it never
comes back: ``welcome/dismissed`` in the window's settings.

The app calls ``show_welcome_once(window)`` after showing the window; windows made any other
way (tests, screenshots, benchmarks) never show it.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QKeySequence
from PyQt6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout

from visualcnn.common.i18n import tr

WELCOME_KEY = "welcome/dismissed"


def _keys(window, name: str) -> str:
    shortcut = window.actions[name].shortcut()
    return shortcut.toString(QKeySequence.SequenceFormat.NativeText)


def welcome_text(window) -> str:
    """The welcome's text, with the window's own shortcuts."""
    items = [
        tr("<b>Step</b> ({keys}) trains on one sample. Before the first steps the gradient "
           "maps say <i>all zero</i>: the output layer starts at zero, so no gradient flows "
           "back yet. Step a few times and watch them fill in.", keys=_keys(window, "step")),
        tr("<b>Run</b> ({keys}) keeps training; the speed slider sets how fast.",
           keys=_keys(window, "run")),
        tr("Hover a pixel: the status bar names its layer, map, position and value. Hover a "
           "panel for what it shows."),
        tr("<b>Step phase</b> ({keys}) walks one sample forward, to the loss, and back, a "
           "layer at a time.", keys=_keys(window, "step_phase")),
        tr("<b>Presenter mode</b> ({keys}) for a projector; {focus} shows one layer at a "
           "time.", keys=_keys(window, "presenter"), focus=_keys(window, "focus_next")),
    ]
    listed = "\n".join(f"<li>{item}</li>" for item in items)
    title = tr("Welcome to visualcnn")
    intro = tr("A small convolutional network learns to read handwritten digits, one sample "
               "at a time. After every step each panel shows what that step computed: the "
               "maps going forward and the gradients coming back.")
    first = tr("Where to click first")
    colours = tr("Colours: blue is negative, white zero, red positive; each colour bar gives "
                 "its scale.")
    return (f"<h2>{title}</h2>\n<p>{intro}</p>\n<p><b>{first}</b></p>\n<ol>\n{listed}\n</ol>\n"
            f"<p>{colours}</p>\n")


class Welcome(QDialog):
    """The welcome over ``window``; any way of closing it dismisses it for good."""

    def __init__(self, window):
        super().__init__(window)
        self.window_settings = window.settings
        self.setWindowTitle(tr("Welcome to visualcnn"))
        self.text = QLabel(welcome_text(window))
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.buttons = QDialogButtonBox()
        self.start = self.buttons.addButton(tr("Start"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.start.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(min(560, max(360, window.width() // 2)))
        self.finished.connect(self._dismiss)

    def _dismiss(self, _result: int) -> None:
        self.window_settings.setValue(WELCOME_KEY, True)
        self.window_settings.sync()


def show_welcome_once(window) -> Welcome | None:
    """Show the welcome over ``window`` (not modal) unless it was dismissed before; returns
    it, or None."""
    if window.settings.value(WELCOME_KEY, False, type=bool):
        return None
    welcome = Welcome(window)
    welcome.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    welcome.show()
    welcome.raise_()
    return welcome
