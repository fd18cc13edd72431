"""The Update dock: for every layer with parameters, W before, the update −lr·dW, W after.

Before and after share one colour scale, so a change of colour is a change of value; the
biases are a table of numbers. Until the sample shown has been trained on, the mosaics are
blank and the caption says "not yet computed", never the previous step's numbers.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from visualcnn.app.views.mosaic import Mosaic
from visualcnn.app.views.panel import BoardPanel, TextBlock
from visualcnn.app.views.tiling import template_shape_before, weight_tiling
from visualcnn.common.numbers import format_number


class UpdateLayerView(BoardPanel):
    """One parameterised layer's update: W before, the update -lr x dW, W after; b as text."""

    def __init__(self, layer, template_shape=None):
        super().__init__()
        self.name = layer.name
        self.kind = layer.kind
        tiling = weight_tiling(layer.params["W"].shape, template_shape)
        self.before = Mosaic(self.board, self.name, f"{self.name} W before", tiling, True)
        self.update = Mosaic(self.board, self.name, "update −lr·dW", tiling, True)
        self.after = Mosaic(self.board, self.name, "W after", tiling, True)
        self.biases = TextBlock(self.board, min(len(layer.params["b"]), 16) + 1, 34)
        # Stacked: the dock is a narrow column beside the panels.
        self.layout([[self.before], [self.update], [self.after], [self.biases]])
        self.board.setMinimumHeight(420 if layer.kind == "dense" else 300)

    def blank(self) -> None:
        """Nothing to show yet: empty mosaics (never the previous step's numbers)."""
        for m in (self.before, self.update, self.after):
            m.set_maps(np.full((m.rows, m.cols, m.h, m.w), np.nan))
        self.biases.set_text(" not yet computed")

    def show(self, lt) -> None:
        W, U = lt.params["W"], lt.updates["W"]
        after = W + U
        levels_source = np.concatenate([W.ravel(), after.ravel()])
        # Before and after on one scale, so that a change in colour is a change in value.
        top = float(np.max(np.abs(levels_source), initial=0.0, where=np.isfinite(
            levels_source))) or 1.0
        for m, a in ((self.before, W), (self.after, after)):
            m.scale_mode = "fixed"
            m.fixed_levels = (-top, top)
            m.show(a)
        self.update.show(U)
        b, ub = lt.params["b"], lt.updates["b"]
        lines = [" i     b before     update      after"]
        lines += [f"{i:2d} {format_number(b[i]):>11} {format_number(ub[i]):>10} "
                  f"{format_number(b[i] + ub[i]):>10}" for i in range(min(len(b), 16))]
        self.biases.set_text("\n".join(lines))


class UpdateWidget(QWidget):
    """The update phase: for every parameterised layer, before, −lr·dW and after."""

    def __init__(self):
        super().__init__()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        self.caption = QLabel("The update of the last step: weights before, the change "
                              "−lr·dW, and the weights after.")
        self.caption.setWordWrap(True)
        outer.addWidget(self.caption)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        outer.addWidget(self.scroll, 1)
        self.views: list[UpdateLayerView] = []

    def build(self, net) -> None:
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(0, 0, 0, 0)
        self.views = []
        for i, layer in enumerate(net.layers):
            if not layer.params:
                continue
            view = UpdateLayerView(layer, template_shape_before(net, i))
            self.views.append(view)
            layout.addWidget(view.widget, 1)
        self.scroll.setWidget(inner)

    def show_trace(self, trace) -> None:
        if not trace.applied:
            self.caption.setText(f"Step {trace.step + 1}: update not yet computed (the "
                                 "sample shown has not been trained on).")
            for view in self.views:
                view.blank()
            return
        self.caption.setText(f"Update of step {trace.step}: W after = W before − lr·dW with "
                             f"lr {trace.lr:g} (momentum adds the velocity when on).")
        for view in self.views:
            view.show(trace.layer(view.name))
