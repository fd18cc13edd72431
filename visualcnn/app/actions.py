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
    shortcut: QKeySequence.StandardKey | str | tuple[str, ...] | None = None  # tuple: several
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
    # The debugger: app/debug connects these and puts them in the Debug menu.
    ActionSpec("step_phase", "Step &phase", "Advance one phase of the sample: each layer's "
               "forward pass, the loss, each layer's backward pass, the update", ("Down", "."),
               SP.SP_ArrowDown),
    ActionSpec("step_back", "Step &back", "Undo the last update exactly: weights, momentum, "
               "step, position and curves", "Left", SP.SP_MediaSeekBackward),
    ActionSpec("replay", "Re&play sample", "Train on the sample shown again, with the current "
               "weights (Step back undoes it)", "Ctrl+Shift+R"),
    ActionSpec("dry_run", "&Dry run", "Forward and backward on the sample shown, without an "
               "update", "Ctrl+Shift+Y"),
    ActionSpec("gradcheck", "&Gradient check", "Compare backprop with centred finite "
               "differences on the sample shown", "Ctrl+G"),
    # The classroom: app/classroom connects these and puts them in the menus.
    ActionSpec("draw_try", "Run the &drawing", "Forward and backward on the drawn digit with "
               "its target label, without an update", "Ctrl+D"),
    ActionSpec("draw_train", "&Train on the drawing", "One training step on the drawn digit "
               "with its target label", "Ctrl+Shift+D"),
    ActionSpec("open_dataset", "Open &dataset...", "Open an IDX folder (pick one of its files), "
               "a Keras .npz or a Kaggle .csv; the network is rebuilt for it", "Ctrl+Shift+O",
               SP.SP_DirOpenIcon),
    ActionSpec("bundled_dataset", "Use the &bundled dataset", "Switch to the bundled MNIST "
               "subset; the network is rebuilt for it"),
    ActionSpec("save_window_png", "Save &window as PNG...", "Save a picture of the whole window",
               "Ctrl+Shift+P"),
    ActionSpec("save_panel_png", "Save &panel as PNG...", "Save a picture of one panel"),
    ActionSpec("record_gif", "&Record GIF", "Record a frame of the window for every step "
               "shown; stop, then Save GIF", "Ctrl+Shift+G", checkable=True),
    ActionSpec("save_gif", "Save &GIF...", "Save the recorded frames as an animated GIF"),
    ActionSpec("presenter", "&Presenter mode", "Large fonts and panels for a projector; "
               "secondary controls hidden", "F5", checkable=True),
    ActionSpec("focus_next", "Focus &next layer", "Show the next layer alone, forward and "
               "backward side by side", "F6"),
    ActionSpec("focus_previous", "Focus pre&vious layer", "Show the previous layer alone, "
               "forward and backward side by side", "Shift+F6"),
    ActionSpec("full_screen", "&Full screen", "Full screen on or off", "F11", checkable=True),
    ActionSpec("theme_light", "&Light theme", "Dark text on light panels", checkable=True),
    ActionSpec("theme_dark", "&Dark theme", "Light text on dark panels", checkable=True),
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
        if isinstance(spec.shortcut, tuple):
            action.setShortcuts([QKeySequence(k) for k in spec.shortcut])
        elif spec.shortcut is not None:
            action.setShortcut(QKeySequence(spec.shortcut))
        action.setCheckable(spec.checkable)
        actions[spec.name] = action
    return actions


def shortcut_rows(actions: dict[str, QAction]) -> list[tuple[str, str]]:
    """(keys, what it does) for every action with a shortcut, in declaration order."""
    rows = []
    for spec in ACTION_SPECS:
        keys = " or ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                           for k in actions[spec.name].shortcuts())
        if keys:
            rows.append((keys, f"{spec.text.replace('&', '').rstrip('.')}: {spec.tip}"))
    return rows
