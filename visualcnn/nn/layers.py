"""The layers of the network, NumPy only, vectorised, float64, channels-first with a batch axis.

Each layer has ``params`` and ``grads`` (dicts with the same keys), ``forward(x) -> out`` and
``backward(dout) -> dx``; ``backward`` uses what the latest ``forward`` cached. Layers never
write into an array they returned or cached: every step allocates fresh outputs, which lets a
trace keep them (read-only) without copying.
"""

from __future__ import annotations

import math

import numpy as np


class Layer:
    kind = "layer"

    def __init__(self, name: str):
        self.name = name
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.extras: dict[str, np.ndarray] = {}

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of one sample's output for one sample's input shape (no batch axis)."""
        raise NotImplementedError

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def infer(self, x: np.ndarray) -> np.ndarray:
        """Forward for prediction only: same output, nothing kept for a backward pass."""
        return self.forward(x)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class Conv2D(Layer):
    """2-D cross-correlation, stride 1, valid padding.

    x: (N, C, H, W), W: (F, C, K, K), b: (F,) -> out: (N, F, H-K+1, W-K+1)
    """

    kind = "conv"

    def __init__(self, name: str, input_shape: tuple[int, int, int], filters: int, kernel: int,
                 rng: np.random.Generator):
        super().__init__(name)
        self.input_shape = tuple(input_shape)
        self.filters, self.kernel = filters, kernel
        c, h, w = self.input_shape
        fan_in = c * kernel * kernel
        # He initialisation keeps the activations' variance steady through ReLU layers.
        self.params["W"] = rng.standard_normal((filters, c, kernel, kernel)) * np.sqrt(2.0 / fan_in)
        self.params["b"] = np.zeros(filters)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        # Gather indices (im2col), computed once: row r = (c, i, j) of the kernel, column =
        # output position; entry = flat index into one sample's C*H*W input. One ``take`` then
        # builds every window, far cheaper per step than building strided views.
        ho, wo = h - kernel + 1, w - kernel + 1
        ch, ki, kj = np.meshgrid(np.arange(c), np.arange(kernel), np.arange(kernel), indexing="ij")
        oi, oj = np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij")
        self._cols_index = ((ch * h * w + ki * w + kj).reshape(-1, 1)
                            + (oi * w + oj).reshape(1, -1))  # (C*K*K, Ho*Wo)
        self._cols_index_flat = self._cols_index.ravel()
        self._batch_index: dict[int, np.ndarray] = {}

    def output_shape(self, input_shape):
        c, h, w = input_shape
        k = self.kernel
        return (self.filters, h - k + 1, w - k + 1)

    def forward(self, x):
        n, c, h, w = x.shape
        k, f = self.kernel, self.filters
        cols = x.reshape(n, c * h * w).take(self._cols_index, axis=1)  # (N, C*K*K, Ho*Wo)
        W2 = self.params["W"].reshape(f, -1)
        out = (W2 @ cols[0] if n == 1 else W2 @ cols) + self.params["b"][:, None]
        self._cache = (x.shape, cols)
        return out.reshape(n, f, h - k + 1, w - k + 1)

    def infer(self, x):
        # Prediction on a batch works channel-major, (C, N, H, W) in memory: the whole batch is
        # then one gather and one 2-D product, and the next layers keep that layout for free.
        # The result is an (N, F, Ho, Wo) view of that memory.
        n, c, h, w = x.shape
        k, f = self.kernel, self.filters
        ho, wo = h - k + 1, w - k + 1
        xt = np.ascontiguousarray(x.transpose(1, 0, 2, 3))
        index = self._batch_index.get(n)
        if index is None:
            ch, ki, kj = np.meshgrid(np.arange(c), np.arange(k), np.arange(k), indexing="ij")
            nn_, oi, oj = np.meshgrid(np.arange(n), np.arange(ho), np.arange(wo), indexing="ij")
            index = ((ch * n * h * w + ki * w + kj).reshape(-1, 1)
                     + (nn_ * h * w + oi * w + oj).reshape(1, -1))  # (C*K*K, N*Ho*Wo)
            # Batches come in two sizes (full chunks and the remainder): keep both.
            if len(self._batch_index) >= 2:
                self._batch_index.clear()
            self._batch_index[n] = index
        out = self.params["W"].reshape(f, -1) @ xt.ravel().take(index)  # (F, N*Ho*Wo)
        out += self.params["b"][:, None]
        return out.reshape(f, n, ho, wo).transpose(1, 0, 2, 3)

    def backward(self, dout):
        (n, c, h, w), cols = self._cache
        f = self.filters
        W = self.params["W"]
        d = dout.reshape(n, f, -1)  # (N, F, Ho*Wo)
        W2 = W.reshape(f, -1)
        size = c * h * w
        if n == 1:  # the training step: plain 2-D products, no batch broadcasting
            d0 = d[0]
            self.grads = {"W": (d0 @ cols[0].T).reshape(W.shape), "b": d0.sum(axis=1)}
            dcols = W2.T @ d0  # (C*K*K, Ho*Wo): each window's share of dL/dx
            index = self._cols_index_flat
        else:
            self.grads = {"W": np.einsum("nfp,nqp->fq", d, cols).reshape(W.shape),
                          "b": d.sum(axis=(0, 2))}
            dcols = W2.T @ d  # (N, C*K*K, Ho*Wo)
            # Each sample's indices offset by its own C*H*W block.
            index = (self._cols_index[None] + (np.arange(n) * size)[:, None, None]).ravel()
        # Scatter-add the shares back to their input pixels in one bincount.
        dx = np.bincount(index, weights=dcols.ravel(), minlength=n * size)
        return dx.reshape(n, c, h, w)


class ReLU(Layer):
    """max(x, 0), elementwise. x: any shape -> out: same shape. extras["relu_mask"]: x > 0."""

    kind = "relu"

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def forward(self, x):
        mask = x > 0
        self.extras = {"relu_mask": mask}
        return np.where(mask, x, 0.0)

    def backward(self, dout):
        return np.where(self.extras["relu_mask"], dout, 0.0)


class MaxPool2D(Layer):
    """K x K max pooling with stride K; rows and columns past the last full window are dropped.

    x: (N, C, H, W) -> out: (N, C, H // K, W // K). extras["argmax_mask"]: bool (N, C, H, W),
    True at the position that won each window; ties go to the first maximum in row-major order.
    """

    kind = "pool"

    def __init__(self, name: str, input_shape: tuple[int, int, int], kernel: int):
        super().__init__(name)
        self.input_shape = tuple(input_shape)
        self.kernel = k = kernel
        c, h, w = self.input_shape
        ho, wo = h // k, w // k
        # Flat index (within one channel) of each window's top-left pixel, and each window
        # member's offset from it in row-major order, so argmax picks the first maximum.
        oi, oj = np.meshgrid(np.arange(ho) * k, np.arange(wo) * k, indexing="ij")
        self._corner = (oi * w + oj).ravel()  # (Ho*Wo,)
        di, dj = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
        self._offset = (di * w + dj).ravel()  # (K*K,)
        # Two layouts of the same gather: the training step's argmax is fastest along a
        # short last axis, the batch max along the first one (K*K elementwise passes).
        self._window_index = self._corner[:, None] + self._offset[None, :]  # (Ho*Wo, K*K)
        self._window_index_t = np.ascontiguousarray(self._window_index.T)  # (K*K, Ho*Wo)
        # Entry p*K*K + m of the flat window index is member m of window p: one take of
        # (that + winner) gives every winner's position within its channel.
        self._window_index_flat = self._window_index.ravel()
        self._window_start = np.arange(ho * wo) * (k * k)
        self._starts_cache: dict[int, np.ndarray] = {}

    def output_shape(self, input_shape):
        c, h, w = input_shape
        return (c, h // self.kernel, w // self.kernel)

    def _channel_starts(self, count: int) -> np.ndarray:
        """(count, 1): where each of ``count`` channel planes starts in the flat input."""
        starts = self._starts_cache.get(count)
        if starts is None:
            c, h, w = self.input_shape
            starts = (np.arange(count) * (h * w))[:, None]
            self._starts_cache = {count: starts}  # one batch size at a time: the last one
        return starts

    def forward(self, x):
        n, c, h, w = x.shape
        k = self.kernel
        flat = x.reshape(n * c, h * w)
        windows = flat.take(self._window_index, axis=1)  # (N*C, Ho*Wo, K*K)
        winner = windows.argmax(axis=2)  # argmax returns the first maximum: ties go first
        # Flat index of each winner in the whole (N*C*H*W) input.
        pos = self._window_index_flat.take(self._window_start + winner)
        pos += self._channel_starts(n * c)
        mask = np.zeros(n * c * h * w, dtype=bool)
        mask[pos] = True
        self._cache = (x.shape, pos)
        self.extras = {"argmax_mask": mask.reshape(n, c, h, w)}
        return flat.ravel().take(pos).reshape(n, c, h // k, w // k)

    def infer(self, x):
        # Works in whatever of (N, C) or (C, N) order x has in memory (see Conv2D.infer).
        n, c, h, w = x.shape
        k = self.kernel
        xt = np.ascontiguousarray(x.transpose(1, 0, 2, 3))
        windows = xt.reshape(c * n, h * w).take(self._window_index_t, axis=1)
        return windows.max(axis=1).reshape(c, n, h // k, w // k).transpose(1, 0, 2, 3)

    def backward(self, dout):
        shape, pos = self._cache
        # Windows do not overlap, so each input pixel gets at most one gradient: a put suffices.
        dx = np.zeros(math.prod(shape))  # math.prod: np.prod of a tuple costs ~4 us
        dx[pos] = dout.reshape(pos.shape)
        return dx.reshape(shape)


class Flatten(Layer):
    """x: (N, C, H, W) -> out: (N, C*H*W), C-order, so a dense weight row r maps to (c, h, w)."""

    kind = "flatten"

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x):
        self._cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self._cache)


class Dense(Layer):
    """Fully connected. x: (N, D), W: (M, D), b: (M,) -> out: (N, M) = x @ W.T + b.

    W has one row per unit (as in PyTorch), so row m reshaped to the flattened input's
    (C, H, W) is the template unit m matches against.
    """

    kind = "dense"

    def __init__(self, name: str, in_features: int, units: int, rng: np.random.Generator):
        super().__init__(name)
        self.in_features, self.units = in_features, units
        self.params["W"] = rng.standard_normal((units, in_features)) * np.sqrt(2.0 / in_features)
        self.params["b"] = np.zeros(units)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def output_shape(self, input_shape):
        return (self.units,)

    def forward(self, x):
        self._cache = x
        return x @ self.params["W"].T + self.params["b"]

    def backward(self, dout):
        x = self._cache
        # For one sample dW is an outer product; a broadcast multiply is much faster than a
        # rank-1 matrix product here.
        dW = dout.T * x if x.shape[0] == 1 else dout.T @ x
        self.grads = {"W": dW, "b": dout.sum(axis=0)}
        return dout @ self.params["W"]


def softmax(logits: np.ndarray) -> np.ndarray:
    """logits: (N, M) -> probabilities (N, M), each row summing to 1."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray
                          ) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels.

    logits: (N, M), y: (N,) -> (loss, probs (N, M), dlogits (N, M) = (probs - onehot(y)) / N)
    """
    n = logits.shape[0]
    # Shifting by the row maximum keeps exp from overflowing, and makes every row's sum of
    # exponentials at least 1, so its log (and the loss) stays finite.
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    total = e.sum(axis=1, keepdims=True)
    probs = e / total
    dlogits = probs.copy()
    if n == 1:  # the training step: plain indexing, a third of the fancy-indexing cost
        label = int(y[0])
        loss = float(np.log(total[0, 0])) - float(z[0, label])
        dlogits[0, label] -= 1.0
        return loss, probs, dlogits
    rows = np.arange(n)
    loss = float((np.log(total[:, 0]) - z[rows, y]).mean())
    dlogits[rows, y] -= 1.0
    dlogits /= n
    return loss, probs, dlogits
