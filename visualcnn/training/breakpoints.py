"""Conditions that pause a run, checked against each step's trace. Qt-free.

    >>> bp = Breakpoints(wrong_prediction=True, loss_above=2.0)
    >>> reason = bp.check(trace)    # None, or one line saying which condition fired

Two conditions concern the sample itself: ``sample_is`` (its index in the training split)
and ``prediction_changed`` (its prediction differs from the one it got the last time it was
trained on). A ``PredictionMemory`` remembers that last prediction per sample; the caller
records each step in it and passes the sample and the previous prediction to ``check``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from visualcnn.nn.trace import StepTrace


def layer_grad_norms(trace: StepTrace) -> dict[str, float]:
    """The L2 norm of each parameterised layer's gradients (all its tensors together)."""
    norms = {}
    for lt in trace.layers:
        if lt.grads:
            norms[lt.name] = float(np.sqrt(sum(float(np.sum(g * g)) for g in lt.grads.values())))
    return norms


@dataclass(frozen=True)
class Breakpoints:
    """Which conditions are on. ``None`` (or empty) means off.

    grad_norm_above / grad_norm_below: {layer name: threshold}. A non-finite loss, gradient
    or weight always fires, whatever is ticked.
    """

    wrong_prediction: bool = False
    loss_above: float | None = None
    label_is: int | None = None
    grad_norm_above: dict[str, float] = field(default_factory=dict)
    grad_norm_below: dict[str, float] = field(default_factory=dict)
    at_step: int | None = None
    sample_is: int | None = None
    prediction_changed: bool = False

    @property
    def any_ticked(self) -> bool:
        return (self.wrong_prediction or self.loss_above is not None
                or self.label_is is not None or bool(self.grad_norm_above)
                or bool(self.grad_norm_below) or self.at_step is not None
                or self.sample_is is not None or self.prediction_changed)

    def check(self, trace: StepTrace, finite: bool | None = None,
              grad_norms: dict[str, float] | None = None, sample: int | None = None,
              previous_prediction: int | None = None) -> str | None:
        """The first condition that fires on ``trace``, as one line, or None.

        A caller that already knows whether the step stayed finite, or its layers' gradient
        norms (the session computes both for the curves), passes them to save a pass over
        every array. ``sample``: the step's index in the training split (None for a sample
        from elsewhere); ``previous_prediction``: what ``PredictionMemory.record`` returned
        for it (None the first time it is seen)."""
        where = f"step {trace.step}"
        if not (trace.is_finite() if finite is None else finite):
            return (f"non-finite value at {where} (loss {trace.loss:g}): lower the learning "
                    "rate")
        if self.at_step is not None and trace.step == self.at_step:
            return f"reached step {self.at_step}"
        if self.sample_is is not None and sample is not None and sample == self.sample_is:
            return f"sample #{sample} at {where}"
        if (self.prediction_changed and previous_prediction is not None
                and previous_prediction != trace.prediction):
            return (f"prediction of sample #{sample} changed from {previous_prediction} to "
                    f"{trace.prediction} at {where}")
        if self.wrong_prediction and trace.prediction != trace.label:
            return (f"wrong prediction at {where}: predicted {trace.prediction}, "
                    f"label {trace.label}")
        if self.loss_above is not None and trace.loss > self.loss_above:
            return f"loss {trace.loss:.4g} above {self.loss_above:g} at {where}"
        if self.label_is is not None and trace.label == self.label_is:
            return f"sample with label {self.label_is} at {where}"
        if self.grad_norm_above or self.grad_norm_below:
            norms = layer_grad_norms(trace) if grad_norms is None else grad_norms
            for name, limit in self.grad_norm_above.items():
                if name in norms and norms[name] > limit:
                    return f"{name} gradient norm {norms[name]:.3g} above {limit:g} at {where}"
            for name, limit in self.grad_norm_below.items():
                if name in norms and norms[name] < limit:
                    return f"{name} gradient norm {norms[name]:.3g} below {limit:g} at {where}"
        return None


class PredictionMemory:
    """The last prediction of every training sample, one small integer each (-1: not seen
    yet), so that a run over all of MNIST's 60,000 costs 60 KB. Starts over for another
    dataset."""

    def __init__(self):
        self.dataset = None
        self.last: np.ndarray | None = None

    def record(self, dataset, index: int | None, prediction: int) -> int | None:
        """Remember ``prediction`` for training sample ``index`` of ``dataset``; return the
        one it had before (None the first time, or for a sample from elsewhere)."""
        if index is None:
            return None
        if dataset is not self.dataset or self.last is None:
            size = len(dataset.y_train)
            dtype = np.int8 if dataset.classes <= np.iinfo(np.int8).max else np.int16
            self.dataset, self.last = dataset, np.full(size, -1, dtype=dtype)
        previous = int(self.last[index])
        self.last[index] = prediction
        return None if previous < 0 else previous
