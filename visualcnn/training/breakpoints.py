"""Conditions that pause a run, checked against each step's trace. Qt-free.

    >>> bp = Breakpoints(wrong_prediction=True, loss_above=2.0)
    >>> reason = bp.check(trace)    # None, or one line saying which condition fired
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

    @property
    def any_ticked(self) -> bool:
        return (self.wrong_prediction or self.loss_above is not None
                or self.label_is is not None or bool(self.grad_norm_above)
                or bool(self.grad_norm_below) or self.at_step is not None)

    def check(self, trace: StepTrace, finite: bool | None = None,
              grad_norms: dict[str, float] | None = None) -> str | None:
        """The first condition that fires on ``trace``, as one line, or None.

        A caller that already knows whether the step stayed finite, or its layers' gradient
        norms (the session computes both for the curves), passes them to save a pass over
        every array."""
        where = f"step {trace.step}"
        if not (trace.is_finite() if finite is None else finite):
            return (f"non-finite value at {where} (loss {trace.loss:g}): lower the learning "
                    "rate")
        if self.at_step is not None and trace.step == self.at_step:
            return f"reached step {self.at_step}"
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
