"""The Lessons menu and the Lesson dock: opening a lesson builds its setup, Next and Back move
through the cards and the frame follows each card's panel, presenter mode puts the card's
layer in focus, and a bad file is a banner that keeps the model."""

import json

from PyQt6.QtCore import Qt

from visualcnn.lessons import find_lesson


def open_from_menu(window, qtbot, name):
    menu = window.menu("Lessons")
    assert menu is not None
    [action] = [a for a in menu.actions() if a.data() == name]
    action.trigger()
    qtbot.waitUntil(lambda: window.lessons.dock.isVisible())
    return window.lessons


def card_text(lessons) -> str:
    return " ".join(label.text() for label in lessons.view.fields.values())


def test_the_lessons_menu_opens_lesson_1_on_its_setup_at_its_first_card(window, qtbot):
    lesson = find_lesson("one-sample")
    lessons = open_from_menu(window, qtbot, "one-sample")
    net = window.session.net
    assert (net.arch, net.init, net.optimizer) == (lesson.setup.arch, "xavier", "sgd")
    assert window.session.dataset.name != "random"  # the lesson's data, the bundled digits
    assert window.session.lr == lesson.setup.lr
    assert window.controls.speed_label.text() == "1/s"
    assert lessons.view.position.text() == "Card 1 of 5"
    assert "Press Step phase (Down arrow) once." in card_text(lessons)
    assert lessons.framed is window.docks["conv1"]
    assert lessons.outline.isVisible() and lessons.outline.parent() is window.docks["conv1"]


def test_next_and_back_move_the_card_and_the_frame(window, qtbot):
    lessons = open_from_menu(window, qtbot, "one-sample")
    view = lessons.view
    assert not view.back_button.isEnabled()
    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    assert view.position.text() == "Card 2 of 5"
    assert "four more times" in card_text(lessons)
    assert lessons.framed is window.docks["dense1"]
    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    assert lessons.framed is window.docks["output"]
    qtbot.mouseClick(view.back_button, Qt.MouseButton.LeftButton)
    assert view.position.text() == "Card 2 of 5" and lessons.framed is window.docks["dense1"]
    for _ in range(3):
        qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    # The last card points at the Update dock, a side dock: it is shown and framed.
    assert view.position.text() == "Card 5 of 5" and not view.next_button.isEnabled()
    update = window.debugger.update_dock
    assert lessons.framed is update and update.isVisible()


def test_the_card_follows_the_phases_it_asks_for(window, qtbot):
    lessons = open_from_menu(window, qtbot, "one-sample")
    window.actions["step_phase"].trigger()  # what card 1 says to do
    assert window.debugger.phase_text.startswith("forward conv1")
    assert lessons.framed is window.docks["conv1"]


def test_lesson_1_s_cards_point_at_the_panel_each_phase_marks(window, qtbot):
    # Doing what each card says ("press Step phase four more times") marks the very dock the
    # card frames: the cards and the engine's phases agree.
    lessons = open_from_menu(window, qtbot, "one-sample")
    presses = [1, 4, 1, 5, 1]
    for number, count in enumerate(presses, 1):
        assert lessons.view.position.text() == f"Card {number} of 5"
        for _ in range(count):
            window.actions["step_phase"].trigger()
        panel = lessons.card.panel
        if panel == "update":
            assert window.debugger.phase_text.startswith("update")
        else:
            assert window.docks[panel].windowTitle().startswith("▶"), panel
        assert lessons.framed is lessons.panel_dock(panel)
        if number < len(presses):
            qtbot.mouseClick(lessons.view.next_button, Qt.MouseButton.LeftButton)


def test_presenter_mode_brings_the_cards_layer_into_focus(window, qtbot):
    window.actions["presenter"].setChecked(True)
    lessons = open_from_menu(window, qtbot, "max-pool")
    focus = window.classroom.focus
    assert focus.layer == "pool1" and lessons.framed is focus.dock
    qtbot.mouseClick(lessons.view.next_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(lessons.view.next_button, Qt.MouseButton.LeftButton)
    assert focus.layer == "conv1" and focus.dock.isVisible()
    # Presenter mode off, then on again with a card on the curves: no layer in focus.
    window.actions["presenter"].setChecked(False)
    open_from_menu(window, qtbot, "lr-too-high")
    window.actions["presenter"].setChecked(True)
    assert focus.layer is None and lessons.framed is window.docks["curves"]
    open_from_menu(window, qtbot, "max-pool")
    assert focus.layer == "pool1"
    qtbot.mouseClick(lessons.view.close_button, Qt.MouseButton.LeftButton)
    assert lessons.lesson is None and not lessons.dock.isVisible()
    assert focus.layer is None and lessons.framed is None and not lessons.outline.isVisible()


def test_a_bad_lesson_file_is_a_banner_and_the_model_stays(window, qtbot, tmp_path):
    before = window.session
    path = tmp_path / "broken.json"
    path.write_text(json.dumps({"name": "x", "title": {"en": "X"},
                                "setup": {"arch": "conv8x3-pool2-dense10", "lr": 0.01},
                                "cards": [{"do": {"en": "a"}, "look": {"en": "b"},
                                           "notice": {"en": "c"}, "panel": "conv7"}]}))
    assert not window.lessons.open_file(path)
    assert window.session is before and not window.lessons.dock.isVisible()
    assert "current model is kept" in window.banner.text()
    assert "broken.json: card 1: 'panel': unknown panel 'conv7'" in window.banner.text()
