"""The words a mosaic shows over its maps when they are all zero, instead of a colour bar whose
levels would be a meaningless +-1e-12: "all zero at this step", and the reason when the panel
knows one (the output layer starts at zero, so no gradient flows back yet)."""

from __future__ import annotations

import re

from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QBrush, QColor, QPen
from PyQt6.QtWidgets import QGraphicsRectItem

from visualcnn.app.views.board import text_size
from visualcnn.common import i18n
from visualcnn.common.i18n import N_, tr

ZERO_NOTE = N_("all zero at this step")
SHORTEST = N_("all zero")
NOTE_ON_LIGHT, NOTE_ON_DARK = (50, 50, 50), (235, 235, 235)


# Chinese puts no spaces between words: a line may break after any of its characters, but
# not before the punctuation that closes a phrase.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_PIECE = re.compile(rf"(\s*)([{_CJK}][，。；：、）！？」]*|[^\s{_CJK}]+)")


def wrap_words(text: str, width: float) -> str:
    """``text`` broken into lines at spaces (and between Chinese characters), each at most
    ``width`` label heights wide when it can be (a single word wider than that keeps a line
    to itself)."""
    lines: list[str] = []
    for space, word in _PIECE.findall(text):
        joined = f"{lines[-1]}{' ' if space else ''}{word}" if lines else word
        if lines and text_size(joined)[0] <= width:
            lines[-1] = joined
        else:
            lines.append(word)
    return "\n".join(lines)


class ZeroNote:
    """The note over ``mosaic``: ``text`` on ``back``, a patch of the colour that zero has in
    the mosaic's colour map (``zero_rgb``), so that it reads over the gaps between tiles."""

    def __init__(self, mosaic, zero_rgb: tuple[int, int, int]):
        self.mosaic = mosaic
        board = mosaic.board
        self.back = QGraphicsRectItem()
        self.back.setPen(QPen(Qt.PenStyle.NoPen))
        self.back.setBrush(QBrush(QColor(*zero_rgb, 235)))
        self.back.setZValue(5)
        board.view.addItem(self.back)
        dark = sum(zero_rgb) < 3 * 128
        self.text = board.add_text(0, 0, "", colour=NOTE_ON_DARK if dark else NOTE_ON_LIGHT)
        self.text.setZValue(6)
        self.shown = False
        self.reason = ""
        self.set_shown(False, "")

    def full_text(self) -> str:
        if not self.reason:
            return i18n.lookup(ZERO_NOTE)
        # The panels pass the reasons of ``zero_reasons``, marked there, English here.
        return tr("all zero at this step: {reason}", reason=i18n.lookup(self.reason))

    def set_shown(self, shown: bool, reason: str) -> None:
        """Show the note (with ``reason``, when there is one) or hide it; the mosaic's image
        says the whole of it as its tooltip."""
        self.shown, self.reason = shown, reason
        self.text.setVisible(shown)
        self.back.setVisible(shown)
        self.mosaic.image.setToolTip(self.full_text() if shown else "")
        self.place()

    def place(self) -> None:
        """Word-wrap the note to the room the hidden colour bar leaves beside the image, and
        centre it there; the reason is left out when it does not fit, never made smaller."""
        if not self.shown:
            return
        m = self.mosaic
        unit = m.unit
        room_w = m.x + m.width - m.image_x - 0.4 * unit
        room_h = max(m.image_height, m.y + m.height - m.image_y) - 0.2 * unit
        shortest = i18n.lookup(SHORTEST)
        text, (w, h) = shortest, text_size(shortest)
        for candidate in (self.full_text(), i18n.lookup(ZERO_NOTE)):
            wrapped = wrap_words(candidate, room_w / unit)
            size = text_size(wrapped)
            if size[0] * unit <= room_w and size[1] * unit <= room_h:
                text, (w, h) = wrapped, size
                break
        self.text.setText(text)
        cx = m.image_x + (m.x + m.width - m.image_x) / 2
        cy = m.image_y + (m.y + m.height - m.image_y) / 2
        x0, y0 = cx - w * unit / 2, cy - h * unit / 2
        self.text.setPos(x0, y0)
        pad = 0.2 * unit
        self.back.setRect(QRectF(x0 - pad, y0 - pad / 2, w * unit + 2 * pad, h * unit + pad))
