"""The rewind history's byte budget in the app: the Debug menu shows it, its dialog changes it
(and keeps it), and a network it cannot hold two steps of is refused before it is built."""

import tracemalloc

import pytest
from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtWidgets import QDialog

from visualcnn.app import launch, rewind_budget
from visualcnn.common.errors import ArchError
from visualcnn.nn import Network
from visualcnn.training.memory import MB, rewind_point_nbytes, steps_kept

BIG = "dense2000-dense10"  # about 12.7 MB a step: needs 26 MB for two


def budget_entry(window):
    entries = [a for a in window.debugger.menu.actions() if a.text().startswith("Rewind history")]
    assert len(entries) == 1
    return entries[0]


def open_dialog(window, qtbot):
    budget_entry(window).trigger()
    shown = [d for d in window.findChildren(QDialog, "history_budget_dialog") if d.isVisible()]
    assert len(shown) == 1
    return shown[0]


def set_value(dialog, qtbot, mb):
    spin = dialog.spin
    spin.selectAll()
    qtbot.keyClicks(spin, str(mb))
    assert spin.value() == mb


def test_the_debug_menu_shows_the_budget_and_the_steps_it_keeps(window):
    point = rewind_point_nbytes(window.session.net.specs)
    assert budget_entry(window).text() == \
        f"Rewind history: 100 MB ({100 * MB // point} snapshots)..."
    assert budget_entry(window).text() == "Rewind history: 100 MB (903 snapshots)..."
    assert window.debugger.debugger.budget_bytes == 100 * MB


def test_the_dialog_changes_the_budget_and_it_is_kept(make_window, qtbot):
    window = make_window()
    dialog = open_dialog(window, qtbot)
    assert dialog.spin.value() == 100 and "Keeps 903 snapshots" in dialog.note.text()
    set_value(dialog, qtbot, 1)
    assert "Keeps 9 snapshots of conv8x3-pool2-dense10" in dialog.note.text()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert budget_entry(window).text() == "Rewind history: 1 MB (9 snapshots)..."
    assert QSettings().value("debug/history_budget_mb", type=int) == 1
    # The history keeps to its budget and still reaches back to the start of the run.
    window.controls.speed_slider.setValue(window.controls.speed_slider.maximum())
    window.actions["run"].trigger()
    qtbot.waitUntil(lambda: window.session.net.step >= 60, timeout=20000)
    window.actions["run"].trigger()
    debugger = window.debugger.debugger
    assert debugger.rewind_depth == window.session.net.step
    assert debugger.history_nbytes() <= 1 * MB
    window.close()
    again = make_window()
    assert budget_entry(again).text() == "Rewind history: 1 MB (9 snapshots)..."
    assert again.debugger.debugger.budget_bytes == 1 * MB


def test_cancel_keeps_the_budget(window, qtbot):
    dialog = open_dialog(window, qtbot)
    set_value(dialog, qtbot, 5)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and budget_entry(window).text().startswith(
        "Rewind history: 100 MB")


def test_a_budget_below_two_steps_of_the_network_is_refused(make_window, qtbot):
    window = make_window(BIG)
    assert budget_entry(window).text() == "Rewind history: 100 MB (7 snapshots)..."
    dialog = open_dialog(window, qtbot)
    set_value(dialog, qtbot, 25)
    assert dialog.note.text() == ("Too small: dense2000-dense10 needs 26 MB for two rewind "
                                  "points.")
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClick(dialog.spin, Qt.Key.Key_Return)  # Enter does not get past it either
    assert dialog.isVisible()
    set_value(dialog, qtbot, 26)
    assert dialog.ok_button.isEnabled() and "Keeps 2 snapshots" in dialog.note.text()
    qtbot.keyClick(dialog.spin, Qt.Key.Key_Return)
    assert budget_entry(window).text() == "Rewind history: 26 MB (2 snapshots)..."
    # Asked for directly, the budget says why it stays.
    assert not window.debugger.budget.set_mb(10)
    assert "stays 26 MB: dense2000-dense10 needs 26 MB for two rewind points" in \
        window.banner.text()
    assert window.debugger.debugger.budget_bytes == 26 * MB


def test_apply_refuses_a_network_the_budget_cannot_hold_before_building_it(window, qtbot):
    panel = window.classroom.model_data.panel
    panel.arch_field.setText("dense50000-dense10")
    assert panel.apply_button.isEnabled()  # a valid architecture, under the 50M parameters
    old = window.session
    tracemalloc.start()
    try:
        qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert window.session is old
    assert window.banner.text() == (
        "Could not build the network, the current model is kept: dense50000-dense10 needs "
        "637 MB for two rewind points; the rewind history budget is 100 MB (Debug > Rewind "
        "history budget)")
    assert peak < 50 * MB  # not one copy of its 318 MB of parameters


def test_a_checkpoint_the_budget_cannot_hold_is_refused(window, qtbot, tmp_path):
    window.debugger.budget.set_mb(20)
    path = tmp_path / "big.npz"
    Network.from_arch(BIG).save(path)
    old = window.session.net
    assert not window.open_checkpoint(path)
    assert window.session.net is old
    assert window.banner.text() == (
        f"Could not open the checkpoint, the current model is kept: {path}: dense2000-dense10 "
        "needs 26 MB for two rewind points; the rewind history budget is 20 MB (Debug > "
        "Rewind history budget)")


def test_the_command_line_check_reads_the_users_budget(settings_dir):
    store = QSettings()
    assert rewind_budget.budget_mb(store) == 100
    with pytest.raises(ArchError, match=r"needs 637 MB .* budget is 100 MB \(Debug > Rewind"):
        rewind_budget.check_history_budget("dense50000-dense10", (1, 28, 28), 10, store=store)
    rewind_budget.store_budget_mb(store, 700)
    point = rewind_budget.check_history_budget("dense50000-dense10", (1, 28, 28), 10,
                                               store=store)
    assert steps_kept(700, point) == 2
    # The file the app reads when the command line opens it.
    assert (rewind_budget.ORGANIZATION, rewind_budget.APPLICATION) == (launch.ORGANIZATION,
                                                                       launch.APPLICATION)
