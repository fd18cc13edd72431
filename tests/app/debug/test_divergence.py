"""Run pauses at the first sign of divergence, says what happened in the banner, and its button
goes back to the last step before it; the factor is a setting of the Breakpoints dock."""

import pytest
from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtWidgets import QApplication, QToolButton

from visualcnn.common.numbers import format_number
from visualcnn.data import load_dataset


@pytest.fixture(scope="module")
def bundled():
    return load_dataset("bundled")


@pytest.fixture
def dataset(bundled):  # the windows of this module show the bundled digits
    return bundled


def active(window, qtbot):
    """``window`` once it is the active window: before that, its shortcuts do not fire."""
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    return window


def type_lr(window, qtbot, text):
    field = window.controls.lr_field
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def run_until_paused(window, qtbot, timeout=20000):
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not window.loop.running, timeout=timeout)


def banner_button(window, text):
    buttons = [b for b in window.banner_bar.findChildren(QToolButton)
               if b.isVisible() and b.text() == text]
    assert len(buttons) == 1, [b.text() for b in window.banner_bar.findChildren(QToolButton)]
    return buttons[0]


def test_learning_rate_1_pauses_at_the_first_sign_and_the_button_goes_back(window, qtbot):
    type_lr(window, qtbot, "1")
    assert window.session.lr == 1.0
    run_until_paused(window, qtbot)
    s = window.session
    # It used to run on to step 145, when a gradient norm overflowed (loss 2.7e306).
    assert s.net.step == 2 and not s.failure
    assert window.banner_bar.isVisible()
    assert window.banner.text() == (
        "Training paused at step 2: the loss jumped from 2.3 to 132 (x57.5 its recent "
        "level) with learning rate 1. Lower the learning rate, then Step back (Left) to "
        "step 0, the last step before it.")
    assert window.last_trace.step == 2  # the step that jumped is the one shown
    type_lr(window, qtbot, "0.01")
    qtbot.mouseClick(banner_button(window, "Back to step 0"), Qt.MouseButton.LeftButton)
    assert s.net.step == 0 and len(s.history) == 0
    assert not window.banner_bar.isVisible()
    window.controls.speed_slider.setValue(window.controls.speed_slider.maximum())
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: s.net.step >= 300, timeout=30000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not window.banner_bar.isVisible() and s.divergence is None and not s.failure


def test_stepping_into_a_blow_up_shows_the_banner_too(window, qtbot):
    type_lr(window, qtbot, "1")
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert not window.banner_bar.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert window.banner_bar.isVisible() and "Training paused at step 2" in window.banner.text()
    assert banner_button(window, "Back to step 0").isEnabled()


def test_unticked_it_runs_on_to_the_overflow_and_the_setting_is_kept(make_window, qtbot):
    window = active(make_window(), qtbot)
    bp = window.debugger.breakpoints
    assert bp.jump_on.isChecked() and bp.jump_factor.value() == 20.0
    bp.jump_on.setChecked(False)
    type_lr(window, qtbot, "1")
    window.controls.speed_slider.setValue(window.controls.speed_slider.maximum())
    run_until_paused(window, qtbot)
    assert window.session.failure and window.session.net.step == 145
    assert "infinite or NaN" in window.banner.text()
    assert QSettings().value("debug/divergence_factor", type=float) == 0.0
    window.close()
    again = make_window()
    assert not again.debugger.breakpoints.jump_on.isChecked()
    assert again.session.watch.factor is None
    again.debugger.breakpoints.jump_on.setChecked(True)
    again.debugger.breakpoints.jump_factor.setValue(100.0)
    assert again.session.watch.factor == 100.0
    assert QSettings().value("debug/divergence_factor", type=float) == 100.0


def test_the_status_line_shows_a_huge_loss_in_a_few_characters(window, qtbot):
    type_lr(window, qtbot, "1")
    for _ in range(140):  # the loss is about 1e306 by now, still finite
        window.session.step()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    loss = window.last_trace.loss
    assert loss > 1e100 and not window.session.failure
    text = window.status.text()
    assert f"loss {format_number(loss)}   " in text and len(format_number(loss)) <= 8
    assert text.endswith("learning rate 1") and len(text) < 120
