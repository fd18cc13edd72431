"""Immutable records of one training step, read by the views and by people at a prompt.

A ``StepTrace`` holds everything one sample's forward pass, backward pass and update computed.
Its arrays are read-only copies, so a trace stays true to its step whatever the network does
afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np


def frozen_copy(a: np.ndarray) -> np.ndarray:
    """A read-only copy of ``a``: later writes to ``a`` cannot reach it, nor can writes to it."""
    c = np.array(a, copy=True)
    c.flags.writeable = False
    return c


def frozen_dict(d: Mapping[str, np.ndarray]) -> Mapping[str, np.ndarray]:
    return MappingProxyType({k: frozen_copy(v) for k, v in d.items()})


@dataclass(frozen=True)
class LayerTrace:
    """One layer's share of a step. Every array keeps the batch axis (N = 1 for a step).

    x:       the layer's input            dx:   dL/d(input), same shape as x
    out:     the layer's output           dout: dL/d(output), same shape as out
    params:  parameters before the update (``{}`` for layers without any)
    grads:   dL/d(param), same keys and shapes as params
    updates: the change applied to each parameter by this step (``{}`` when none was applied)
    While a step is walked phase by phase (``Network.phases``), what the step has not
    computed yet is None (arrays) or ``{}`` (grads, updates, extras).

    extras:  ``"argmax_mask"`` for max-pool (bool, shaped like x, True where a window's
             first maximum sits); ``"relu_mask"`` for ReLU (bool, shaped like x, True where
             x > 0, i.e. where the gradient passes)
    """

    name: str
    kind: str
    x: np.ndarray
    out: np.ndarray
    dx: np.ndarray
    dout: np.ndarray
    params: Mapping[str, np.ndarray]
    grads: Mapping[str, np.ndarray]
    updates: Mapping[str, np.ndarray]
    extras: Mapping[str, np.ndarray]


@dataclass(frozen=True)
class StepTrace:
    """One sample's step.

    step:       the network's step count after this trace (an applied update counts; a
                ``forward_backward`` trace carries the count it was computed at)
    applied:    whether the update was applied to the network
    label:      the true class y
    probs:      softmax probabilities, shape (classes,)
    logits:     the last layer's output, shape (classes,)
    loss:       cross-entropy -log(probs[label])
    prediction: argmax of probs
    lr:         the learning rate of the update (also recorded when not applied)
    (probs and logits are None, loss NaN and prediction -1 until the phase walk reaches them)
    layers:     one ``LayerTrace`` per layer, in forward order
    """

    step: int
    applied: bool
    label: int
    probs: np.ndarray
    logits: np.ndarray
    loss: float
    prediction: int
    lr: float
    layers: tuple[LayerTrace, ...]

    @property
    def input(self) -> np.ndarray:
        """The sample as the network saw it, (1, C, H, W)."""
        return self.layers[0].x

    @property
    def dinput(self) -> np.ndarray:
        """dL/d(input), (1, C, H, W)."""
        return self.layers[0].dx

    @property
    def correct(self) -> bool:
        return self.prediction == self.label

    def layer(self, name: str) -> LayerTrace:
        for lt in self.layers:
            if lt.name == name:
                return lt
        raise KeyError(f"no layer named {name!r} in this trace")

    def is_finite(self) -> bool:
        """False when the loss, a gradient or a parameter is infinite or NaN."""
        if self.probs is not None and not np.isfinite(self.loss):
            return False
        for lt in self.layers:
            for group in (lt.params, lt.grads, lt.updates):
                for a in group.values():
                    if not np.all(np.isfinite(a)):
                        return False
            for a in (lt.out, lt.dx):
                if a is not None and not np.all(np.isfinite(a)):
                    return False
        return True
