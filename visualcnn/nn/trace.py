"""Immutable records of one training step, read by the views and by people at a prompt.

A ``StepTrace`` holds everything one step's forward pass, backward pass and update computed,
for one sample or a mini-batch. Its arrays are read-only, so a trace stays true to its step
whatever the network does afterwards.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
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
             x > 0, i.e. where the gradient passes); ``"local_derivative"`` for sigmoid,
             tanh and leaky ReLU (shaped like x: d(out)/dx, the factor dL/d(out) is
             multiplied by); ``"padding_stride"`` [P, S] for a convolution with padding
             or a stride
    moments: with Adam, once the update is applied, an ``AdamMoments`` per parameter
             (``visualcnn.nn.optimizers``): m and v after the step, m_hat, sqrt_v_hat;
             ``{}`` otherwise
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
    moments: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


class InputGradientLater(LayerTrace):
    """A first layer's trace whose ``dx`` (dL/d(input)) is computed, exactly as backward
    would, when it is first read: a Run draws one step in hundreds, and this is a tenth of
    the step. Made by ``Network.train_step``; reads as any LayerTrace."""

    def __getattr__(self, name: str):
        # Only called for what the instance lacks: dx, until it is computed.
        later = self.__dict__.get("_dx_later")
        if name != "dx" or later is None:
            raise AttributeError(name)
        dx = later()
        dx.setflags(write=False)
        self.__dict__["dx"] = dx
        del self.__dict__["_dx_later"]
        return dx


@dataclass(frozen=True)
class StepTrace:
    """One step, on one sample or on a mini-batch of ``batch`` samples.

    step:       the network's step count after this trace (an applied update counts; a
                ``forward_backward`` trace carries the count it was computed at)
    applied:    whether the update was applied to the network
    label:      the true class y (of sample ``focus`` of a batch)
    probs:      softmax probabilities, shape (classes,) (of sample ``focus``)
    logits:     the last layer's output, shape (classes,) (of sample ``focus``)
    loss:       cross-entropy -log(probs[label]); for a whole batch its mean over the batch
    prediction: argmax of probs
    lr:         the learning rate of the update (also recorded when not applied)
    (probs and logits are None, loss NaN and prediction -1 until the phase walk reaches them)
    layers:     one ``LayerTrace`` per layer, in forward order; activations, dL/d(activation)
                and per-unit extras keep the batch axis (B, ...)
    batch:      B, the samples the step trained on (1 for a single sample)
    labels, predictions, losses: (B,) each: every sample's label, prediction and own
                cross-entropy (predictions and losses None until the walk reaches them)
    batch_probs: (B, classes), every sample's probabilities
    focus:      the sample of the batch ``label``, ``probs``, ``logits``, ``prediction`` and
                ``loss`` describe in a view made by ``sample(i)``; 0 otherwise
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
    batch: int = 1
    labels: np.ndarray | None = None
    predictions: np.ndarray | None = None
    losses: np.ndarray | None = None
    batch_probs: np.ndarray | None = None
    focus: int = 0

    @property
    def input(self) -> np.ndarray:
        """The sample as the network saw it, (1, C, H, W); a batch's samples (B, C, H, W)."""
        return self.layers[0].x

    @property
    def dinput(self) -> np.ndarray:
        """dL/d(input), shaped as ``input``."""
        return self.layers[0].dx

    @property
    def correct(self) -> bool:
        return self.prediction == self.label

    @property
    def accuracy(self) -> float:
        """The fraction of the step's samples predicted right (0 or 1 for one sample)."""
        if self.predictions is None or self.batch == 1:
            return 1.0 if self.correct else 0.0
        return float(np.count_nonzero(self.predictions == self.labels)) / self.batch

    def sample(self, i: int) -> StepTrace:
        """Sample ``i`` of the batch as a trace of its own: its input, activations,
        dL/d(activation) and per-unit extras (sliced [i:i+1]), its label, probabilities,
        logits, prediction and own loss; ``focus`` = i. The parameters, their gradients,
        updates and optimiser moments stay the batch's: one update came from the whole batch.
        ``batch``, ``labels``, ``predictions`` and ``losses`` stay the batch's too.

        The loss of a batch is the mean of its samples' losses, so the dL/d(activation) kept
        for sample i is 1/B of what that sample alone would give (its share of the batch
        loss); the parameter gradients are the batch mean. For one sample: the trace itself.
        """
        i = int(i)
        if not 0 <= i < self.batch:
            raise IndexError(f"sample {i} of a batch of {self.batch}")
        if self.batch == 1:
            return self
        return _sample_of(self, i)

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


def _slice(a, i: int, batch: int):
    """Rows [i:i+1] of a per-sample array (read-only like the batch's), as it is otherwise."""
    if a is None or getattr(a, "ndim", 0) == 0 or a.shape[0] != batch:
        return a
    return a[i:i + 1]


def _sample_of(trace: StepTrace, i: int) -> StepTrace:
    """``trace.sample(i)`` of a batch (see there)."""
    b = trace.batch
    layers = []
    for lt in trace.layers:
        # Per-unit extras are shaped like the layer's input; others (a convolution's
        # padding and stride) belong to the layer, not to a sample.
        shape = None if lt.x is None else lt.x.shape
        extras = MappingProxyType({k: v[i:i + 1] if v.shape == shape else v
                                   for k, v in lt.extras.items()})
        layers.append(dataclasses.replace(
            lt, x=_slice(lt.x, i, b), out=_slice(lt.out, i, b), dx=_slice(lt.dx, i, b),
            dout=_slice(lt.dout, i, b), extras=extras))
    probs = None if trace.batch_probs is None else trace.batch_probs[i]
    logits = None if trace.layers[-1].out is None else trace.layers[-1].out[i]
    loss = float("nan") if trace.losses is None else float(trace.losses[i])
    prediction = -1 if trace.predictions is None else int(trace.predictions[i])
    return dataclasses.replace(trace, label=int(trace.labels[i]), probs=probs, logits=logits,
                               loss=loss, prediction=prediction, layers=tuple(layers), focus=i)
