"""The dock layout: a rebuild keeps every dock where it was, View > Reset layout brings the
default back, a saved layout that does not fit is dropped, and presenter mode's layout is its
own, never saved over the normal one."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QByteArray, QSettings, Qt
from PyQt6.QtWidgets import QApplication, QDockWidget, QFileDialog, QTabBar

from visualcnn.nn.arch import PRESETS

ARTICLE = PRESETS["article"]


def layout_of(window) -> dict:
    """Per dock: its area, whether it shows and floats, the docks tabbed with it, and its
    rectangle on screen (floating docks: their own; None behind another tab)."""
    QApplication.processEvents()
    found = {}
    for dock in window.findChildren(QDockWidget):
        if not dock.objectName():
            continue
        found[dock.objectName()] = (
            window.dockWidgetArea(dock).name, dock.isVisible(), dock.isFloating(),
            tuple(sorted(d.objectName() for d in window.tabifiedDockWidgets(dock))),
            None if dock.visibleRegion().isEmpty() else dock.geometry().getRect())
    return found


def differences(before: dict, after: dict, tolerance: int = 2) -> list[str]:
    """What moved between two ``layout_of``; rectangles may differ by ``tolerance`` pixels."""
    moved = []
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name), after.get(name)
        if a is None or b is None or a[:4] != b[:4]:
            moved.append(f"{name}: {a} -> {b}")
        elif (a[4] is None) != (b[4] is None) or a[4] is not None and max(
                abs(x - y) for x, y in zip(a[4], b[4], strict=True)) > tolerance:
            moved.append(f"{name}: {a[4]} -> {b[4]}")
    return moved


def tab_bars(window) -> list[tuple[str, ...]]:
    """The titles of every tab bar on screen."""
    QApplication.processEvents()
    return sorted(tuple(bar.tabText(i) for i in range(bar.count()))
                  for bar in window.findChildren(QTabBar)
                  if bar.isVisible() and not bar.visibleRegion().isEmpty())


def rearrange(window, qtbot) -> None:
    """A teacher's own layout: the test set floated, the pooling panel hidden, the curves
    taller, the Breakpoints dock shown."""
    window.classroom.testset.dock.setFloating(True)
    window.docks["pool1"].toggleViewAction().trigger()
    window.resizeDocks([window.docks["curves"]], [300], Qt.Orientation.Vertical)
    window.debugger.breakpoints_dock.toggleViewAction().trigger()
    QApplication.processEvents()


def apply_preset(window, arch: str) -> None:
    panel = window.classroom.model_data.panel
    panel.presets.setCurrentIndex(panel.presets.findData(arch))
    panel.apply_button.click()
    QApplication.processEvents()


def write_npz(path, n=40, seed=0):
    rng = np.random.default_rng(seed)
    np.savez(path, x_train=rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, n), x_test=rng.integers(0, 256, (10, 28, 28),
                                                                  dtype=np.uint8),
             y_test=rng.integers(0, 10, 10))
    return path


def test_applying_a_preset_keeps_every_dock_where_it_was(make_window, qtbot):
    window = make_window()
    rearrange(window, qtbot)
    before, bars = layout_of(window), tab_bars(window)
    apply_preset(window, ARTICLE)
    assert differences(before, layout_of(window)) == []
    assert tab_bars(window) == bars
    window.close()  # and it is this layout that comes back
    again = make_window()
    assert differences(before, layout_of(again)) == []


def test_opening_a_dataset_keeps_every_dock_where_it_was(make_window, qtbot, tmp_path,
                                                           monkeypatch):
    window = make_window()
    rearrange(window, qtbot)
    before, bars = layout_of(window), tab_bars(window)
    path = write_npz(tmp_path / "digits.npz")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.actions["open_dataset"].trigger()
    assert window.session.dataset.name == "digits.npz"
    assert differences(before, layout_of(window)) == []
    assert tab_bars(window) == bars


def test_another_network_keeps_the_side_docks_as_they_were(make_window, qtbot):
    window = make_window()
    rearrange(window, qtbot)
    before = layout_of(window)
    apply_preset(window, PRESETS["deeper"])
    after = layout_of(window)
    for name in ("dock_test_set", "dock_debug_breakpoints", "dock_draw", "dock_model"):
        assert after[name][1:3] == before[name][1:3], name  # showing, floating
    for name in ("dock_conv2", "dock_relu2", "dock_pool2", "dock_input", "dock_output"):
        assert after[name][1] and after[name][4][2] >= 60, name  # the panels all show
    apply_preset(window, ARTICLE)  # back to the first network: the side docks as they were
    back = layout_of(window)
    sides = [d.objectName() for d in window.side_docks]
    assert [back[n][1:3] for n in sides] == [before[n][1:3] for n in sides]


def reset_layout_action(window):
    return next(a for a in window.view_menu.actions() if a.text() == "Reset &layout")


def test_view_reset_layout_restores_the_default(make_window, qtbot):
    window = make_window()
    default = layout_of(window)
    rearrange(window, qtbot)
    window.tabifyDockWidget(window.docks["input"], window.docks["output"])
    assert differences(default, layout_of(window)) != []
    reset_layout_action(window).trigger()
    # The default as it was taken when the window first showed: the splitters move by a
    # pixel or two while the first frames settle.
    assert differences(default, layout_of(window), tolerance=4) == []
    apply_preset(window, PRESETS["deeper"])  # another network's default: as at its start
    window.docks["conv2"].toggleViewAction().trigger()
    reset_layout_action(window).trigger()
    assert window.docks["conv2"].isVisible()


def close_with_curves_hidden(make_window):
    window = make_window()
    window.docks["curves"].toggleViewAction().trigger()
    window.close()


def test_a_layout_saved_by_another_version_is_not_applied(make_window, qtbot):
    window = make_window()
    old_state = window.saveState()  # an earlier version: no version number, other keys
    window.docks["curves"].hide()
    hidden_state = window.saveState()
    window.close()
    settings = QSettings()
    for key in settings.allKeys():
        if key.startswith("layout/"):
            settings.remove(key)
    settings.setValue("window/state", hidden_state)
    settings.setValue("window/state_arch", ARTICLE)
    settings.sync()
    again = make_window()
    assert again.docks["curves"].isVisible()
    again.close()
    assert QSettings().value("window/state") is None  # the old keys go
    assert old_state  # (taken only to make sure saveState works here)


def test_a_layout_of_a_newer_layout_version_or_one_qt_refuses_is_dropped(make_window, qtbot):
    close_with_curves_hidden(make_window)
    settings = QSettings()
    settings.setValue("layout/version", 99)
    settings.sync()
    again = make_window()
    assert again.docks["curves"].isVisible()
    again.close()
    close_with_curves_hidden(make_window)
    QSettings().setValue("layout/normal", QByteArray(b"not a layout"))
    again = make_window()
    assert again.docks["curves"].isVisible()
    assert QSettings().value("layout/normal") is None


def test_a_layout_saved_on_a_bigger_screen_is_not_applied(make_window, qtbot):
    close_with_curves_hidden(make_window)
    again = make_window()
    assert not again.docks["curves"].isVisible()  # saved on this screen: it is used
    again.close()
    settings = QSettings()
    screen = again.screen().availableGeometry()
    settings.setValue("layout/screen", [screen.width() + 1, screen.height()])
    settings.sync()
    third = make_window()
    assert third.docks["curves"].isVisible()


def warnings_in(records) -> list[str]:
    """Qt's warnings, but the offscreen platform's notes on what it cannot do."""
    return [r.message for r in records
            if r.type.name in ("QtWarningMsg", "QtCriticalMsg") and "does not support"
            not in r.message]


def test_quitting_in_presenter_mode_saves_the_normal_layout(make_window, qtbot, qtlog):
    window = make_window()
    window.resizeDocks([window.docks["curves"]], [260], Qt.Orientation.Vertical)
    normal = layout_of(window)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    window.docks["output"].toggleViewAction().trigger()  # presenter mode's own layout
    QApplication.processEvents()
    window.close()
    assert warnings_in(qtlog.records) == []
    again = make_window()
    assert not again.classroom.presenter.on
    assert differences(normal, layout_of(again)) == []
    assert again.docks["curves"].isVisible() and again.docks["output"].isVisible()
    qtbot.keyClick(again, Qt.Key.Key_F5)  # presenter mode as it was left
    QApplication.processEvents()
    assert not again.docks["output"].isVisible() and not again.docks["curves"].isVisible()
    qtbot.keyClick(again, Qt.Key.Key_F5)
    # Back within the few pixels the menu bar's font takes to settle.
    assert differences(normal, layout_of(again), tolerance=4) == []
    assert warnings_in(qtlog.records) == []


@pytest.mark.parametrize("arch", [ARTICLE, PRESETS["deeper"]])
def test_no_dock_is_restored_twice_at_start(make_window, arch):
    """One tab bar for the column of tabs, none left over, at a fresh start and after one
    that restored a saved layout."""
    window = make_window(arch)
    first = tab_bars(window)
    window.close()
    again = make_window(arch)
    assert tab_bars(again) == first == [("Draw a digit", "Model and data", "Test set")]
