"""Helpers for tests that look at the window as drawn: a fixed window size, and the text and
items on screen."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication

from visualcnn.app.views.text_size import shown_text


def at_size(window, width: int, height: int) -> None:
    """Resize ``window`` and share its size out among the docks, as at start-up."""
    window.resize(width, height)
    QApplication.processEvents()
    window.fit_docks()
    QApplication.processEvents()


def toggle_presenter(window, qtbot) -> None:
    """F5, then let the docks and boards follow."""
    qtbot.keyClick(window, Qt.Key.Key_F5)
    QApplication.processEvents()
    QApplication.processEvents()


def panel_views(window) -> list:
    """The graphics views of the window's panels (and of the layer in focus)."""
    views = [panel.widget for panel in window.panels]
    focus = window.classroom.focus.panel
    return views + ([focus.widget] if focus is not None else [])


def panel_text(window):
    """Every piece of text the panels show, measured on screen (see ``shown_text``)."""
    return shown_text(panel_views(window))
