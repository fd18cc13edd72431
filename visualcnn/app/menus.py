"""Menus found by their English name: their titles are translated, their names are not."""

from __future__ import annotations

from PyQt6.QtWidgets import QMenu, QMenuBar


def named_menu(menu_bar: QMenuBar, name: str, title: str) -> QMenu:
    """A new menu of ``menu_bar`` titled ``title`` that ``MainWindow.menu(name)`` finds."""
    menu = menu_bar.addMenu(title)
    menu.setObjectName(f"menu_{name}")
    return menu
