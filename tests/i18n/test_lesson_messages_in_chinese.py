"""A lesson file that is not one is refused in the window's language (the Lessons menu and
`Open lesson file` show the message in the banner), and in today's English otherwise. The
file's own key names ('title', 'speed') stay as the file must spell them."""

import json

import pytest

from tests.i18n.visible import english_words
from visualcnn.common import i18n
from visualcnn.lessons import LessonError, load_lesson
from visualcnn.lessons.format import window_language

CARD = {"do": {"en": "Press Step."}, "look": {"en": "conv1."}, "notice": {"en": "It moves."},
        "panel": "conv1"}
GOOD = {"name": "mine", "title": {"en": "My lesson"},
        "setup": {"arch": "conv8x3-pool2-dense10", "lr": 0.01}, "cards": [CARD]}
BAD = {
    "missing": None,
    "not an object": [1, 2],
    "a card that is not an object": {**GOOD, "cards": [CARD, "Press Run."]},
    "a learning rate out of range": {**GOOD, "setup": {**GOOD["setup"], "lr": 5}},
}
ENGLISH = {
    "missing": "no such lesson file",
    "not an object": "a lesson file holds one JSON object",
    "a card that is not an object": "card 2: a card is a JSON object",
    "a learning rate out of range": "setup: 'lr' must be between 1e-05 and 1, got 5",
}


def refusal(tmp_path, case) -> str:
    path = tmp_path / "mine.json"
    if BAD[case] is not None:
        path.write_text(json.dumps(BAD[case]), encoding="utf-8")
    with pytest.raises(LessonError) as caught:
        load_lesson(path)
    return str(caught.value)


@pytest.mark.parametrize("case", BAD)
def test_a_bad_lesson_file_is_refused_in_chinese(tmp_path, case):
    i18n.set_language(i18n.CHINESE)
    message = refusal(tmp_path, case)
    assert english_words(message) == [], message
    assert str(tmp_path) in message


@pytest.mark.parametrize("case", BAD)
def test_and_in_english_as_before(tmp_path, case):
    assert refusal(tmp_path, case).endswith(ENGLISH[case])


def test_the_cards_follow_the_window_language():
    assert window_language() == "en"
    i18n.set_language(i18n.CHINESE)
    assert window_language() == "zh"
