"""Helpers for the window's docks that every feature uses: bring one to the front of its group
of tabs, show a hidden one again where it belongs, let a dock's controls scroll."""

from __future__ import annotations

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QDockWidget, QMainWindow, QScrollArea, QTabBar, QWidget


def scrolled(controls: QWidget) -> QScrollArea:
    """``controls`` in a scroll area that scrolls up and down only: a side dock's column of
    controls then sets no minimum height on the window (on a short screen, or a small
    recording, the dock scrolls instead), and keeps the width they need."""
    scroll = QScrollArea()
    scroll.setWidget(controls)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    needed = max(controls.minimumWidth(), controls.minimumSizeHint().width())
    scroll.setMinimumWidth(needed + scroll.verticalScrollBar().sizeHint().width())
    return scroll


def bring_to_front(window: QMainWindow, dock: QDockWidget) -> None:
    """Show ``dock`` as the front tab of its group."""
    try:
        dock.raise_()
        # The first time a dock shows, raise_ can miss its tab (Qt 6): pick the tab itself.
        for bar in window.findChildren(QTabBar):
            for i in range(bar.count()):
                if bar.tabText(i) == dock.windowTitle():
                    bar.setCurrentIndex(i)
    except RuntimeError:  # the window is gone (a test closed it at once)
        pass


def reveal(window: QMainWindow, dock: QDockWidget, side_docks: list[QDockWidget]) -> None:
    """Show ``dock`` as the front tab of the column of ``side_docks`` beside the panels."""
    if dock.isHidden():
        # A dock hidden while tabified comes back as a tab that raise_ does not reach (Qt
        # 6): put it in the group again, next to a view that is showing.
        showing = [d for d in side_docks if d is not dock and not d.isHidden()]
        if showing:
            window.tabifyDockWidget(showing[0], dock)
    dock.show()
    bring_to_front(window, dock)
    QTimer.singleShot(0, dock.raise_)
