"""The inspector: click a unit of a panel and see the arithmetic that made it, in real numbers.

A click on a feature map, a ReLU's output or mask, a pooled map, a filter weight, the dense
output, the probabilities or an input pixel selects a unit; the inspector spells out its value
from the trace on screen (the HTML comes from ``explanations``) and outlines its receptive
field on the panels. The selection stays while stepping, so the same unit can be followed
from step to step.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QPen
from PyQt6.QtWidgets import (
    QDockWidget,
    QGraphicsRectItem,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from visualcnn.app.debug.explanations import Selection, explain
from visualcnn.app.views.colormaps import DIVERGING
from visualcnn.app.views.panels import ConvPanel, DensePanel, InputPanel, PoolPanel, ReluPanel

UNIT_COLOUR = (0, 170, 0)      # the selected unit
# The readers of an input pixel are outlined on at most this many feature maps: beyond a
# first row of the mosaic the rectangles only clutter it.
READER_MAPS = 4
FIELD_COLOUR = (255, 200, 0)   # its receptive field / window
WINNER_COLOUR = (230, 0, 230)  # a pool window's winner


class Inspector:
    """The inspector dock's content and the click handling on the window's panels."""

    def __init__(self, window):
        self.window = window
        self.widget = QWidget()
        layout = QVBoxLayout(self.widget)
        layout.setContentsMargins(4, 4, 4, 4)
        self.text = QLabel("Click a unit of a feature map, a ReLU, a pooled map, a filter "
                           "weight, the dense output, a probability bar or a pixel of the "
                           "input to see how it was computed.")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.text)
        layout.addWidget(scroll, 3)
        # The terms of a kernel weight's gradient, one per output position, as a picture.
        self.terms_plot = pg.PlotWidget(background="w")
        self.terms_plot.setAspectLocked(True)
        self.terms_plot.invertY(True)
        self.terms_plot.hideAxis("left")
        self.terms_plot.hideAxis("bottom")
        self.terms_plot.setTitle("terms dL/dout · x per output position", size="8pt")
        self.terms_image = pg.ImageItem(axisOrder="row-major")
        self.terms_image.setColorMap(DIVERGING)
        self.terms_plot.addItem(self.terms_image)
        self.terms_plot.setMinimumHeight(120)
        self.terms_plot.hide()
        layout.addWidget(self.terms_plot, 2)
        self.widget.setMinimumWidth(350)
        self.dock: QDockWidget | None = None  # set by whoever puts the widget in a dock
        self.selection: Selection | None = None
        self.explanation = None
        self.trace = None
        self._outlines: list[tuple[object, QGraphicsRectItem]] = []
        self._connected: list = []

    # ------------------------------------------------------------------------ clicks
    def connect_panels(self) -> None:
        """Listen to clicks on the current panels (again after the docks were rebuilt)."""
        self._outlines = []
        for scene, slot in self._connected:
            try:
                scene.sigMouseClicked.disconnect(slot)
            except (TypeError, RuntimeError):
                pass
        self._connected = []
        for panel in self.window.panels:
            if hasattr(panel, "board"):
                slot = lambda ev, p=panel: self._on_board_click(p, ev)  # noqa: E731
                panel.board.scene().sigMouseClicked.connect(slot)
                self._connected.append((panel.board.scene(), slot))
        out = self.window.output_panel
        slot = self._on_output_click
        out.widget.scene().sigMouseClicked.connect(slot)
        self._connected.append((out.widget.scene(), slot))

    def _on_board_click(self, panel, event) -> None:
        p = panel.board.view.mapSceneToView(event.scenePos())
        selection = self.selection_at(panel, p.x(), p.y())
        if selection is not None:
            self.select(selection)

    def _on_output_click(self, event) -> None:
        out = self.window.output_panel
        for plot in (out.prob_plot, out.grad_plot):
            if plot.sceneBoundingRect().contains(event.scenePos()):
                x = plot.vb.mapSceneToView(event.scenePos()).x()
                m = int(round(x))
                if 0 <= m < len(out.x):
                    self.select(Selection("softmax", None, (m,)))
                return

    def selection_at(self, panel, x: float, y: float) -> Selection | None:
        """The unit of ``panel`` under scene point (x, y), if it is one the inspector explains."""
        if isinstance(panel, ConvPanel):
            for mosaic in (panel.maps, panel.grad_maps):
                hit = mosaic.locate(x, y)
                if hit:
                    r, c, i, j = hit
                    return Selection("conv", panel.name, (r * mosaic.cols + c, i, j))
            for mosaic in (panel.weights, panel.grad_weights):
                hit = mosaic.locate(x, y)
                if hit:
                    r, c, i, j = hit
                    f, ch = mosaic.tiling.index_of(r, c)
                    return Selection("weight", panel.name, (f, ch, i, j))
        elif isinstance(panel, PoolPanel):
            for mosaic, down in ((panel.pooled, 1), (panel.grad_pooled, 1), (panel.inputs, 0),
                                 (panel.routed, 0)):
                hit = mosaic.locate(x, y)
                if hit:
                    r, c, i, j = hit
                    if not down:  # a click on the pool's input picks the window it is in
                        k = panel.inputs.h // panel.pooled.h
                        i, j = i // k, j // k
                        if i >= panel.pooled.h or j >= panel.pooled.w:
                            return None  # a row or column the pool drops: no window
                    return Selection("pool", panel.name, (r * mosaic.cols + c, i, j))
        elif isinstance(panel, DensePanel):
            hit = panel.out.locate(x, y)
            if hit:
                return Selection("dense", panel.name, (hit[3],))
        elif isinstance(panel, ReluPanel):
            for mosaic in (panel.out, panel.mask):
                hit = mosaic.locate(x, y)
                if hit:
                    spec = next(sp for sp in self.window.session.net.specs
                                if sp.name == panel.name)
                    return Selection("relu", panel.name,
                                     _unit_of(mosaic, hit, len(spec.shape_out) == 1))
        elif isinstance(panel, InputPanel):
            for mosaic in (panel.sample, panel.gradient):
                hit = mosaic.locate(x, y)
                if hit:
                    r, c, i, j = hit
                    return Selection("pixel", None, (r * mosaic.cols + c, i, j))
        return None

    # -------------------------------------------------------------------- selection
    def select(self, selection: Selection) -> None:
        self.selection = selection
        if self.dock is not None:
            self.window.reveal(self.dock)
        self.refresh()

    def show_trace(self, trace) -> None:
        """The trace on screen changed (a step, a phase): explain the selection in it."""
        self.trace = trace
        if self.selection is not None:
            self.refresh()

    def refresh(self) -> None:
        """Explain the selection in the trace on screen: text, outlines, a weight's terms."""
        self._clear_outlines()
        self.terms_plot.hide()
        sel, trace = self.selection, self.trace
        if sel is None or trace is None:
            return
        e, html = explain(trace, sel)
        self.explanation = e
        if e is not None:
            if sel.what == "conv":
                self._outline_conv(sel.layer, sel.index[0], e)
            elif sel.what == "pool":
                self._outline_pool(sel.layer, sel.index[0], e)
            elif sel.what == "relu":
                self._outline_relu(sel.layer, e)
            elif sel.what == "pixel":
                self._outline_pixel(e)
            elif sel.what == "weight":
                scale = float(np.max(np.abs(e.terms), initial=0.0)) or 1.0
                self.terms_image.setImage(e.terms, autoLevels=False, levels=(-scale, scale))
                self.terms_plot.show()
        self.text.setText(html)

    # -------------------------------------------------------------------- outlines
    def outlines(self) -> list[QGraphicsRectItem]:
        """The rectangles drawn on the panels for the current selection."""
        return [item for _view, item in self._outlines]

    def _panel(self, key: str):
        return next((p for p in self.window.panels if getattr(p, "key", None) == key), None)

    def _map_mosaic_of_output(self, index: int):
        """The mosaic that shows layer ``index``'s output (the input for -1)."""
        if index < 0:
            panel = next(p for p in self.window.panels if isinstance(p, InputPanel))
            return panel.sample
        net = self.window.session.net
        panel = self._panel(net.layers[index].name)
        if isinstance(panel, ConvPanel):
            return panel.maps
        if isinstance(panel, ReluPanel):
            return panel.out
        if isinstance(panel, PoolPanel):
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
        self._outlines.append((mosaic.board.view, item))

    def _clear_outlines(self) -> None:
        for view, item in self._outlines:
            try:
                view.removeItem(item)
            except RuntimeError:  # the board went with a rebuilt dock
                pass
        self._outlines = []

    def _outline_conv(self, layer: str, f: int, e) -> None:
        """The unit on its map, its receptive field on every channel of the layer's input."""
        panel = self._panel(layer)
        i, j = e.position
        if panel is not None:
            self._outline(panel.maps, f, (i, i + 1), (j, j + 1), UNIT_COLOUR)
        names = [la.name for la in self.window.session.net.layers]
        source = self._map_mosaic_of_output(names.index(layer) - 1)
        if source is not None:
            for ch in range(e.patch.shape[0]):
                self._outline(source, ch, e.rows, e.cols, FIELD_COLOUR)

    def _outline_pool(self, layer: str, ch: int, e) -> None:
        """The pooled unit, its window on the pool's input, and the window's winner."""
        panel = self._panel(layer)
        if panel is None:
            return
        i, j = e.position
        self._outline(panel.pooled, ch, (i, i + 1), (j, j + 1), UNIT_COLOUR)
        self._outline(panel.inputs, ch, e.rows, e.cols, FIELD_COLOUR)
        wr, wc = e.winner
        self._outline(panel.inputs, ch, (wr, wr + 1), (wc, wc + 1), WINNER_COLOUR)
        self._outline(panel.routed, ch, (wr, wr + 1), (wc, wc + 1), WINNER_COLOUR)

    def _outline_relu(self, layer: str, e) -> None:
        """The unit on the output and on the mask."""
        panel = self._panel(layer)
        if panel is None:
            return
        tile, i, j = (e.index if len(e.index) == 3 else (0, 0, e.index[0]))
        for mosaic in (panel.out, panel.mask):
            self._outline(mosaic, tile, (i, i + 1), (j, j + 1), UNIT_COLOUR)

    def _outline_pixel(self, e) -> None:
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


def _unit_of(mosaic, hit, flat: bool) -> tuple[int, ...]:
    """The unit a map pixel shows: (channel, y, x) on maps, (d,) on a ``flat`` strip."""
    r, c, i, j = hit
    return (j,) if flat else (r * mosaic.cols + c, i, j)
