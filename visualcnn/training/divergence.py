"""Divergence caught at its first sign, not when a number overflows 140 steps later. Qt-free.

After each step the session asks its ``DivergenceWatch`` whether the step looks like a
blow-up. Three signs, against the recent level (``History.level``: moving averages over about
100 steps, up to the step before):

- the loss is more than ``factor`` times its recent level, where the level counts as at least
  log(classes), the loss of a uniform guess: around a well-trained network the average loss
  is tiny and one misclassified sample is a thousand times it, which is ordinary;
- the loss is above ``LOSS_CAP`` times log(classes), whatever its level;
- a layer's gradient norm is more than ``factor`` times its recent level while its update is
  at least ``MIN_UPDATE_RATIO`` (half) of the layer's weights: a large gradient that barely
  moves the weights (a hard sample at a small learning rate) is ordinary. Measured on the
  bundled data at learning rate 0.01, the updates of such jumps stay under 7% of the weights;
  a blow-up's are about as large as the weights or larger.

Once it has fired, the watch stays quiet until training goes back to before that step (Step
back, Reset) or the average loss comes back to a uniform guess's: a user who goes on after a
pause sees the run, and a non-finite step still pauses it.

    >>> watch = DivergenceWatch()             # factor 20; DivergenceWatch(None) is off
    >>> session.divergence                    # a Divergence after a step that blew up
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from visualcnn.common.i18n import tr
from visualcnn.common.numbers import format_number

DEFAULT_FACTOR = 20.0
LOSS_CAP = 100  # times log(classes)
MIN_UPDATE_RATIO = 0.5


def _uniform_loss(classes: int) -> float:
    """The loss of a uniform guess over ``classes`` classes, log(classes) (1 for one)."""
    return math.log(classes) if classes > 1 else 1.0


@dataclass(frozen=True)
class Divergence:
    """The first sign of a blow-up: at ``step``, ``what`` ("loss", "conv1 gradient norm")
    was ``value`` against its recent level ``level``, with learning rate ``lr``; ``cap`` is
    the absolute limit the loss passed, when that is what fired."""

    step: int
    what: str
    value: float
    level: float
    lr: float
    cap: float | None = None

    @property
    def last_good_step(self) -> int:
        """The last step before the blow-up: step t's loss and gradients come from the
        weights step t-1 made, so those are the first suspect ones."""
        return max(self.step - 2, 0)

    def describe(self) -> str:
        """One clause: "the loss jumped from 2.3 to 132 (x57 its recent level)"."""
        if self.cap is not None:
            return tr("the loss reached {value}, more than {times} times the loss of a uniform "
                      "guess ({uniform})", value=format_number(self.value), times=LOSS_CAP,
                      uniform=format_number(self.cap / LOSS_CAP))
        ratio = self.value / self.level if self.level > 0 else math.inf
        values = {"before": format_number(self.level), "after": format_number(self.value),
                  "ratio": format_number(ratio)}
        if self.what == "loss":
            return tr("the loss jumped from {before} to {after} (x{ratio} its recent level)",
                      **values)
        layer = self.what.removesuffix(" gradient norm")
        return tr("the {layer} gradient norm jumped from {before} to {after} (x{ratio} its "
                  "recent level)", layer=layer, **values)


class DivergenceWatch:
    """Checks each step for the signs above; ``factor`` None turns it off."""

    def __init__(self, factor: float | None = DEFAULT_FACTOR):
        self.factor = factor
        self.fired_at: int | None = None

    def reset(self) -> None:
        self.fired_at = None

    def could_fire(self, loss: float, largest_update_ratio: float, classes: int) -> bool:
        """False when ``check`` would find nothing whatever the recent level: the loss is
        within the limits of a uniform guess's (times ``factor`` and LOSS_CAP), every update
        is under MIN_UPDATE_RATIO of its weights (``largest_update_ratio``, NaN ratios left
        out), and no earlier sign waits to be let go. Most steps: the session then skips
        ``check`` and the level it reads."""
        if self.factor is None:
            return False
        return (self.fired_at is not None or largest_update_ratio >= MIN_UPDATE_RATIO
                or loss > min(self.factor, LOSS_CAP) * _uniform_loss(classes))

    def check(self, step: int, loss: float, grad_norms, update_ratios, names, level,
              classes: int, lr: float) -> Divergence | None:
        """The sign step ``step`` shows, or None. ``level`` is ``History.level()`` before
        the step is recorded (None before the first); the other lists are per layer."""
        if self.factor is None:
            return None
        uniform = _uniform_loss(classes)
        if self.fired_at is not None:
            if step > self.fired_at and (level is None or level[0] > uniform):
                return None
            self.fired_at = None
        found = self._sign(step, loss, grad_norms, update_ratios, names, level, uniform, lr)
        if found is not None:
            self.fired_at = step
        return found

    def _sign(self, step, loss, grad_norms, update_ratios, names, level, uniform, lr):
        factor = self.factor
        if level is not None and loss > factor * max(level[0], uniform):
            return Divergence(step, "loss", loss, level[0], lr)
        if loss > LOSS_CAP * uniform:
            return Divergence(step, "loss", loss, level[0] if level else loss, lr,
                              cap=LOSS_CAP * uniform)
        if level is None:
            return None
        for name, norm, avg, ratio in zip(names, grad_norms, level[1], update_ratios,
                                          strict=True):
            if avg > 0 and norm > factor * avg and ratio >= MIN_UPDATE_RATIO:
                return Divergence(step, f"{name} gradient norm", norm, avg, lr)
        return None
