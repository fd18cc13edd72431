"""The window's own parts in Chinese: menus, toolbars and controls, the status line and the
title, the welcome, About and the keyboard shortcuts, the batch strip, the Lessons menu and a
lesson's card, and the banner of a lesson file that is not one."""

from PyQt6.QtWidgets import QDialog, QMessageBox, QTableWidget

from tests.i18n.visible import english_words, untranslated
from visualcnn.app.actions import ACTION_SPECS
from visualcnn.lessons import find_lesson


def test_the_actions_menus_and_controls_are_chinese(chinese_window):
    window = chinese_window
    for spec in ACTION_SPECS:
        action = window.actions[spec.name]
        for text in (action.text(), action.iconText(), action.toolTip(), action.statusTip()):
            assert english_words(text) == [], (spec.name, text)
        assert "(" not in action.iconText(), action.iconText()  # no "(S)" on a button
    for name in ("File", "Run", "View", "Help", "Debug", "Lessons"):
        assert english_words(window.menu(name).title()) == [], name
    assert untranslated(window.language_menu) == []
    assert untranslated(window.controls.bar) == []
    assert untranslated(window.controls.settings_bar) == []


def test_the_narrow_toolbar_and_the_run_button_stay_chinese(chinese_window, qtbot):
    window = chinese_window
    window.controls.shorten(True)
    assert untranslated(window.controls.settings_bar) == []
    window.actions["run"].trigger()
    try:
        assert window.actions["run"].iconText() == "暂停"
    finally:
        window.actions["run"].trigger()
    qtbot.waitUntil(lambda: window.actions["run"].iconText() == "运行")


def test_the_status_line_title_and_batch_messages_after_a_step(chinese_window):
    window = chinese_window
    window.controls.batch_box.setValue(4)
    assert english_words(window.statusBar().currentMessage()) == []
    window.step()
    assert english_words(window.status.text()) == [], window.status.text()
    assert window.status.text().startswith("第 1 步")
    title = window.windowTitle().replace(window.session.dataset.name, "")
    assert english_words(title) == [], title
    strip = window.batch.strip
    assert window.batch.bar.isVisible() and len(strip.images) == 4
    assert untranslated(window.batch.bar) == []
    for text in (strip.note, strip.describe(0), strip.describe(3)):
        assert english_words(text) == [], text


def test_welcome_about_and_the_shortcuts_dialog(chinese_window, monkeypatch):
    from visualcnn.app.welcome import Welcome

    window = chinese_window
    welcome = Welcome(window)
    assert untranslated(welcome) == []
    assert "欢迎使用 visualcnn" in welcome.text.text()
    shown = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(
        (title, text)))
    window.actions["about"].trigger()
    [(title, text)] = shown
    assert english_words(title) == [] and english_words(text) == [], (title, text)
    window.actions["shortcuts"].trigger()
    [dialog] = [d for d in window.findChildren(QDialog) if d.isVisible()
                and d is not welcome]
    assert untranslated(dialog) == []
    [table] = dialog.findChildren(QTableWidget)
    actions = [table.item(row, 1).text() for row in range(table.rowCount())]
    assert any(text.startswith("单步：") for text in actions)  # its name without "(&S)"


def test_a_lesson_card_and_the_lessons_menu_are_in_chinese(chinese_window, qtbot):
    window = chinese_window
    lessons = window.lessons
    assert untranslated(lessons.view) == []  # no lesson open yet
    menu = window.menu("Lessons")
    assert untranslated(menu) == []
    lesson = find_lesson("one-sample")
    [action] = [a for a in menu.actions() if a.data() == "one-sample"]
    assert lesson.title["zh"] in action.text()
    action.trigger()
    qtbot.waitUntil(lambda: lessons.dock.isVisible())
    lessons.go(1)
    assert lessons.view.position.text() == "第 2 张卡片，共 5 张"
    assert lessons.view.title.text() == lesson.title["zh"]
    assert lesson.cards[1].do["zh"] in lessons.view.fields["do"].text()
    assert untranslated(lessons.dock) == []


def test_a_lesson_file_that_is_not_one_is_a_chinese_banner(chinese_window, tmp_path):
    window = chinese_window
    path = tmp_path / "mine.json"
    path.write_text("[1, 2]", encoding="utf-8")
    assert not window.lessons.open_file(path)
    assert window.banner_bar.isVisible()
    assert untranslated(window.banner_bar) == [], window.banner.text()
    assert "无法打开课程" in window.banner.text()
