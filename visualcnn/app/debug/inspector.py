"""The inspector: click a unit of a panel and see the arithmetic that made it, in real numbers.

A click on a feature map, an activation's output, local derivative or mask, a pooled map, a
filter weight, the dense output, the probabilities or an input pixel selects a unit
(``picking``); the inspector spells out its value from the trace on screen (the HTML comes
from ``explanations``) and outlines its receptive field on the panels (``unit_outlines``).
The selection stays while stepping, so the same unit can be followed from step to step.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QDockWidget, QLabel, QScrollArea, QVBoxLayout, QWidget

from visualcnn.app.debug.explanations import Selection, explain
from visualcnn.app.debug.picking import selection_at
from visualcnn.app.debug.unit_outlines import UnitOutlines
from visualcnn.app.views.colormaps import DIVERGING
from visualcnn.common.i18n import tr


class Inspector:
    """The inspector dock's content and the click handling on the window's panels."""

    def __init__(self, window):
        self.window = window
        self.widget = QWidget()
        layout = QVBoxLayout(self.widget)
        layout.setContentsMargins(4, 4, 4, 4)
        self.text = QLabel(tr("Click a unit of a feature map, an activation (ReLU, sigmoid, "
                              "tanh, leaky ReLU), a pooled map, a filter weight, the dense "
                              "output, a probability bar or a pixel of the input to see how it "
                              "was computed."))
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
        self.terms_plot.setTitle(tr("terms dL/dout · x per output position"), size="8pt")
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
        self._outlines = UnitOutlines(window)
        self._connected: list = []

    # ------------------------------------------------------------------------ clicks
    def connect_panels(self) -> None:
        """Listen to clicks on the current panels (again after the docks were rebuilt)."""
        self._outlines.forget()
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
        return selection_at(panel, x, y, self.window.session.net)

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
        self._outlines.clear()
        self.terms_plot.hide()
        sel, trace = self.selection, self.trace
        if sel is None or trace is None:
            return
        e, html = explain(trace, sel)
        self.explanation = e
        if e is not None:
            if sel.what == "weight":
                scale = float(np.max(np.abs(e.terms), initial=0.0)) or 1.0
                self.terms_image.setImage(e.terms, autoLevels=False, levels=(-scale, scale))
                self.terms_plot.show()
            else:
                self._outlines.draw(sel.what, sel.layer, sel.index, e)
        self.text.setText(html)

    # -------------------------------------------------------------------- outlines
    def outlines(self) -> list:
        """The rectangles drawn on the panels for the current selection."""
        return self._outlines.items()
