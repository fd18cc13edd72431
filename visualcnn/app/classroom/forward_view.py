"""A drawing with no target yet, on the window's panels: its forward pass and prediction, and
over every gradient a note that the backward pass needs a target.

The panels draw a whole step; ``forward_display`` gives them the forward-only trace with each
gradient filled with NaN, which the mosaics draw blank. ``ForwardNotes`` then lays a card
saying "pick a target to see the backward pass" over each blank mosaic and its colour bar (a
bar of nothing, whose numbers it clears), writes the same over the dL/d(logits) chart, puts a
dash for dL/db, marks the prediction alone on the probabilities and says "no target" in the
input panel's caption. The debugger's phase walk draws a partial step the same way.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyqtgraph as pg
from PyQt6 import sip
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QPen
from PyQt6.QtWidgets import QGraphicsRectItem

from visualcnn.app.views.output import OutputPanel
from visualcnn.app.views.panels import ConvPanel, InputPanel
from visualcnn.common.i18n import tr

NOTE_ON_LIGHT, NOTE_ON_DARK = (60, 60, 60), (225, 225, 225)  # by the theme's background
NOTE_SIZE = 0.8  # the note's lines, as a share of a line of the mosaic's title


def card_notes() -> tuple[str, str]:
    """The note on a card, on a wide mosaic and on a narrow one."""
    return tr("pick a target\nto see the\nbackward pass"), tr("pick a\ntarget")


def _note_colour(background: QColor) -> tuple[int, int, int]:
    return NOTE_ON_DARK if background.lightness() < 128 else NOTE_ON_LIGHT


def forward_display(trace):
    """A forward-only trace (``visualcnn.nn.forward.forward_trace``) made drawable by the
    panels: every dL/d(...) and every gradient NaN (drawn blank), and the prediction as its
    label, so that whatever reads a class from it (the output panel's marks, the debugger's
    gradient check) gets a valid one; the notes say that there is no target."""
    layers = []
    for lt in trace.layers:
        changes = {"dx": np.full(lt.x.shape, np.nan), "dout": np.full(lt.out.shape, np.nan)}
        if lt.params:
            changes["grads"] = {k: np.full(v.shape, np.nan) for k, v in lt.params.items()}
        layers.append(dataclasses.replace(lt, **changes))
    return dataclasses.replace(trace, layers=tuple(layers), label=trace.prediction)


class ForwardNotes:
    """The notes over the panels while a drawing without a target is shown. ``show`` after
    the panels drew ``forward_display``'s trace; ``hide`` when they drew anything else;
    ``forget`` when the window built new panels (the notes went with the old ones)."""

    def __init__(self):
        # id(mosaic) -> (mosaic, card, label); the mosaic is kept so its id is not reused.
        self._labels: dict[int, tuple[object, object, object]] = {}
        self._chart_notes: dict[int, tuple[object, object]] = {}  # id(output) -> (output, note)
        self.shown = False

    # ------------------------------------------------------------------------- facts
    def label(self, mosaic):
        """The note over ``mosaic`` (None before it was first needed)."""
        entry = self._labels.get(id(mosaic))
        return entry[2] if entry is not None else None

    def gradient_note(self, output: OutputPanel):
        """The note over ``output``'s dL/d(logits) chart (None before it was first needed)."""
        entry = self._chart_notes.get(id(output))
        return entry[1] if entry is not None else None

    # ----------------------------------------------------------------------- drawing
    def show(self, trace, panels: list) -> None:
        """Notes over ``panels`` (the window's, and a focus panel), which show ``trace``."""
        self.shown = True
        self._drop_deleted()
        for panel in panels:
            # Texts first: a longer one makes its board lay the picture out again, and the
            # cards go where the mosaics end up.
            if isinstance(panel, ConvPanel):
                panel.biases.set_text(panel.biases.item.text().replace("nan", "  –"))
            elif isinstance(panel, InputPanel):
                p = trace.prediction
                panel.caption.set_text(tr("sample drawn, no target\npredicted {name} "
                                          "(p {probability:.2f})", name=panel.name_of(p),
                                          probability=trace.probs[p]))
            elif isinstance(panel, OutputPanel):
                self._mark_prediction(panel, trace)
                self._note_for(panel).setVisible(True)
            board = getattr(panel, "board", None)
            for mosaic in board.mosaics if board is not None else []:
                blank = mosaic.raw is not None and bool(np.all(np.isnan(mosaic.raw)))
                if blank:
                    mosaic.top_label.setText("")
                    mosaic.bottom_label.setText("")
                    self._place_card(mosaic)
                elif id(mosaic) in self._labels:
                    for item in self._labels[id(mosaic)][1:]:
                        item.setVisible(False)

    def hide(self) -> None:
        """No notes: the panels show a whole step again (they redrew every number)."""
        if not self.shown:
            return
        self.shown = False
        self._drop_deleted()
        for _mosaic, *items in self._labels.values():
            for item in items:
                item.setVisible(False)
        for _output, note in self._chart_notes.values():
            note.setVisible(False)

    def forget(self) -> None:
        """The window built new panels: the notes were part of the old ones."""
        self._labels, self._chart_notes, self.shown = {}, {}, False

    # ----------------------------------------------------------------------- helpers
    def _drop_deleted(self) -> None:
        """Forget the notes of panels deleted since (a focus panel replaced by another)."""
        self._labels = {k: e for k, e in self._labels.items() if not sip.isdeleted(e[1])}
        self._chart_notes = {k: e for k, e in self._chart_notes.items()
                             if not sip.isdeleted(e[1])}

    def _place_card(self, mosaic) -> None:
        """The card over ``mosaic``'s image and colour bar, in the board's colour, with the
        note on it, its lines as tall as the title's allow in the card's width (the short
        note on a narrow mosaic); made the first time."""
        wide, narrow = card_notes()
        entry = self._labels.get(id(mosaic))
        if entry is None:
            card = QGraphicsRectItem()
            card.setPen(QPen(Qt.PenStyle.NoPen))
            card.setZValue(19)
            mosaic.board.view.addItem(card)
            # A size of its own: the note is not one of the board's labels, which it sizes.
            label = mosaic.board.add_text(0, 0, wide, size=1.0, bold=True)
            label.setZValue(20)
            entry = self._labels[id(mosaic)] = (mosaic, card, label)
        _mosaic, card, label = entry
        bar = mosaic.bar.mapRectToParent(mosaic.bar.boundingRect())
        image = mosaic.image.mapRectToParent(mosaic.image.boundingRect())
        area = image.united(bar).adjusted(-0.5, -0.5, 0.5, 0.5)
        card.setPos(0, 0)  # a board that laid its picture out again may have moved it
        card.setRect(area)
        title = mosaic.title_item  # may be wrapped over lines
        lines = title.text().count("\n") + 1
        line = NOTE_SIZE * title.boundingRect().height() * title.scale() / lines
        for text in (wide, narrow):
            label.setText(text)
            box = label.boundingRect()  # unscaled: in the font's pixels
            by_height = line * (text.count("\n") + 1) / box.height()
            by_width = (area.width() - 2) / box.width()
            if by_width >= 0.6 * by_height:
                break
        label.setScale(min(by_height, by_width))
        label.setPos(image.x() + 1, image.y() + 1)
        background = mosaic.board.backgroundBrush()  # the theme's, whichever it is
        card.setBrush(background)
        label.setBrush(QColor(*_note_colour(background.color())))
        card.setVisible(True)
        label.setVisible(True)

    def _note_for(self, output: OutputPanel):
        entry = self._chart_notes.get(id(output))
        if entry is None:
            note = pg.TextItem(tr("pick a target to see\nthe backward pass"), anchor=(0.5, 0.5))
            note.setPos((len(output.x) - 1) / 2, 0.0)
            output.grad_plot.addItem(note)
            entry = self._chart_notes[id(output)] = (output, note)
        note = entry[1]
        note.setColor(_note_colour(output.widget.backgroundBrush().color()))
        return note

    @staticmethod
    def _mark_prediction(output: OutputPanel, trace) -> None:
        """The prediction marked alone: no bar is the true class."""
        p = trace.prediction
        brushes = [output.OTHER_BRUSH] * len(output.x)
        brushes[p] = output.PREDICTED_BRUSH
        output.prob_bars.setOpts(brushes=brushes)
        output.true_mark.setText("")
        top = float(trace.probs[p]) if np.isfinite(trace.probs[p]) else 0.0
        ends = (0.0, 1.0) if p < 2 else (1.0, 1.0) if p > len(output.x) - 3 else (0.5, 1.0)
        output.predicted_mark.setAnchor(ends)
        output.predicted_mark.setPos(p, min(top, 1.0) + 0.02)
        output.predicted_mark.show()
