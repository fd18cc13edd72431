"""Lessons: prepared scenarios a class steps through, card by card, each card's claim checked.

Qt-free. A lesson is a JSON file (resources/lessons/NN-name.json, format in the README there):
a setup (architecture, initialiser, optimiser, learning rate, seed, data, speed) and cards
(what to do, where to look, what to notice, and optionally a claim that ``checks`` measures).

    >>> lesson = find_lesson("max-pool")
    >>> session = lesson.build_session()
    >>> run_check(lesson.cards[1].check).passed
"""

from visualcnn.lessons.checks import CLAIMS, CheckResult, run_check
from visualcnn.lessons.format import (
    LANGUAGES,
    Card,
    Lesson,
    LessonError,
    Setup,
    find_lesson,
    lessons_folder,
    list_lessons,
    load_lesson,
    panel_keys,
    text,
)

__all__ = ["CLAIMS", "LANGUAGES", "Card", "CheckResult", "Lesson", "LessonError", "Setup",
           "find_lesson", "lessons_folder", "list_lessons", "load_lesson", "panel_keys",
           "run_check", "text"]
