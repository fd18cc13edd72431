"""The whole window in Chinese: every text it shows, in every dock and menu, after a step."""

from PyQt6.QtWidgets import QDockWidget

from tests.i18n.visible import english_words, untranslated
from visualcnn.common import i18n


def test_no_english_is_left_anywhere_in_the_chinese_window(chinese_window, qtbot):
    window = chinese_window
    for dock in window.findChildren(QDockWidget):
        dock.show()
    window.step()
    window.show_trace(window.session.step())
    qtbot.wait(50)
    assert untranslated(window) == []


def test_the_menus_are_chinese_and_still_found_by_their_english_names(chinese_window):
    for name in ("File", "Run", "View", "Help", "Debug", "Lessons"):
        menu = chinese_window.menu(name)
        assert menu is not None and not english_words(menu.title()), name


def test_the_language_menu_keeps_the_choice_for_the_next_start(window):
    from visualcnn.app.language import SETTING, chosen_language

    window.language_menu.choice_actions[i18n.CHINESE].trigger()
    assert window.settings.value(SETTING) == i18n.CHINESE
    assert chosen_language(window.settings) == i18n.CHINESE
    assert "简体中文" in window.status.text() and "下次启动" in window.status.text()
    window.language_menu.choice_actions["system"].trigger()
    assert window.settings.value(SETTING) == "system"
