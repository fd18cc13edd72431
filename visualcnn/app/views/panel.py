"""What every panel is: a dock's content that draws a trace. Most panels are one ``Board`` with
blocks (mosaics, text) laid out in rows."""

from __future__ import annotations

from PyQt6.QtWidgets import QWidget

from visualcnn.app.views.board import GAP, Board, text_size
from visualcnn.nn import StepTrace


class Panel:
    """Base: ``key`` names the dock (and its saved state); ``widget`` goes into the dock;
    ``help`` says in a few lines what the panel shows and how to read its colours (the
    widget's tooltip)."""

    key = ""
    title = ""
    help = ""
    widget: QWidget

    def show_trace(self, trace: StepTrace, sample_index: int | str | None) -> None:
        raise NotImplementedError

    def set_scale_mode(self, mode: str) -> None:
        """Panels of maps follow the scale mode; charts with fixed axes ignore it."""


class Rows:
    """Blocks (anything with ``size(unit)`` and ``place(x, y, unit)``: mosaics, text blocks,
    other ``Rows``) laid out row by row, as one block. With ``align_columns``, the i-th blocks
    of all rows start at the same x. A block with ``optional`` set (a table of numbers that
    the picture also shows as colours) is left out, and hidden, in a ``compact`` layout."""

    optional = False

    def __init__(self, rows: list[list], align_columns: bool = False):
        self.rows, self.align_columns = rows, align_columns
        self.compact = False

    def blocks(self) -> list:
        """Every block, nested ones included."""
        found = []
        for row in self.rows:
            for block in row:
                found += block.blocks() if isinstance(block, Rows) else [block]
        return found

    def set_compact(self, compact: bool) -> None:
        self.compact = compact
        for row in self.rows:
            for block in row:
                if isinstance(block, Rows):
                    block.set_compact(compact)
                elif block.optional:
                    block.set_visible(not compact)

    def _shown(self) -> list[list]:
        return [[b for b in row if not (self.compact and b.optional)] for row in self.rows]

    def _positions(self, unit: float):
        """[(block, x, y)], width, height of the rows laid out for labels ``unit`` tall."""
        rows = [row for row in self._shown() if row]
        sizes = [[block.size(unit) for block in row] for row in rows]
        columns = max((len(row) for row in rows), default=0)
        column_w = [max((s[i][0] for s in sizes if i < len(s)), default=0.0)
                    for i in range(columns)]
        placed, y, width = [], 0.0, 0.0
        for row, row_sizes in zip(rows, sizes, strict=True):
            x, height = 0.0, 0.0
            for i, (block, (w, h)) in enumerate(zip(row, row_sizes, strict=True)):
                placed.append((block, x, y))
                x += (column_w[i] if self.align_columns else w) + GAP
                height = max(height, h)
            width = max(width, x - GAP)
            y += height + GAP
        return placed, width, max(0.0, y - GAP)

    def size(self, unit: float) -> tuple[float, float]:
        _, width, height = self._positions(unit)
        return width, height

    def place(self, x: float, y: float, unit: float) -> None:
        placed, _, _ = self._positions(unit)
        for block, bx, by in placed:
            block.place(x + bx, y + by, unit)


class BoardPanel(Panel):
    """A panel drawn on one ``Board``, with its blocks laid out in rows."""

    def __init__(self):
        self.board = Board()
        self.widget = self.board
        self.arrangement = Rows([])

    def layout(self, rows: list[list], align_columns: bool = False) -> None:
        """Lay blocks out row by row (see ``Rows``) for whatever label height the board
        picks (see ``Board.set_arrangement``), now and whenever the board is resized."""
        self.arrangement = Rows(rows, align_columns)
        if self.help:
            self.widget.setToolTip(self.help)
        compactable = any(b.optional for b in self.arrangement.blocks())
        self.board.set_arrangement(self._extent, self._arrange, compactable)

    def _extent(self, unit: float, compact: bool) -> tuple[float, float]:
        self.arrangement.compact = compact
        return self.arrangement.size(unit)

    def _arrange(self, unit: float, compact: bool) -> tuple[float, float]:
        self.arrangement.set_compact(compact)
        self.arrangement.place(0.0, 0.0, unit)
        return self.arrangement.size(unit)

    def set_scale_mode(self, mode: str) -> None:
        self.board.set_scale_mode(mode)


class TextBlock:
    """A multi-line monospace text that takes part in the row layout: room for ``lines``
    lines of ``chars`` characters, ``rel`` label heights tall; a longer text makes room for
    itself (the board lays the picture out again). An ``optional`` block is left out of a
    cramped picture."""

    def __init__(self, board: Board, lines: int, chars: int, rel: float = 0.9,
                 optional: bool = False):
        self.board = board
        self.optional = optional
        self.rel = rel
        self.item = board.add_text(0, 0, "", rel=rel, mono=True)
        self.lines, self.chars = lines, chars
        self._room = self._room_for("\n".join(["0" * chars] * lines))

    @staticmethod
    def _room_for(text: str) -> tuple[float, float]:
        return text_size(text, mono=True)

    def size(self, unit: float) -> tuple[float, float]:
        return self._room[0] * self.rel * unit, self._room[1] * self.rel * unit

    def place(self, x: float, y: float, unit: float | None = None) -> None:
        self.item.setPos(x, y)

    def set_visible(self, visible: bool) -> None:
        self.item.setVisible(visible)

    def set_text(self, text: str) -> None:
        if text == self.item.text():
            return
        self.item.setText(text)
        need = self._room_for(text)
        if need[0] > self._room[0] or need[1] > self._room[1]:
            self._room = (max(need[0], self._room[0]), max(need[1], self._room[1]))
            self.board.relayout(force=True)

    def text(self) -> str:
        return self.item.text()
