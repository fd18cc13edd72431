"""A step drawn while it is walked phase by phase.

The panels draw a partial step with the code that draws a whole one: ``display_trace`` fills
what the walk has not computed with NaN, which the mosaics draw blank. ``PhaseView`` then
writes "not yet computed" over the blank mosaics (never the previous step's numbers), a dash
for the numbers not there yet, marks the dock of the current layer ("▶ FORWARD · conv1") and
puts the phase at the head of the status line.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from visualcnn.app.views.activation_panels import ACTIVATION_KINDS
from visualcnn.app.views.board import TEXT
from visualcnn.app.views.panels import BoardPanel, ConvPanel, DensePanel, InputPanel
from visualcnn.common import i18n
from visualcnn.common.i18n import N_, tr

HIGHLIGHT = "QDockWidget::title { background: #ffca28; padding-left: 4px; }"
NOT_YET = N_("not yet\ncomputed")


def _nan(shape, batch: int = 1) -> np.ndarray:
    return np.full((batch, *shape), np.nan)


def display_trace(trace, net):
    """``trace`` with what the walk has not computed yet as NaN (drawn blank), so the panels
    can draw a partial step with the code that draws a whole one."""
    layers, b = [], trace.batch  # a mini-batch's arrays keep its batch axis
    for spec, lt in zip(net.specs, trace.layers, strict=True):
        changes = {}
        if lt.x is None:
            changes["x"] = _nan(spec.shape_in, b)
        if lt.out is None:
            changes["out"] = _nan(spec.shape_out, b)
        if lt.dx is None:
            changes["dx"] = _nan(spec.shape_in, b)
        if lt.dout is None:
            changes["dout"] = _nan(spec.shape_out, b)
        if lt.params and not lt.grads:
            changes["grads"] = {k: np.full(v.shape, np.nan) for k, v in lt.params.items()}
        if not lt.extras:
            if spec.kind == "pool":
                changes["extras"] = {"argmax_mask": np.zeros((b, *spec.shape_in), bool)}
            elif spec.kind == "relu":
                changes["extras"] = {"relu_mask": _nan(spec.shape_in, b)}
            elif spec.kind in ACTIVATION_KINDS:
                changes["extras"] = {"local_derivative": _nan(spec.shape_in, b)}
        layers.append(dataclasses.replace(lt, **changes) if changes else lt)
    extra = {}
    if trace.probs is None:
        extra = {"probs": np.zeros(net.classes), "logits": np.full(net.classes, np.nan),
                 "prediction": trace.label}
        if b > 1:
            extra.update(batch_probs=np.zeros((b, net.classes)), predictions=trace.labels)
    return dataclasses.replace(trace, layers=tuple(layers), **extra)


def phase_name(event) -> str:
    """What the status line and ``DebuggerView.phase_text`` call a phase: "forward conv1",
    "loss", "backward dense1", "update"."""
    return event.phase if event.phase in ("loss", "update") else f"{event.phase} {event.layer}"


def shown_phase(phase: str) -> str:
    """``phase_name``'s English ("backward dense1") in the window's language; any other text
    (a dry run's, already translated) as it is."""
    word, _, layer = phase.partition(" ")
    if phase == "loss":
        return tr("loss")
    if phase == "update":
        return tr("update")
    if word == "forward" and layer:
        return tr("forward {layer}", layer=layer)
    if word == "backward" and layer:
        return tr("backward {layer}", layer=layer)
    return phase


class PhaseView:
    """Draws the phase on screen over the window's panels, docks and status line."""

    def __init__(self, window):
        self.window = window
        self._drawing = False
        self._labels: dict[int, tuple[object, object]] = {}  # id(mosaic) -> (mosaic, label)
        self._titles: dict[str, str] = {}  # dock key -> its title when not marked
        self._marked: list[str] = []

    # ------------------------------------------------------------------------- facts
    @property
    def drawing(self) -> bool:
        """True while the window draws a partial step: its ``trace_shown`` is not a step."""
        return self._drawing

    @property
    def marked_docks(self) -> list[str]:
        """Keys of the docks marked as the current phase's."""
        return list(self._marked)

    def not_computed_label(self, mosaic):
        """The "not yet computed" text item over ``mosaic`` (None before its first phase)."""
        entry = self._labels.get(id(mosaic))
        return entry[1] if entry is not None else None

    # ----------------------------------------------------------------------- drawing
    def docks_rebuilt(self) -> None:
        """The window built new panels: forget the old labels, read the new titles."""
        self._labels = {}
        self._titles = {key: d.windowTitle() for key, d in self.window.docks.items()}
        self._marked = []

    def draw(self, trace) -> None:
        """Show ``trace`` of a walk on the panels, what it has not computed drawn blank."""
        self._drawing = True
        try:
            self.window.show_trace(display_trace(trace, self.window.session.net))
        finally:
            self._drawing = False

    def show_not_computed(self, trace) -> None:
        """Blank mosaics get "not yet computed"; number columns show a dash, not "nan"."""
        for panel in self.window.panels:
            if isinstance(panel, BoardPanel):
                for mosaic in panel.board.mosaics:
                    blank = mosaic.raw is not None and bool(np.all(np.isnan(mosaic.raw)))
                    label = self._label_for(mosaic)
                    if blank:
                        label.setPos(mosaic.image_x + 1, mosaic.image_y + 1)
                        mosaic.top_label.setText("")
                        mosaic.bottom_label.setText("")
                    label.setVisible(blank)
                if isinstance(panel, ConvPanel):
                    panel.biases.set_text(panel.biases.item.text().replace("nan", "  –"))
                if isinstance(panel, DensePanel) and panel.logits is not None:
                    panel.logits.set_text(panel.logits.item.text().replace("nan", "  –"))
                if isinstance(panel, InputPanel):
                    panel.caption.set_text(panel.caption.item.text().split("\n")[0]
                                           + "\n" + tr("prediction: not yet computed"))
        out = self.window.output_panel
        if trace.probs is None:
            out.true_mark.setText(tr("true"))
            out.predicted_mark.hide()
        out.show_not_computed(trace.probs is None)

    def _label_for(self, mosaic):
        entry = self._labels.get(id(mosaic))
        if entry is None:
            size = min(TEXT * 1.2, max(2.0, mosaic.image_width / 5.5))
            label = mosaic.board.add_text(0, 0, i18n.lookup(NOT_YET), size=size,
                                          colour=(60, 60, 60), bold=True)
            label.setZValue(20)
            # The mosaic is kept with its label so that its id is not reused while listed.
            entry = self._labels[id(mosaic)] = (mosaic, label)
        return entry[1]

    def mark_layer(self, event) -> None:
        """Mark the dock of the phase's layer; the loss marks the output and the last layer."""
        key = event.layer if event.phase != "loss" else "output"
        keys = [key] if key in self.window.docks else []
        if event.phase == "loss" and event.layer in self.window.docks:
            keys.append(event.layer)
        words = {"forward": tr("FORWARD"), "backward": tr("BACKWARD"), "loss": tr("LOSS")}
        self._mark(keys, words.get(event.phase, event.phase.upper()))

    def mark_update(self, layer_names: list[str]) -> None:
        """Mark the docks of the layers the update changes."""
        self._mark([k for k in layer_names if k in self.window.docks], tr("UPDATE"))

    def _mark(self, keys: list[str], word: str) -> None:
        self._unmark()
        for k in keys:
            dock = self.window.docks[k]
            dock.setStyleSheet(HIGHLIGHT)
            dock.setWindowTitle(f"▶ {word} · {self._titles.get(k, k)}")
        self._marked = keys

    def _unmark(self) -> None:
        for k in self._marked:
            dock = self.window.docks.get(k)
            if dock is not None:
                dock.setStyleSheet("")
                dock.setWindowTitle(self._titles.get(k, dock.windowTitle()))
        self._marked = []

    def show_status(self, phase: str) -> None:
        """Put "phase: ``phase``" at the head of the window's status line."""
        w = self.window
        w.status.setText(tr("phase: {phase}", phase=shown_phase(phase))
                         + f"   ·   {w.status.text()}")

    def end_walk(self) -> None:
        """Back to whole steps: no marked dock, no "not yet computed" anywhere."""
        self._unmark()
        for _mosaic, label in self._labels.values():
            label.setVisible(False)
        self.window.output_panel.show_not_computed(False)
