"""What a window shows as text, gathered from every widget, action, menu and pyqtgraph item
under it, and the English words left in a text that should be Chinese."""

from __future__ import annotations

import re

import pyqtgraph as pg
from PyQt6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QGraphicsSimpleTextItem,
    QGraphicsTextItem,
    QGraphicsView,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPlainTextEdit,
    QSpinBox,
    QTableWidget,
    QTabWidget,
    QTextEdit,
    QToolBar,
    QTreeWidget,
    QWidget,
)

from visualcnn.app.status_line import StatusLine

# Names that stay as they are in a Chinese window: layer and function names of the
# architecture grammar and of NumPy/PyTorch, data-set and file-format names, key names,
# units and the app's own name. Not English words a translation forgot.
KEPT_TERMS = {
    "visualcnn", "relu", "lrelu", "sigmoid", "tanh", "softmax", "conv", "pool", "maxpool",
    "avgpool", "dense", "flatten", "adam", "sgd", "xavier", "mnist", "kmnist", "cifar",
    "fashion", "pytorch", "numpy", "torch", "idx", "npz", "csv", "png", "gif", "jpg", "jpeg",
    "bin", "json", "keras", "kaggle", "ctrl", "shift", "alt", "del", "esc", "space", "left",
    "right", "down", "tab", "enter", "return", "backspace", "home", "end", "pgup", "pgdown",
    "max", "min", "argmax", "exp", "log", "sqrt", "abs", "std", "mean", "sum", "nan", "inf",
    "utf", "qt", "pyqt", "pyqtgraph", "rgb", "cpu", "gpu", "mib", "kib", "gib", "fps",
    "python", "linux", "ubuntu", "debian", "apt", "sudo", "noto", "cjk", "fonts",
    "ssim", "lecun", "cortes", "burges", "mlxtend", "imagefolder", "torchvision",
    "logits", "leaky",
    "english",  # View > Language names each language in its own words (i18n.LANGUAGES)
    "https",  # a web address's scheme; the rest of the address reads as a path
}
_TAGS = re.compile(r"<[^>]+>|&[a-z]+;|&#\d+;")
_WORD = re.compile(r"[A-Za-z]{3,}")
# Layer names, shapes and snake_case names: conv1, dense2, conv8x3p1s2, 28x28, dL/dW,
# conv_forward ...
_IDENTIFIER = re.compile(r"\b(?:[A-Za-z]+\d[\w]*|d[A-Za-z]+/d[A-Za-z]+|[a-z]\w*_[a-z]\w*)\b")
_PATH = re.compile(r"(?:[\w.-]*/)+[\w.-]+|[\w-]+\.(?:py|npz|png|gif|csv|json|bin|gz|txt)\b")


def english_words(text: str) -> list[str]:
    """The English words of ``text`` (3 letters or more) that are not kept terms, layer
    names, shapes or file names."""
    # Paths first: a layer name inside one (param/dense1/W, train-images-idx3-ubyte) would
    # otherwise cut it in two and leave its other parts as words.
    text = _IDENTIFIER.sub(" ", _PATH.sub(" ", _TAGS.sub(" ", text)))
    return [w for w in _WORD.findall(text) if w.lower() not in KEPT_TERMS]


def widget_texts(widget: QWidget) -> list[tuple[str, str]]:
    """(where, text) for every text the widget itself shows or offers as a tip."""
    name = f"{type(widget).__name__} {widget.objectName()}".strip()
    found = [(name + " tooltip", widget.toolTip()), (name + " title", widget.windowTitle()
             if isinstance(widget, (QDockWidget, QToolBar)) or widget.isWindow() else "")]
    if isinstance(widget, (QLabel, QAbstractButton, QLineEdit, StatusLine)):
        found.append((name, widget.text()))
    if isinstance(widget, QLineEdit):
        found.append((name + " placeholder", widget.placeholderText()))
    if isinstance(widget, (QTextEdit, QPlainTextEdit)):
        found.append((name, widget.toPlainText()))
    if isinstance(widget, QGroupBox):
        found.append((name, widget.title()))
    if isinstance(widget, QMenu):
        found.append((name, widget.title()))
    if isinstance(widget, QComboBox):
        found += [(name + " item", widget.itemText(i)) for i in range(widget.count())]
    if isinstance(widget, QTabWidget):
        found += [(name + " tab", widget.tabText(i)) for i in range(widget.count())]
    if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        found += [(name + " suffix", widget.suffix()), (name + " prefix", widget.prefix())]
    if isinstance(widget, QAbstractSpinBox):
        found.append((name + " special", widget.specialValueText()))
    if isinstance(widget, QTableWidget):
        for axis in (widget.horizontalHeaderItem, widget.verticalHeaderItem):
            count = widget.columnCount() if axis == widget.horizontalHeaderItem else \
                widget.rowCount()
            found += [(name + " header", axis(i).text()) for i in range(count) if axis(i)]
        found += [(name + " cell", widget.item(r, c).text()) for r in range(widget.rowCount())
                  for c in range(widget.columnCount()) if widget.item(r, c)]
    if isinstance(widget, QListWidget):
        found += [(name + " item", widget.item(i).text()) for i in range(widget.count())]
    if isinstance(widget, QTreeWidget):
        header = widget.headerItem()
        found += [(name + " header", header.text(c)) for c in range(header.columnCount())]
    for action in QWidget.actions(widget):  # the window keeps a dict called actions
        found += [(f"action {action.objectName()}", action.text()),
                  (f"action {action.objectName()} tip", action.toolTip()
                   if action.toolTip() != action.text().replace("&", "") else ""),
                  (f"action {action.objectName()} status", action.statusTip())]
    if isinstance(widget, QGraphicsView) and widget.scene() is not None:
        found += scene_texts(widget.scene(), name)
    return [(where, text) for where, text in found if text]


def scene_texts(scene, name: str) -> list[tuple[str, str]]:
    """Texts of pyqtgraph's items: plot titles, axis labels, text items, legends."""
    found = []
    for item in scene.items():
        if isinstance(item, pg.LabelItem):
            found.append((name + " label", item.text))
        elif isinstance(item, pg.AxisItem):
            found.append((name + " axis", item.labelText))
        elif isinstance(item, pg.TextItem):
            found.append((name + " text", item.textItem.toPlainText()))
        elif isinstance(item, QGraphicsTextItem):
            found.append((name + " text", item.toPlainText()))
        elif isinstance(item, QGraphicsSimpleTextItem):  # the boards' titles and captions
            found.append((name + " text", item.text()))
    return found


def all_texts(root: QWidget) -> list[tuple[str, str]]:
    """Every text of ``root`` and all the widgets under it, menus included."""
    found = widget_texts(root)
    for child in root.findChildren(QWidget):
        found += widget_texts(child)
    return found


def untranslated(root: QWidget) -> list[str]:
    """'where: text' for each text under ``root`` that still has English words in it."""
    return sorted({f"{where}: {text!r}" for where, text in all_texts(root)
                   if english_words(text)})
