"""Initialiser, optimiser, momentum and weight decay in the "Model and data" dock: Apply builds
the network with them, they stay for the next network, and the Update dock shows Adam's
moments beside the gradient and the update."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFileDialog

from tests.app.classroom.test_model_data import write_npz


@pytest.fixture
def panel(window):
    dock = window.classroom.model_data.dock
    dock.show()
    dock.raise_()
    return window.classroom.model_data.panel


def choose(combo, name):
    combo.setCurrentIndex(combo.findData(name))


def test_the_dock_shows_the_networks_own_settings(window, panel):
    controls = panel.training
    assert controls.init.currentData() == "he" and controls.optimizer.currentData() == "sgd"
    assert controls.weight_decay.value() == 0.0 and not controls.momentum.isEnabled()


def test_apply_builds_a_new_network_with_the_chosen_initialiser_and_optimiser(
        window, panel, qtbot):
    controls = panel.training
    choose(controls.init, "constant")
    choose(controls.optimizer, "adam")
    controls.weight_decay.setValue(0.001)
    old = window.session
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    net = window.session.net
    assert window.session is not old and net.step == 0
    assert (net.init, net.optimizer, net.weight_decay) == ("constant", "adam", 0.001)
    assert np.all(net.layers[0].params["W"] == 0.01)
    assert "adam" in window.statusBar().currentMessage()
    window.actions["step"].trigger()
    assert window.last_trace.layer("conv1").moments["W"].t == 1


def test_momentum_is_set_only_for_the_momentum_optimiser(window, panel, qtbot):
    controls = panel.training
    choose(controls.optimizer, "momentum")
    assert controls.momentum.isEnabled()
    controls.momentum.setValue(0.5)
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    assert (window.session.net.optimizer, window.session.net.momentum) == ("momentum", 0.5)
    choose(controls.optimizer, "sgd")
    assert not controls.momentum.isEnabled()


def test_a_new_dataset_keeps_the_networks_optimiser(window, panel, qtbot, tmp_path,
                                                    monkeypatch):
    choose(panel.training.optimizer, "adam")
    choose(panel.training.init, "xavier")
    panel.apply_button.click()
    path = write_npz(tmp_path / "small.npz", size=14)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.actions["open_dataset"].trigger()
    net = window.session.net
    assert net.input_shape == (1, 14, 14)
    assert (net.optimizer, net.init) == ("adam", "xavier")
    assert panel.training.optimizer.currentData() == "adam"
    window.actions["reset"].trigger()  # a reset is a new run of the same network
    assert (window.session.net.optimizer, window.session.net.init) == ("adam", "xavier")


def test_the_update_view_shows_adams_moments_beside_the_gradient_and_the_update(
        window, panel, qtbot):
    choose(panel.training.optimizer, "adam")
    panel.apply_button.click()
    dock = window.debugger.update_dock
    dock.show()
    dock.raise_()
    window.actions["step"].trigger()
    window.actions["step"].trigger()
    view = next(v for v in window.debugger.update_view.views if v.name == "conv1")
    lt = window.last_trace.layer("conv1")
    moments = lt.moments["W"]
    assert moments.t == 2
    for mosaic, expected in ((view.grad, lt.grads["W"]), (view.m_hat, moments.m_hat),
                             (view.sqrt_v_hat, moments.sqrt_v_hat),
                             (view.update, lt.updates["W"])):
        arranged = mosaic.tiling.arrange(expected)
        np.testing.assert_array_equal(mosaic.raw, arranged.reshape(mosaic.raw.shape))
    caption = window.debugger.update_view.caption.text()
    assert "m-hat" in caption and "adam" in caption
    assert "√v-hat" in view.biases.text()


def test_the_update_view_for_sgd_stays_as_it_was(window):
    dock = window.debugger.update_dock
    dock.show()
    window.actions["step"].trigger()
    view = window.debugger.update_view.views[0]
    assert view.grad is None and view.m_hat is None
    assert "m-hat" not in view.biases.text()


def test_an_adam_checkpoint_of_the_same_architecture_brings_its_optimiser_into_the_window(
        window, panel, tmp_path):
    from visualcnn.nn import Network

    path = tmp_path / "adam.npz"
    saved = Network.from_arch(window.session.net.arch, optimizer="adam", weight_decay=0.01)
    saved.save(path, lr=0.001)
    assert window.open_checkpoint(path)
    assert panel.training.optimizer.currentData() == "adam"
    assert panel.training.weight_decay.value() == 0.01
    window.debugger.update_dock.show()
    window.actions["step"].trigger()
    view = window.debugger.update_view.views[0]
    assert view.m_hat is not None and "m-hat" in window.debugger.update_view.caption.text()
