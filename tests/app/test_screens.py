"""The window on the screens a class meets: it opens at a size that fits the screen it opens on,
and at 1280 x 720 and 1024 x 768, in normal and presenter mode, every toolbar action has its
button on screen (none behind the overflow arrow) and every dock showing is big enough to read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QDockWidget, QToolBar, QToolButton

from tests.app.views.screen import at_size, toggle_presenter

MIN_DOCK = (120, 80)


def unreachable_actions(window) -> list[str]:
    """The toolbar actions whose button is not wholly on its toolbar, and the toolbars that
    show their overflow arrow."""
    problems = []
    for bar in window.findChildren(QToolBar):
        if not bar.isVisible():
            continue
        extension = bar.findChild(QToolButton, "qt_toolbar_ext_button")
        if extension is not None and extension.isVisible():
            problems.append(f"{bar.objectName()}: overflow arrow")
        for action in bar.actions():
            if action.isSeparator() or not action.isVisible():
                continue
            widget = bar.widgetForAction(action)
            name = action.text() or action.objectName()
            if widget is None or not widget.isVisible():
                problems.append(f"{name}: no button")
            elif not bar.rect().contains(widget.geometry()):
                problems.append(f"{name}: {widget.geometry()} outside {bar.rect()}")
    return problems


def small_docks(window) -> list[str]:
    small = []
    for dock in window.findChildren(QDockWidget):
        if dock.isVisible() and not dock.isFloating() and dock.objectName() and (
                dock.width() < MIN_DOCK[0] or dock.height() < MIN_DOCK[1]):
            small.append(f"{dock.windowTitle()}: {dock.width()}x{dock.height()}")
    return small


OPEN_ON_SCREEN = """
import json, sys
from PyQt6.QtCore import QSettings
from visualcnn.app.launch import application, open_window
from visualcnn.data import load_dataset
from visualcnn.nn import Network

app = application()
data = load_dataset("bundled")
net = Network.from_arch("conv8x3-pool2-dense10", data.input_shape, data.classes, seed=0)
window = open_window(data, net, 0.01, 0, QSettings(sys.argv[1], QSettings.Format.IniFormat))
window.show()
app.processEvents()
frame, area = window.frameGeometry(), window.screen().availableGeometry()
small = [d.windowTitle() for d in window.docks.values()
         if d.isVisible() and (d.width() < 120 or d.height() < 80)]
print(json.dumps({"frame": frame.getRect(), "screen": area.getRect(), "small": small,
                  "curves": window.docks["curves"].isVisible()}))
window.close()
"""


def open_on_screen(tmp_path, width: int, height: int, settings_file) -> dict:
    """Start the app (as ``visualcnn`` does, in a process of its own) on an offscreen screen
    of ``width`` x ``height`` with the settings in ``settings_file``; where it opened."""
    config = tmp_path / f"screen_{width}x{height}.json"
    config.write_text(json.dumps({"screens": [{"name": "projector", "x": 0, "y": 0,
                                               "width": width, "height": height}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    done = subprocess.run([sys.executable, "-c", OPEN_ON_SCREEN, str(settings_file)], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def inside(frame, screen) -> bool:
    x, y, w, h = frame
    sx, sy, sw, sh = screen
    return sx <= x and sy <= y and x + w <= sx + sw and y + h <= sy + sh


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)], ids=["1280x720", "1024x768"])
def test_the_window_opens_within_the_screen_it_opens_on(tmp_path, size):
    first = open_on_screen(tmp_path, *size, tmp_path / "fresh.ini")
    assert first["screen"][2:] == list(size)
    assert inside(first["frame"], first["screen"])
    assert first["small"] == []  # the panels shared out at the size it opened at


def test_a_window_and_layout_saved_on_a_bigger_screen_fit_a_smaller_one(make_window,
                                                                        tmp_path):
    window = make_window()  # on the tests' 1920 x 1080 screen
    window.resize(1900, 1000)
    window.docks["curves"].toggleViewAction().trigger()
    window.close()
    saved = Path(QSettings().fileName()).read_bytes()
    (tmp_path / "small.ini").write_bytes(saved)
    (tmp_path / "same.ini").write_bytes(saved)
    opened = open_on_screen(tmp_path, 1280, 720, tmp_path / "small.ini")
    assert inside(opened["frame"], opened["screen"])
    assert opened["curves"]  # the layout for 1920 x 1080 was left out
    same = open_on_screen(tmp_path, 1920, 1080, tmp_path / "same.ini")
    assert not same["curves"]  # on a screen as big, it is used


@pytest.mark.parametrize("presenter", [False, True], ids=["normal", "presenter"])
@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)], ids=["1280x720", "1024x768"])
def test_every_toolbar_action_is_on_screen_and_every_dock_big_enough(window, qtbot, size,
                                                                     presenter):
    at_size(window, *size)
    if presenter:
        toggle_presenter(window, qtbot)
        at_size(window, *size)
    qtbot.wait(20)
    assert unreachable_actions(window) == []
    assert small_docks(window) == []
