"""The batch strip: the samples of the step on screen as a row of thumbnails, each with its
label and prediction (green when right, red when wrong), the sample in focus outlined. A click
on a thumbnail asks for that sample to be shown in every panel.

It is painted by hand: 64 thumbnails as 64 widgets would cost more than the strip is worth.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QEvent, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PyQt6.QtWidgets import QSizePolicy, QToolTip, QWidget

from visualcnn.app.views.class_names import short
from visualcnn.common.i18n import tr

THUMB_MAX = 44     # pixels: a thumbnail's side when the strip has room
THUMB_MIN = 10     # the smallest side, 64 samples in a 1024-pixel window
GAP = 4            # pixels between thumbnails
TEXT_H = 16        # the label -> prediction line under each thumbnail
LABELLED = 30      # the smallest side with room for that line
NOTE_W = 300       # the explanation at the right, when there is room for it
RIGHT, WRONG, FOCUS = QColor(46, 125, 50), QColor(198, 40, 40), QColor(21, 101, 192)
UNKNOWN = QColor(150, 150, 150)  # a prediction not computed yet (a phase walk)


def thumbnail(sample: np.ndarray) -> QImage:
    """One sample (C, H, W) as an image, stretched to its own darkest and lightest value:
    grey for one channel, colour for three (the mean of the channels otherwise)."""
    a = np.nan_to_num(np.asarray(sample, dtype=np.float64))
    if a.shape[0] != 3:
        a = a.mean(axis=0, keepdims=True)
    low, high = float(a.min()), float(a.max())
    a = (a - low) / (high - low) if high > low else np.zeros_like(a)
    pixels = np.ascontiguousarray((np.moveaxis(a, 0, -1) * 255).round().astype(np.uint8))
    h, w, c = pixels.shape
    if c == 3:
        image = QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    else:
        image = QImage(pixels.data, w, h, w, QImage.Format.Format_Grayscale8)
    return image.copy()  # the array goes when this returns


class BatchStrip(QWidget):
    """Shows a batch: ``show_batch(inputs, labels, predictions, focus, ...)``; emits
    ``focus_requested(i)`` when sample ``i`` is clicked."""

    focus_requested = pyqtSignal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("batch_strip")
        self.images: list[QImage] = []
        self.labels: list[int] = []
        self.predictions: list[int | None] = []
        self.losses: list[float | None] = []
        self.indices: list[int | None] = []
        self.focus = 0
        self.class_names: tuple[str, ...] = ()
        self.note = ""
        self.setFixedHeight(THUMB_MAX + TEXT_H + 2 * GAP)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    # ------------------------------------------------------------------------- content
    def show_batch(self, inputs, labels, predictions, losses, focus: int, indices=None,
                   class_names=(), note: str = "") -> None:
        """``inputs`` (B, C, H, W); ``labels`` (B,); ``predictions`` and ``losses`` (B,) or
        None (not computed yet); ``indices`` each sample's index in the training split."""
        self.images = [thumbnail(x) for x in inputs]
        b = len(self.images)
        self.labels = [int(v) for v in labels]
        self.predictions = [None] * b if predictions is None else [int(v) for v in predictions]
        self.losses = [None] * b if losses is None else [float(v) for v in losses]
        self.indices = list(indices) if indices is not None and len(indices) == b else [None] * b
        self.class_names = tuple(class_names or ())
        self.note = note
        self._fit_height()
        self.set_focus(focus)

    def set_focus(self, focus: int) -> None:
        self.focus = focus
        self.update()

    def right(self, i: int) -> bool | None:
        """Whether sample ``i`` was predicted right (None: not predicted yet)."""
        p = self.predictions[i]
        return None if p is None or p < 0 else p == self.labels[i]

    def name(self, label: int) -> str:
        if 0 <= label < len(self.class_names):
            return short(self.class_names[label])
        return str(label)

    def describe(self, i: int) -> str:
        """What the tooltip says of sample ``i``."""
        count, label = len(self.images), self.name(self.labels[i])
        if self.indices[i] is not None:
            text = tr("sample {number} of {count} (#{index}): label {label}", number=i + 1,
                      count=count, index=self.indices[i], label=label)
        else:
            text = tr("sample {number} of {count}: label {label}", number=i + 1, count=count,
                      label=label)
        right = self.right(i)
        if right is None:
            return text + tr(", not predicted yet")
        predicted = self.name(self.predictions[i])
        text += (tr(", predicted {prediction} (right)", prediction=predicted) if right
                 else tr(", predicted {prediction} (wrong)", prediction=predicted))
        if self.losses[i] is not None:
            text += tr(", loss {loss:.3g}", loss=self.losses[i])
        return text + "\n" + tr("click to show it in every panel ([ and ] move along the batch)")

    # ------------------------------------------------------------------------ geometry
    def side(self) -> int:
        """The thumbnails' side: as large as THUMB_MAX, as small as the window needs."""
        b = max(1, len(self.images))
        room = self.width() - GAP - (NOTE_W if self.note_fits() else 0)
        return int(max(THUMB_MIN, min(THUMB_MAX, room // b - GAP)))

    def _fit_height(self) -> None:
        """As tall as the thumbnails and their line of text (a coloured mark when small)."""
        s = self.side()
        self.setFixedHeight(s + (TEXT_H if s >= LABELLED else 8) + 2 * GAP)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_height()

    def note_fits(self) -> bool:
        b = len(self.images)
        return bool(self.note) and self.width() - NOTE_W >= b * (THUMB_MAX * 2 // 3 + GAP)

    def cell(self, i: int) -> QRectF:
        """Thumbnail ``i``'s square."""
        s = self.side()
        return QRectF(GAP + i * (s + GAP), GAP, s, s)

    def index_at(self, x: float) -> int | None:
        s = self.side()
        i = int((x - GAP) // (s + GAP))
        return i if 0 <= i < len(self.images) and x >= GAP else None

    # ------------------------------------------------------------------------- drawing
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        font = QFont(self.font())
        font.setPixelSize(TEXT_H - 3)
        painter.setFont(font)
        s = self.side()
        for i, image in enumerate(self.images):
            rect = self.cell(i)
            painter.drawImage(rect, image)
            right = self.right(i)
            colour = UNKNOWN if right is None else (RIGHT if right else WRONG)
            painter.setPen(QPen(colour, 2))
            painter.drawRect(rect.adjusted(-1, -1, 1, 1))
            text_rect = QRectF(rect.x() - GAP / 2, rect.bottom() + 2, s + GAP, TEXT_H)
            if s >= LABELLED:  # "3→5"; smaller cells keep the colour, the tooltip the rest
                pred = "?" if right is None else self.name(self.predictions[i])
                painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter,
                                 f"{self.name(self.labels[i])}→{pred}")
            else:
                painter.fillRect(QRectF(rect.x(), rect.bottom() + 3, s, 4), colour)
            if i == self.focus:
                painter.setPen(QPen(FOCUS, 3))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(rect.adjusted(-3, -3, 3, 3 + TEXT_H))
        if self.note_fits():
            x = GAP + len(self.images) * (s + GAP) + 2 * GAP
            painter.setFont(self.font())  # the window's text size (larger when presenting)
            painter.setPen(self.palette().color(self.foregroundRole()))
            painter.drawText(QRectF(x, 0, self.width() - x - GAP, self.height()),
                             Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap, self.note)
        painter.end()

    # -------------------------------------------------------------------------- input
    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        i = self.index_at(event.position().x())
        if i is not None and event.button() == Qt.MouseButton.LeftButton:
            self.focus_requested.emit(i)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            i = self.index_at(event.pos().x())
            if i is None:
                QToolTip.hideText()
                if self.note:
                    QToolTip.showText(event.globalPos(), self.note, self)
            else:
                QToolTip.showText(event.globalPos(), self.describe(i), self)
            return True
        return super().event(event)
