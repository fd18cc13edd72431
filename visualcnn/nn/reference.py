"""Plain-loop reference implementations of every operation of the engine.

This module is deliberately slow. It writes each operation the way the article this product
grew out of did: for-loops over samples, filters, output positions and pooling windows, with
NumPy used for no more than one window at a time. It was written from the maths, not from the
vectorised layers, so that the two can check each other: the tests require the engine to equal
these loops, and ``visualcnn bench`` reports how much faster the engine is. The app never uses
it. (This is the only place in the package where loops over pixels or windows are allowed.)

Conventions are the engine's: float64, channels-first with a batch axis, cross-correlation
with zero padding ``pad`` and stride ``stride`` (by default none and 1), K x K max- and
average pooling with stride K that drop trailing rows and columns, max-pool ties to the first
maximum in row-major order, ``Dense.W`` of shape (M, D), mean softmax cross-entropy with the
natural log. New parameters are keyword arguments with defaults, so that every function keeps
the signature of the 'check your own layers' contract (``visualcnn.yours.contract``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


# ------------------------------------------------------------------------------ convolution
def _zero_padded(x: np.ndarray, pad: int) -> np.ndarray:
    """x (N, C, H, W) inside a border of ``pad`` zeros: (N, C, H + 2 pad, W + 2 pad)."""
    n_samples, channels, height, width = x.shape
    padded = np.zeros((n_samples, channels, height + 2 * pad, width + 2 * pad))
    for n in range(n_samples):
        for c in range(channels):
            for i in range(height):
                for j in range(width):
                    padded[n, c, pad + i, pad + j] = x[n, c, i, j]
    return padded


def conv_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray, pad: int = 0,
                 stride: int = 1) -> np.ndarray:
    """Cross-correlation with ``pad`` zeros on every side, windows ``stride`` apart.

    x: (N, C, H, W), W: (F, C, K, K), b: (F,) -> out: (N, F, Ho, Wo) with
    Ho = (H + 2 pad - K) // stride + 1 (Wo likewise; H-K+1 by default) and
    out[n, f, i, j] = b[f] + sum over c, di, dj of xp[n, c, i*stride+di, j*stride+dj] *
    W[f, c, di, dj], xp being x padded.
    """
    xp = _zero_padded(x, pad)
    n_samples, channels, height, width = xp.shape
    filters, _, k, _ = W.shape
    ho, wo = (height - k) // stride + 1, (width - k) // stride + 1
    out = np.zeros((n_samples, filters, ho, wo))
    for n in range(n_samples):
        for f in range(filters):
            for i in range(ho):
                for j in range(wo):
                    r, s = i * stride, j * stride
                    window = xp[n, :, r:r + k, s:s + k]  # (C, K, K)
                    out[n, f, i, j] = np.sum(window * W[f]) + b[f]
    return out


def conv_backward(dout: np.ndarray, x: np.ndarray, W: np.ndarray, pad: int = 0,
                  stride: int = 1):
    """Gradients of a convolution given dL/d(out).

    dout: (N, F, Ho, Wo), x: (N, C, H, W), W: (F, C, K, K) ->
    (dx: (N, C, H, W), dW: (F, C, K, K), db: (F,)).

    Each output value out[n, f, i, j] depends on one window of the padded x and on filter f,
    with the window's pixels as the coefficients of W[f] and W[f] as the coefficients of the
    window; so each output's gradient adds g * W[f] to its window of dxp and g * window to
    dW[f]. The padding's zeros are no input: their share of dxp is dropped.
    """
    xp = _zero_padded(x, pad)
    n_samples, filters, ho, wo = dout.shape
    k = W.shape[2]
    dxp = np.zeros(xp.shape)
    dW = np.zeros_like(W, dtype=np.float64)
    db = np.zeros(filters)
    for n in range(n_samples):
        for f in range(filters):
            for i in range(ho):
                for j in range(wo):
                    g = dout[n, f, i, j]
                    r, s = i * stride, j * stride
                    dW[f] += g * xp[n, :, r:r + k, s:s + k]
                    dxp[n, :, r:r + k, s:s + k] += g * W[f]
                    db[f] += g
    height, width = x.shape[2:]
    dx = np.zeros(x.shape)
    for i in range(height):
        for j in range(width):
            dx[:, :, i, j] = dxp[:, :, pad + i, pad + j]
    return dx, dW, db


# --------------------------------------------------------------------------------- max-pool
def _window_winner(x: np.ndarray, n: int, c: int, i: int, j: int, k: int) -> tuple[int, int]:
    """Row and column of the first maximum of window (i, j) of x[n, c], scanning row-major."""
    best_r, best_c = i * k, j * k
    best = x[n, c, best_r, best_c]
    for r in range(i * k, i * k + k):
        for s in range(j * k, j * k + k):
            # Strictly greater: an equal value later in the window never takes over, which is
            # what gives a tie to the first maximum.
            if x[n, c, r, s] > best:
                best, best_r, best_c = x[n, c, r, s], r, s
    return best_r, best_c


def maxpool_forward(x: np.ndarray, k: int):
    """K x K max-pool, stride K, trailing rows/columns dropped.

    x: (N, C, H, W) -> (out: (N, C, H // K, W // K), mask: bool (N, C, H, W) True at each
    window's first maximum).
    """
    n_samples, channels, height, width = x.shape
    ho, wo = height // k, width // k
    out = np.zeros((n_samples, channels, ho, wo))
    mask = np.zeros(x.shape, dtype=bool)
    for n in range(n_samples):
        for c in range(channels):
            for i in range(ho):
                for j in range(wo):
                    r, s = _window_winner(x, n, c, i, j, k)
                    out[n, c, i, j] = x[n, c, r, s]
                    mask[n, c, r, s] = True
    return out, mask


def maxpool_backward(dout: np.ndarray, x: np.ndarray, k: int) -> np.ndarray:
    """dout: (N, C, H // K, W // K), x: (N, C, H, W) -> dx: (N, C, H, W).

    Each window's gradient goes to its winner only (the max is locally the identity of the
    winning input and constant in the others); dropped rows and columns get zero.
    """
    n_samples, channels, ho, wo = dout.shape
    dx = np.zeros(x.shape)
    for n in range(n_samples):
        for c in range(channels):
            for i in range(ho):
                for j in range(wo):
                    r, s = _window_winner(x, n, c, i, j, k)
                    dx[n, c, r, s] += dout[n, c, i, j]
    return dx


# ---------------------------------------------------------------------------- average pool
def avgpool_forward(x: np.ndarray, k: int) -> np.ndarray:
    """K x K average pool, stride K, trailing rows/columns dropped.

    x: (N, C, H, W) -> out: (N, C, H // K, W // K), each the mean of its window.
    """
    n_samples, channels, height, width = x.shape
    ho, wo = height // k, width // k
    out = np.zeros((n_samples, channels, ho, wo))
    for n in range(n_samples):
        for c in range(channels):
            for i in range(ho):
                for j in range(wo):
                    total = 0.0
                    for r in range(i * k, i * k + k):
                        for s in range(j * k, j * k + k):
                            total += x[n, c, r, s]
                    out[n, c, i, j] = total / (k * k)
    return out


def avgpool_backward(dout: np.ndarray, x: np.ndarray, k: int) -> np.ndarray:
    """dout: (N, C, H // K, W // K), x: (N, C, H, W) -> dx: (N, C, H, W).

    The mean weighs each of the K^2 window members by 1 / K^2, so each gets dout / K^2;
    dropped rows and columns get zero.
    """
    n_samples, channels, ho, wo = dout.shape
    dx = np.zeros(x.shape)
    for n in range(n_samples):
        for c in range(channels):
            for i in range(ho):
                for j in range(wo):
                    for r in range(i * k, i * k + k):
                        for s in range(j * k, j * k + k):
                            dx[n, c, r, s] += dout[n, c, i, j] / (k * k)
    return dx


# ------------------------------------------------------------------- sigmoid, tanh, leaky ReLU
def _sigmoid(v: float) -> float:
    # Written for each sign so that exp never sees a large positive argument.
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def sigmoid_forward(x: np.ndarray):
    """x: any shape -> (out: 1 / (1 + exp(-x)); local derivative: out * (1 - out))."""
    out = np.zeros(x.shape)
    local = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        out[idx] = _sigmoid(float(x[idx]))
        local[idx] = out[idx] * _sigmoid(-float(x[idx]))  # 1 - sigmoid(v) = sigmoid(-v)
    return out, local


def sigmoid_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """dout, x: same shape -> dx = dout * sigmoid(x) * (1 - sigmoid(x))."""
    return dout * sigmoid_forward(x)[1]


def tanh_forward(x: np.ndarray):
    """x: any shape -> (out: tanh(x); local derivative: 1 - out^2)."""
    out = np.zeros(x.shape)
    local = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        out[idx] = math.tanh(float(x[idx]))
        local[idx] = 1.0 - out[idx] ** 2
    return out, local


def tanh_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """dout, x: same shape -> dx = dout * (1 - tanh(x)^2)."""
    return dout * tanh_forward(x)[1]


def lrelu_forward(x: np.ndarray, slope: float = 0.01):
    """x: any shape -> (out: x where x > 0, else slope * x; local derivative: 1 or slope).

    At x = 0 exactly the derivative is taken as the slope (x > 0 decides, as in PyTorch)."""
    out = np.zeros(x.shape)
    local = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        local[idx] = 1.0 if x[idx] > 0 else slope
        out[idx] = x[idx] * local[idx]
    return out, local


def lrelu_backward(dout: np.ndarray, x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """dout, x: same shape -> dx = dout where x > 0, else slope * dout."""
    return dout * lrelu_forward(x, slope)[1]


# ------------------------------------------------------------------------------------- ReLU
def relu_forward(x: np.ndarray):
    """x: any shape -> (out: same shape, max(x, 0); mask: bool, x > 0)."""
    out = np.zeros(x.shape)
    mask = np.zeros(x.shape, dtype=bool)
    for idx in np.ndindex(*x.shape):
        if x[idx] > 0:
            out[idx] = x[idx]
            mask[idx] = True
    return out, mask


def relu_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """dout, x: same shape -> dx: dout where x > 0, else 0 (the gradient at 0 is taken as 0)."""
    dx = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        if x[idx] > 0:
            dx[idx] = dout[idx]
    return dx


# ---------------------------------------------------------------------------------- flatten
def flatten_forward(x: np.ndarray) -> np.ndarray:
    """x: (N, C, H, W) -> (N, C*H*W), C-order: feature (c*H + h)*W + w is x[n, c, h, w]."""
    n_samples = x.shape[0]
    per_sample = x.shape[1:]
    out = np.zeros((n_samples, math.prod(per_sample)))
    for n in range(n_samples):
        for d, idx in enumerate(np.ndindex(*per_sample)):  # ndindex walks in C-order
            out[n, d] = x[(n, *idx)]
    return out


def flatten_backward(dout: np.ndarray, x_shape: tuple[int, ...]) -> np.ndarray:
    """dout: (N, D) -> dx: x_shape, the inverse of ``flatten_forward``'s ordering."""
    dx = np.zeros(x_shape)
    for n in range(x_shape[0]):
        for d, idx in enumerate(np.ndindex(*x_shape[1:])):
            dx[(n, *idx)] = dout[n, d]
    return dx


# ------------------------------------------------------------------------------------ dense
def dense_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x: (N, D), W: (M, D), b: (M,) -> out: (N, M), out[n, m] = b[m] + sum_d x[n, d] W[m, d]."""
    n_samples, units = x.shape[0], W.shape[0]
    out = np.zeros((n_samples, units))
    for n in range(n_samples):
        for m in range(units):
            out[n, m] = np.sum(x[n] * W[m]) + b[m]
    return out


def dense_backward(dout: np.ndarray, x: np.ndarray, W: np.ndarray):
    """dout: (N, M), x: (N, D), W: (M, D) -> (dx: (N, D), dW: (M, D), db: (M,)).

    out[n, m] is linear in row W[m] (coefficients x[n]) and in x[n] (coefficients W[m]).
    """
    n_samples, units = dout.shape
    dx = np.zeros(x.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(units)
    for n in range(n_samples):
        for m in range(units):
            g = dout[n, m]
            dx[n] += g * W[m]
            dW[m] += g * x[n]
            db[m] += g
    return dx, dW, db


# ------------------------------------------------------------------------------------- loss
def softmax_cross_entropy(logits: np.ndarray, y):
    """Mean softmax cross-entropy, natural log.

    logits: (N, M), y: (N,) ints -> (loss: float, probs: (N, M), dlogits: (N, M)), with
    dlogits = (probs - onehot(y)) / N, the derivative of the mean loss.
    """
    n_samples, classes = logits.shape
    y = np.asarray(y).reshape(-1)
    probs = np.zeros((n_samples, classes))
    dlogits = np.zeros((n_samples, classes))
    total = 0.0
    for n in range(n_samples):
        # Subtracting the row's largest logit leaves softmax unchanged and keeps exp finite.
        top = max(float(v) for v in logits[n])
        exps = [math.exp(float(v) - top) for v in logits[n]]
        denom = math.fsum(exps)
        for m in range(classes):
            probs[n, m] = exps[m] / denom
        label = int(y[n])
        # log p_label = (z_label - top) - log(denom), finite even when p_label underflows.
        total += -((float(logits[n, label]) - top) - math.log(denom))
        for m in range(classes):
            dlogits[n, m] = (probs[n, m] - (1.0 if m == label else 0.0)) / n_samples
    return total / n_samples, probs, dlogits


# ---------------------------------------------------------------------------------- network
# Each elementwise activation's (forward, backward) by its layer kind.
_ACTIVATIONS = {"relu": (relu_forward, relu_backward),
                "sigmoid": (sigmoid_forward, sigmoid_backward),
                "tanh": (tanh_forward, tanh_backward),
                "lrelu": (lrelu_forward, lrelu_backward)}


@dataclass
class ReferenceStep:
    """What ``ReferenceNetwork.train_step`` computed.

    loss: float; probs: (N, classes); outs / dxs: per layer name, the output and dL/d(input);
    grads / updates: per layer name, ``{"W": ..., "b": ...}`` (empty for layers without
    parameters); dinput: dL/d(network input), (N, C, H, W).
    """

    loss: float
    probs: np.ndarray
    outs: dict[str, np.ndarray]
    dxs: dict[str, np.ndarray]
    grads: dict[str, dict[str, np.ndarray]]
    updates: dict[str, dict[str, np.ndarray]]
    dinput: np.ndarray


class ReferenceNetwork:
    """The same network as a ``Network``, run with the loops above.

    ``ReferenceNetwork(net)`` copies the layer list, parameters, optimiser (its settings and
    state: velocities, Adam's moments) of ``net`` (any architecture the engine accepts);
    after that the two are independent, so stepping both on the same samples must keep them
    equal.
    """

    def __init__(self, net):
        self.input_shape = tuple(net.input_shape)
        self.momentum = float(net.momentum)
        self.optimizer = getattr(net, "optimizer", "momentum" if self.momentum else "sgd")
        self.weight_decay = float(getattr(net, "weight_decay", 0.0))
        # Adam's first and second moments, per layer and key, copied entry by entry.
        self.adam_m: dict[str, dict[str, np.ndarray]] = {}
        self.adam_v: dict[str, dict[str, np.ndarray]] = {}
        self.layers = list(net.specs)  # LayerSpecs: name, kind, kernel, padding, stride
        self.params: dict[str, dict[str, np.ndarray]] = {}
        self.velocity: dict[str, dict[str, np.ndarray]] = {}
        for spec, layer in zip(net.specs, net.layers, strict=True):
            if layer.params:
                self.params[spec.name] = {k: np.array(v, dtype=np.float64, copy=True)
                                          for k, v in layer.params.items()}
                self.velocity[spec.name] = {
                    k: np.array(net.velocity[(spec.name, k)], dtype=np.float64, copy=True)
                    for k in layer.params}
                if self.optimizer == "adam":
                    for mine, theirs in ((self.adam_m, net.adam_m), (self.adam_v, net.adam_v)):
                        mine[spec.name] = {k: np.array(theirs[(spec.name, k)], dtype=np.float64,
                                                       copy=True) for k in layer.params}
        self.step = int(net.step)

    def _as_batch(self, x) -> np.ndarray:
        x = np.array(x, dtype=np.float64, copy=True)
        return x[None] if x.shape == self.input_shape else x

    def forward(self, x):
        """x: (N, C, H, W) -> (logits (N, classes), list of each layer's input)."""
        ins = []
        a = self._as_batch(x)
        for spec in self.layers:
            ins.append(a)
            name, kind, k = spec.name, spec.kind, spec.kernel
            if kind == "conv":
                a = conv_forward(a, self.params[name]["W"], self.params[name]["b"],
                                 pad=spec.padding, stride=spec.stride)
            elif kind in _ACTIVATIONS:
                a = _ACTIVATIONS[kind][0](a)[0]
            elif kind == "pool":
                a = maxpool_forward(a, k)[0]
            elif kind == "avgpool":
                a = avgpool_forward(a, k)
            elif kind == "flatten":
                a = flatten_forward(a)
            else:
                a = dense_forward(a, self.params[name]["W"], self.params[name]["b"])
        return a, ins

    def predict(self, X) -> np.ndarray:
        """X: (N, C, H, W) -> class probabilities (N, classes)."""
        logits, _ = self.forward(X)
        n = logits.shape[0]
        return softmax_cross_entropy(logits, np.zeros(n, dtype=int))[1]

    def forward_backward(self, x, y) -> ReferenceStep:
        """Loss, probabilities and every gradient for samples x with labels y, no update."""
        logits, ins = self.forward(x)
        y = np.atleast_1d(np.asarray(y))
        loss, probs, d = softmax_cross_entropy(logits, y)
        outs, dxs, grads = {}, {}, {}
        a_out = logits
        for spec, a_in in zip(reversed(self.layers), reversed(ins), strict=True):
            name, kind, k = spec.name, spec.kind, spec.kernel
            outs[name] = a_out
            if kind == "conv":
                d, dW, db = conv_backward(d, a_in, self.params[name]["W"], pad=spec.padding,
                                          stride=spec.stride)
                grads[name] = {"W": dW, "b": db}
            elif kind in _ACTIVATIONS:
                d = _ACTIVATIONS[kind][1](d, a_in)
            elif kind == "pool":
                d = maxpool_backward(d, a_in, k)
            elif kind == "avgpool":
                d = avgpool_backward(d, a_in, k)
            elif kind == "flatten":
                d = flatten_backward(d, a_in.shape)
            else:
                d, dW, db = dense_backward(d, a_in, self.params[name]["W"])
                grads[name] = {"W": dW, "b": db}
            grads.setdefault(name, {})
            dxs[name] = d
            a_out = a_in
        return ReferenceStep(loss=loss, probs=probs, outs=outs, dxs=dxs, grads=grads,
                             updates={spec.name: {} for spec in self.layers}, dinput=d)

    def train_step(self, x, y, lr: float) -> ReferenceStep:
        """One step of the optimiser on g = grad + weight_decay * p. SGD: p = p - lr * g;
        momentum: v = momentum * v - lr * g, p = p + v; Adam: ``adam_entry`` on every entry."""
        result = self.forward_backward(x, y)
        for name, g in result.grads.items():
            for key, grad in g.items():
                p = self.params[name][key]
                if self.weight_decay:
                    grad = grad + self.weight_decay * p
                if self.optimizer == "adam":
                    upd = np.zeros_like(p)
                    m, v = self.adam_m[name][key].copy(), self.adam_v[name][key].copy()
                    for i in np.ndindex(p.shape):
                        upd[i], m[i], v[i] = adam_entry(grad[i], m[i], v[i], self.step + 1, lr)
                    self.adam_m[name][key], self.adam_v[name][key] = m, v
                elif self.momentum:
                    upd = self.momentum * self.velocity[name][key] - lr * grad
                    self.velocity[name][key] = upd
                else:
                    upd = -lr * grad
                result.updates[name][key] = upd
                self.params[name][key] = p + upd
        self.step += 1
        return result


def adam_entry(g: float, m: float, v: float, t: int, lr: float,
               beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
    """Adam on one number at step ``t`` (from 1): (change, new m, new v), bias-corrected."""
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return -lr * m_hat / (math.sqrt(v_hat) + eps), m, v
