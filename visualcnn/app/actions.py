"""Every action of the app, declared in one place: text, tip, shortcut and icon.

Menus, the toolbar and the "Keyboard shortcuts" dialog are all built from ``create_actions``.
``ThemedIcons`` draws the actions' icons in a palette's colours (the style's standard icons
are dark, and vanish on a dark toolbar).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PyQt6.QtCore import QSize
from PyQt6.QtGui import QAction, QColor, QIcon, QImage, QKeySequence, QPalette, QPixmap
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
    short: str | None = None  # the toolbar button's text, when shorter than ``text``


ACTION_SPECS = (
    ActionSpec("step", "&Step", "Train on the next sample (or mini-batch): forward, backward, "
               "update",
               "Right", SP.SP_MediaSkipForward),
    ActionSpec("run", "&Run", "Run or pause training", "Space", SP.SP_MediaPlay,
               checkable=True),
    ActionSpec("reset", "R&eset", "Fresh weights from the seed; step and curves start over",
               "Ctrl+R", SP.SP_BrowserReload),
    ActionSpec("save", "&Save checkpoint...", "Save the weights and learning rate to a file",
               STD.Save, SP.SP_DialogSaveButton, short="Save"),
    ActionSpec("open", "&Open checkpoint...", "Continue from a saved checkpoint", STD.Open,
               SP.SP_DialogOpenButton, short="Open"),
    ActionSpec("quit", "&Quit", "Close the window", "Ctrl+Q", SP.SP_DialogCloseButton),
    ActionSpec("evaluate", "&Evaluate test split", "Evaluate the test split now", "Ctrl+E"),
    ActionSpec("batch_previous", "Previous sample of the &batch", "Show the previous sample "
               "of the step's mini-batch in every panel", "["),
    ActionSpec("batch_next", "Next sample of the b&atch", "Show the next sample of the step's "
               "mini-batch in every panel", "]"),
    # The debugger: app/debug connects these and puts them in the Debug menu.
    ActionSpec("step_phase", "Step &phase", "Advance one phase of the sample: each layer's "
               "forward pass, the loss, each layer's backward pass, the update", ("Down", "."),
               SP.SP_ArrowDown, short="Phase"),
    ActionSpec("step_back", "Step &back", "Undo the last update exactly: weights, momentum, "
               "step, position and curves", "Left", SP.SP_MediaSeekBackward, short="Back"),
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
               "alone (whatever the batch size) with its target label", "Ctrl+Shift+D"),
    ActionSpec("open_dataset", "Open &dataset...", "Open an IDX folder (pick one of its files), "
               "a Keras .npz, a Kaggle .csv or a CIFAR-10 batch (.bin); the network is rebuilt "
               "for it", "Ctrl+Shift+O",
               SP.SP_DirOpenIcon),
    ActionSpec("open_dataset_folder", "Open dataset &folder...", "Open a folder: CIFAR-10's "
               "binary version (data_batch_*.bin, test_batch.bin), an image folder "
               "(train/<class>/, test/<class>/) or an IDX folder; the network is rebuilt for it"),
    ActionSpec("bundled_dataset", "Use the &bundled dataset", "Switch to the bundled MNIST "
               "subset; the network is rebuilt for it"),
    ActionSpec("save_window_png", "Save &window as PNG...", "Save a picture of the whole window",
               "Ctrl+Shift+P"),
    ActionSpec("save_panel_png", "Save &panel as PNG...", "Save a picture of one panel"),
    ActionSpec("record_gif", "&Record GIF", "Record a frame of the window for every step "
               "shown; stop, then Save GIF", "Ctrl+Shift+G", checkable=True),
    ActionSpec("save_gif", "Save &GIF...", "Save the recorded frames as an animated GIF"),
    ActionSpec("presenter", "&Presenter mode", "Large fonts and panels for a projector; "
               "secondary controls hidden", "F5", SP.SP_TitleBarMaxButton, checkable=True,
               short="Presenter"),
    ActionSpec("focus_next", "Focus &next layer", "Show the next layer alone, forward and "
               "backward side by side", "F6", SP.SP_ArrowForward, short="Next layer"),
    ActionSpec("focus_previous", "Focus pre&vious layer", "Show the previous layer alone, "
               "forward and backward side by side", "Shift+F6", SP.SP_ArrowBack,
               short="Previous layer"),
    ActionSpec("full_screen", "&Full screen", "Full screen on or off", "F11", checkable=True),
    ActionSpec("reset_layout", "Reset &layout", "Every panel and dock back where it was at "
               "the first start"),
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
        if spec.short is not None:
            action.setIconText(spec.short)
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


# ------------------------------------------------------------------------ icon colours
ICON_SIZES = (16, 20, 24, 32, 40, 48, 64)  # toolbar sizes, presenter mode's and HiDPI's


def _argb(image: QImage) -> np.ndarray:
    """(h, w, 4) uint8 copy of ``image`` as B, G, R, A bytes (not premultiplied)."""
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    bits = image.constBits()
    bits.setsize(image.sizeInBytes())
    rows = np.frombuffer(bits, np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, :image.width() * 4].reshape(image.height(), image.width(), 4).copy()


def is_monochrome(icon: QIcon) -> bool:
    """The icon's visible pixels are all shades of grey: a glyph (a play triangle, a cross),
    not a picture (a yellow folder), and so drawn in the text's colour."""
    pixels = _argb(icon.pixmap(QSize(32, 32)).toImage())
    visible = pixels[..., 3] > 32
    if not visible.any():
        return False
    rgb = pixels[..., :3][visible].astype(int)
    return bool(np.mean(rgb.max(axis=1) - rgb.min(axis=1) < 40) > 0.95)


def tinted(icon: QIcon, colour: QColor, size: int) -> QPixmap:
    """``icon`` at ``size`` pixels with every pixel in ``colour``, its alpha kept."""
    pixels = _argb(icon.pixmap(QSize(size, size)).toImage())
    pixels[..., 0], pixels[..., 1], pixels[..., 2] = colour.blue(), colour.green(), colour.red()
    image = QImage(pixels.data, pixels.shape[1], pixels.shape[0], pixels.shape[1] * 4,
                   QImage.Format.Format_ARGB32)
    return QPixmap.fromImage(image.copy())


def themed_icon(icon: QIcon, palette: QPalette) -> QIcon:
    """A glyph icon drawn in ``palette``'s button-text colour (its disabled one when the action
    is off); a picture icon as it is."""
    if icon.isNull() or not is_monochrome(icon):
        return icon
    out = QIcon()
    normal = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText)
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
    for size in ICON_SIZES:
        out.addPixmap(tinted(icon, normal, size), QIcon.Mode.Normal)
        out.addPixmap(tinted(icon, normal, size), QIcon.Mode.Active)
        out.addPixmap(tinted(icon, disabled, size), QIcon.Mode.Disabled)
    return out


class ThemedIcons:
    """Keeps the icons of ``actions`` in the colours of the last palette given to ``apply``,
    including an icon an action gets later (Run's turns into Pause's while running)."""

    def __init__(self, actions: dict[str, QAction]):
        self.actions = actions
        self.palette: QPalette | None = None
        self._originals: dict[str, QIcon] = {}
        self._ours: set[int] = set()  # cache keys of the icons drawn here
        for name, action in actions.items():
            action.changed.connect(lambda name=name: self._follow(name))

    def apply(self, palette: QPalette) -> None:
        """Draw every icon in ``palette``'s colours."""
        self.palette = QPalette(palette)
        for name in self.actions:
            self._follow(name, again=True)

    def _follow(self, name: str, again: bool = False) -> None:
        action = self.actions[name]
        try:
            icon = action.icon()
        except RuntimeError:  # the action went with its window
            return
        if icon.isNull() or self.palette is None:
            return
        if icon.cacheKey() not in self._ours:
            self._originals[name] = QIcon(icon)  # the style's icon, new or first seen
        elif not again:
            return
        themed = themed_icon(self._originals[name], self.palette)
        self._ours.add(themed.cacheKey())
        action.setIcon(themed)
