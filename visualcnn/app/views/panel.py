"""What every panel is: a dock's content that draws a trace. Most panels are one ``Board`` with
blocks (mosaics, text) laid out in rows."""

from __future__ import annotations

from PyQt6.QtWidgets import QWidget

from visualcnn.app.views.board import GAP, TEXT, Board
from visualcnn.nn import StepTrace


class Panel:
    """Base: ``key`` names the dock (and its saved state); ``widget`` goes into the dock."""

    key = ""
    title = ""
    widget: QWidget

    def show_trace(self, trace: StepTrace, sample_index: int | str | None) -> None:
        raise NotImplementedError

    def set_scale_mode(self, mode: str) -> None:
        """Panels of maps follow the scale mode; charts with fixed axes ignore it."""


class BoardPanel(Panel):
    """A panel drawn on one ``Board``, with its blocks laid out in rows."""

    def __init__(self):
        self.board = Board()
        self.widget = self.board

    def layout(self, rows: list[list]) -> None:
        """Place blocks (anything with ``width``, ``height`` and ``place(x, y)``: mosaics,
        text blocks) row by row."""
        y, width = 0.0, 0.0
        for row in rows:
            x, height = 0.0, 0.0
            for block in row:
                block.place(x, y)
                x += block.width + GAP
                height = max(height, block.height)
            width = max(width, x - GAP)
            y += height + GAP
        self.board.fit(width, y - GAP)

    def set_scale_mode(self, mode: str) -> None:
        self.board.set_scale_mode(mode)


class TextBlock:
    """A multi-line text (monospace) that takes part in the row layout."""

    def __init__(self, board: Board, lines: int, chars: int, size: float = 0.8 * TEXT):
        self.item = board.add_text(0, 0, "", size=size, mono=True)
        self.width = 0.62 * size * chars
        self.height = 1.2 * size * lines

    def place(self, x: float, y: float) -> None:
        self.item.setPos(x, y)

    def set_text(self, text: str) -> None:
        self.item.setText(text)

    def text(self) -> str:
        return self.item.text()
