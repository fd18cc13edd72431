"""Optimisers: how a step turns each parameter's gradient into its change.

With g = dL/dp + weight_decay * p (L2 weight decay added to the gradient, exactly as the
``weight_decay`` argument of PyTorch's SGD and Adam does; every parameter, biases included),
the change ``u`` a step adds to a parameter ``p`` is

    sgd       u = -lr * g
    momentum  v = momentum * v - lr * g;  u = v     (PyTorch's SGD(momentum=...) with
              dampening 0 keeps b = momentum * b + g and adds -lr * b: the same while lr is
              constant, and ours stays right when the learning rate changes mid-run)
    adam      m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g
              m_hat = m / (1 - beta1**t);  v_hat = v / (1 - beta2**t)
              u = -lr * m_hat / (sqrt(v_hat) + eps)
              with beta1 0.9, beta2 0.999, eps 1e-8 and t the step's number (1 for the
              network's first update): PyTorch's Adam, bias correction included.

Adam's t is the network's step count plus one: every update a network applies is a step of
its one optimiser, which is fixed when the network is built. Each function returns new arrays
and never writes into the ones it is given (a trace or a rewind snapshot may hold them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualcnn.common.errors import UserError
from visualcnn.common.i18n import N_, tr

OPTIMIZERS = ("sgd", "momentum", "adam")
DEFAULT_MOMENTUM = 0.9  # for "momentum" without a momentum given
ADAM_BETA1, ADAM_BETA2, ADAM_EPS = 0.9, 0.999, 1e-8
MAX_WEIGHT_DECAY = 1.0

# The per-parameter arrays each optimiser keeps, by their names in get_state and checkpoints.
STATE_SLOTS = {"sgd": (), "momentum": ("velocity",), "adam": ("adam_m", "adam_v")}
SLOT_NAMES = {"velocity": N_("velocity"), "adam_m": N_("Adam's m"), "adam_v": N_("Adam's v")}

# One line each, for the app's tooltips (shown through i18n.lookup). Literal text, for the
# translation to find: the numbers are ADAM_BETA1, ADAM_BETA2 and ADAM_EPS.
OPTIMIZER_HELP = {
    "sgd": "u = -lr·g",
    "momentum": N_("v = momentum·v - lr·g; u = v"),
    "adam": N_("u = -lr·m-hat/(√v-hat + ε), β1 0.9, β2 0.999, ε 1e-08; each weight moves "
               "about lr a step, so a learning rate near 0.001 suits it"),
}


def resolve(optimizer: str | None, momentum: float, weight_decay: float
            ) -> tuple[str, float, float]:
    """(optimizer, momentum, weight_decay) checked: ``optimizer`` None means "momentum" when
    ``momentum`` > 0 else "sgd" (so ``momentum=0.9`` alone keeps meaning SGD with momentum);
    "momentum" with momentum 0 takes DEFAULT_MOMENTUM. A one-line UserError otherwise."""
    momentum, weight_decay = float(momentum), float(weight_decay)
    if not 0.0 <= momentum < 1.0:
        raise UserError(tr("momentum must be in [0, 1), got {momentum}", momentum=momentum))
    if not 0.0 <= weight_decay <= MAX_WEIGHT_DECAY:
        raise UserError(tr("weight decay must be between 0 and {limit:g}, got {weight_decay}",
                           limit=MAX_WEIGHT_DECAY, weight_decay=weight_decay))
    name = ("momentum" if momentum else "sgd") if optimizer is None else \
        str(optimizer).strip().lower()
    if name not in OPTIMIZERS:
        raise UserError(tr("unknown optimiser {name!r}: expected one of {names}",
                           name=str(optimizer), names=", ".join(OPTIMIZERS)))
    if name == "adam" and momentum:
        raise UserError(tr("momentum {momentum:g} does not apply to adam, whose beta1 "
                           "({beta1:g}) plays its part: leave the momentum at 0",
                           momentum=momentum, beta1=ADAM_BETA1))
    if name == "sgd" and momentum:
        name = "momentum"  # SGD with momentum, as PyTorch's SGD(momentum=...) is
    if name == "momentum" and not momentum:
        momentum = DEFAULT_MOMENTUM
    return name, momentum, weight_decay


def describe(optimizer: str, momentum: float, weight_decay: float) -> str:
    """A short phrase for captions: "adam, weight decay 0.0001"."""
    if optimizer == "momentum":
        if weight_decay:
            return tr("momentum {momentum:g}, weight decay {weight_decay:g}",
                      momentum=momentum, weight_decay=weight_decay)
        return tr("momentum {momentum:g}", momentum=momentum)
    if weight_decay:
        return tr("{optimizer}, weight decay {weight_decay:g}", optimizer=optimizer,
                  weight_decay=weight_decay)
    return optimizer


def _decayed(g: np.ndarray, p: np.ndarray, weight_decay: float) -> np.ndarray:
    return g + weight_decay * p if weight_decay else g


def sgd_change(g, p, lr: float, weight_decay: float = 0.0) -> np.ndarray:
    return _decayed(g, p, weight_decay) * -lr


def momentum_change(g, p, velocity, lr: float, momentum: float,
                    weight_decay: float = 0.0) -> np.ndarray:
    """The new velocity, which is also the change."""
    return momentum * velocity - lr * _decayed(g, p, weight_decay)


def adam_change(g, p, m, v, t: int, lr: float, weight_decay: float = 0.0):
    """(change, new m, new v) of Adam's step number ``t`` (from 1)."""
    g = _decayed(g, p, weight_decay)
    m = ADAM_BETA1 * m + (1.0 - ADAM_BETA1) * g
    v = ADAM_BETA2 * v + (1.0 - ADAM_BETA2) * (g * g)
    m_hat = m / (1.0 - ADAM_BETA1 ** t)
    v_hat = v / (1.0 - ADAM_BETA2 ** t)
    return -lr * m_hat / (np.sqrt(v_hat) + ADAM_EPS), m, v


@dataclass(frozen=True)
class AdamMoments:
    """Adam's moments of one parameter after step ``t``: ``m`` and ``v`` as the network keeps
    them (read-only; the next step makes new ones), with the bias-corrected views a panel
    shows beside the gradient. ``-lr * m_hat / (sqrt_v_hat + eps)`` is the step's change."""

    m: np.ndarray
    v: np.ndarray
    t: int

    @property
    def m_hat(self) -> np.ndarray:
        return self.m / (1.0 - ADAM_BETA1 ** self.t)

    @property
    def v_hat(self) -> np.ndarray:
        return self.v / (1.0 - ADAM_BETA2 ** self.t)

    @property
    def sqrt_v_hat(self) -> np.ndarray:
        return np.sqrt(self.v_hat)
