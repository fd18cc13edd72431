"""The Lesson dock's contents: the lesson's title, the current card (what to do, where to
look, what to notice), card n of m, and Back / Next. The card's texts are the lesson file's
in the window's language (English when the file has none in it), the dock's own are ``tr``'s."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter, QPen
from PyQt6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from visualcnn.common import i18n
from visualcnn.common.i18n import N_, tr
from visualcnn.lessons.format import text, window_language

# The headings of a card's three texts.
HEADINGS = {"do": N_("Do"), "look": N_("Look"), "notice": N_("Notice")}
OUTLINE_COLOUR = "#1e88e5"


class CardView(QWidget):
    """Shows one card of a lesson; ``back``/``forward`` are the buttons' requests."""

    back = pyqtSignal()
    forward = pyqtSignal()
    closed = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.language = window_language()  # the lesson files' key: "en", "zh"
        outer = QVBoxLayout(self)
        # The card's text scrolls: the dock stays as low as the window needs it, whatever
        # the font (presenter mode makes it 1.6 times larger).
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        page = QWidget()
        layout = QVBoxLayout(page)
        scroll.setWidget(page)
        outer.addWidget(scroll, 1)
        self.title = QLabel()
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.position = QLabel()
        self.fields = {}
        heading = QHBoxLayout()
        heading.addWidget(self.title, 1)
        heading.addWidget(self.position, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(heading)
        layout.setContentsMargins(4, 2, 4, 2)
        outer.setContentsMargins(4, 2, 4, 4)
        for key in ("do", "look", "notice"):
            label = QLabel()
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
            self.fields[key] = label
            layout.addWidget(label)
        layout.addStretch(1)
        buttons = QHBoxLayout()
        self.back_button = QPushButton()
        self.next_button = QPushButton()
        self.close_button = QPushButton()
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.forward)
        self.close_button.clicked.connect(self.closed)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        outer.addLayout(buttons)
        self.show_card(None, None, 0)

    def show_card(self, lesson, card, index: int) -> None:
        """``card`` (the ``index``-th, from 0) of ``lesson``; None: no lesson open."""
        lang = self.language
        self.back_button.setText(tr("◀ Back"))
        self.next_button.setText(tr("Next ▶"))
        self.close_button.setText(tr("Close lesson"))
        if lesson is None:
            self.title.setText(tr("No lesson open: choose one in the Lessons menu."))
            self.position.setText("")
            for label in self.fields.values():
                label.setText("")
            for button in (self.back_button, self.next_button, self.close_button):
                button.setEnabled(False)
            return
        self.title.setText(text(lesson, "title", lang))
        count = len(lesson.cards)
        self.position.setText(tr("Card {n} of {m}", n=index + 1, m=count))
        for key, label in self.fields.items():
            label.setText(tr("<b>{heading}:</b> {text}", heading=i18n.lookup(HEADINGS[key]),
                             text=_escaped(text(card, key, lang))))
        self.back_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < count - 1)
        self.close_button.setEnabled(True)


def _escaped(words: str) -> str:
    return words.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Outline(QWidget):
    """A coloured frame drawn over a dock (mouse clicks go through it): the panel the card
    points at. It follows the dock's size."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.hide()

    def cover(self, dock) -> None:
        """Frame ``dock`` (None: frame nothing)."""
        if dock is None:
            self.hide()
            return
        if self.parent() is not dock:
            self.setParent(dock)
        self.setGeometry(dock.rect())
        self.show()
        self.raise_()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        pen = QPen(QColor(OUTLINE_COLOUR))
        pen.setWidth(4)
        painter.setPen(pen)
        painter.drawRect(self.rect().adjusted(2, 2, -2, -2))
        painter.end()
