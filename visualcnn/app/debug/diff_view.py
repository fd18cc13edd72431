"""The Diff dock: what changed in every parameter tensor since the weights the user pinned.

"Pin these weights" keeps a copy of the network's weights and their step. From then on, at
every step shown (a step, Step back, a jump on the timeline, a checkpoint opened), the dock
shows the current weights minus the pinned ones: per layer a signed map of the change (blue
down, red up, as the Update dock draws an update), its norm and its size relative to the
pinned weights, and the filters (or units) that moved most. Pin at step A, go to step B, and
it is the diff of the two steps, whichever way the run got from one to the other.

Or pick two kept steps of the run directly ("Compare step A with step B"): their weights are
worked out by the rewind on a copy of the network, the window stays at the step it shows,
and the dock holds that pair until the weights are pinned again.
"""

from __future__ import annotations

import time

import numpy as np
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from visualcnn.app.views.mosaic import Mosaic
from visualcnn.app.views.panel import BoardPanel, TextBlock
from visualcnn.app.views.tiling import template_shape_before, weight_tiling
from visualcnn.common.i18n import tr
from visualcnn.nn.diff import diff_params, named_params

RUN_REFRESH_S = 0.5  # while running, the dock follows at most this often


def _norm_text(d) -> str:
    key = d.name.split("/")[1]
    if np.isnan(d.relative):
        return f"|Δ{key}| {d.norm:.3g}"
    return tr("|Δ{key}| {norm:.3g} = {relative:.3g} of |pinned|", key=key, norm=d.norm,
              relative=d.relative)


def _moved_most_title(unit_noun: str) -> str:
    """The heading of the slices that moved most, by what a slice is."""
    if unit_noun == "filter":
        return tr("filters that moved most:")
    if unit_noun == "entry":
        return tr("entries that moved most:")
    return tr("units that moved most:")


class LayerDiffView(BoardPanel):
    """One parameterised layer: the signed map of ΔW, and its numbers as text."""

    def __init__(self, layer, template_shape=None):
        super().__init__()
        self.name = layer.name
        tiling = weight_tiling(layer.params["W"].shape, template_shape)
        self.delta = Mosaic(self.board, self.name,
                            tr("{layer} ΔW = now − pinned", layer=self.name), tiling, True)
        self.numbers = TextBlock(self.board, 4, 40)
        self.layout([[self.delta], [self.numbers]])
        self.board.setMinimumHeight(300 if layer.kind == "dense" else 220)

    def blank(self, why: str) -> None:
        m = self.delta
        m.set_maps(np.full((m.rows, m.cols, m.h, m.w), np.nan))
        self.numbers.set_text(why)

    def show(self, dW, db) -> None:
        self.delta.show(dW.delta, tr("no change: these weights are the pinned ones"))
        moved = ", ".join(f"{i} ({v:.2g})" for i, v in dW.moved_most(3)) or tr("none")
        self.numbers.set_text(f"{_norm_text(dW)}\n{_norm_text(db)}\n"
                              f"{_moved_most_title(dW.unit_noun)}\n {moved}")


class DiffWidget(QWidget):
    """Pin the weights; then the change since the pin, for every parameterised layer."""

    def __init__(self, window, debugger):
        super().__init__()
        self.window = window
        self.debugger = debugger  # the run's rewind, for two kept steps' weights
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        top = QHBoxLayout()
        self.pin = QPushButton(tr("Pin these weights"))
        self.pin.setToolTip(tr("Keep a copy of the weights now; the dock then shows what "
                               "changed since, at every step shown (go to another step to "
                               "compare two)"))
        self.pin.clicked.connect(self.pin_weights)
        top.addWidget(self.pin)
        self.caption = QLabel(tr("Pin the weights at one step, go to another (Step, Step "
                                 "back, the timeline): here is what changed in between."))
        self.caption.setWordWrap(True)
        top.addWidget(self.caption, 1)
        outer.addLayout(top)
        outer.addLayout(self._pair_row())
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        outer.addWidget(self.scroll, 1)
        self.views: list[LayerDiffView] = []
        self.pinned: dict[str, np.ndarray] | None = None
        self.pinned_step: int | None = None
        # Two kept steps compared directly: (step B, its weights); None follows the shown step.
        self.against: tuple[int, dict[str, np.ndarray]] | None = None
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
            self.pinned = self.pinned_step = self.against = None
        self.refresh()

    def _pair_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.step_a, self.step_b = QSpinBox(), QSpinBox()
        for box in (self.step_a, self.step_b):
            box.setRange(0, 0)
            box.setToolTip(tr("A step the run can go back to (Debug > Timeline shows them)"))
        self.compare = QPushButton(tr("Compare"))
        self.compare.setToolTip(tr("Step B's weights minus step A's, worked out from the "
                                   "rewind history; the window stays at the step it shows"))
        self.compare.clicked.connect(self.compare_steps)
        row.addWidget(QLabel(tr("Compare step")))
        row.addWidget(self.step_a)
        row.addWidget(QLabel(tr("with step")))
        row.addWidget(self.step_b)
        row.addWidget(self.compare)
        row.addStretch(1)
        return row

    def _kept_steps(self) -> tuple[int, int] | None:
        first, last = self.debugger.first_step, self.debugger.last_step
        return None if first is None else (first, last)

    def _update_pair_range(self) -> None:
        kept = self._kept_steps()
        self.compare.setEnabled(kept is not None and kept[1] > kept[0])
        low, high = kept if kept is not None else (0, 0)
        for box in (self.step_a, self.step_b):
            box.setRange(low, high)

    def pin_weights(self) -> None:
        net = self.window.session.net
        self.pinned, self.pinned_step = named_params(net), net.step
        self.against = None
        self.refresh()

    def compare_steps(self) -> None:
        """Step B's weights against step A's, both taken from the run's rewind history."""
        a, b = self.step_a.value(), self.step_b.value()
        try:
            weights_a, weights_b = self.debugger.weights_at(a), self.debugger.weights_at(b)
        except ValueError as e:  # the run changed under the boxes (a reset, a checkpoint)
            self.caption.setText(tr("Cannot compare: {error}", error=e))
            return
        self.pinned, self.pinned_step = weights_a, a
        self.against = (b, weights_b)
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
        """The current weights (or step B's) against the pinned ones (or step A's)."""
        net = self.window.session.net
        self._update_pair_range()
        if self.pinned is None:
            self.diffs = None
            for view in self.views:
                view.blank(tr("nothing pinned yet"))
            return
        try:
            now = self.against[1] if self.against is not None else named_params(net)
            self.diffs = diff_params(self.pinned, now)
        except ValueError as e:  # another architecture since the pin
            self.diffs = None
            self.caption.setText(tr("The pinned weights no longer fit: {error}. Pin again.",
                                    error=e))
            return
        by_name = {d.name: d for d in self.diffs}
        total = float(np.sqrt(sum(d.norm ** 2 for d in self.diffs)))
        if self.against is not None:
            what = tr("Step {b} − step {a} (picked)", b=self.against[0], a=self.pinned_step)
        else:
            what = tr("Step {now} − pinned step {pinned}", now=net.step,
                      pinned=self.pinned_step)
        self.caption.setText(tr("{what}: |Δ all weights| {total:.3g}. Blue went down, red up.",
                                what=what, total=total))
        for view in self.views:
            view.show(by_name[f"{view.name}/W"], by_name[f"{view.name}/b"])
