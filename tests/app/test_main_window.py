import numpy as np
import pytest
from PyQt6.QtCore import QSettings, Qt, QThread, QTimer
from PyQt6.QtWidgets import QDialog, QDockWidget, QTableWidget

from tests.app.panel_checks import assert_tiles
from visualcnn.app.controls import slider_to_lr
from visualcnn.app.main_window import MainWindow
from visualcnn.nn import Network

DEEPER = "conv8x3-relu-pool2-conv16x3-relu-pool2-dense10"


def test_right_arrow_steps_and_updates_every_parameter_by_minus_lr_grad(window, qtbot):
    before = {(lay.name, k): v.copy() for lay in window.session.net.layers
              for k, v in lay.params.items()}
    qtbot.keyClick(window, Qt.Key.Key_Right)
    trace = window.last_trace
    assert window.session.net.step == 1 and trace.step == 1
    assert "step 1 " in window.status.text()
    for lay in window.session.net.layers:
        for k, v in lay.params.items():
            grad = trace.layer(lay.name).grads[k]
            np.testing.assert_allclose(v, before[(lay.name, k)] - 0.01 * grad, rtol=0,
                                       atol=1e-15)


def test_space_runs_and_pauses_within_a_frame(window, qtbot):
    window.controls.speed_slider.setValue(window.controls.speed_slider.maximum())
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.loop.running
    qtbot.waitUntil(lambda: window.session.net.step > 5)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not window.loop.running and not window.actions["run"].isChecked()
    stopped = window.session.net.step
    qtbot.wait(100)
    assert window.session.net.step == stopped
    assert window.last_trace.step == stopped  # the latest trace is drawn at pause
    assert window.session.history.tested_at(stopped)


def test_new_learning_rate_is_used_by_the_next_step(window):
    window.controls.lr_field.setText("0.2")
    window.controls.lr_field.editingFinished.emit()
    before = window.session.net.layers[-1].params["W"].copy()
    window.actions["step"].trigger()
    trace = window.last_trace
    assert trace.lr == 0.2
    np.testing.assert_allclose(window.session.net.layers[-1].params["W"],
                               before - 0.2 * trace.layer("dense1").grads["W"], atol=1e-15)
    window.controls.lr_slider.setValue(100)
    assert window.session.lr == slider_to_lr(100) == pytest.approx(1e-4)
    assert window.controls.lr_field.text() == "0.0001"
    window.actions["step"].trigger()
    assert window.last_trace.lr == pytest.approx(1e-4)


def test_ctrl_r_restores_the_seeded_weights(window, qtbot):
    fresh = Network.from_arch("conv8x3-pool2-dense10").get_state()
    for _ in range(3):
        window.actions["step"].trigger()
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert window.session.net.step == 0
    for key, value in window.session.net.get_state().items():
        np.testing.assert_array_equal(value, fresh[key])


def test_non_finite_loss_pauses_and_says_so(window, qtbot):
    window.session.net.layers[-1].params["W"][...] = np.inf
    window.actions["run"].trigger()
    qtbot.waitUntil(lambda: not window.loop.running)
    assert window.banner_bar.isVisible()
    assert "infinite or NaN" in window.banner.text()
    assert "Lower the learning rate" in window.banner.text()
    assert not window.actions["run"].isChecked()
    window.actions["run"].trigger()  # refused while the net is broken
    assert not window.loop.running and not window.actions["run"].isChecked()
    window.actions["reset"].trigger()
    assert not window.banner_bar.isVisible()


def test_closing_while_running_leaves_no_timer_or_thread(window, qtbot):
    window.actions["run"].trigger()
    qtbot.waitUntil(lambda: window.session.net.step > 2)
    timers = window.findChildren(QTimer)
    window.close()
    assert not window.loop.running
    assert all(not t.isActive() for t in timers)
    assert all(t.isFinished() for t in window.findChildren(QThread))


def test_settings_persist_across_windows(make_window):
    window = make_window()
    window.controls.lr_field.setText("0.003")
    window.controls.lr_field.editingFinished.emit()
    window.controls.speed_slider.setValue(3)
    window.scale_box.setCurrentIndex(window.scale_box.findData("fixed"))
    window.close()
    settings = QSettings()
    assert settings.value("training/learning_rate", type=float) == 0.003
    assert settings.value("settings/version", type=int) == 1
    again = make_window()
    assert again.loop.speed == 10
    assert again.scale_mode == "fixed"
    assert again.panels[1].maps.scale_mode == "fixed"


def test_save_then_open_round_trips(window, tmp_path, monkeypatch):
    from PyQt6.QtWidgets import QFileDialog

    path = str(tmp_path / "model.npz")
    for _ in range(4):
        window.actions["step"].trigger()
    state = window.session.net.get_state()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (path, ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (path, ""))
    window.actions["save"].trigger()
    window.actions["reset"].trigger()
    window.actions["open"].trigger()
    assert window.session.net.step == 4
    for key, value in window.session.net.get_state().items():
        np.testing.assert_array_equal(value, state[key])


def test_bad_checkpoint_shows_an_error_and_keeps_the_model(window, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_text("nonsense")
    net = window.session.net
    assert not window.open_checkpoint(bad)
    assert window.banner_bar.isVisible() and "current model is kept" in window.banner.text()
    assert window.session.net is net


def test_opening_another_architecture_rebuilds_the_panels(window, tmp_path, dataset):
    from visualcnn.training.session import Session

    path = tmp_path / "deeper.npz"
    Session(dataset, Network.from_arch(DEEPER)).save(path)
    assert window.open_checkpoint(path)
    assert "conv2" in window.docks and "relu2" in window.docks
    window.actions["step"].trigger()
    conv2 = next(p for p in window.panels if p.key == "conv2")
    assert window.docks["conv2"].widget() is conv2.widget
    assert_tiles(conv2.maps, window.last_trace.layer("conv2").out[0])


def test_help_lists_every_shortcut(window):
    window.actions["shortcuts"].trigger()  # F1
    dialog = next(d for d in window.findChildren(QDialog)
                  if d.windowTitle() == "Keyboard shortcuts" and d.isVisible())
    table = dialog.findChild(QTableWidget)
    keys = {table.item(i, 0).text() for i in range(table.rowCount())}
    assert {"Space", "Right", "Ctrl+R", "Ctrl+S", "Ctrl+O", "Ctrl+Q"} <= keys
    dialog.close()


def test_every_panel_has_a_dock_in_the_view_menu(window):
    names = {a.text() for a in window.view_menu.actions()}
    # The View menu also holds the classroom views (presenter mode, theme, focus, docks).
    assert {p.title for p in window.panels} <= names
    docks = {a.text() for a in window.view_menu.actions() if isinstance(a.parent(),
                                                                        QDockWidget)}
    assert docks == {p.title for p in window.panels} | {"Draw a digit", "Model and data",
                                                        "Test set"} | {
        "Inspector", "Breakpoints", "Gradient check", "Update",
        "Diff weights"} | {"My layers"}  # the debugger's docks, a student's own layers


def test_window_uses_given_settings_object(dataset, settings_dir, qtbot):
    from visualcnn.training.session import Session

    settings = QSettings(str(settings_dir / "other.ini"), QSettings.Format.IniFormat)
    window = MainWindow(Session(dataset, Network.from_arch("conv8x3-pool2-dense10")), settings)
    qtbot.addWidget(window)
    window.close()
    assert settings.value("view/scale_mode", type=str) == "layer"
