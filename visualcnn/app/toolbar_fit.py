"""The toolbars fit the window's width, whatever the screen: every button stays on screen,
none goes behind the overflow arrow.

Two toolbars, the actions (Step, Run, ...) and the settings (learning rate, speed, colour
scale), share a row while they fit. As the window narrows, or presenter mode makes
everything larger, they give up room in steps, the first that fits is taken: the secondary
buttons show their icon only (their tooltip says what they do); the settings' sliders and
labels get shorter; every button is an icon; then the settings move to a row of their own,
with every text back, and give up room again in the same order.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, Qt, QTimer
from PyQt6.QtWidgets import QToolBar, QToolButton

PRIMARY = ("action_step", "action_run", "action_reset")  # keep their words while they can
# (settings on a second row, which buttons show their icon only, short settings), roomiest
# first: one row as long as it can be, a second row costs the panels height.
STEPS = ((False, "none", False), (False, "secondary", False), (False, "secondary", True),
         (False, "all", True), (True, "none", False), (True, "secondary", False),
         (True, "all", True))
SLACK = 8  # pixels between two toolbars in a row, and a margin for rounding


class ToolbarFit(QObject):
    """Keeps ``actions_bar`` and ``settings_bar`` of ``window`` within its width; ``step`` is
    the index in STEPS in use, ``shorten(on)`` makes the settings' widgets shorter or not.
    Refits when the window is resized, when a toolbar gains or loses an action, and when
    fonts or icons change size."""

    def __init__(self, window, actions_bar: QToolBar, settings_bar: QToolBar, shorten):
        super().__init__(window)
        self.window = window
        self.shorten = shorten
        self.bars = (actions_bar, settings_bar)
        self.step = 0
        self.two_rows = False
        self._pending = False
        window.installEventFilter(self)
        for bar in self.bars:
            bar.installEventFilter(self)
            bar.iconSizeChanged.connect(self.schedule)

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if obj is self.window and kind == QEvent.Type.Resize:
            # Before the window lays its toolbars out at the new width: a toolbar laid out
            # too narrow once can keep its overflow arrow after it has room again (Qt 6).
            self.fit()
        elif obj in self.bars and kind in (QEvent.Type.ActionAdded, QEvent.Type.ActionRemoved,
                                           QEvent.Type.ActionChanged, QEvent.Type.FontChange,
                                           QEvent.Type.StyleChange):
            self.schedule()
        return False

    def schedule(self, *_args) -> None:
        """Fit once the events that asked for it are over (a change comes with several)."""
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self._fit_now)

    def _fit_now(self) -> None:
        self._pending = False
        try:
            self.fit()
        except RuntimeError:  # the window went before the timer fired
            pass

    def fit(self) -> None:
        """The roomiest step of STEPS whose toolbars fit the window's width."""
        width = self.window.width()
        for i, (two_rows, icons, short) in enumerate(STEPS):
            self.shorten(short)
            self._apply(two_rows, icons)
            if self._width_needed() <= width or i == len(STEPS) - 1:
                self.step = i
                break
        QTimer.singleShot(0, self._drop_stale_arrows)

    def _drop_stale_arrows(self) -> None:
        """A toolbar laid out once at its old width with its new, larger buttons (a change
        of row, presenter mode's fonts) keeps its overflow arrow after it got room: Qt 6
        does not lay its buttons out again until it is shown again."""
        for bar in self.bars:
            try:
                arrow = bar.findChild(QToolButton, "qt_toolbar_ext_button")
                if arrow is not None and arrow.isVisible() and bar.isVisible() \
                        and bar.sizeHint().width() <= bar.width():
                    bar.hide()
                    bar.show()
            except RuntimeError:  # the window went before the timer fired
                return

    def _apply(self, two_rows: bool, icons: str) -> None:
        actions_bar, settings_bar = self.bars
        for bar in self.bars:
            for action in bar.actions():
                button = bar.widgetForAction(action)
                if not isinstance(button, QToolButton):
                    continue
                icon_only = not action.icon().isNull() and (
                    icons == "all" or icons == "secondary" and action.objectName() not in PRIMARY)
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly if icon_only
                                          else Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        if two_rows != self.two_rows:
            if two_rows:
                self.window.insertToolBarBreak(settings_bar)
            else:
                self.window.removeToolBarBreak(settings_bar)
            self.two_rows = two_rows

    def _width_needed(self) -> int:
        """The width the toolbars need as they are now: side by side, or the wider row."""
        widths = []
        for bar in self.bars:
            bar.layout().invalidate()
            widths.append(bar.sizeHint().width() + SLACK)
        return max(widths) if self.two_rows else sum(widths)
