"""Pause with a large test split: the window keeps answering while the split is evaluated,
and the test point is that of the weights paused at, never a mix."""

import gc

import numpy as np
import pytest
from PyQt6.QtCore import Qt, QTimer

from visualcnn.app.main_window import MainWindow
from visualcnn.app.run_loop import MAX_SPEED
from visualcnn.data import load_dataset
from visualcnn.nn import Network
from visualcnn.training.session import Session

TEST_IMAGES = 10_000


@pytest.fixture
def big_test_window(qtbot, tmp_path, settings_dir):
    """A window on a Keras-style npz whose test split has 10,000 images, as full MNIST's."""
    rng = np.random.default_rng(0)
    path = tmp_path / "large.npz"
    np.savez(path, x_train=rng.integers(0, 256, (200, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 200).astype(np.uint8),
             x_test=rng.integers(0, 256, (TEST_IMAGES, 28, 28), dtype=np.uint8),
             y_test=rng.integers(0, 10, TEST_IMAGES).astype(np.uint8))
    data = load_dataset(str(path))
    gc.collect()
    window = MainWindow(Session(data, Network.from_arch("conv8x3-pool2-dense10"), seed=0))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.loop.set_speed(MAX_SPEED)
    gc.disable()  # as tests/app/conftest.py: no window freed in another's paint event
    yield window
    gc.enable()


def expected_accuracy(window) -> float:
    """The accuracy of the current weights on the whole test split, in one go."""
    data = window.session.dataset
    probs = window.session.net.predict(data.x_test[0:len(data.y_test)])
    return float((probs.argmax(axis=1) == data.y_test).mean())


def run_then_pause(window, qtbot) -> int:
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.session.net.step >= 5, timeout=20000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not window.loop.running
    return window.session.net.step


def test_pause_evaluates_a_large_test_split_without_stopping_the_event_loop(
        big_test_window, qtbot):
    window, history = big_test_window, big_test_window.session.history
    paused_at = run_then_pause(window, qtbot)
    answered = []  # whether the test point was there when a posted event got its turn
    QTimer.singleShot(0, lambda: answered.append(history.tested_at(paused_at)))
    qtbot.waitUntil(lambda: history.tested_at(paused_at), timeout=30000)
    assert answered == [False]
    assert int(history.test_steps[-1]) == paused_at == window.session.fully_tested_at
    assert history.test_accuracy[-1] == expected_accuracy(window)
    assert len(window.session.test_predictions) == TEST_IMAGES


def test_a_step_during_the_evaluation_drops_it_instead_of_mixing_weights(
        big_test_window, qtbot):
    window, history = big_test_window, big_test_window.session.history
    paused_at = run_then_pause(window, qtbot)
    assert window.test_evaluation.busy
    qtbot.keyClick(window, Qt.Key.Key_Right)  # Step: new weights mid-evaluation
    assert window.session.net.step == paused_at + 1
    qtbot.waitUntil(lambda: not window.test_evaluation.busy, timeout=30000)
    assert paused_at not in history.test_steps.tolist()
    assert window.session.fully_tested_at is None
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: history.tested_at(paused_at + 1), timeout=30000)
    assert window.session.fully_tested_at == paused_at + 1
    assert history.test_accuracy[-1] == expected_accuracy(window)


def test_what_a_pause_evaluated_with_goes_back_to_the_system_when_done(
        big_test_window, qtbot, monkeypatch):
    # The chunks' activations are freed but stay in the process until returned; a paused
    # window may sit idle for the rest of a lesson holding them.
    from visualcnn.app import main_window

    window, returned = big_test_window, []
    monkeypatch.setattr(main_window, "return_freed_memory",
                        lambda: returned.append(window.session.history.tested_at(paused_at)))
    paused_at = run_then_pause(window, qtbot)
    qtbot.waitUntil(lambda: window.session.history.tested_at(paused_at), timeout=30000)
    qtbot.waitUntil(lambda: any(returned), timeout=5000)  # once the point is in
