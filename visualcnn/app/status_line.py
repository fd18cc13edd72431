"""The status line's text, drawn by a widget of its own.

A QLabel asks the main window to lay itself out again whenever its text changes (its size
hint may have changed): under Run, with a new step number every frame, that was a layout of
every dock, about a millisecond a frame. This widget's size depends on its font only, so a
new text is a repaint of the line and nothing else.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QSize, Qt
from PyQt6.QtGui import QPainter, QPalette
from PyQt6.QtWidgets import QSizePolicy, QWidget

MARGIN_PX = 2


class StatusLine(QWidget):
    """One line of text, cut with an ellipsis when the window is narrower than it;
    ``text()``/``setText()`` as a QLabel's."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._text = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 (QLabel's name)
        if text != self._text:
            self._text = text
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        # Not the text's width: a hint that changes with the text would have the layout
        # asked again.
        metrics = self.fontMetrics()
        return QSize(40 * metrics.horizontalAdvance("0"), metrics.height() + 2 * MARGIN_PX)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, self.fontMetrics().height() + 2 * MARGIN_PX)

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == QEvent.Type.FontChange:
            self.updateGeometry()  # the height follows the font (presenter mode)
        super().changeEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        area = self.rect().adjusted(MARGIN_PX, 0, -MARGIN_PX, 0)
        shown = self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight,
                                              area.width())
        painter.drawText(area, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         shown)
