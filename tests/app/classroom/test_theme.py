"""The theme reaches everything the window draws, and stays: toolbar icons that show on both
backgrounds, the window's dialogs and floating docks, a new network, presenter mode and the
next start."""

import numpy as np
import pytest
from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QIcon, QImage
from PyQt6.QtWidgets import QApplication, QDialog, QToolBar

from visualcnn.app.classroom.theme import THEMES, live_widgets
from visualcnn.app.views.board import Board


def argb(image: QImage) -> np.ndarray:
    """(h, w, 4) B, G, R, A bytes of ``image``."""
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    bits = image.constBits()
    bits.setsize(image.sizeInBytes())
    rows = np.frombuffer(bits, np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, :image.width() * 4].reshape(image.height(), image.width(), 4).copy()


def lightness(rgb) -> np.ndarray:
    rgb = np.asarray(rgb, dtype=float)
    return (rgb.max(axis=-1) + rgb.min(axis=-1)) / 2


def icon_contrast(action, background) -> float:
    """How far the icon's drawn pixels are, on average, from ``background`` in lightness
    (0 to 255), as the toolbar draws it (disabled actions in their disabled look)."""
    mode = QIcon.Mode.Normal if action.isEnabled() else QIcon.Mode.Disabled
    pixels = argb(action.icon().pixmap(QSize(24, 24), mode).toImage())
    drawn = pixels[..., 3] > 128
    rgb = pixels[..., 2::-1][drawn]  # B, G, R in memory
    back = lightness([background.red(), background.green(), background.blue()])
    return float(np.mean(np.abs(lightness(rgb) - back)))


def toolbar_icons(window):
    bar = window.findChild(QToolBar, "toolbar_controls")
    return bar, [a for a in bar.actions() if not a.icon().isNull() and bar.widgetForAction(a)]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_toolbar_icons_stand_out_from_the_toolbar(window, theme):
    window.actions[f"theme_{theme}"].trigger()
    bar, actions = toolbar_icons(window)
    assert len(actions) >= 5
    background = bar.palette().window().color()
    for action in actions:
        # A disabled action's icon is drawn fainter, on purpose, but still drawn.
        least = 60 if action.isEnabled() else 30
        assert icon_contrast(action, background) >= least, action.text()


def test_the_run_icon_still_shows_in_the_dark_theme_after_running(window, qtbot):
    window.actions["theme_dark"].trigger()
    run = window.actions["run"]
    run.trigger()
    qtbot.waitUntil(lambda: window.loop.running)
    bar, _ = toolbar_icons(window)
    background = bar.palette().window().color()
    assert icon_contrast(run, background) >= 60  # the pause icon
    run.trigger()
    qtbot.waitUntil(lambda: not window.loop.running)
    assert icon_contrast(run, background) >= 60  # the play icon again


def is_dark(widget) -> bool:
    return widget.palette().window().color().lightness() < 80


def test_a_dock_floated_onto_a_projector_keeps_the_theme_now_and_at_the_next_start(
        make_window, qtbot):
    window = make_window()
    window.actions["theme_dark"].trigger()
    dock = window.docks["output"]
    dock.setFloating(True)
    qtbot.waitUntil(dock.isWindow)
    assert is_dark(dock) and is_dark(window.classroom.model_data.dock)
    window.close()
    again = make_window()
    dock = again.docks["output"]
    assert dock.isFloating()  # the saved layout floats it again
    assert is_dark(dock)
    again.actions["theme_light"].trigger()
    assert not is_dark(dock)


def test_the_windows_dialogs_follow_its_theme_and_presenter_font(window, qtbot):
    window.actions["theme_dark"].trigger()
    qtbot.keyClick(window, Qt.Key.Key_F5)
    window.actions["shortcuts"].trigger()
    dialog = next(w for w in QApplication.topLevelWidgets()
                  if isinstance(w, QDialog) and w.isVisible())
    assert is_dark(dialog)
    assert dialog.font().pointSizeF() == pytest.approx(window.font().pointSizeF())
    dialog.close()
    qtbot.keyClick(window, Qt.Key.Key_F5)


def test_the_theme_stays_through_a_new_network_presenter_mode_and_a_new_start(make_window,
                                                                              qtbot):
    window = make_window()
    window.actions["theme_dark"].trigger()
    board_bg = THEMES["dark"][0]
    window.classroom.model_data.apply_arch("conv4x3-relu-pool2-dense10")
    window.actions["presenter"].trigger()
    window.actions["focus_next"].trigger()
    qtbot.waitUntil(lambda: window.classroom.focus.dock.isVisible())
    boards = live_widgets(window, Board)  # the new network's, the layer in focus, updates
    assert window.classroom.focus.panel.board in boards and len(boards) >= 7
    qtbot.waitUntil(lambda: all(b.backgroundBrush().color().getRgb()[:3] == board_bg
                                for b in boards))
    assert is_dark(window) and window.actions["theme_dark"].isChecked()
    window.actions["presenter"].trigger()
    window.close()
    again = make_window()
    assert again.classroom.theme.name == "dark" and is_dark(again)
    boards = again.findChildren(Board)  # the debugger's update view's among them
    assert len(boards) >= 6
    qtbot.waitUntil(lambda: all(b.backgroundBrush().color().getRgb()[:3] == board_bg
                                for b in boards))
