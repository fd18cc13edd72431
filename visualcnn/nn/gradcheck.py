"""Centred finite differences against backprop, for whole tensors or a sample of their entries.

    >>> report = gradcheck(net, x, y)
    >>> report.max_error, report.passed
    >>> report = gradcheck_all(net, x, y)           # also every layer's dL/d(output)
    >>> report["conv1/out"].worst_index             # (f, i, j) of its largest error
    >>> check_entry(net, x, y, "conv1/W", (3, 0, 1, 2)).numeric
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualcnn.common.i18n import tr
from visualcnn.nn.layers import softmax_cross_entropy

TOLERANCE = 1e-6
# A tensor whose check comes near the tolerance is checked again with nudges this many times
# the one asked for (see ``_better``).
WIDER_NUDGES = (1.0, 10.0, 100.0, 1000.0)


@dataclass(frozen=True)
class TensorCheck:
    """One tensor's comparison. ``index`` lists the flat entries checked.

    ``at_kink`` marks entries whose +-eps nudge flipped a max-pool winner or a ReLU or leaky
    ReLU gate (``Layer.switches``): there the loss has a corner, the two sides' slopes
    differ, and a finite difference measures neither (on MNIST, ties between all-zero windows
    make many such entries). They are reported but left out of ``max_error``. Sigmoid, tanh
    and average pooling are smooth: they have none.
    """

    name: str  # "conv1/W", ..., "input", or "conv1/out" (a layer's output)
    index: np.ndarray
    analytic: np.ndarray
    numeric: np.ndarray
    rel_error: np.ndarray
    at_kink: np.ndarray
    shape: tuple[int, ...] = ()  # the tensor's shape, without the batch axis
    eps: float | None = None  # the nudge the numeric side was computed with

    @property
    def max_error(self) -> float:
        smooth = self.rel_error[~self.at_kink]
        return float(smooth.max()) if smooth.size else 0.0

    @property
    def kinks(self) -> int:
        return int(self.at_kink.sum())

    @property
    def worst(self) -> int | None:
        """Position (in ``index``) of the largest error off the kinks; None if there is none."""
        smooth = np.flatnonzero(~self.at_kink)
        if not smooth.size:
            return None
        return int(smooth[np.argmax(self.rel_error[smooth])])

    @property
    def worst_index(self) -> tuple[int, ...] | None:
        """Where the largest error sits in the tensor, e.g. (f, c, i, j) for a kernel."""
        w = self.worst
        return None if w is None else self.unravel(int(self.index[w]))

    def unravel(self, flat: int) -> tuple[int, ...]:
        return tuple(int(v) for v in np.unravel_index(flat, self.shape)) if self.shape \
            else (int(flat),)

    def entry(self, index: tuple[int, ...]) -> EntryCheck | None:
        """The check of one entry by its position in the tensor; None when not checked."""
        flat = _flat_index(self.name, self.shape, index)
        hit = np.flatnonzero(self.index == flat)
        if not hit.size:
            return None
        h = int(hit[0])
        return EntryCheck(self.name, tuple(int(v) for v in index), float(self.analytic[h]),
                          float(self.numeric[h]), bool(self.at_kink[h]))


@dataclass(frozen=True)
class EntryCheck:
    """One entry: backprop's value next to the centred finite difference."""

    tensor: str
    index: tuple[int, ...]
    analytic: float
    numeric: float
    at_kink: bool

    @property
    def rel_error(self) -> float:
        """|a - n| / (|a| + |n|): this entry on its own (0 when both are 0)."""
        scale = abs(self.analytic) + abs(self.numeric)
        return abs(self.analytic - self.numeric) / scale if scale > 0 else 0.0


def _flat_index(name: str, shape: tuple[int, ...], index) -> int:
    """The flat position of ``index`` in a tensor of ``shape``, or a one-line ValueError."""
    index = tuple(int(v) for v in index)
    if len(index) != len(shape) or any(not 0 <= v < n for v, n in zip(index, shape, strict=True)):
        raise ValueError(tr("{tensor} has shape {shape}: no entry at {index}", tensor=name,
                            shape=shape, index=index))
    return int(np.ravel_multi_index(index, shape))


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


def _better(check, tolerance: float, eps: float) -> TensorCheck:
    """``check(eps)``; when that comes near ``tolerance``, also ``check`` with nudges 10, 100
    and 1000 times larger (stopping at the first clear pass): whichever has the smallest
    error.

    A finite difference errs two ways: round-off, about 1e-16 x loss / eps, and truncation,
    about eps^2 x the third derivative. Behind saturating sigmoids the gradients are tiny
    (1e-6 of the loss's is common) and round-off alone, near 1e-10, is then a relative 1e-4,
    while a nudge too wide lets truncation take over: the best nudge depends on the tensor.
    A wrong backward pass is wrong at any nudge, so the best of these never lets a real error
    pass.
    """
    best = None
    for factor in WIDER_NUDGES:
        result = check(eps * factor)
        if best is None or result.max_error < best.max_error:
            best = result
        if best.max_error <= tolerance / 10:  # a tenth: a pass by a hair may be noise too
            break
    return best


def _loss_and_switches(net, x, y) -> tuple[float, list[np.ndarray]]:
    """The loss, and every switch (max-pool winners, ReLU gates) that produced it."""
    switches = []
    for layer in net.layers:
        x = layer.forward(x)
        switches.extend(layer.switches())
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
            raise KeyError(tr("no tensor named {name!r}; choose from {names}",
                              name=sorted(unknown)[0], names=names))
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
        analytic = np.asarray(analytic_full).reshape(-1)[index]
        shape = tuple(np.shape(analytic_full))[1:] if name == "input" \
            else tuple(np.shape(analytic_full))

        def check(eps, name=name, flat=flat, index=index, analytic=analytic, shape=shape):
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
                at_kink[j] = not (_same(plus_switches, switches)
                                  and _same(minus_switches, switches))
            return TensorCheck(name, index, analytic, numeric,
                               relative_error(analytic, numeric), at_kink, shape, eps)

        checks.append(_better(check, tolerance, eps))
    return GradcheckReport(tuple(checks), tolerance)


# ------------------------------------------------------------------ the whole network
# Layer outputs are named "<layer>/out"; their backprop side is the trace's dout.
OUTPUT = "out"


def _sample_losses(logits: np.ndarray, y: int) -> np.ndarray:
    """Each row's cross-entropy against label ``y``, by the training step's own formula."""
    z = logits - logits.max(axis=1, keepdims=True)
    return np.log(np.exp(z).sum(axis=1)) - z[:, y]


def _run_from(net, start: int, a: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Layers ``start``.. forward on ``a`` (N, ...): the logits, and every switch (max-pool
    winners, ReLU gates) those layers set, in order."""
    switches = []
    for layer in net.layers[start:]:
        a = layer.forward(a)
        switches.extend(layer.switches())
    return a, switches


def _flipped(got: list[np.ndarray], base: list[np.ndarray], n: int) -> np.ndarray:
    """(n,) bool: which of the n batch rows set a switch differently from the unperturbed run."""
    changed = np.zeros(n, dtype=bool)
    for g, b in zip(got, base, strict=True):
        changed |= (g != b).reshape(n, -1).any(axis=1)
    return changed


class _Baseline:
    """The unperturbed forward pass, kept so that each check restarts from the layer whose
    tensor it nudges: the layers before it cannot see the nudge."""

    def __init__(self, net, x: np.ndarray, y: int):
        self.net, self.y = net, y
        self.acts = [x]  # acts[k]: the input of layer k; acts[-1]: the logits
        self.switches: list[list[np.ndarray]] = []  # per layer, as _run_from lists them
        for layer in net.layers:
            self.acts.append(layer.forward(self.acts[-1]))
            self.switches.append([np.array(v) for v in layer.switches()])

    def switches_from(self, start: int) -> list[np.ndarray]:
        return [a for per_layer in self.switches[start:] for a in per_layer]

    def check_activation(self, start: int, analytic_full, name: str, entries=None,
                         eps: float = 1e-6, chunk: int = 128) -> TensorCheck:
        """Nudge entries of layer ``start``'s input (acts[start]) and run the rest of the
        forward. Each nudge is one row of a batch: ``chunk`` entries, +eps and -eps, per
        forward pass."""
        base = self.acts[start]
        shape = base.shape[1:]
        flat_base = base.reshape(-1)
        index = np.arange(flat_base.size) if entries is None else np.asarray(entries)
        numeric = np.empty(index.size)
        at_kink = np.zeros(index.size, dtype=bool)
        base_switches = self.switches_from(start)
        for lo in range(0, index.size, chunk):
            idx = index[lo:lo + chunk]
            m = idx.size
            batch = np.tile(flat_base, (2 * m, 1))
            rows = np.arange(m)
            batch[rows, idx] = flat_base[idx] + eps
            batch[m + rows, idx] = flat_base[idx] - eps
            logits, switches = _run_from(self.net, start, batch.reshape(2 * m, *shape))
            losses = _sample_losses(logits, self.y)
            numeric[lo:lo + m] = (losses[:m] - losses[m:]) / (2 * eps)
            flipped = _flipped(switches, base_switches, 2 * m)
            at_kink[lo:lo + m] = flipped[:m] | flipped[m:]
        analytic = np.asarray(analytic_full).reshape(-1)[index]
        return TensorCheck(name, index, analytic, numeric, relative_error(analytic, numeric),
                           at_kink, tuple(shape), eps)

    def check_parameter(self, k: int, key: str, analytic_full, entries=None,
                        eps: float = 1e-6) -> TensorCheck:
        """Nudge entries of layer ``k``'s parameter ``key`` one at a time (the weights are
        shared by a batch, so no batching here), forward from layer k on."""
        layer = self.net.layers[k]
        target = layer.params[key]
        flat = target.reshape(-1)  # a view: writes go into the tensor itself
        index = np.arange(flat.size) if entries is None else np.asarray(entries)
        numeric = np.empty(index.size)
        at_kink = np.zeros(index.size, dtype=bool)
        base_switches, a_in = self.switches_from(k), self.acts[k]
        for j, i in enumerate(index):
            keep = flat[i]
            flat[i] = keep + eps
            plus, plus_switches = _run_from(self.net, k, a_in)
            flat[i] = keep - eps
            minus, minus_switches = _run_from(self.net, k, a_in)
            flat[i] = keep
            numeric[j] = (_sample_losses(plus, self.y)[0]
                          - _sample_losses(minus, self.y)[0]) / (2 * eps)
            at_kink[j] = (_flipped(plus_switches, base_switches, 1)[0]
                          or _flipped(minus_switches, base_switches, 1)[0])
        analytic = np.asarray(analytic_full).reshape(-1)[index]
        return TensorCheck(f"{layer.name}/{key}", index, analytic, numeric,
                           relative_error(analytic, numeric), at_kink, target.shape, eps)


def all_tensor_names(net) -> list[str]:
    """Every tensor ``gradcheck_all`` checks, in forward order: the input, then per layer its
    parameters and its output."""
    names = ["input"]
    for layer in net.layers:
        names += [f"{layer.name}/{k}" for k in layer.params] + [f"{layer.name}/{OUTPUT}"]
    return names


def _locate(net, name: str) -> tuple[int, str | None]:
    """(layer index, parameter key) of a tensor; key None for an output; (-1, None): input."""
    if name == "input":
        return -1, None
    lname, _, key = name.partition("/")
    for k, layer in enumerate(net.layers):
        if layer.name == lname and (key == OUTPUT or key in layer.params):
            return k, None if key == OUTPUT else key
    raise KeyError(tr("no tensor named {name!r}; choose from {names}", name=name,
                      names=all_tensor_names(net)))


def _check(base: _Baseline, trace, name: str, entries, eps: float) -> TensorCheck:
    k, key = _locate(base.net, name)
    if k < 0:
        return base.check_activation(0, trace.dinput, name, entries, eps)
    if key is not None:
        return base.check_parameter(k, key, trace.layers[k].grads[key], entries, eps)
    return base.check_activation(k + 1, trace.layers[k].dout, name, entries, eps)


def gradcheck_all(net, x, y: int, tensors=None, eps: float = 1e-6,
                  tolerance: float = TOLERANCE) -> GradcheckReport:
    """Every entry of every parameter tensor, of the input and of each layer's output
    ("conv1/out": dL/d(conv1's output) as the backward pass recorded it in the trace, against
    nudging that output and running the rest of the forward). ``tensors`` narrows it to some
    of ``all_tensor_names(net)``. The network's weights are left exactly as they were.

    Default network, one sample: about 20,000 entries.
    """
    trace = net.forward_backward(x, y)
    names = all_tensor_names(net)
    if tensors is not None:
        for name in tensors:
            _locate(net, name)
        names = [n for n in names if n in tensors]
    base = _Baseline(net, np.array(trace.input), int(y))
    return GradcheckReport(tuple(
        _better(lambda e, n=n: _check(base, trace, n, None, e), tolerance, eps)
        for n in names), tolerance)


def tensor_shape(net, name: str) -> tuple[int, ...]:
    """A tensor's shape without the batch axis, e.g. (8, 1, 3, 3) for "conv1/W"."""
    k, key = _locate(net, name)
    if k < 0:
        return tuple(net.input_shape)
    if key is not None:
        return tuple(net.layers[k].params[key].shape)
    shape = tuple(net.input_shape)
    for layer in net.layers[:k + 1]:
        shape = tuple(layer.output_shape(shape))
    return shape


def check_entry(net, x, y: int, tensor: str, index, eps: float = 1e-6) -> EntryCheck:
    """One entry of one tensor (see ``all_tensor_names``) by its position, e.g. (f, c, i, j):
    its finite difference next to backprop's value. A bad position is a one-line ValueError."""
    flat = _flat_index(tensor, tensor_shape(net, tensor), index)
    trace = net.forward_backward(x, y)
    base = _Baseline(net, np.array(trace.input), int(y))
    check = _check(base, trace, tensor, np.array([flat]), eps)
    return check.entry(index)
