"""The first start: a one-screen welcome that says where to click first, once; the app's own
icon and its desktop entry."""

import configparser
from pathlib import Path

from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtWidgets import QApplication

from visualcnn.app.app_icon import app_icon, icon_path
from visualcnn.app.welcome import WELCOME_KEY, Welcome, show_welcome_once

ROOT = Path(__file__).resolve().parents[2]


def shown_welcomes() -> list:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, Welcome) and w.isVisible()]


def test_windows_made_by_the_tests_show_no_welcome(window):
    assert shown_welcomes() == []


def test_the_welcome_shows_once_and_never_after_it_is_dismissed(window, qtbot):
    welcome = show_welcome_once(window)
    assert welcome is not None and welcome.isVisible() and welcome in shown_welcomes()
    text = welcome.text.text()
    for words in ("Step", "Run", "all zero", "Presenter mode", "blue is negative"):
        assert words in text
    assert "Right" in text and "F5" in text  # the window's own shortcuts
    qtbot.mouseClick(welcome.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown_welcomes() == [])
    assert QSettings().value(WELCOME_KEY, type=bool)
    assert show_welcome_once(window) is None


def test_closing_the_welcome_any_way_dismisses_it(window, qtbot):
    welcome = show_welcome_once(window)
    qtbot.keyClick(welcome, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: shown_welcomes() == [])
    assert show_welcome_once(window) is None


def test_the_app_has_its_own_icon():
    path = icon_path()
    assert path is not None and path.name == "visualcnn.svg"
    icon = app_icon()
    assert not icon.isNull()
    image = icon.pixmap(64, 64).toImage()
    assert image.width() == 64 and image.pixelColor(32, 32).alpha() == 255


def test_the_desktop_entry_starts_the_app_with_its_icon():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(ROOT / "resources" / "visualcnn.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Exec"] == "visualcnn"
    assert desktop["Icon"] == icon_path().stem
    assert desktop["Terminal"] == "false"
    assert all(c for c in desktop["Categories"].rstrip(";").split(";"))
