"""The layers of the network, NumPy only, vectorised, float64, channels-first with a batch axis.

Each layer has ``params`` and ``grads`` (dicts with the same keys), ``forward(x) -> out`` and
``backward(dout) -> dx``; ``backward`` uses what the latest ``forward`` cached. Layers never
write into an array they returned or cached: every step allocates fresh outputs, which lets a
trace keep them (read-only) without copying.
"""

from __future__ import annotations

import copy
import math
import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided

# Prediction's large working arrays, kept per thread and shape between calls: freed and
# allocated afresh on every call, arrays of megabytes go back to the system and fault their
# pages in again each time, which costs several times the arithmetic. Used only within one
# call, so layers (and networks) in the same thread can share them; never returned. Only
# arrays up to _SCRATCH_KEPT_BYTES are kept, so a caller's huge chunk does not stay resident.
_prediction_scratch = threading.local()
_SCRATCH_ARRAYS = 8
_SCRATCH_KEPT_BYTES = 16 * 2**20


def _scratch(role: str, shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised float64 array of ``shape`` for ``role``, reused from call to call."""
    arrays = getattr(_prediction_scratch, "arrays", None)
    if arrays is None:
        arrays = _prediction_scratch.arrays = {}
    key = (role, shape)
    array = arrays.get(key)
    if array is None:
        if math.prod(shape) * 8 > _SCRATCH_KEPT_BYTES:
            return np.empty(shape)
        if len(arrays) >= _SCRATCH_ARRAYS:
            arrays.clear()  # batch sizes changed: drop the old ones rather than pile them up
        array = arrays[key] = np.empty(shape)
    return array


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
        # Gather indices (im2col) for a batch, computed once: row r = (c, i, j) of the kernel,
        # column = output position; entry = flat index into one sample's C*H*W input.
        ho, wo = h - kernel + 1, w - kernel + 1
        ch, ki, kj = np.meshgrid(np.arange(c), np.arange(kernel), np.arange(kernel), indexing="ij")
        oi, oj = np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij")
        self._cols_index = ((ch * h * w + ki * w + kj).reshape(-1, 1)
                            + (oi * w + oj).reshape(1, -1))  # (C*K*K, Ho*Wo)
        self._windows_shape = (c, kernel, kernel, ho, wo)
        self._new_scratch()

    def _new_scratch(self) -> None:
        """The one-sample buffers, reused from step to step (they never leave this layer):
        the windows (C*K*K + 1, Ho*Wo), the last row all ones (see forward), and the planes
        of _add_windows."""
        c, k = self.input_shape[0], self.kernel
        self._one_sample_cols = np.ones((c * k * k + 1, math.prod(self._windows_shape[3:])))
        self._one_sample_windows = self._one_sample_cols[:-1].reshape(self._windows_shape)
        self._planes: tuple[np.ndarray, np.ndarray] | None = None

    def __deepcopy__(self, memo):
        # The scratch buffers are views of one another. Copied one by one, each view would
        # get memory of its own, and the copy would multiply stale windows (the debugger's
        # phase walk and gradient check work on copies): a copy gets fresh buffers instead.
        twin = copy.copy(self)
        memo[id(self)] = twin
        scratch = {"_one_sample_cols", "_one_sample_windows", "_planes"}
        for key, value in vars(self).items():
            if key not in scratch:
                setattr(twin, key, copy.deepcopy(value, memo))
        twin._new_scratch()
        cache = getattr(self, "_cache", None)
        if cache is not None and cache[1] is self._one_sample_cols:
            np.copyto(twin._one_sample_cols, self._one_sample_cols)  # for a backward next
            twin._cache = (cache[0], twin._one_sample_cols)
        return twin

    def output_shape(self, input_shape):
        c, h, w = input_shape
        k = self.kernel
        return (self.filters, h - k + 1, w - k + 1)

    def _windows_of(self, x: np.ndarray) -> np.ndarray:
        """The (C, K, K, Ho, Wo) view of sample x (1, C, H, W) whose entry (c, a, b, i, j) is
        x[0, c, i + a, j + b]: every window, without copying."""
        if not x.flags.c_contiguous:
            x = np.ascontiguousarray(x)
        _, sc, sh, sw = x.strides
        # The ndarray constructor: as_strided makes the same view at five times the cost.
        return np.ndarray(self._windows_shape, x.dtype, x, 0, (sc, sh, sw, sh, sw))

    def forward(self, x):
        n, c, h, w = x.shape
        k, f = self.kernel, self.filters
        W, b = self.params["W"], self.params["b"]
        if n == 1:
            # The training step. The bias rides in the product: the windows get a row of
            # ones and the weights a column holding b, so that backward's one product also
            # yields db (the sum of dout) as its last column.
            cols = self._one_sample_cols
            # A copy out of a strided view of x: several times fewer instructions than a
            # gather by index, which pays per element.
            np.copyto(self._one_sample_windows, self._windows_of(x))
            out = np.concatenate((W.reshape(f, -1), b[:, None]), axis=1) @ cols
        else:
            cols = x.reshape(n, c * h * w).take(self._cols_index, axis=1)  # (N, C*K*K, Ho*Wo)
            out = W.reshape(f, -1) @ cols
            out += b[:, None]  # in place: ``out`` is this call's own array
        self._cache = (x.shape, cols)
        return out.reshape(n, f, h - k + 1, w - k + 1)

    def infer(self, x):
        # Prediction on a batch works channel-major, (C, N, H, W) in memory, and computes the
        # output at every pixel (n, i, j), not just where a whole window fits: each kernel
        # offset (c, a, b) then reads one contiguous run of the input, x shifted by a*W + b
        # (padded at the end), so the windows are one copy out of a strided view with
        # contiguous rows, and the product is one 2-D product. The outputs past the last
        # window (i >= Ho or j >= Wo) read the next rows or image; they are dropped. The
        # result is an (N, F, Ho, Wo) view of (F, N, H, W) memory; the next layers read any
        # order.
        n, c, h, w = x.shape
        k, f = self.kernel, self.filters
        ho, wo = h - k + 1, w - k + 1
        pixels = n * h * w
        padded = _scratch("conv padded input", (c, pixels + (k - 1) * (w + 1)))
        padded[:, pixels:] = 0.0
        padded[:, :pixels].reshape(c, n, h, w)[...] = x.transpose(1, 0, 2, 3)
        step = padded.strides[1]
        shifted = np.ndarray((c, k, k, pixels), padded.dtype, padded, 0,
                             (padded.strides[0], w * step, step, step))
        cols = _scratch("conv windows", (c * k * k, pixels))
        np.copyto(cols.reshape(shifted.shape), shifted)
        out = self.params["W"].reshape(f, -1) @ cols  # (F, N*H*W), this call's own array
        out += self.params["b"][:, None]
        return out.reshape(f, n, h, w)[:, :, :ho, :wo].transpose(1, 0, 2, 3)

    def backward(self, dout):
        (n, c, h, w), cols = self._cache
        f = self.filters
        W = self.params["W"]
        if n == 1:
            d = dout.reshape(f, -1)  # (F, Ho*Wo)
            dWb = d @ cols.T  # (F, C*K*K + 1): dW, then db from the row of ones
            # dW copied out whole: a trace's arrays are contiguous, each its own block.
            self.grads = {"W": dWb[:, :-1].copy().reshape(W.shape), "b": dWb[:, -1]}
        else:
            d = dout.reshape(n, f, -1)  # (N, F, Ho*Wo)
            self.grads = {"W": np.einsum("nfp,nqp->fq", d, cols).reshape(W.shape),
                          "b": d.sum(axis=(0, 2))}
        dcols = W.reshape(f, -1).T @ d  # ([N,] C*K*K, Ho*Wo): each window's share of dL/dx
        return self._add_windows(dcols, n)

    def _add_windows(self, dcols: np.ndarray, n: int) -> np.ndarray:
        """dx (N, C, H, W): every window's share of dL/dx summed onto the pixels it read.

        Each kernel offset (a, b) writes its shares into its own zeroed plane of a buffer
        (K, K, N, C, H, W), shifted by (a, b) through a strided view; summing the K*K planes
        then adds the shares of every window a pixel belongs to: two NumPy calls in all. The
        view writes the same places every time, so the rest of the buffer stays zero and the
        one-sample buffer is kept from step to step (it never leaves this layer).
        """
        c, h, w = self.input_shape
        k = self.kernel
        ho, wo = h - k + 1, w - k + 1
        planes = self._planes if n == 1 else None
        if planes is None:
            buffer = np.zeros((k, k, n, c, h, w))
            s = buffer.strides
            view = as_strided(buffer, shape=(k, k, n, c, ho, wo),
                              strides=(s[0] + s[4], s[1] + s[5], s[2], s[3], s[4], s[5]))
            planes = (buffer, view)
            if n == 1:
                self._planes = planes
        buffer, view = planes
        view[...] = dcols.reshape(n, c, k, k, ho, wo).transpose(2, 3, 0, 1, 4, 5)
        return buffer.reshape(k * k, -1).sum(axis=0).reshape(n, c, h, w)


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
        # The training step's argmax is fastest along a short last axis.
        self._window_index = self._corner[:, None] + self._offset[None, :]  # (Ho*Wo, K*K)
        self._corners_cache: dict[int, np.ndarray] = {}

    def output_shape(self, input_shape):
        c, h, w = input_shape
        return (c, h // self.kernel, w // self.kernel)

    def _window_corners(self, planes: int) -> np.ndarray:
        """(planes, Ho*Wo): flat index of each window's top-left pixel in an input of
        ``planes`` channel planes (N*C of them)."""
        corners = self._corners_cache.get(planes)
        if corners is None:
            c, h, w = self.input_shape
            corners = (np.arange(planes) * (h * w))[:, None] + self._corner
            self._corners_cache = {planes: corners}  # one batch size at a time: the last one
        return corners

    def forward(self, x):
        n, c, h, w = x.shape
        k = self.kernel
        flat = x.reshape(n * c, h * w)
        windows = flat.take(self._window_index, axis=1)  # (N*C, Ho*Wo, K*K)
        winner = windows.argmax(axis=2)  # argmax returns the first maximum: ties go first
        # Flat index of each winner in the whole (N*C*H*W) input: its window's corner plus
        # its offset within the window.
        pos = self._offset.take(winner)
        pos += self._window_corners(n * c)
        mask = np.zeros(n * c * h * w, dtype=bool)
        mask[pos] = True  # an index assignment: half the instructions of put
        self._cache = (x.shape, pos)
        self.extras = {"argmax_mask": mask.reshape(n, c, h, w)}
        return flat.take(pos).reshape(n, c, h // k, w // k)

    def infer(self, x):
        # Works on the (C, N) memory order Conv2D.infer leaves (any order works, the result is
        # channel-major). The max of K*K strided views, one per position in the window: no
        # gather, and max is exact whatever order it sees the values in.
        n, c, h, w = x.shape
        k = self.kernel
        ho, wo = h // k, w // k
        xt = x.transpose(1, 0, 2, 3)
        out = xt[:, :, 0:ho * k:k, 0:wo * k:k].copy()  # (C, N, Ho, Wo), its own memory
        for a in range(k):
            for b in range(k):
                if a or b:
                    np.maximum(out, xt[:, :, a:ho * k:k, b:wo * k:k], out=out)
        return out.transpose(1, 0, 2, 3)

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
        out = x @ self.params["W"].T
        out += self.params["b"]  # in place: ``out`` is this call's own array
        return out

    def backward(self, dout):
        x = self._cache
        if x.shape[0] == 1:
            # dW is an outer product. einsum takes half the instructions of a broadcast
            # multiply and a quarter of a rank-1 matrix product here. db is dout's one row (a
            # view: neither is ever written again).
            self.grads = {"W": np.einsum("i,j->ij", dout[0], x[0]), "b": dout[0]}
        else:
            self.grads = {"W": dout.T @ x, "b": dout.sum(axis=0)}
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
    if n == 1:
        one = _one_sample_cross_entropy(logits, int(y[0]))
        if one is not None:
            return one
    # Shifting by the row maximum keeps exp from overflowing, and makes every row's sum of
    # exponentials at least 1, so its log (and the loss) stays finite.
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    total = e.sum(axis=1, keepdims=True)
    probs = e / total
    dlogits = probs.copy()
    rows = np.arange(n)
    loss = float((np.log(total[:, 0]) - z[rows, y]).mean())
    dlogits[rows, y] -= 1.0
    dlogits /= n
    return loss, probs, dlogits


def _one_sample_cross_entropy(logits: np.ndarray, label: int):
    """``softmax_cross_entropy`` of one row of finite logits (1, M) in Python floats: for a
    handful of classes that is half the time of the NumPy calls. None when a logit is
    infinite or NaN (the NumPy version then says what becomes of them)."""
    row = logits[0].tolist()
    if not math.isfinite(sum(row)):
        return None
    top = max(row)
    exps = [math.exp(v - top) for v in row]  # each at most 1, their sum at least 1
    total = sum(exps)
    probs = [e / total for e in exps]
    dlogits = probs.copy()
    dlogits[label] -= 1.0
    return math.log(total) - (row[label] - top), np.array([probs]), np.array([dlogits])
