"""The arithmetic behind one number of a step, spelled out from its trace.

Each function takes a ``StepTrace`` and the coordinates of one unit and returns the terms that
make that unit's value, so the inspector (or a person at a prompt) can show that they add up:

    >>> e = explain_conv_unit(trace, "conv1", f=3, i=10, j=12)
    >>> e.products.sum() + e.bias == e.output      # up to rounding
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualcnn.common.errors import UserError
from visualcnn.common.i18n import tr
from visualcnn.nn.trace import LayerTrace, StepTrace


def _layer(trace: StepTrace, name: str, kind: str) -> LayerTrace:
    lt = trace.layer(name)
    if lt.kind != kind:
        raise ValueError(f"{name} is a {lt.kind} layer, not {kind}")
    return lt


def _check_unit(layer: str, names: tuple, index: tuple, shape: tuple) -> tuple[int, ...]:
    """``index`` as ints when each is within ``shape`` (no NumPy wrap-around for a negative
    one), else a UserError in one line naming the layer, the unit and the ranges."""
    index = tuple(int(v) for v in index)
    if len(index) == len(shape) and all(0 <= v < n for v, n in zip(index, shape, strict=True)):
        return index
    ranges = ", ".join(tr("{name} 0 to {last}", name=name, last=n - 1)
                       for name, n in zip(names, shape, strict=True))
    raise UserError(tr("{layer}: unit ({names}) = {index} is out of range; {ranges}",
                       layer=layer, names=", ".join(names), index=index, ranges=ranges))


def conv_geometry(lt: LayerTrace) -> tuple[int, int]:
    """(padding, stride) of a convolution's trace: (0, 1) unless the layer recorded others."""
    padding_stride = lt.extras.get("padding_stride")
    if padding_stride is None:
        return 0, 1
    return int(padding_stride[0]), int(padding_stride[1])


def _padded_input(lt: LayerTrace, padding: int) -> np.ndarray:
    """The conv's input sample (C, H, W) inside its border of ``padding`` zeros."""
    x = lt.x[0]
    return np.pad(x, ((0, 0), (padding, padding), (padding, padding))) if padding else x


@dataclass(frozen=True)
class ConvUnit:
    """out[f, i, j] = sum(patch * kernel) + bias, over the K x K window of every input channel
    whose top-left corner sits at (i*S - P, j*S - P) on the layer's input. ``rows``/``cols``
    bound the window there: with padding they reach past the input, where ``patch`` holds
    the padding's zeros."""

    layer: str
    filter: int
    position: tuple[int, int]
    rows: tuple[int, int]  # [start, stop) on the layer's input; start < 0 in the padding
    cols: tuple[int, int]
    patch: np.ndarray  # (C, K, K) the (zero-padded) input under the window
    kernel: np.ndarray  # (C, K, K) the filter's weights (before this step's update)
    products: np.ndarray  # patch * kernel
    bias: float
    output: float  # the value the forward pass produced
    gradient: float | None  # dL/d(out[f, i, j]) once the backward pass has reached it
    padding: int = 0
    stride: int = 1

    @property
    def total(self) -> float:
        """The sum recomputed from the terms: equal to ``output`` up to rounding."""
        return float(self.products.sum() + self.bias)


def explain_conv_unit(trace: StepTrace, layer: str, f: int, i: int, j: int) -> ConvUnit:
    lt = _layer(trace, layer, "conv")
    W = lt.params["W"]
    k = W.shape[-1]
    p, s = conv_geometry(lt)
    f, i, j = _check_unit(layer, ("f", "i", "j"), (f, i, j), lt.out.shape[1:])
    r, c = i * s, j * s  # the window's top-left on the padded input
    patch = _padded_input(lt, p)[:, r:r + k, c:c + k]
    kernel = W[f]
    return ConvUnit(layer, f, (i, j), (r - p, r - p + k), (c - p, c - p + k), np.array(patch),
                    np.array(kernel), patch * kernel, float(lt.params["b"][f]),
                    float(lt.out[0, f, i, j]),
                    None if lt.dout is None else float(lt.dout[0, f, i, j]), p, s)


@dataclass(frozen=True)
class KernelWeightGrad:
    """dL/dW[f, c, a, b] = sum over output positions (p, q) of dL/dout[f, p, q] *
    xp[c, p*S + a, q*S + b], xp being the input with its padding's zeros.

    ``terms`` holds every summand on the output grid; ``largest`` the biggest by magnitude,
    as ((p, q), dout, x, term)."""

    layer: str
    index: tuple[int, int, int, int]
    terms: np.ndarray  # (Ho, Wo)
    gradient: float  # the backward pass's dL/dW entry
    largest: tuple[tuple[tuple[int, int], float, float, float], ...]

    @property
    def total(self) -> float:
        return float(self.terms.sum())


def explain_kernel_weight(trace: StepTrace, layer: str, f: int, c: int, a: int, b: int,
                          top: int = 5) -> KernelWeightGrad:
    lt = _layer(trace, layer, "conv")
    if lt.dout is None:
        raise ValueError(f"the backward pass has not reached {layer} yet")
    f, c, a, b = _check_unit(f"{layer}/W", ("f", "c", "a", "b"), (f, c, a, b),
                             lt.params["W"].shape)
    dout = lt.dout[0, f]
    ho, wo = dout.shape
    pad, s = conv_geometry(lt)
    x = _padded_input(lt, pad)[c, a:a + (ho - 1) * s + 1:s, b:b + (wo - 1) * s + 1:s]
    terms = dout * x
    order = np.argsort(-np.abs(terms), axis=None)[:top]
    largest = tuple(((int(p), int(q)), float(dout[p, q]), float(x[p, q]), float(terms[p, q]))
                    for p, q in zip(*np.unravel_index(order, terms.shape), strict=True))
    return KernelWeightGrad(layer, (f, c, a, b), terms, float(lt.grads["W"][f, c, a, b]),
                            largest)


def _pool_size(lt: LayerTrace) -> int:
    """A pool's window size: its own record when the windows leave rows unread, else the
    input's height over the output's."""
    recorded = lt.extras.get("pool_size")
    return int(recorded[0]) if recorded is not None else lt.x.shape[2] // lt.out.shape[2]


@dataclass(frozen=True)
class PoolUnit:
    """out[c, i, j] = max of its K x K window; the gradient dL/dout goes to the winner alone."""

    layer: str
    channel: int
    position: tuple[int, int]
    rows: tuple[int, int]  # [start, stop) on the pool's input
    cols: tuple[int, int]
    window: np.ndarray  # (K, K)
    winner: tuple[int, int]  # on the pool's input (first maximum on ties)
    output: float
    gradient: float | None  # dL/dout[c, i, j]; all of it lands on ``winner``


def explain_pool_unit(trace: StepTrace, layer: str, c: int, i: int, j: int) -> PoolUnit:
    lt = _layer(trace, layer, "pool")
    c, i, j = _check_unit(layer, ("c", "i", "j"), (c, i, j), lt.out.shape[1:])
    k = _pool_size(lt)
    rows, cols = (i * k, i * k + k), (j * k, j * k + k)
    mask = lt.extras["argmax_mask"][0, c, rows[0]:rows[1], cols[0]:cols[1]]
    wi, wj = (int(v[0]) for v in np.nonzero(mask))
    return PoolUnit(layer, c, (i, j), rows, cols,
                    np.array(lt.x[0, c, rows[0]:rows[1], cols[0]:cols[1]]),
                    (rows[0] + wi, cols[0] + wj), float(lt.out[0, c, i, j]),
                    None if lt.dout is None else float(lt.dout[0, c, i, j]))


@dataclass(frozen=True)
class AvgPoolUnit:
    """out[c, i, j] = the mean of its K x K window; each of the K^2 members gets dL/dout / K^2
    of the gradient (``share``)."""

    layer: str
    channel: int
    position: tuple[int, int]
    rows: tuple[int, int]  # [start, stop) on the pool's input
    cols: tuple[int, int]
    window: np.ndarray  # (K, K)
    output: float
    gradient: float | None  # dL/dout[c, i, j]

    @property
    def total(self) -> float:
        """The mean recomputed from the window: equal to ``output`` up to rounding."""
        return float(self.window.sum() / self.window.size)

    @property
    def share(self) -> float | None:
        """What each member of the window receives: dL/dout / K^2."""
        return None if self.gradient is None else self.gradient / self.window.size


def explain_avgpool_unit(trace: StepTrace, layer: str, c: int, i: int, j: int) -> AvgPoolUnit:
    lt = _layer(trace, layer, "avgpool")
    c, i, j = _check_unit(layer, ("c", "i", "j"), (c, i, j), lt.out.shape[1:])
    k = _pool_size(lt)
    rows, cols = (i * k, i * k + k), (j * k, j * k + k)
    return AvgPoolUnit(layer, c, (i, j), rows, cols,
                       np.array(lt.x[0, c, rows[0]:rows[1], cols[0]:cols[1]]),
                       float(lt.out[0, c, i, j]),
                       None if lt.dout is None else float(lt.dout[0, c, i, j]))


@dataclass(frozen=True)
class DenseUnit:
    """out[m] = sum_d W[m, d] * x[d] + b[m]; ``largest`` lists the biggest terms as
    (d, W, x, term)."""

    layer: str
    unit: int
    terms: np.ndarray  # (D,)
    bias: float
    output: float
    largest: tuple[tuple[int, float, float, float], ...]
    gradient: float | None

    @property
    def total(self) -> float:
        return float(self.terms.sum() + self.bias)


def explain_dense_unit(trace: StepTrace, layer: str, m: int, top: int = 5) -> DenseUnit:
    lt = _layer(trace, layer, "dense")
    (m,) = _check_unit(layer, ("m",), (m,), lt.out.shape[1:])
    w, x = lt.params["W"][m], lt.x[0]
    terms = w * x
    order = np.argsort(-np.abs(terms))[:top]
    largest = tuple((int(d), float(w[d]), float(x[d]), float(terms[d])) for d in order)
    return DenseUnit(layer, m, terms, float(lt.params["b"][m]), float(lt.out[0, m]), largest,
                     None if lt.dout is None else float(lt.dout[0, m]))


@dataclass(frozen=True)
class Softmax:
    """p_m = exp(z_m - max z) / sum_k exp(z_k - max z); loss = -log p_y; dL/dz = p - onehot(y)."""

    logits: np.ndarray
    shifted: np.ndarray  # z - max z, which keeps exp from overflowing
    exps: np.ndarray
    total: float
    probs: np.ndarray
    label: int
    loss: float
    dlogits: np.ndarray  # p - y


def explain_softmax(trace: StepTrace) -> Softmax:
    z = np.asarray(trace.logits)
    shifted = z - z.max()
    exps = np.exp(shifted)
    onehot = np.zeros_like(z)
    onehot[trace.label] = 1.0
    return Softmax(np.array(z), shifted, exps, float(exps.sum()), np.array(trace.probs),
                   trace.label, trace.loss, np.array(trace.probs) - onehot)


@dataclass(frozen=True)
class ReluUnit:
    """out = max(x, 0); the gradient it lets through is dL/dout x gate, gate 1 where x > 0."""

    layer: str
    index: tuple[int, ...]  # (c, i, j) on a map, (d,) after a dense layer
    input: float
    passed: bool
    output: float
    upstream: float | None  # dL/dout, once the backward pass has reached the layer
    gradient: float | None  # dL/dx as the backward pass stored it

    @property
    def gate(self) -> float:
        return 1.0 if self.passed else 0.0


def explain_relu_unit(trace: StepTrace, layer: str, *index: int) -> ReluUnit:
    lt = _layer(trace, layer, "relu")
    names = ("c", "i", "j") if lt.x.ndim == 4 else ("d",)
    index = _check_unit(layer, names, index, lt.x.shape[1:])
    at = (0, *index)
    return ReluUnit(layer, index, float(lt.x[at]), bool(lt.extras["relu_mask"][at]),
                    float(lt.out[at]), None if lt.dout is None else float(lt.dout[at]),
                    None if lt.dx is None else float(lt.dx[at]))


ACTIVATION_KINDS = ("relu", "sigmoid", "tanh", "lrelu")


@dataclass(frozen=True)
class ActivationUnit:
    """out = act(x) for one unit of an elementwise activation; backward multiplies dL/dout by
    the local derivative d(out)/dx: ``product`` = upstream x local_derivative, which the
    backward pass stored as ``gradient``."""

    layer: str
    kind: str  # "relu", "sigmoid", "tanh" or "lrelu"
    index: tuple[int, ...]  # (c, i, j) on a map, (d,) after a dense layer
    input: float
    output: float
    local_derivative: float  # a ReLU's is its gate, 1 or 0
    upstream: float | None  # dL/dout, once the backward pass has reached the layer
    gradient: float | None  # dL/dx as the backward pass stored it

    @property
    def product(self) -> float | None:
        return None if self.upstream is None else self.upstream * self.local_derivative


def explain_activation_unit(trace: StepTrace, layer: str, *index: int) -> ActivationUnit:
    lt = trace.layer(layer)
    if lt.kind not in ACTIVATION_KINDS:
        raise ValueError(f"{layer} is a {lt.kind} layer, not an activation")
    names = ("c", "i", "j") if lt.x.ndim == 4 else ("d",)
    index = _check_unit(layer, names, index, lt.x.shape[1:])
    at = (0, *index)
    local = (lt.extras["relu_mask"] if lt.kind == "relu" else lt.extras["local_derivative"])
    return ActivationUnit(layer, lt.kind, index, float(lt.x[at]), float(lt.out[at]),
                          float(local[at]), None if lt.dout is None else float(lt.dout[at]),
                          None if lt.dx is None else float(lt.dx[at]))


@dataclass(frozen=True)
class InputPixel:
    """dL/d(pixel) = sum over every unit of the first layer that reads the pixel of
    dL/d(unit) x the weight through which it reads it.

    ``readers`` (n, 3) holds each reader's (f, p, q) on a convolution's output, or (m, -1, -1)
    for a dense unit; ``offsets`` (n, 2) where in its kernel the pixel sits, (a, b) =
    (i + P - p*S, j + P - q*S) for padding P and stride S (-1 for dense); ``weights``,
    ``douts`` and ``terms`` = douts x weights are (n,).
    """

    layer: str  # the first layer with weights
    index: tuple[int, int, int]  # (c, i, j)
    value: float
    readers: np.ndarray
    offsets: np.ndarray
    weights: np.ndarray
    douts: np.ndarray | None  # None until the backward pass reaches the layer
    gradient: float | None  # the trace's dinput at the pixel

    @property
    def terms(self) -> np.ndarray | None:
        return None if self.douts is None else self.douts * self.weights

    @property
    def total(self) -> float | None:
        return None if self.douts is None else float(self.terms.sum())

    def largest(self, top: int = 5) -> list[int]:
        """Rows of the ``top`` terms largest in magnitude (by weight before the backward)."""
        values = self.weights if self.douts is None else self.terms
        return [int(r) for r in np.argsort(-np.abs(values), kind="stable")[:top]]


def explain_input_pixel(trace: StepTrace, c: int, i: int, j: int) -> InputPixel:
    """Pixel (c, i, j) of the sample and the units of the first layer that read it: a
    convolution (with its padding and stride), or a dense layer after the flatten. A network
    that starts with another layer (a pool, an activation) is a one-line UserError."""
    c, i, j = _check_unit(tr("input"), ("c", "i", "j"), (c, i, j), trace.input.shape[1:])
    lt = trace.layers[1] if trace.layers[0].kind == "flatten" else trace.layers[0]
    if lt.kind not in ("conv", "dense"):
        raise UserError(tr("input pixel: the first layer, {layer}, is a {kind} layer; only the "
                           "readers of a first convolution or dense layer are listed",
                           layer=lt.name, kind=lt.kind))
    W = lt.params["W"]
    if lt.kind == "conv":
        k = W.shape[-1]
        pad, s = conv_geometry(lt)
        height, width = trace.input.shape[2:]
        ho, wo = (height + 2 * pad - k) // s + 1, (width + 2 * pad - k) // s + 1
        # Output row p reads padded rows p*S .. p*S + K - 1, i.e. input rows from p*S - P.
        ps = np.arange(max(0, -(-(i + pad - k + 1) // s)), min((i + pad) // s, ho - 1) + 1)
        qs = np.arange(max(0, -(-(j + pad - k + 1) // s)), min((j + pad) // s, wo - 1) + 1)
        f, p, q = (g.ravel() for g in np.meshgrid(np.arange(W.shape[0]), ps, qs,
                                                  indexing="ij"))
        readers = np.stack([f, p, q], axis=1)
        offsets = np.stack([i + pad - p * s, j + pad - q * s], axis=1)
        weights = W[f, c, offsets[:, 0], offsets[:, 1]]
        douts = None if lt.dout is None else lt.dout[0, f, p, q]
    else:  # dense after the flatten: every unit reads every pixel
        d = int(np.ravel_multi_index((c, i, j), trace.input.shape[1:]))
        m = np.arange(W.shape[0])
        readers = np.stack([m, -np.ones_like(m), -np.ones_like(m)], axis=1)
        offsets = -np.ones((m.size, 2), dtype=int)
        weights = W[:, d]
        douts = None if lt.dout is None else lt.dout[0]
    dinput = trace.dinput
    return InputPixel(lt.name, (c, i, j), float(trace.input[0, c, i, j]), readers, offsets,
                      np.array(weights), None if douts is None else np.array(douts),
                      None if dinput is None else float(dinput[0, c, i, j]))
