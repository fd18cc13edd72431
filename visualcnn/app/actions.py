"""Every action of the app, declared in one place: text, tip, shortcut and icon.

Menus, the toolbar and the "Keyboard shortcuts" dialog are all built from ``create_actions``.
``ThemedIcons`` draws the actions' icons in a palette's colours (the style's standard icons
are dark, and vanish on a dark toolbar).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from PyQt6.QtCore import QSize
from PyQt6.QtGui import QAction, QColor, QIcon, QImage, QKeySequence, QPalette, QPixmap
from PyQt6.QtWidgets import QStyle, QWidget

from visualcnn.common import i18n
from visualcnn.common.i18n import N_, tr

SP = QStyle.StandardPixmap
STD = QKeySequence.StandardKey


@dataclass(frozen=True)
class ActionSpec:
    """An action; ``text``, ``tip`` and ``short`` in English, translated where it is made."""

    name: str
    text: str
    tip: str
    shortcut: QKeySequence.StandardKey | str | tuple[str, ...] | None = None  # tuple: several
    icon: QStyle.StandardPixmap | None = None
    checkable: bool = False
    short: str | None = None  # the toolbar button's text, when shorter than ``text``


ACTION_SPECS = (
    ActionSpec("step", N_("&Step"), N_("Train on the next sample (or mini-batch): forward, "
                                       "backward, update"),
               "Right", SP.SP_MediaSkipForward),
    ActionSpec("run", N_("&Run"), N_("Run or pause training"), "Space", SP.SP_MediaPlay,
               checkable=True),
    ActionSpec("reset", N_("R&eset"),
               N_("Fresh weights from the seed; step and curves start over"),
               "Ctrl+R", SP.SP_BrowserReload),
    ActionSpec("save", N_("&Save checkpoint..."),
               N_("Save the weights and learning rate to a file"),
               STD.Save, SP.SP_DialogSaveButton, short=N_("Save")),
    ActionSpec("open", N_("&Open checkpoint..."), N_("Continue from a saved checkpoint"),
               STD.Open, SP.SP_DialogOpenButton, short=N_("Open")),
    ActionSpec("quit", N_("&Quit"), N_("Close the window"), "Ctrl+Q", SP.SP_DialogCloseButton),
    ActionSpec("evaluate", N_("&Evaluate test split"), N_("Evaluate the test split now"),
               "Ctrl+E"),
    ActionSpec("batch_previous", N_("Previous sample of the &batch"),
               N_("Show the previous sample of the step's mini-batch in every panel"), "["),
    ActionSpec("batch_next", N_("Next sample of the b&atch"),
               N_("Show the next sample of the step's mini-batch in every panel"), "]"),
    # The debugger: app/debug connects these and puts them in the Debug menu.
    ActionSpec("step_phase", N_("Step &phase"),
               N_("Advance one phase of the sample: each layer's forward pass, the loss, each "
                  "layer's backward pass, the update"), ("Down", "."),
               SP.SP_ArrowDown, short=N_("Phase")),
    ActionSpec("step_back", N_("Step &back"),
               N_("Undo the last update exactly: weights, momentum, step, position and curves"),
               "Left", SP.SP_MediaSeekBackward, short=N_("Back")),
    ActionSpec("replay", N_("Re&play sample"),
               N_("Train on the sample shown again, with the current weights (Step back undoes "
                  "it)"), "Ctrl+Shift+R"),
    ActionSpec("dry_run", N_("&Dry run"),
               N_("Forward and backward on the sample shown, without an update"),
               "Ctrl+Shift+Y"),
    ActionSpec("gradcheck", N_("&Gradient check"),
               N_("Compare backprop with centred finite differences on the sample shown"),
               "Ctrl+G"),
    # The classroom: app/classroom connects these and puts them in the menus.
    ActionSpec("draw_try", N_("Run the &drawing"),
               N_("Forward and backward on the drawn digit with its target label, without an "
                  "update"), "Ctrl+D"),
    ActionSpec("draw_train", N_("&Train on the drawing"),
               N_("One training step on the drawn digit alone (whatever the batch size) with "
                  "its target label"), "Ctrl+Shift+D"),
    ActionSpec("open_dataset", N_("Open &dataset..."),
               N_("Open an IDX folder (pick one of its files), a Keras .npz, a Kaggle .csv or a "
                  "CIFAR-10 batch (.bin); the network is rebuilt for it"), "Ctrl+Shift+O",
               SP.SP_DirOpenIcon),
    ActionSpec("open_dataset_folder", N_("Open dataset &folder..."),
               N_("Open a folder: CIFAR-10's binary version (data_batch_*.bin, test_batch.bin), "
                  "an image folder (train/<class>/, test/<class>/) or an IDX folder; the "
                  "network is rebuilt for it")),
    ActionSpec("bundled_dataset", N_("Use the &bundled dataset"),
               N_("Switch to the bundled MNIST subset; the network is rebuilt for it")),
    ActionSpec("save_window_png", N_("Save &window as PNG..."),
               N_("Save a picture of the whole window"), "Ctrl+Shift+P"),
    ActionSpec("save_panel_png", N_("Save &panel as PNG..."), N_("Save a picture of one panel")),
    ActionSpec("record_gif", N_("&Record GIF"),
               N_("Record a frame of the window for every step shown; stop, then Save GIF"),
               "Ctrl+Shift+G", checkable=True),
    ActionSpec("save_gif", N_("Save &GIF..."), N_("Save the recorded frames as an animated GIF")),
    ActionSpec("presenter", N_("&Presenter mode"),
               N_("Large fonts and panels for a projector; secondary controls hidden"), "F5",
               SP.SP_TitleBarMaxButton, checkable=True, short=N_("Presenter")),
    ActionSpec("focus_next", N_("Focus &next layer"),
               N_("Show the next layer alone, forward and backward side by side"), "F6",
               SP.SP_ArrowForward, short=N_("Next layer")),
    ActionSpec("focus_previous", N_("Focus pre&vious layer"),
               N_("Show the previous layer alone, forward and backward side by side"),
               "Shift+F6", SP.SP_ArrowBack, short=N_("Previous layer")),
    ActionSpec("full_screen", N_("&Full screen"), N_("Full screen on or off"), "F11",
               checkable=True),
    ActionSpec("reset_layout", N_("Reset &layout"),
               N_("Every panel and dock back where it was at the first start")),
    ActionSpec("theme_light", N_("&Light theme"), N_("Dark text on light panels"),
               checkable=True),
    ActionSpec("theme_dark", N_("&Dark theme"), N_("Light text on dark panels"), checkable=True),
    ActionSpec("shortcuts", N_("&Keyboard shortcuts"), N_("List every shortcut"), "F1"),
    ActionSpec("about", N_("&About visualcnn"), N_("What this app is")),
)


def create_actions(parent: QWidget) -> dict[str, QAction]:
    """One QAction per spec, owned by ``parent`` (its window), keyed by spec name, its
    texts in the window's language."""
    style = parent.style()
    actions = {}
    for spec in ACTION_SPECS:
        action = QAction(i18n.lookup(spec.text), parent)
        action.setObjectName(f"action_{spec.name}")
        action.setToolTip(i18n.lookup(spec.tip))
        action.setStatusTip(i18n.lookup(spec.tip))
        if spec.icon is not None:
            action.setIcon(style.standardIcon(spec.icon))
        if isinstance(spec.shortcut, tuple):
            action.setShortcuts([QKeySequence(k) for k in spec.shortcut])
        elif spec.shortcut is not None:
            action.setShortcut(QKeySequence(spec.shortcut))
        action.setCheckable(spec.checkable)
        if spec.short is not None:
            action.setIconText(i18n.lookup(spec.short))
        else:  # Qt would keep a Chinese mnemonic's "(S)" on the button
            action.setIconText(plain(action.text()))
        actions[spec.name] = action
    return actions


def set_text(action: QAction, text: str) -> None:
    """Give ``action`` a new menu text, its toolbar button's following it."""
    action.setText(text)
    action.setIconText(plain(text))


_MNEMONIC = re.compile(r"\(&\w\)|&(?=\S)")  # Chinese style "单步(&S)", English "&Step"


def plain(text: str) -> str:
    """A menu text without its mnemonic and its trailing dots: "&Save checkpoint..." ->
    "Save checkpoint", "保存检查点(&S)..." -> "保存检查点"."""
    return _MNEMONIC.sub("", text).rstrip(".…")


def shortcut_rows(actions: dict[str, QAction]) -> list[tuple[str, str]]:
    """(keys, what it does) for every action with a shortcut, in declaration order."""
    rows = []
    for spec in ACTION_SPECS:
        keys = tr(" or ").join(k.toString(QKeySequence.SequenceFormat.NativeText)
                               for k in actions[spec.name].shortcuts())
        if keys:
            rows.append((keys, tr("{action}: {tip}", action=plain(i18n.lookup(spec.text)),
                                  tip=i18n.lookup(spec.tip))))
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
