"""Centred finite differences against backprop, for whole tensors or a sample of their entries.

    >>> report = gradcheck(net, x, y)
    >>> report.max_error, report.passed
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualcnn.nn.layers import softmax_cross_entropy

TOLERANCE = 1e-6


@dataclass(frozen=True)
class TensorCheck:
    """One tensor's comparison. ``index`` lists the flat entries checked.

    ``at_kink`` marks entries whose +-eps nudge flipped a max-pool winner or a ReLU gate:
    there the loss has a corner, the two sides' slopes differ, and a finite difference
    measures neither (on MNIST, ties between all-zero windows make many such entries).
    They are reported but left out of ``max_error``.
    """

    name: str  # "conv1/W", ..., or "input"
    index: np.ndarray
    analytic: np.ndarray
    numeric: np.ndarray
    rel_error: np.ndarray
    at_kink: np.ndarray

    @property
    def max_error(self) -> float:
        smooth = self.rel_error[~self.at_kink]
        return float(smooth.max()) if smooth.size else 0.0


@dataclass(frozen=True)
class GradcheckReport:
    tensors: tuple[TensorCheck, ...]
    tolerance: float

    @property
    def max_error(self) -> float:
        return max((t.max_error for t in self.tensors), default=0.0)

    @property
    def passed(self) -> bool:
        return self.max_error <= self.tolerance

    def __getitem__(self, name: str) -> TensorCheck:
        for t in self.tensors:
            if t.name == name:
                return t
        raise KeyError(name)


def relative_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Each entry's |a - b| relative to the tensor's scale, max|a| + max|b|.

    Relative to the scale rather than to the entry itself: finite differences carry an
    absolute round-off noise near 1e-10, which would swamp any entry whose gradient is
    tiny (most of a dense layer's) and make a correct backward pass look wrong.
    """
    scale = np.abs(a).max(initial=0.0) + np.abs(b).max(initial=0.0)
    return np.abs(a - b) / max(scale, np.finfo(float).tiny)


def _loss_and_switches(net, x, y) -> tuple[float, list[np.ndarray]]:
    """The loss, and every max-pool winner mask and ReLU gate that produced it."""
    switches = []
    for layer in net.layers:
        x = layer.forward(x)
        switches.extend(layer.extras.values())
    return softmax_cross_entropy(x, np.array([y]))[0], switches


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))


def gradcheck(net, x, y: int, tensors=None, max_entries: int | None = None, eps: float = 1e-6,
              seed: int = 0, tolerance: float = TOLERANCE) -> GradcheckReport:
    """Compare dL/d(tensor) from backprop with (L(t + eps) - L(t - eps)) / (2 eps).

    x: one sample, (C, H, W) or (1, C, H, W); y: its label. ``tensors``: names such as
    ``"conv1/W"`` or ``"input"`` (default: every parameter tensor and the input).
    ``max_entries`` checks a random sample of that many entries per tensor (default: all).
    The network's weights are left exactly as they were.
    """
    trace = net.forward_backward(x, y)
    x = np.array(trace.input)  # a writable (1, C, H, W) float64 copy
    names = [f"{layer.name}/{k}" for layer, k, _ in net.parameters()] + ["input"]
    if tensors is not None:
        unknown = set(tensors) - set(names)
        if unknown:
            raise KeyError(f"no tensor named {sorted(unknown)[0]!r}; choose from {names}")
        names = [n for n in names if n in tensors]
    rng = np.random.default_rng(seed)
    _, switches = _loss_and_switches(net, x, y)
    checks = []
    for name in names:
        if name == "input":
            target, analytic_full = x, trace.dinput
        else:
            lname, key = name.split("/")
            layer = next(la for la in net.layers if la.name == lname)
            target, analytic_full = layer.params[key], trace.layer(lname).grads[key]
        flat = target.reshape(-1)  # a view: writes go into the tensor itself
        index = np.arange(flat.size)
        if max_entries is not None and flat.size > max_entries:
            index = np.sort(rng.choice(flat.size, max_entries, replace=False))
        numeric = np.empty(index.size)
        at_kink = np.zeros(index.size, dtype=bool)
        # One entry at a time is the definition of the check, and the point of it.
        for j, i in enumerate(index):
            keep = flat[i]
            flat[i] = keep + eps
            plus, plus_switches = _loss_and_switches(net, x, y)
            flat[i] = keep - eps
            minus, minus_switches = _loss_and_switches(net, x, y)
            flat[i] = keep
            numeric[j] = (plus - minus) / (2 * eps)
            at_kink[j] = not (_same(plus_switches, switches) and _same(minus_switches, switches))
        analytic = np.asarray(analytic_full).reshape(-1)[index]
        checks.append(TensorCheck(name, index, analytic, numeric,
                                  relative_error(analytic, numeric), at_kink))
    return GradcheckReport(tuple(checks), tolerance)
