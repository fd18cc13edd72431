"""The Diff dock: what changed in every parameter tensor since the weights the user pinned.

"Pin these weights" keeps a copy of the network's weights and their step. From then on, at
every step shown (a step, Step back, a jump on the timeline, a checkpoint opened), the dock
shows the current weights minus the pinned ones: per layer a signed map of the change (blue
down, red up, as the Update dock draws an update), its norm and its size relative to the
pinned weights, and the filters (or units) that moved most. Pin at step A, go to step B, and
it is the diff of the two steps, whichever way the run got from one to the other.
"""

from __future__ import annotations

import time

import numpy as np
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from visualcnn.app.views.mosaic import Mosaic
from visualcnn.app.views.panel import BoardPanel, TextBlock
from visualcnn.app.views.tiling import template_shape_before, weight_tiling
from visualcnn.nn.diff import diff_params, named_params

RUN_REFRESH_S = 0.5  # while running, the dock follows at most this often


def _norm_text(d) -> str:
    rel = "" if np.isnan(d.relative) else f" = {d.relative:.3g} of |pinned|"
    return f"|Δ{d.name.split('/')[1]}| {d.norm:.3g}{rel}"


class LayerDiffView(BoardPanel):
    """One parameterised layer: the signed map of ΔW, and its numbers as text."""

    def __init__(self, layer, template_shape=None):
        super().__init__()
        self.name = layer.name
        tiling = weight_tiling(layer.params["W"].shape, template_shape)
        self.delta = Mosaic(self.board, self.name, f"{self.name} ΔW = now − pinned", tiling,
                            True)
        self.numbers = TextBlock(self.board, 4, 40)
        self.layout([[self.delta], [self.numbers]])
        self.board.setMinimumHeight(300 if layer.kind == "dense" else 220)

    def blank(self, why: str) -> None:
        m = self.delta
        m.set_maps(np.full((m.rows, m.cols, m.h, m.w), np.nan))
        self.numbers.set_text(why)

    def show(self, dW, db) -> None:
        self.delta.show(dW.delta, "no change: these weights are the pinned ones")
        moved = ", ".join(f"{i} ({v:.2g})" for i, v in dW.moved_most(3)) or "none"
        self.numbers.set_text(f"{_norm_text(dW)}\n{_norm_text(db)}\n"
                              f"{dW.unit_noun}s that moved most:\n {moved}")


class DiffWidget(QWidget):
    """Pin the weights; then the change since the pin, for every parameterised layer."""

    def __init__(self, window):
        super().__init__()
        self.window = window
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        top = QHBoxLayout()
        self.pin = QPushButton("Pin these weights")
        self.pin.setToolTip("Keep a copy of the weights now; the dock then shows what changed "
                            "since, at every step shown (go to another step to compare two)")
        self.pin.clicked.connect(self.pin_weights)
        top.addWidget(self.pin)
        self.caption = QLabel("Pin the weights at one step, go to another (Step, Step back, "
                              "the timeline): here is what changed in between.")
        self.caption.setWordWrap(True)
        top.addWidget(self.caption, 1)
        outer.addLayout(top)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        outer.addWidget(self.scroll, 1)
        self.views: list[LayerDiffView] = []
        self.pinned: dict[str, np.ndarray] | None = None
        self.pinned_step: int | None = None
        self.diffs = None  # the last diff shown, a list of TensorDiff
        self._last = 0.0
        window.trace_shown.connect(self._on_trace_shown)
        window.docks_built.connect(self.build)
        self.build()

    def build(self) -> None:
        """One view per parameterised layer of the (new) network; a pin of another
        architecture no longer applies."""
        net = self.window.session.net
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(0, 0, 0, 0)
        self.views = []
        for i, layer in enumerate(net.layers):
            if layer.params:
                view = LayerDiffView(layer, template_shape_before(net, i))
                self.views.append(view)
                layout.addWidget(view.widget, 1)
        self.scroll.setWidget(inner)
        if self.pinned is not None and list(self.pinned) != list(named_params(net)):
            self.pinned = self.pinned_step = None
        self.refresh()

    def pin_weights(self) -> None:
        net = self.window.session.net
        self.pinned, self.pinned_step = named_params(net), net.step
        self.refresh()

    def _on_trace_shown(self, _trace) -> None:
        if not self.isVisible():
            return
        now = time.perf_counter()
        if self.window.loop.running and now - self._last < RUN_REFRESH_S:
            return
        self._last = now
        self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        """The current weights against the pinned ones."""
        net = self.window.session.net
        if self.pinned is None:
            self.diffs = None
            for view in self.views:
                view.blank("nothing pinned yet")
            return
        try:
            self.diffs = diff_params(self.pinned, named_params(net))
        except ValueError as e:  # another architecture since the pin
            self.diffs = None
            self.caption.setText(f"The pinned weights no longer fit: {e}. Pin again.")
            return
        by_name = {d.name: d for d in self.diffs}
        total = float(np.sqrt(sum(d.norm ** 2 for d in self.diffs)))
        self.caption.setText(f"Step {net.step} − pinned step {self.pinned_step}: "
                             f"|Δ all weights| {total:.3g}. Blue went down, red up.")
        for view in self.views:
            view.show(by_name[f"{view.name}/W"], by_name[f"{view.name}/b"])
