"""What the engine computes for each function of the contract, and how far a student's result is
from it.

The engine's layers keep their inputs between ``forward`` and ``backward``; here each
contract function becomes one stateless call on a fresh layer, so that a student's function
and the engine's can be called with the very same arguments.
"""

from __future__ import annotations

import numpy as np

from visualcnn.nn.layers import Conv2D, Dense, MaxPool2D, ReLU, softmax_cross_entropy

# Past this relative error a student's result disagrees with the engine's. Loops and the
# engine's matrix products sum in different orders; in float64 that moves a result by about
# 1e-15 of its size, far below this.
TOLERANCE = 1e-6
# Entries much smaller than the largest of their tensor are compared against a thousandth of
# that largest entry: a sum that cancels to nearly zero is only as exact as its terms.
SMALL = 1e-3


def _conv(x, W, b):
    f, c, k, _ = W.shape
    layer = Conv2D("conv", x.shape[1:], f, k, np.random.default_rng(0))
    layer.params = {"W": W, "b": np.zeros(f) if b is None else b}
    return layer


def _dense(W, b):
    m, d = W.shape
    layer = Dense("dense", d, m, np.random.default_rng(0))
    layer.params = {"W": W, "b": np.zeros(m) if b is None else b}
    return layer


def engine_outputs(name: str, args: tuple) -> tuple[np.ndarray, ...]:
    """The engine's result for the contract function ``name`` on ``args``, as the contract
    lays it out: one float64 array per output (a loss has shape ())."""
    if name == "conv_forward":
        x, W, b = args
        return (_conv(x, W, b).forward(x),)
    if name == "conv_backward":
        dout, x, W = args
        layer = _conv(x, W, None)
        layer.forward(x)
        dx = layer.backward(dout)
        return dx, layer.grads["W"], layer.grads["b"]
    if name == "relu_forward":
        return (ReLU("relu").forward(args[0]),)
    if name == "relu_backward":
        dout, x = args
        layer = ReLU("relu")
        layer.forward(x)
        return (layer.backward(dout),)
    if name == "maxpool_forward":
        x, k = args
        return (MaxPool2D("pool", x.shape[1:], k).forward(x),)
    if name == "maxpool_backward":
        dout, x, k = args
        layer = MaxPool2D("pool", x.shape[1:], k)
        layer.forward(x)
        return (layer.backward(dout),)
    if name == "dense_forward":
        x, W, b = args
        return (_dense(W, b).forward(x),)
    if name == "dense_backward":
        dout, x, W = args
        layer = _dense(W, None)
        layer.forward(x)
        dx = layer.backward(dout)
        return dx, layer.grads["W"], layer.grads["b"]
    if name == "softmax_cross_entropy":
        logits, y = args
        loss, probs, dlogits = softmax_cross_entropy(logits, np.asarray(y, dtype=np.int64))
        return np.array(loss), probs, dlogits
    raise KeyError(name)


def relative_error(got: np.ndarray, want: np.ndarray) -> tuple[float, tuple[int, ...]]:
    """The largest relative error of ``got`` against ``want`` (same shape) and the index of
    its first occurrence. |got - want| / max(|got|, |want|, SMALL x the largest |want|); an
    entry that is not finite where the two differ counts as an infinite error."""
    if got.size == 0:
        return 0.0, ()
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        finite_want = want[np.isfinite(want)]
        top = float(np.abs(finite_want).max()) if finite_want.size else 0.0
        floor = max(SMALL * top, 1e-12)
        denominator = np.maximum(np.maximum(np.abs(got), np.abs(want)), floor)
        error = np.abs(got - want) / denominator
        same = got == want  # equal infinities included
        error = np.where(same, 0.0, error)
        error = np.where(np.isnan(error), np.inf, error)
    flat = int(np.argmax(error))
    return float(error.flat[flat]), tuple(int(i) for i in np.unravel_index(flat, got.shape))


def agrees(got: np.ndarray, want: np.ndarray) -> bool:
    """``got`` has ``want``'s shape and is within TOLERANCE of it."""
    return got.shape == want.shape and relative_error(got, want)[0] <= TOLERANCE
