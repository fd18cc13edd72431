"""Class names on screen: how a view writes a class, short enough for where it goes.

A dataset names its classes (``Dataset.class_names``); MNIST's are the digits, which every view
already has room for. Fashion-MNIST's run to 11 characters ("T-shirt/top"), a user's own may
be longer: views cut them to ``SHORT`` characters with an ellipsis, and give the full name in
a tooltip where there is one. A known dataset's names (Fashion-MNIST's, CIFAR-10's) are
shown in the window's language; a user's own names as they are.
"""

from __future__ import annotations

from visualcnn.common import i18n

SHORT = 12  # characters of a class name a crowded view shows
ELLIPSIS = "…"


def numbered(classes: int) -> tuple[str, ...]:
    """The names of classes that have none but their number."""
    return tuple(str(c) for c in range(classes))


def names_or_numbers(class_names, classes: int) -> tuple[str, ...]:
    """``class_names`` as a tuple, or the numbers when there are none."""
    return tuple(class_names) if class_names else numbered(classes)


def is_numbered(names) -> bool:
    """True when every class is named by its own number (the digits): nothing to explain."""
    return all(name == str(c) for c, name in enumerate(names))


def short(name: str, chars: int = SHORT) -> str:
    """``name`` in the window's language (when the catalogue knows it) cut to ``chars``
    characters, the last an ellipsis when it was longer."""
    name = i18n.lookup(name)
    return name if len(name) <= chars else name[:chars - 1].rstrip() + ELLIPSIS
