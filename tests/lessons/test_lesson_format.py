"""Lesson files: the shipped ones load, a bad one is refused in one line naming the file and
the place, and `visualcnn lesson --list` prints them."""

import json
import re

import pytest

from visualcnn import cli
from visualcnn.lessons import LessonError, find_lesson, list_lessons, load_lesson, text

GOOD = {
    "name": "mine",
    "title": {"en": "My lesson", "zh": "我的课"},
    "setup": {"arch": "conv8x3-pool2-dense10", "lr": 0.01},
    "cards": [
        {"do": {"en": "Press Step."}, "look": {"en": "conv1."}, "notice": {"en": "It moves."},
         "panel": "conv1"},
        {"do": {"en": "Press Run."}, "look": {"en": "The curves."},
         "notice": {"en": "The loss falls."}, "panel": "curves",
         "check": {"kind": "phase_count", "phases": 10}},
    ],
}


def write(tmp_path, data, name="mine.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=1))
    return path


def refusal(path) -> str:
    with pytest.raises(LessonError) as caught:
        load_lesson(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return message


def test_the_eight_shipped_lessons_load_in_order_each_with_a_checked_claim():
    lessons = list_lessons()
    assert [lesson.name for lesson in lessons] == [
        "one-sample", "max-pool", "class-templates", "lr-too-high", "lr-too-low",
        "constant-init", "dead-relus", "sigmoid-deep"]
    for lesson in lessons:
        assert any(card.check for card in lesson.cards), lesson.name
        # Both languages on every card, and the lesson's title.
        assert text(lesson, "title", "zh") != text(lesson, "title", "en")
        for card in lesson.cards:
            for key in ("do", "look", "notice"):
                assert card.__dict__[key].get("zh"), (lesson.name, card.number, key)


def _figures(card) -> list[str]:
    """The numbers of a card's claim as its text writes them: 3e-5, 0.8, 50% (a fraction of
    units), 10."""
    shown = []
    for key, value in card.check.items():
        if key in ("kind", "with", "layer"):
            continue
        if key in ("at_least", "at_most"):
            shown.append(f"{value:.0%}")
        else:
            shown.append(re.sub(r"e-0(\d)", r"e-\1", f"{value:g}"))
    return shown


@pytest.mark.parametrize("lesson", list_lessons(), ids=lambda lesson: lesson.name)
def test_each_claim_s_figures_are_the_ones_its_card_states_in_both_languages(lesson):
    for card in lesson.cards:
        if card.check is None:
            continue
        for language in ("en", "zh"):
            words = " ".join(text(card, key, language) for key in ("do", "look", "notice"))
            for figure in _figures(card):
                assert figure in words, (lesson.name, card.number, language, figure)


def test_malformed_json_names_the_file_line_and_column(tmp_path):
    text_ = json.dumps(GOOD, indent=1).replace('"panel": "curves"', '"panel": "curves",,')
    path = write(tmp_path, text_)
    line = text_[:text_.index(",,") + 1].count("\n") + 1
    message = refusal(path)
    assert re.search(rf"mine\.json:{line}:\d+: not valid JSON", message), message


@pytest.mark.parametrize("change, words", [
    (lambda d: d["cards"][1].pop("panel"), ["card 2", "missing key 'panel'"]),
    (lambda d: d["cards"][0].update(panel="conv9"), ["card 1", "'panel'", "conv9"]),
    (lambda d: d["cards"][1]["do"].pop("en"), ["card 2", "'do'", "English"]),
    (lambda d: d["cards"][0].update(notice="text"), ["card 1", "'notice' must be an object"]),
    (lambda d: d["setup"].update(arch="conv8x3-blob-dense10"), ["setup", "'arch'", "blob"]),
    (lambda d: d["setup"].update(lr="fast"), ["setup", "'lr' must be a number"]),
    (lambda d: d["setup"].update(lr=5), ["setup", "'lr' must be between"]),
    (lambda d: d["setup"].update(init="ones"), ["setup", "'init'", "ones"]),
    (lambda d: d["setup"].update(speed=3), ["setup", "'speed'"]),
    (lambda d: d["cards"][1]["check"].update(kind="magic"), ["card 2", "unknown kind 'magic'"]),
    (lambda d: d["cards"][1]["check"].update(phases=1.5), ["card 2", "'phases'"]),
    (lambda d: d["cards"][1]["check"].update({"with": {"lr": 9}}), ["card 2", "'with'", "'lr'"]),
    (lambda d: d["cards"].clear(), ["'cards' is empty"]),
    (lambda d: d.update(colour="blue"), ["unknown key 'colour'"]),
])
def test_a_bad_lesson_is_one_line_naming_the_file_the_card_and_the_key(tmp_path, change,
                                                                       words):
    data = json.loads(json.dumps(GOOD))
    change(data)
    message = refusal(write(tmp_path, data))
    for w in words:
        assert w in message, message


def test_a_good_teachers_lesson_loads_with_its_defaults(tmp_path):
    lesson = load_lesson(write(tmp_path, GOOD))
    assert lesson.name == "mine" and len(lesson.cards) == 2
    assert (lesson.setup.init, lesson.setup.optimizer, lesson.setup.seed) == ("he", "sgd", 0)
    assert lesson.cards[1].check["with"] == lesson.setup
    assert text(lesson.cards[0], "do", "zh") == "Press Step."  # English when no Chinese


def test_panels_of_a_lesson_on_other_data_are_named_from_the_architecture(tmp_path):
    data = json.loads(json.dumps(GOOD))
    data["setup"].update(arch="conv8x3p1-lrelu-avgpool2-dense10", data="some/folder")
    data["cards"][0]["panel"] = "avgpool1"
    assert load_lesson(write(tmp_path, data)).cards[0].panel == "avgpool1"
    data["cards"][0]["panel"] = "pool1"
    assert "unknown panel 'pool1'" in refusal(write(tmp_path, data))


def test_a_missing_file_and_an_unknown_name_are_refused_in_one_line(tmp_path):
    refusal(tmp_path / "none.json")
    with pytest.raises(LessonError, match="no lesson called 'nope'; there are one-sample"):
        find_lesson("nope")
    assert find_lesson("03-class-templates").name == "class-templates"


def test_lesson_list_prints_one_lesson_a_line_name_then_title(capsys):
    assert cli.main(["lesson", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(list_lessons()) == 8
    assert lines[0] == "one-sample\tOne sample, phase by phase"
    assert lines[7].startswith("sigmoid-deep\tSigmoid in a deep net")


def test_lesson_command_refuses_a_bad_file_before_any_window(tmp_path, capsys):
    path = write(tmp_path, "{")
    assert cli.main(["lesson", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "mine.json:1:2: not valid JSON" in err
    assert cli.main(["lesson"]) == 2
    assert "--list" in capsys.readouterr().err
