"""Lessons in the window: the Lessons menu, the Lesson dock and its cards, the panel each
card points at."""
