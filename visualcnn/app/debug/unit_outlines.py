"""The rectangles the inspector draws on the panels for the unit it explains: the unit itself,
its receptive field or window on the layer's input, a max-pool window's winner, the units of
the first layer that read an input pixel."""

from __future__ import annotations

from PyQt6.QtGui import QColor, QPen
from PyQt6.QtWidgets import QGraphicsRectItem

from visualcnn.app.views.activation_panels import ActivationPanel, AvgPoolPanel
from visualcnn.app.views.panels import ConvPanel, InputPanel, PoolPanel, ReluPanel

UNIT_COLOUR = (0, 170, 0)      # the selected unit
# The readers of an input pixel are outlined on at most this many feature maps: beyond a
# first row of the mosaic the rectangles only clutter it.
READER_MAPS = 4
FIELD_COLOUR = (255, 200, 0)   # its receptive field / window
WINNER_COLOUR = (230, 0, 230)  # a pool window's winner


def _clipped(span: tuple[int, int], size: int) -> tuple[int, int] | None:
    """[start, stop) cut to [0, size): a padded window's part that lies on the input."""
    start, stop = max(0, span[0]), min(size, span[1])
    return (start, stop) if start < stop else None


class UnitOutlines:
    """Draws and clears the outlines of one explained unit on ``window``'s panels."""

    def __init__(self, window):
        self.window = window
        self._items: list[tuple[object, QGraphicsRectItem]] = []

    def items(self) -> list[QGraphicsRectItem]:
        return [item for _view, item in self._items]

    def forget(self) -> None:
        """The panels were rebuilt: their outlines went with them."""
        self._items = []

    def clear(self) -> None:
        for view, item in self._items:
            try:
                view.removeItem(item)
            except RuntimeError:  # the board went with a rebuilt dock
                pass
        self._items = []

    def draw(self, what: str, layer: str | None, index: tuple[int, ...], e) -> None:
        """The outlines of unit ``index`` of ``layer``, explained as ``e``."""
        if what == "conv":
            self._conv(layer, index[0], e)
        elif what in ("pool", "avgpool"):
            self._pool(layer, index[0], e)
        elif what in ("relu", "activation"):
            self._activation(layer, e)
        elif what == "pixel":
            self._pixel(e)

    # ----------------------------------------------------------------------- helpers
    def _panel(self, key: str):
        return next((p for p in self.window.panels if getattr(p, "key", None) == key), None)

    def _mosaic_of_output(self, index: int):
        """The mosaic that shows layer ``index``'s output (the input for -1)."""
        if index < 0:
            return next(p for p in self.window.panels if isinstance(p, InputPanel)).sample
        panel = self._panel(self.window.session.net.layers[index].name)
        if isinstance(panel, ConvPanel):
            return panel.maps
        if isinstance(panel, ReluPanel | ActivationPanel):
            return panel.out
        if isinstance(panel, PoolPanel | AvgPoolPanel):
            return panel.pooled
        return None

    def _outline(self, mosaic, tile: int, rows, cols, colour, width: float = 2.0) -> None:
        item = QGraphicsRectItem(mosaic.pixel_rect(tile, rows, cols))
        pen = QPen(QColor(*colour))
        pen.setCosmetic(True)
        pen.setWidthF(width)
        item.setPen(pen)
        item.setZValue(10)
        mosaic.board.view.addItem(item)
        self._items.append((mosaic.board.view, item))

    # ------------------------------------------------------------------------ kinds
    def _conv(self, layer: str, f: int, e) -> None:
        """The unit on its map, its receptive field on every channel of the layer's input
        (the part of it on the input: padding lies outside the picture)."""
        panel = self._panel(layer)
        i, j = e.position
        if panel is not None:
            self._outline(panel.maps, f, (i, i + 1), (j, j + 1), UNIT_COLOUR)
        names = [la.name for la in self.window.session.net.layers]
        source = self._mosaic_of_output(names.index(layer) - 1)
        if source is None:
            return
        rows, cols = _clipped(e.rows, source.h), _clipped(e.cols, source.w)
        if rows is None or cols is None:
            return  # a window of padding alone
        for ch in range(min(e.patch.shape[0], source.count)):
            self._outline(source, ch, rows, cols, FIELD_COLOUR)

    def _pool(self, layer: str, ch: int, e) -> None:
        """The pooled unit, its window on the pool's input, and a max-pool's winner."""
        panel = self._panel(layer)
        if panel is None:
            return
        i, j = e.position
        for mosaic in (panel.pooled, panel.grad_pooled):
            self._outline(mosaic, ch, (i, i + 1), (j, j + 1), UNIT_COLOUR)
        for mosaic in (panel.inputs, panel.routed):
            self._outline(mosaic, ch, e.rows, e.cols, FIELD_COLOUR)
        winner = getattr(e, "winner", None)
        if winner is not None:
            wr, wc = winner
            for mosaic in (panel.inputs, panel.routed):
                self._outline(mosaic, ch, (wr, wr + 1), (wc, wc + 1), WINNER_COLOUR)

    def _activation(self, layer: str, e) -> None:
        """The unit on every picture of its panel."""
        panel = self._panel(layer)
        if panel is None:
            return
        tile, i, j = (e.index if len(e.index) == 3 else (0, 0, e.index[0]))
        mosaics = ((panel.out, panel.mask) if isinstance(panel, ReluPanel)
                   else (panel.out, panel.local, panel.grad_out, panel.grad_in))
        for mosaic in mosaics:
            self._outline(mosaic, tile, (i, i + 1), (j, j + 1), UNIT_COLOUR)

    def _pixel(self, e) -> None:
        """The pixel on the sample and its gradient; with a convolution first, the block of
        units that read it on the first feature maps."""
        c, i, j = e.index
        panel = next(p for p in self.window.panels if isinstance(p, InputPanel))
        for mosaic in (panel.sample, panel.gradient):
            self._outline(mosaic, c, (i, i + 1), (j, j + 1), UNIT_COLOUR)
        first = self._panel(e.layer)
        if isinstance(first, ConvPanel) and len(e.readers):
            p, q = e.readers[:, 1], e.readers[:, 2]
            rows, cols = (int(p.min()), int(p.max()) + 1), (int(q.min()), int(q.max()) + 1)
            for f in range(min(READER_MAPS, first.maps.count)):
                self._outline(first.maps, f, rows, cols, FIELD_COLOUR)
