"""The Update dock: for every layer with parameters, W before, the update −lr·dW, W after.

Before and after share one colour scale, so a change of colour is a change of value; the
biases are a table of numbers. With Adam the gradient and Adam's bias-corrected moments,
m-hat (its running mean) and √v-hat (its running size), stand between W before and the
update, whose every entry is −lr·m-hat/(√v-hat + ε). Until the sample shown has been trained
on, the mosaics are blank and the caption says "not yet computed", never the previous step's
numbers.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from visualcnn.app.views.mosaic import Mosaic
from visualcnn.app.views.panel import BoardPanel, TextBlock
from visualcnn.app.views.tiling import template_shape_before, weight_tiling
from visualcnn.common.i18n import tr
from visualcnn.common.numbers import format_number


class UpdateLayerView(BoardPanel):
    """One parameterised layer's update: W before, the update -lr x dW, W after; b as text.
    With ``adam``, also dW and Adam's m-hat and √v-hat of W, and of b in the table."""

    def __init__(self, layer, template_shape=None, adam: bool = False):
        super().__init__()
        self.name = layer.name
        self.kind = layer.kind
        self.adam = adam
        tiling = weight_tiling(layer.params["W"].shape, template_shape)
        self.before = Mosaic(self.board, self.name, tr("{layer} W before", layer=self.name),
                             tiling, True)
        self.update = Mosaic(self.board, self.name,
                             tr("update −lr·m-hat/(√v-hat+ε)") if adam else
                             tr("update −lr·dW"), tiling, True)
        self.after = Mosaic(self.board, self.name, tr("W after"), tiling, True)
        self.grad = self.m_hat = self.sqrt_v_hat = None
        adam_rows = []
        if adam:
            self.grad = Mosaic(self.board, self.name, "dW", tiling, True)
            self.m_hat = Mosaic(self.board, self.name, tr("m-hat (mean of g)"), tiling, True)
            # √v-hat is never negative: a one-sided scale shows its size.
            self.sqrt_v_hat = Mosaic(self.board, self.name, tr("√v-hat (size of g)"), tiling,
                                     False)
            adam_rows = [[self.grad, self.m_hat], [self.sqrt_v_hat]]
        self.biases = TextBlock(self.board, min(len(layer.params["b"]), 16) + 1, 34)
        # Stacked: the dock is a narrow column beside the panels.
        self.layout([[self.before], *adam_rows, [self.update], [self.after], [self.biases]])
        self.board.setMinimumHeight((420 if layer.kind == "dense" else 300)
                                    * (2 if adam else 1))

    def mosaics(self) -> list[Mosaic]:
        return [m for m in (self.before, self.grad, self.m_hat, self.sqrt_v_hat, self.update,
                            self.after) if m is not None]

    def blank(self) -> None:
        """Nothing to show yet: empty mosaics (never the previous step's numbers)."""
        for m in self.mosaics():
            m.set_maps(np.full((m.rows, m.cols, m.h, m.w), np.nan))
        self.biases.set_text(" " + tr("not yet computed"))

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
        moments = lt.moments
        if self.adam and "W" in moments:
            self.grad.show(lt.grads["W"])
            self.m_hat.show(moments["W"].m_hat)
            self.sqrt_v_hat.show(moments["W"].sqrt_v_hat)
        b, ub = lt.params["b"], lt.updates["b"]
        shown = range(min(len(b), 16))
        if self.adam and "b" in moments:
            m_hat, sqrt_v_hat = moments["b"].m_hat, moments["b"].sqrt_v_hat
            # b before and after are in the weights' table of SGD; here the moments take
            # their place, so that the table stays as narrow as the dock.
            lines = [tr(" i      m-hat     √v-hat     update")]
            lines += [f"{i:2d} {format_number(m_hat[i]):>10} "
                      f"{format_number(sqrt_v_hat[i]):>10} {format_number(ub[i]):>10}"
                      for i in shown]
        else:
            lines = [tr(" i     b before     update      after")]
            lines += [f"{i:2d} {format_number(b[i]):>11} {format_number(ub[i]):>10} "
                      f"{format_number(b[i] + ub[i]):>10}" for i in shown]
        self.biases.set_text("\n".join(lines))


class UpdateWidget(QWidget):
    """The update phase: for every parameterised layer, before, −lr·dW and after."""

    def __init__(self):
        super().__init__()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(2, 2, 2, 2)
        self.caption = QLabel(tr("The update of the last step: weights before, the change "
                                 "−lr·dW, and the weights after."))
        self.caption.setWordWrap(True)
        outer.addWidget(self.caption)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        outer.addWidget(self.scroll, 1)
        self.views: list[UpdateLayerView] = []
        self.optimizer = "sgd"

    def build(self, net) -> None:
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(0, 0, 0, 0)
        self.views = []
        self.optimizer = net.optimizer_text()
        adam = net.optimizer == "adam"
        for i, layer in enumerate(net.layers):
            if not layer.params:
                continue
            view = UpdateLayerView(layer, template_shape_before(net, i), adam)
            self.views.append(view)
            layout.addWidget(view.widget, 1)
        self.scroll.setWidget(inner)

    def show_trace(self, trace) -> None:
        if not trace.applied:
            self.caption.setText(tr("Step {step}: update not yet computed (the sample shown "
                                    "has not been trained on).", step=trace.step + 1))
            for view in self.views:
                view.blank()
            return
        if self.views and self.views[0].adam:
            self.caption.setText(tr(
                "Update of step {step} ({optimizer}, lr {lr:g}): m-hat and √v-hat are Adam's "
                "running mean and size of g = dW (+ decay × W); W after = W before − "
                "lr·m-hat/(√v-hat + ε).", step=trace.step, optimizer=self.optimizer,
                lr=trace.lr))
        else:
            self.caption.setText(tr(
                "Update of step {step} ({optimizer}): W after = W before − lr·dW with lr "
                "{lr:g} (momentum adds the velocity when on; weight decay adds decay × W to "
                "dW).", step=trace.step, optimizer=self.optimizer, lr=trace.lr))
        for view in self.views:
            view.show(trace.layer(view.name))
