"""The classroom's docks and "My layers" in Chinese: model and data (an architecture being
typed), the test set after an evaluation, a drawing, presenter mode, a layer in focus, the
export dialogs and messages, and a student's layer file, right and wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtWidgets import QFileDialog, QInputDialog

from tests.app.classroom.test_model_data import write_npz
from tests.i18n.visible import english_words, untranslated
from visualcnn.common import i18n

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"


def shown(dock):
    dock.show()
    dock.raise_()
    return dock


def draw_stroke(qtbot, canvas):
    points = [(60, 40), (110, 60), (130, 120), (110, 180), (80, 200)]
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[0]))
    for x, y in points[1:]:
        qtbot.mouseMove(canvas, QPoint(x, y))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[-1]))


def test_the_model_dock_on_new_data_while_an_architecture_is_typed(chinese_window,
                                                                    tmp_path):
    model = chinese_window.classroom.model_data
    dock = shown(model.dock)
    panel = model.panel
    assert model.open_dataset(str(write_npz(tmp_path / "mnist14.npz")))
    assert english_words(chinese_window.statusBar().currentMessage()) == []
    panel.arch_field.setText("conv8x3-relu-pool2-dense10")
    assert panel.apply_button.isEnabled()
    assert untranslated(dock) == []
    panel.arch_field.setText("conv8x3-pool2-conv4x5")  # no dense layer of ten at the end
    assert not panel.apply_button.isEnabled() and panel.message.text()
    # The parser's reason (the engine words it) and the dock around it.
    assert english_words(panel.message.text()) == []
    assert untranslated(dock) == []


def test_a_bad_dataset_is_a_chinese_banner(chinese_window, tmp_path):
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"not a zip")
    model = chinese_window.classroom.model_data
    assert not model.open_dataset(str(bad))
    banner = chinese_window.banner.text()
    # The loader's reason follows the colon; the sentence around it is ours.
    assert banner.startswith("无法打开数据集") and "保留当前模型" in banner


def test_the_test_set_dock_after_an_evaluation(chinese_window):
    window = chinese_window
    dock = shown(window.classroom.testset.dock)
    view = window.classroom.testset.view
    assert untranslated(dock) == []  # not evaluated yet
    window.actions["step"].trigger()
    window.actions["evaluate"].trigger()
    assert view.matrix.rowCount() == 10 and view.gallery.count() > 0
    assert untranslated(dock) == []
    view.matrix.cellClicked.emit(3, 5)  # one cell's mistakes
    assert untranslated(dock) == []


def test_the_drawing_dock_with_and_without_a_target(chinese_window, qtbot):
    window = chinese_window
    dock = shown(window.classroom.drawing.dock)
    draw = window.classroom.drawing.panel
    assert untranslated(dock) == []
    draw_stroke(qtbot, draw.canvas)
    assert window.classroom.drawing.notes.shown  # the forward pass only, with its notes
    assert untranslated(dock) == []
    draw.target.setValue(3)
    assert english_words(draw.target.text()) == []
    draw.target.setValue(-1)
    assert draw.target.text() == "目标：无"


def test_the_notes_over_the_gradients_of_a_drawing_without_a_target(chinese_window, qtbot):
    window = chinese_window
    shown(window.classroom.drawing.dock)
    draw_stroke(qtbot, window.classroom.drawing.panel.canvas)
    notes = window.classroom.drawing.notes
    mosaic = next(m for p in window.panels for m in getattr(getattr(p, "board", None),
                                                             "mosaics", []) if notes.label(m))
    assert notes.label(mosaic).isVisible() and english_words(notes.label(mosaic).text()) == []
    output = window.output_panel
    note = notes.gradient_note(output)
    assert note.isVisible() and english_words(note.textItem.toPlainText()) == []
    caption = window.panels[0].caption.item.text()
    assert "手绘样本" in caption


def test_a_layer_in_focus(chinese_window):
    window = chinese_window
    window.actions["focus_next"].trigger()
    window.actions["step"].trigger()
    focus = window.classroom.focus
    assert focus.layer == "conv1"
    assert english_words(focus.dock.windowTitle()) == []
    assert untranslated(focus.dock) == []
    assert all(not english_words(a.text()) for a in focus.menu.actions())


def test_presenter_mode_and_the_theme_menu(chinese_window):
    window = chinese_window
    window.actions["presenter"].trigger()
    assert window.classroom.presenter.on
    assert untranslated(window.classroom.theme.menu) == []
    window.actions["presenter"].trigger()


def test_the_export_dialogs_and_messages(chinese_window, monkeypatch, tmp_path):
    window = chinese_window
    exports = window.classroom.exports
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(
        lambda parent, title, name, pattern: asked.append((title, pattern)) or ("", "")))
    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(
        lambda parent, title, label, items, *a: asked.append((title, label))
        or (items[0], True)))
    exports.ask_save_window_png()
    exports.ask_save_panel_png()
    exports.ask_save_gif()  # nothing recorded yet: a banner
    assert english_words(window.banner.text()) == []
    window.actions["record_gif"].setChecked(True)
    window.actions["step"].trigger()
    exports.ask_save_gif()
    window.actions["record_gif"].setChecked(False)
    assert len(asked) == 4
    assert [text for pair in asked for text in pair if english_words(text)] == []
    assert untranslated(exports.scale_menu) == []
    assert exports.save_gif(tmp_path / "run.gif")
    assert english_words(window.statusBar().currentMessage()) == []
    assert not exports._save_png(window, tmp_path / "no such folder" / "x.png")
    assert window.banner.text().startswith("无法保存图片")


@pytest.fixture
def my_layers(chinese_window):
    my = chinese_window.my_layers
    yield my
    my.close()


def test_my_layers_with_a_correct_file(chinese_window, my_layers, tmp_path):
    path = tmp_path / "my_layers.py"
    shutil.copy(EXAMPLES / "correct_loops.py", path)
    assert my_layers.use(path)
    chinese_window.actions["step"].trigger()
    assert my_layers.widget.comparisons and all(c.agrees for c in my_layers.widget.comparisons)
    assert untranslated(my_layers.dock) == []
    assert all(not english_words(a.text() + a.statusTip())
               for a in (my_layers.use_action, my_layers.stop_action))


def test_my_layers_with_a_mistake(chinese_window, my_layers, tmp_path):
    path = tmp_path / "flipped.py"
    shutil.copy(EXAMPLES / "flipped_kernel.py", path)
    assert my_layers.use(path)
    chinese_window.actions["step"].trigger()
    widget = my_layers.widget
    assert widget.detail is not None and not widget.selected().agrees
    assert untranslated(my_layers.dock) == []
    assert untranslated(widget.detail.widget) == []


def test_a_function_that_returns_the_wrong_shape_is_said_in_chinese(chinese_window, my_layers,
                                                                     tmp_path):
    path = tmp_path / "wrong_shape.py"
    path.write_text("def dense_forward(x, W, b):\n    return x[:, :1]\n")
    assert my_layers.use(path)
    chinese_window.actions["step"].trigger()
    failed = [c for c in my_layers.widget.comparisons if c.failure]
    assert failed and english_words(failed[0].failure) == []
    assert untranslated(my_layers.dock) == []


def test_a_file_that_does_not_exist_is_a_chinese_banner(chinese_window, my_layers, tmp_path):
    assert not my_layers.use(tmp_path / "missing.py")
    assert english_words(chinese_window.banner.text()) == []


def test_a_file_that_does_not_load_is_worded_in_chinese_by_the_worker(chinese_window, my_layers,
                                                                      tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def conv_forward(x, W, b)\n    return x\n")
    assert not my_layers.use(broken)
    # Python's own words for the syntax error stay; where it is, the worker says in Chinese.
    banner = chinese_window.banner.text()
    assert banner.startswith("我的层：") and "broken.py，第 1 行：SyntaxError" in banner


def test_the_sandbox_says_a_missing_file_in_chinese(tmp_path):
    from visualcnn.yours.sandbox import LoadError, Sandbox

    i18n.set_language(i18n.CHINESE)
    with pytest.raises(LoadError) as error:
        Sandbox(tmp_path / "missing.py")
    assert english_words(str(error.value)) == [] and "文件不存在" in str(error.value)
