"""Every action of the app, declared in one place: text, tip, shortcut and icon.

Menus, the toolbar and the "Keyboard shortcuts" dialog are all built from ``create_actions``.
"""

from __future__ import annotations

from dataclasses import dataclass

from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QStyle, QWidget

SP = QStyle.StandardPixmap
STD = QKeySequence.StandardKey


@dataclass(frozen=True)
class ActionSpec:
    name: str
    text: str
    tip: str
    shortcut: QKeySequence.StandardKey | str | None = None
    icon: QStyle.StandardPixmap | None = None
    checkable: bool = False


ACTION_SPECS = (
    ActionSpec("step", "&Step", "Train on the next sample: forward, backward, update",
               "Right", SP.SP_MediaSkipForward),
    ActionSpec("run", "&Run", "Run or pause training", "Space", SP.SP_MediaPlay,
               checkable=True),
    ActionSpec("reset", "R&eset", "Fresh weights from the seed; step and curves start over",
               "Ctrl+R", SP.SP_BrowserReload),
    ActionSpec("save", "&Save checkpoint...", "Save the weights and learning rate to a file",
               STD.Save, SP.SP_DialogSaveButton),
    ActionSpec("open", "&Open checkpoint...", "Continue from a saved checkpoint", STD.Open,
               SP.SP_DialogOpenButton),
    ActionSpec("quit", "&Quit", "Close the window", "Ctrl+Q", SP.SP_DialogCloseButton),
    ActionSpec("evaluate", "&Evaluate test split", "Evaluate the test split now", "Ctrl+E"),
    ActionSpec("shortcuts", "&Keyboard shortcuts", "List every shortcut", "F1"),
    ActionSpec("about", "&About visualcnn", "What this app is"),
)


def create_actions(parent: QWidget) -> dict[str, QAction]:
    """One QAction per spec, owned by ``parent`` (its window), keyed by spec name."""
    style = parent.style()
    actions = {}
    for spec in ACTION_SPECS:
        action = QAction(spec.text, parent)
        action.setObjectName(f"action_{spec.name}")
        action.setToolTip(spec.tip)
        action.setStatusTip(spec.tip)
        if spec.icon is not None:
            action.setIcon(style.standardIcon(spec.icon))
        if spec.shortcut is not None:
            action.setShortcut(QKeySequence(spec.shortcut))
        action.setCheckable(spec.checkable)
        actions[spec.name] = action
    return actions


def shortcut_rows(actions: dict[str, QAction]) -> list[tuple[str, str]]:
    """(keys, what it does) for every action with a shortcut, in declaration order."""
    rows = []
    for spec in ACTION_SPECS:
        keys = actions[spec.name].shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            rows.append((keys, f"{spec.text.replace('&', '').rstrip('.')}: {spec.tip}"))
    return rows
