"""Presenter mode (F5), one layer in focus (F6), full screen (F11), light and dark themes."""

import numpy as np
import pytest
from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QApplication, QToolBar

from visualcnn.app.classroom.presenter import PRESENTER_FONT_SCALE
from visualcnn.app.classroom.theme import PLOT_POINTS, THEMES
from visualcnn.app.views.board import Board


@pytest.fixture(autouse=True)
def application_look_untouched(qapp):
    """Presenter mode and themes change the window, never the whole application."""
    font, colour = QFont(qapp.font()), qapp.palette().window().color()
    yield
    assert qapp.font() == font and qapp.palette().window().color() == colour


def toolbar_actions(window):
    return window.findChild(QToolBar, "toolbar_controls").actions()


def test_f5_enlarges_fonts_hides_secondary_controls_and_restores_them(window, qtbot):
    size = window.font().pointSizeF()
    curves = window.docks["curves"]
    assert curves.isVisible() and window.actions["open"] in toolbar_actions(window)
    before = toolbar_actions(window)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert window.actions["presenter"].isChecked() and window.classroom.presenter.on
    assert window.font().pointSizeF() == pytest.approx(size * PRESENTER_FONT_SCALE)
    qtbot.waitUntil(lambda: window.status.font().pointSizeF() > size)  # children follow
    assert not curves.isVisible() and not window.classroom.drawing.dock.isVisible()
    qtbot.waitUntil(lambda: not window.scale_box.isVisible())  # the toolbar lays out later
    assert window.actions["open"] not in toolbar_actions(window)
    assert window.actions["focus_next"] in toolbar_actions(window)
    tick = window.output_panel.prob_plot.getAxis("left").style["tickFont"]
    assert tick.pointSizeF() == pytest.approx(PLOT_POINTS["tick"] * PRESENTER_FONT_SCALE)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert not window.classroom.presenter.on
    assert window.font().pointSizeF() == pytest.approx(size)
    assert curves.isVisible()
    qtbot.waitUntil(window.scale_box.isVisible)
    assert toolbar_actions(window) == before


def test_focus_shows_one_layer_forward_and_backward_side_by_side(window, qtbot):
    window.actions["step"].trigger()
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.keyClick(window, Qt.Key.Key_F6)   # the first layer: conv1
    c = window.classroom.focus
    assert c.layer == "conv1" and c.dock.isVisible()
    assert not window.docks["conv1"].isVisible() and not window.docks["dense1"].isVisible()
    assert window.docks["input"].isVisible() and window.docks["output"].isVisible()
    panel = c.panel
    lt = window.last_trace.layer("conv1")
    np.testing.assert_array_equal(panel.x.raw.reshape(lt.x[0].shape), lt.x[0])
    np.testing.assert_array_equal(panel.dx.raw.reshape(lt.dx[0].shape), lt.dx[0])
    np.testing.assert_array_equal(panel.dout.raw.reshape(lt.dout[0].shape), lt.dout[0])
    # Forward on the left, backward on the right, row by row.
    assert panel.x.x == panel.W.x == panel.out.x < panel.dx.x == panel.dW.x == panel.dout.x
    window.actions["step"].trigger()          # the focus follows every step
    lt = window.last_trace.layer("conv1")
    np.testing.assert_array_equal(panel.W.raw.reshape(8, 3, 3), lt.params["W"][:, 0])
    qtbot.keyClick(window, Qt.Key.Key_F6)   # next: pool1, with its winners marked
    assert c.layer == "pool1" and c.panel.winners is not None
    np.testing.assert_array_equal(c.panel.winners.marked().sum(),
                                  window.last_trace.layer("pool1").extras["argmax_mask"].sum())
    qtbot.keyClick(window, Qt.Key.Key_F6)   # dense1: W as class templates
    assert c.layer == "dense1" and c.panel.W.raw.shape[-2:] == (13, 13)
    qtbot.keyClick(window, Qt.Key.Key_F6)   # back to every panel
    assert c.layer is None and not c.dock.isVisible()
    assert window.docks["conv1"].isVisible()
    qtbot.keyClick(window, Qt.Key.Key_F6, Qt.KeyboardModifier.ShiftModifier)  # previous
    assert c.layer == "dense1"
    qtbot.keyClick(window, Qt.Key.Key_F5)


def test_focus_layer_menu_lists_the_layers_of_the_network(make_window):
    window = make_window("conv8x3-relu-pool2-conv16x3-relu-pool2-dense10")
    menu = window.classroom.focus.menu
    names = [a.data() for a in menu.actions()]
    assert names == [None, "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "dense1"]
    menu.actions()[4].trigger()
    assert window.classroom.focus.layer == "conv2"
    assert window.classroom.focus.panel.W.raw.shape == (8, 16, 3, 3)  # channels x filters


def test_f11_toggles_full_screen(window, qtbot):
    qtbot.keyClick(window, Qt.Key.Key_F11)
    assert window.actions["full_screen"].isChecked()
    qtbot.waitUntil(lambda: window.isFullScreen())
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen())


def test_dark_theme_colours_boards_and_plots_and_is_remembered(make_window, qtbot):
    window = make_window()
    window.actions["theme_dark"].trigger()
    bg, text, plot_bg, _ = THEMES["dark"]
    board = window.findChildren(Board)[0]
    assert board.backgroundBrush().color().getRgb()[:3] == bg
    title = board.mosaics[0].title_item
    assert title.brush().color().getRgb()[:3] == text
    assert window.curves_panel.widget.backgroundBrush().color().getRgb()[:3] == plot_bg
    assert window.palette().window().color().lightness() < 80
    view_menu = window.view_menu
    assert view_menu.palette().window().color().lightness() < 80
    assert QSettings().value("view/theme", type=str) == "dark"
    window.close()
    again = make_window()
    assert again.classroom.theme.name == "dark" and again.actions["theme_dark"].isChecked()
    again.actions["theme_light"].trigger()
    assert again.findChildren(Board)[0].backgroundBrush().color().getRgb()[:3] == \
        THEMES["light"][0]
    assert again.palette().window().color() == QApplication.instance().palette().window().color()


def test_view_menu_has_the_presenter_entries_with_their_shortcuts(window):
    view = window.view_menu
    entries = view.actions()
    for name, keys in (("presenter", "F5"), ("full_screen", "F11"), ("focus_next", "F6")):
        assert window.actions[name] in entries
        assert window.actions[name].shortcut().toString() == keys
    titles = [a.menu().title() for a in entries if a.menu() is not None]
    assert "&Theme" in titles and "F&ocus layer" in titles


def test_closing_in_presenter_mode_saves_the_normal_layout(make_window, qtbot):
    window = make_window()
    qtbot.keyClick(window, Qt.Key.Key_F5)
    window.close()
    again = make_window()
    assert again.docks["curves"].isVisible() and not again.classroom.presenter.on


def test_no_two_actions_share_a_key(window):
    keys = [k.toString() for a in window.actions.values() for k in a.shortcuts()]
    assert len(keys) == len(set(keys))
    assert {"F5", "F6", "F11", "Ctrl+D", "Ctrl+Shift+G"} <= set(keys)
