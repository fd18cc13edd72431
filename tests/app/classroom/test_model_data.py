"""Model and data in the app: presets, a typed architecture checked as you type, datasets
opened from the File menu, errors in the window with the current model kept."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFileDialog

from visualcnn.app.classroom.model_data import arch_for_classes, dataset_spec
from visualcnn.app.views.panels import ConvPanel
from visualcnn.nn.arch import PRESETS


@pytest.fixture
def model(window):
    dock = window.classroom.model_data.dock
    dock.show()
    dock.raise_()
    return window.classroom.model_data.panel


def write_npz(path, size=14, n=30, seed=0):
    rng = np.random.default_rng(seed)
    np.savez(path, x_train=rng.integers(0, 256, (n, size, size), dtype=np.uint8),
             y_train=rng.integers(0, 10, n), x_test=rng.integers(0, 256, (10, size, size),
                                                                  dtype=np.uint8),
             y_test=rng.integers(0, 10, 10))
    return path


def test_typing_validates_every_keystroke_and_apply_builds_the_new_network(window, model,
                                                                           qtbot):
    field = model.arch_field
    field.clear()
    qtbot.keyClicks(field, "conv8x3-pool2-conv4x5")
    assert not model.apply_button.isEnabled()
    assert "must end with dense10" in model.message.text()
    assert "c62828" in model.message.styleSheet()  # red
    qtbot.keyClicks(field, "-dense1")
    assert "must have 10 units" in model.message.text() and not model.apply_button.isEnabled()
    qtbot.keyClicks(field, "0")
    assert model.apply_button.isEnabled() and model.message.text().startswith("valid")
    old_session = window.session
    qtbot.mouseClick(model.apply_button, Qt.MouseButton.LeftButton)
    assert window.session is not old_session
    assert window.session.net.arch == "conv8x3-pool2-conv4x5-dense10"
    assert window.loop.session is window.session
    assert "conv2" in window.docks and "conv4x5" in window.windowTitle()
    window.actions["step"].trigger()
    conv2 = next(p for p in window.panels if p.key == "conv2")
    assert isinstance(conv2, ConvPanel)
    out = window.last_trace.layer("conv2").out[0]
    assert out.shape == (4, 9, 9)
    np.testing.assert_array_equal(conv2.maps.raw.reshape(out.shape), out)


def test_a_kernel_too_big_for_the_data_is_refused_as_you_type(model, qtbot):
    model.arch_field.clear()
    qtbot.keyClicks(model.arch_field, "conv8x30-dense10")
    assert "does not fit" in model.message.text() and not model.apply_button.isEnabled()
    assert model.presets.currentText() == "(typed)"


def test_choosing_a_preset_fills_the_field(window, model):
    index = model.presets.findData(PRESETS["deeper"])
    model.presets.setCurrentIndex(index)
    assert model.arch_field.text() == PRESETS["deeper"] and model.apply_button.isEnabled()
    model.apply_button.click()
    assert window.session.net.arch == PRESETS["deeper"] and "relu2" in window.docks


def test_open_dataset_rebuilds_the_network_for_the_data(window, tmp_path, monkeypatch, qtbot):
    path = write_npz(tmp_path / "small.npz", size=14)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.session.set_lr(0.05)
    qtbot.keyClick(window, Qt.Key.Key_O,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    s = window.session
    assert s.dataset.name == "small.npz" and s.dataset.input_shape == (1, 14, 14)
    assert s.net.input_shape == (1, 14, 14) and s.net.arch == "conv8x3-pool2-dense10"
    assert s.lr == 0.05 and window.controls.lr_field.text() == "0.05"
    window.actions["step"].trigger()
    assert window.last_trace.input.shape == (1, 1, 14, 14)
    assert window.panels[0].sample.raw.shape[-2:] == (14, 14)
    assert "small.npz" in window.classroom.model_data.panel.dataset_label.text()


def test_a_bad_dataset_shows_an_error_and_keeps_the_model(window, tmp_path, monkeypatch):
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"not a zip")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    session = window.session
    window.actions["open_dataset"].trigger()
    assert window.banner_bar.isVisible()
    assert "current model is kept" in window.banner.text() and "broken.npz" in window.banner.text()
    assert window.session is session


def test_data_the_architecture_cannot_take_keeps_the_model(window, tmp_path, monkeypatch):
    window.classroom.model_data.apply_arch("conv8x5-pool4-conv8x5-dense10")
    session = window.session
    path = write_npz(tmp_path / "tiny.npz", size=8)
    assert not window.classroom.model_data.open_dataset(str(path))
    assert "Could not build the network" in window.banner.text()
    assert window.session is session


def test_the_file_menu_lists_the_dataset_and_export_actions(window):
    file_menu = [a.menu() for a in window.menuBar().actions() if a.text() == "&File"][0]
    entries = file_menu.actions()
    for name in ("open_dataset", "bundled_dataset", "save_window_png", "save_panel_png",
                 "record_gif", "save_gif", "open", "save"):
        assert window.actions[name] in entries
    assert entries[-1] is window.actions["quit"]


def test_dataset_spec_and_class_count():
    assert dataset_spec("/d/mnist.npz") == "/d/mnist.npz"
    assert dataset_spec("/d/train.csv.gz") == "/d/train.csv.gz"
    assert dataset_spec("/d/idx/train-images-idx3-ubyte.gz") == "/d/idx"
    assert arch_for_classes("conv8x3-pool2-dense10", 26) == "conv8x3-pool2-dense26"
    assert arch_for_classes("mlp", 3) == "dense64-relu-dense3"


def test_checkpoint_restores_architecture_learning_rate_and_step(window, tmp_path,
                                                                 monkeypatch, dataset):
    from visualcnn.nn import Network
    from visualcnn.training.session import Session

    other = Session(dataset, Network.from_arch(PRESETS["deeper"]), lr=0.07)
    for _ in range(3):
        other.step()
    path = tmp_path / "deeper.npz"
    other.save(path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.actions["open"].trigger()
    s = window.session
    assert (s.net.arch, s.lr, s.net.step) == (PRESETS["deeper"], 0.07, 3)
    assert window.controls.lr_field.text() == "0.07" and "conv2" in window.docks
    assert window.classroom.model_data.panel.arch_field.text() == PRESETS["deeper"]
