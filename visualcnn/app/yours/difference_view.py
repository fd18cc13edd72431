"""One output of one call of a student's function, theirs beside the engine's: three mosaics on
one board (yours, engine, yours - engine) on the engine's tiling of that tensor, the worst entry
outlined on all three, and a line of its numbers.

The tiling is the layer panels' own (``views.tiling``), so a conv's dW looks here as it looks
in its layer's panel; where the worst entry sits in the tiles is found by pushing the entries'
flat positions through that same tiling, so no second copy of the tiling rules is needed.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtGui import QColor, QPen
from PyQt6.QtWidgets import QGraphicsRectItem

from visualcnn.app.views.mosaic import Mosaic
from visualcnn.app.views.panel import BoardPanel, TextBlock
from visualcnn.app.views.tiling import map_tiling, weight_tiling
from visualcnn.common.i18n import tr
from visualcnn.common.numbers import format_number
from visualcnn.yours.contract import output_label
from visualcnn.yours.stepping import LOSS_LAYER

WORST_COLOUR = (255, 140, 0)


def layer_name(name: str) -> str:
    """A call's layer as the window names it: the layer's own name, or the loss."""
    return tr("loss") if name == LOSS_LAYER else name


def one_sample(array: np.ndarray, output: str) -> np.ndarray:
    """What a panel would show of ``array``: activations and their gradients lose the batch
    axis of the app's single sample; parameters' gradients are shown whole."""
    if output in ("dW", "db") or array.ndim == 0:
        return array
    return array[0] if array.shape[0] == 1 else array


def tiling_for(array: np.ndarray, output: str, template_shape=None):
    """The panels' tiling of one tensor of a call (see ``one_sample``)."""
    if output == "dW":
        return weight_tiling(array.shape, template_shape if array.ndim == 2 else None)
    return map_tiling(array.shape)


def tile_position(tiling, shape: tuple[int, ...], index: tuple[int, ...]):
    """(tile number, i, j) where the entry ``index`` of an array of ``shape`` is drawn, or None
    when the tiling does not show it."""
    flat = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    arranged = tiling.arrange(flat)
    rows, cols = tiling.grid
    h, w = tiling.tile
    arranged = arranged.reshape(-1, h, w)
    target = np.ravel_multi_index(index, shape)
    hits = np.argwhere(arranged == target)
    if not len(hits):
        return None
    tile, i, j = (int(v) for v in hits[0])
    return tile, i, j


class DifferenceView(BoardPanel):
    """Yours, the engine's and their difference for ``output`` of ``comparison``."""

    def __init__(self, comparison, output: str, template_shape=None):
        super().__init__()
        self.comparison, self.output = comparison, output
        yours = comparison.yours[output]
        engine = comparison.engine[output]
        self.yours_shown = one_sample(yours, output)
        self.engine_shown = one_sample(engine, output)
        self.difference = self.yours_shown - self.engine_shown
        shape = self.yours_shown.shape if self.yours_shown.ndim else (1,)
        tiling = tiling_for(self.yours_shown.reshape(shape), output, template_shape)
        self.output_shown = output_label(output)
        fields = {"layer": layer_name(comparison.layer), "output": self.output_shown}
        self.yours = Mosaic(self.board, comparison.layer, tr("{layer} {output}: yours", **fields),
                            tiling, True)
        self.engine = Mosaic(self.board, comparison.layer,
                             tr("{layer} {output}: engine", **fields), tiling, True)
        self.diff = Mosaic(self.board, comparison.layer, tr("yours − engine"), tiling, True)
        self.numbers = TextBlock(self.board, 3, 46)
        self.layout([[self.yours, self.engine], [self.diff], [self.numbers]])
        # Yours and the engine's on one scale: the same colour is the same number.
        both = np.concatenate([self.yours_shown.ravel(), self.engine_shown.ravel()])
        finite = both[np.isfinite(both)]
        top = float(np.abs(finite).max()) if finite.size else 0.0
        for mosaic, array in ((self.yours, self.yours_shown), (self.engine, self.engine_shown)):
            if top > 0:
                mosaic.scale_mode, mosaic.fixed_levels = "fixed", (-top, top)
            mosaic.show(array.reshape(shape))
        self.diff.show(self.difference.reshape(shape))
        self.worst = self._worst_in_shown(shape)
        self.outlines = [self._outline(m) for m in (self.yours, self.engine, self.diff)
                         if self.worst is not None]
        self.numbers.set_text(self._numbers_text())

    def _worst_in_shown(self, shape):
        """(tile, i, j) of the call's worst entry when it lies in this output."""
        c = self.comparison
        if c.output != self.output or c.index is None:
            # Another output's worst: this one's own largest difference instead.
            if not self.difference.size or not np.any(self.difference):
                return None
            index = np.unravel_index(int(np.nanargmax(np.abs(self.difference))), shape)
        else:
            index = tuple(c.index)
            full = c.yours[self.output].shape
            if len(index) == len(full) and self.yours_shown.shape != full:
                index = index[1:]  # the batch axis the view dropped
        self.worst_index = tuple(int(v) for v in index)
        if len(self.worst_index) != len(shape):
            return None
        return tile_position(self.yours.tiling, shape, self.worst_index)

    def _outline(self, mosaic) -> QGraphicsRectItem:
        tile, i, j = self.worst
        item = QGraphicsRectItem(mosaic.pixel_rect(tile, (i, i + 1), (j, j + 1)))
        pen = QPen(QColor(*WORST_COLOUR))
        pen.setCosmetic(True)
        pen.setWidthF(2.5)
        item.setPen(pen)
        item.setZValue(10)
        mosaic.board.view.addItem(item)
        return item

    def _numbers_text(self) -> str:
        if self.worst is None:
            same = not np.any(self.difference)
            return tr("yours equals the engine's here") if same else ""
        at = self.worst_index
        shape = self.yours_shown.shape if self.yours_shown.ndim else (1,)
        y = float(self.yours_shown.reshape(shape)[at])
        e = float(self.engine_shown.reshape(shape)[at])
        where = ", ".join(str(v) for v in at)
        return tr("worst at {output}[{where}] (outlined)\nyours {yours}   engine {engine}\n"
                  "difference {difference}", output=self.output_shown, where=where,
                  yours=format_number(y), engine=format_number(e),
                  difference=format_number(y - e))
