"""Panels of the weightless layers beside ReLU and max-pool: the smooth and leaky activations
(sigmoid, tanh, leaky ReLU), each shown with its local derivative, and average pooling, whose
gradient every member of a window shares evenly.

Like the panels in ``panels.py``, each builds its items once and only takes new arrays from a
trace in ``show_trace``.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QEvent, QObject, QTimer

from visualcnn.app.views.batch_titles import BatchTitles
from visualcnn.app.views.mosaic import Mosaic
from visualcnn.app.views.panel import BoardPanel, Rows, TextBlock
from visualcnn.app.views.tiling import cell_for, map_tiling
from visualcnn.app.views.zero_reasons import SIGNED_COLOURS, gradient_reason
from visualcnn.common import i18n
from visualcnn.common.i18n import N_, tr

# What each activation computes, and the most its local derivative can be: the factor by
# which it can at best pass a gradient on. Marked here, translated where shown.
FORMULAS = {
    "sigmoid": ("sigmoid", "σ(x) = 1/(1 + e^-x)", "σ(1 − σ)", 0.25),
    "tanh": ("tanh", "tanh(x)", "1 − tanh²", 1.0),
    "lrelu": ("leaky ReLU", N_("x, or 0.01x if x ≤ 0"), N_("1, or 0.01 if x ≤ 0"), 1.0),
}

HELP = {
    "sigmoid": N_("Sigmoid squashes every input into (0, 1).\n"
                  "Its local derivative σ(1 − σ) is at most 0.25 (at input 0) and nearly 0\n"
                  "for large inputs of either sign: each sigmoid layer multiplies the gradient\n"
                  "by at most 0.25, which is why deep sigmoid nets fade (layers far from the\n"
                  "output barely learn)."),
    "tanh": N_("Tanh squashes every input into (−1, 1), centred on 0.\n"
               "Its local derivative 1 − tanh² is 1 at input 0 and nearly 0 for large inputs:\n"
               "units that saturate pass almost no gradient back."),
    "lrelu": N_("Leaky ReLU keeps positive inputs and multiplies negative ones by 0.01.\n"
                "Its local derivative is 1 for positive inputs and 0.01 otherwise (at exactly 0"
                "\ntoo): unlike ReLU, no unit stops the gradient completely."),
}

ACTIVATION_KINDS = tuple(FORMULAS)


def _strip_or_maps(shape: tuple[int, ...]):
    """The tiling of an activation's values, and whether it is a strip (after a dense layer
    or maps one pixel high), which the panel stacks rather than puts side by side."""
    tiling = map_tiling(shape, strip_units=6)
    strip = tiling.tile[0] == 1
    if strip:
        tiling = tiling.scaled(cell_for(tiling.tile, 6))
    return tiling, strip


class ShapedPanel(BoardPanel):
    """A panel whose blocks can be laid out in more than one way (two by two, or stacked in
    a tall narrow dock): it takes the one that draws its maps largest in the board's
    present shape, and looks again when the board is resized."""

    def layout_choices(self, *choices: list[list]) -> None:
        self.choices = [Rows(rows) for rows in choices]
        self.arrangement = self.choices[0]
        if self.help:
            self.widget.setToolTip(self.help)
        self._watcher = _ResizeWatcher(self)
        self.board.set_arrangement(self._extent, self._arrange)

    def best_arrangement(self, unit: float) -> Rows:
        """The choice whose picture, with labels ``unit`` tall, fills the board best."""
        width = max(1, self.board.viewport().width())
        height = max(1, self.board.viewport().height())

        def scale(rows: Rows) -> float:
            w, h = rows.size(unit)
            return min(width / max(w, 1e-6), height / max(h, 1e-6))

        return max(self.choices, key=scale)  # the first of equals: two by two

    def _extent(self, unit: float, compact: bool) -> tuple[float, float]:
        return self.best_arrangement(unit).size(unit)

    def _arrange(self, unit: float, compact: bool) -> tuple[float, float]:
        self.arrangement = self.best_arrangement(unit)
        self.arrangement.place(0.0, 0.0, unit)
        return self.arrangement.size(unit)

    def recheck(self) -> None:
        """Lay the picture out again when the board's new shape suits another choice (the
        board itself does so only when its label height changes)."""
        if self.best_arrangement(self.board.unit) is not self.arrangement:
            self.board.relayout(force=True)


class _ResizeWatcher(QObject):
    """Tells a ``ShapedPanel`` that its board was resized, once the board has handled it."""

    def __init__(self, panel: ShapedPanel):
        super().__init__(panel.board)
        # The timer goes with the board, so it never calls a panel whose board was deleted.
        self.later = QTimer(self)
        self.later.setSingleShot(True)
        self.later.timeout.connect(panel.recheck)
        panel.board.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Resize:
            self.later.start(0)
        return False


class ActivationPanel(ShapedPanel):
    """A sigmoid, tanh or leaky ReLU: its output, its local derivative (the factor the
    gradient is multiplied by on the way back), dL/d(out) and dL/d(in) = dL/d(out) x the
    local derivative, with a line that says how much of the gradient passes on."""

    def __init__(self, name: str, kind: str, shape: tuple[int, ...]):
        super().__init__()
        self.key = self.name = name
        self.kind = kind
        label, formula, derivative, self.most = FORMULAS[kind]
        self.title = (tr("{name}: leaky ReLU (slope 0.01 below 0)", name=name) if kind == "lrelu"
                      else f"{name}: {label}")
        self.help = (i18n.lookup(HELP[kind]) + "\n" + tr(
            "Local derivative: dL/d(in) = dL/d(out) × this, unit by unit (scale 0 to 1, dark "
            "is 0).") + "\n" + i18n.lookup(SIGNED_COLOURS))
        tiling, strip = _strip_or_maps(shape)
        self.out = Mosaic(self.board, name, tr("output: {formula}",
                                               formula=i18n.lookup(formula)),
                          tiling, kind != "sigmoid")
        self.local = Mosaic(self.board, name, tr("local derivative: {derivative}",
                                                 derivative=i18n.lookup(derivative)),
                            tiling, False, fixed_range=(0.0, 1.0))
        self.grad_out = Mosaic(self.board, name, tr("dL/d(out)"), tiling, True)
        self.grad_in = Mosaic(self.board, name, tr("dL/d(in): dL/d(out) × local"), tiling, True)
        self.summary = TextBlock(self.board, 2, 27)
        stacked = [[self.out], [self.local], [self.grad_out], [self.grad_in], [self.summary]]
        self.titles = BatchTitles(activation_grads=[self.grad_out, self.grad_in])
        if strip:
            self.layout_choices(stacked)
        else:
            self.layout_choices([[self.out, self.local], [self.grad_out, self.grad_in],
                                 [self.summary]], stacked)

    def show_trace(self, trace, sample_index):
        lt = trace.layer(self.name)
        local = lt.extras.get("local_derivative")
        if local is None:  # not computed yet (a phase walk draws it blank)
            local = np.full(lt.x.shape, np.nan)
        why = gradient_reason(trace)
        self.titles.follow(trace)
        self.out.show(lt.out[0])
        self.local.show(local[0])
        self.grad_out.show(lt.dout[0], why)
        self.grad_in.show(lt.dx[0], why)
        self.summary.set_text(self.summary_text(local[0]))

    def summary_text(self, local: np.ndarray) -> str:
        """The mean and largest local derivative of this step, against the most there can be."""
        if not np.all(np.isfinite(local)):
            return tr("local derivative\nnot yet computed")
        return tr("local derivative (≤ {most:g})\nmean {mean:.3g}, max {max:.3g}",
                  most=self.most, mean=float(local.mean()), max=float(local.max()))


class AvgPoolPanel(ShapedPanel):
    """The pool's input, the gradient shared back to it (every member of a window gets the
    same 1/K² of the window's gradient), the pooled maps and the gradient they got."""

    def __init__(self, name: str, in_shape, out_shape, kernel: int, nonnegative: bool):
        super().__init__()
        self.key = self.name = name
        self.kernel = kernel
        self.title = tr("{name}: average-pool {k}x{k}", name=name, k=kernel)
        share = f"1/{kernel * kernel}"
        self.help = (tr("Each {k}x{k} window is replaced by the mean of its values.\n"
                        "dL/d(input): every member of a window gets {share} of the window's\n"
                        "gradient, spread evenly (no winner, unlike max-pool); rows and columns"
                        "\npast the last whole window get 0. ", k=kernel, share=share)
                     + i18n.lookup(SIGNED_COLOURS))
        signed = not nonnegative
        inputs = map_tiling(in_shape)
        # Pooled maps drawn as large as the maps they came from.
        pooled = map_tiling(out_shape).scaled(inputs.cell * in_shape[1] / out_shape[1])
        self.inputs = Mosaic(self.board, name, tr("input"), inputs, signed)
        self.routed = Mosaic(self.board, name, tr("dL/d(input): {share} each", share=share),
                             inputs, True)
        self.pooled = Mosaic(self.board, name, tr("pooled (window means)"), pooled, signed)
        self.grad_pooled = Mosaic(self.board, name, tr("dL/d(pooled)"), pooled, True)
        self.titles = BatchTitles(activation_grads=[self.routed, self.grad_pooled])
        self.layout_choices([[self.inputs, self.routed], [self.pooled, self.grad_pooled]],
                            [[self.inputs], [self.routed], [self.pooled], [self.grad_pooled]])

    def show_trace(self, trace, sample_index):
        lt = trace.layer(self.name)
        why = gradient_reason(trace)
        self.titles.follow(trace)
        self.inputs.show(lt.x[0])
        self.routed.show(lt.dx[0], why)
        self.pooled.show(lt.out[0])
        self.grad_pooled.show(lt.dout[0], why)
