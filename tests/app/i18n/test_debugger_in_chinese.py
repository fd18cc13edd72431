"""The debugger in Chinese: each dock, dialog and banner it shows, in the states a user meets
them (after steps, a phase walk, a gradient check, a pin, a breakpoint, a blow-up), has no
English left; and the Qt-free messages it shows come out in Chinese."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QDialog

from tests.app.conftest import make_dataset
from tests.i18n.visible import english_words, untranslated
from visualcnn.common import i18n
from visualcnn.nn import Network
from visualcnn.nn.diff import diff_params, named_params
from visualcnn.nn.gradcheck import check_entry
from visualcnn.training.breakpoints import Breakpoints
from visualcnn.training.divergence import Divergence


def steps(window, count):
    for _ in range(count):
        window.actions["step"].trigger()


def phase_part(window) -> str:
    """What the debugger puts at the head of the status line (the rest is the window's)."""
    return window.status.text().split("·")[0]


def test_stepping_phases_stepping_back_and_the_update_dock_are_chinese(chinese_window, qtbot):
    window = chinese_window
    view = window.debugger
    view.update_dock.show()
    steps(window, 3)
    window.actions["step_phase"].trigger()
    assert view.phase_text == "forward conv1"  # the fact stays language-free
    assert phase_part(window).startswith("阶段：前向传播 conv1")
    assert window.docks["conv1"].windowTitle().startswith("▶ 前向传播")
    assert not english_words(window.docks["conv1"].windowTitle())
    assert untranslated(view.update_dock) == []  # "not yet computed" in the caption
    while view.phase_text != "loss":
        window.actions["step_phase"].trigger()
    assert phase_part(window).startswith("阶段：损失") and not english_words(phase_part(window))
    while view.phase_text != "update":
        window.actions["step_phase"].trigger()
    assert window.session.net.step == 4
    assert untranslated(view.update_dock) == []
    window.actions["step_back"].trigger()
    message = window.statusBar().currentMessage()
    assert window.session.net.step == 3 and message.startswith("已后退到第 3 步")
    assert english_words(message) == []
    window.actions["dry_run"].trigger()
    assert phase_part(window).startswith("阶段：在样本 #") and not english_words(phase_part(window))


def test_adams_update_dock_is_chinese(chinese_window, qtbot):
    from visualcnn.app.debug.update_view import UpdateWidget

    net = Network.from_arch("conv8x3-pool2-dense10", seed=0, optimizer="adam",
                            weight_decay=1e-4)
    data = make_dataset()
    dock = UpdateWidget()
    qtbot.addWidget(dock)
    dock.build(net)
    dock.show_trace(net.train_step(data.x_train[0], int(data.y_train[0]), 0.01))
    assert dock.caption.text().startswith("第 1 步的更新（adam，权重衰减 0.0001")
    assert untranslated(dock) == []


def test_the_gradient_checks_and_their_errors_are_chinese(chinese_window, qtbot):
    window = chinese_window
    view = window.debugger
    steps(window, 2)
    window.actions["gradcheck"].trigger()
    gc = view.gradcheck
    assert "通过" in gc.summary.text() or "未通过" in gc.summary.text()
    assert untranslated(view.gradcheck_dock) == []
    gc.tabs.setCurrentWidget(gc.whole)
    qtbot.mouseClick(gc.whole.run, Qt.MouseButton.LeftButton)
    assert gc.whole.table.rowCount() > 0
    gc.whole.table.cellClicked.emit(1, 0)  # a row fills the lookup with its worst entry
    assert gc.whole.result is not None
    assert untranslated(view.gradcheck_dock) == []
    for bad in ("3, x", "99, 99, 99, 99"):  # not numbers; no such entry of conv1/W
        gc.whole.tensor.setCurrentIndex(gc.whole.tensor.findData("conv1/W"))
        gc.whole.index.setText(bad)
        qtbot.mouseClick(gc.whole.look, Qt.MouseButton.LeftButton)
        assert gc.whole.result is None
        assert untranslated(gc.whole) == [], bad
    # The report is of the step it was made at: stepping on says so, in Chinese.
    window.actions["gradcheck"].trigger()
    steps(window, 1)
    window.actions["step_back"].trigger()
    window.actions["step_back"].trigger()
    assert "上次检查" in gc.summary.text() and untranslated(gc) == []


def test_pin_and_compare_weights_and_the_timeline_are_chinese(chinese_window, qtbot):
    window = chinese_window
    view = window.debugger
    view.diff_dock.show()
    assert untranslated(view.diff_dock) == []  # nothing pinned yet
    steps(window, 2)
    qtbot.mouseClick(view.diff_view.pin, Qt.MouseButton.LeftButton)
    steps(window, 3)
    assert view.diff_view.diffs is not None
    assert untranslated(view.diff_dock) == []
    view.diff_view.step_a.setValue(1)
    view.diff_view.step_b.setValue(4)
    qtbot.mouseClick(view.diff_view.compare, Qt.MouseButton.LeftButton)
    assert view.diff_view.caption.text().startswith("第 4 步 − 第 1 步")
    assert untranslated(view.diff_dock) == []
    view.timeline.dock.toggleViewAction().trigger()
    assert view.timeline.dock.isVisible()
    assert untranslated(view.timeline.dock) == []
    view.show_step(99)  # not in the run: a word on the status line
    message = window.statusBar().currentMessage()
    assert message.startswith("第 99 步不在本次运行中") and english_words(message) == []


def test_a_breakpoint_hit_is_said_in_chinese(chinese_window, qtbot):
    window = chinese_window
    view = window.debugger
    view.breakpoints_dock.show()
    assert untranslated(view.breakpoints_dock) == []
    bp = view.breakpoints
    bp.step_value.setValue(3)
    bp.step_on.setChecked(True)
    window.controls.speed_slider.setValue(window.controls.speed_slider.maximum())
    window.actions["run"].trigger()
    qtbot.waitUntil(lambda: not window.loop.running, timeout=20000)
    assert window.session.net.step == 3
    assert bp.fired.text().startswith("已触发：到达第 3 步")
    assert untranslated(view.breakpoints_dock) == []
    assert window.banner_bar.isVisible() and window.banner.text().startswith("断点：")
    assert untranslated(window.banner_bar) == []


def test_a_blow_up_banner_is_chinese(chinese_window, qtbot):
    window = chinese_window
    field = window.controls.lr_field
    field.selectAll()
    qtbot.keyClicks(field, "1")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert window.session.lr == 1
    for _ in range(30):
        if window.banner_bar.isVisible():
            break
        window.actions["step"].trigger()
    assert window.session.divergence is not None
    assert window.banner.text().startswith("训练在第")
    assert window.debugger.divergence.back.text().startswith("回到第")
    assert untranslated(window.banner_bar) == []


def test_the_history_budget_menu_entry_and_dialog_are_chinese(chinese_window, qtbot):
    window = chinese_window
    budget = window.debugger.budget
    assert budget.action.text().startswith("回溯历史：100 MB")
    assert untranslated(window.debugger.menu) == []
    budget.action.trigger()
    dialog = [d for d in window.findChildren(QDialog, "history_budget_dialog")
              if d.isVisible()][0]
    assert untranslated(dialog) == []
    dialog.spin.setValue(1)
    assert dialog.note.text().startswith("保存 conv8x3-pool2-dense10 的 9 份快照")
    assert untranslated(dialog) == []
    dialog.reject()
    assert not budget.set_mb(0)  # refused: the banner says why
    assert untranslated(window.banner_bar) == []


# --------------------------------------------------------------- Qt-free messages
@pytest.fixture
def chinese():
    i18n.set_language(i18n.CHINESE)  # the autouse fixture puts English back


def test_breakpoint_reasons_are_chinese(chinese):
    net = Network.from_arch("conv8x3-pool2-dense10", seed=0)
    data = make_dataset()
    trace = net.train_step(data.x_train[0], int(data.y_train[0]), 0.01)
    bp = Breakpoints(wrong_prediction=True, loss_above=0.0, label_is=int(trace.label),
                     grad_norm_above={"conv1": 0.0})
    wrong = trace.prediction != trace.label
    reason = bp.check(trace, sample=7)
    assert reason is not None and english_words(reason) == []
    assert ("预测错误" if wrong else "损失") in reason
    bp = Breakpoints(grad_norm_below={"conv1": 1.0})  # the output layer starts at zero
    assert english_words(bp.check(trace)) == []


def test_divergence_and_diff_and_gradcheck_errors_are_chinese(chinese):
    for d in (Divergence(5, "loss", 132.0, 2.3, 1.0),
              Divergence(5, "conv1 gradient norm", 40.0, 1.0, 1.0),
              Divergence(5, "loss", 300.0, 2.3, 1.0, cap=230.0)):
        assert english_words(d.describe()) == [], d
    a = named_params(Network.from_arch("conv8x3-pool2-dense10"))
    with pytest.raises(ValueError) as error:
        diff_params(a, named_params(Network.from_arch("conv4x3-pool2-dense10")))
    assert english_words(str(error.value)) == []
    net = Network.from_arch("conv8x3-pool2-dense10", seed=0)
    with pytest.raises(ValueError) as error:
        check_entry(net, np.zeros((1, 28, 28)), 3, "conv1/W", (99, 0, 0, 0))
    assert english_words(str(error.value)) == []
