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
from collections.abc import Mapping

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


class PoolWinners(Mapping):
    """A max-pool's extras: ``argmax_mask`` (bool, shaped like its input, True at each
    window's winner), made from the winners' flat positions only when first read, read-only,
    and ``pool_size`` when there is one. Most steps of a Run are never drawn: they skip the
    mask."""

    def __init__(self, shape: tuple[int, ...], positions: np.ndarray, more: dict):
        # ``more``'s arrays are read-only already: one dict for every step (see MaxPool2D).
        self._shape, self._positions, self._more = shape, positions, more
        self._mask: np.ndarray | None = None

    def __getitem__(self, key: str) -> np.ndarray:
        if key != "argmax_mask":
            return self._more[key]
        if self._mask is None:
            mask = np.zeros(math.prod(self._shape), dtype=bool)
            mask[self._positions] = True  # an index assignment: half the instructions of put
            mask = mask.reshape(self._shape)
            mask.setflags(write=False)
            self._mask = mask
        return self._mask

    def __iter__(self):
        yield "argmax_mask"
        yield from self._more

    def __len__(self) -> int:
        return 1 + len(self._more)


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

    def replay_forward(self, x: np.ndarray) -> np.ndarray:
        """``forward`` for a step trained again without a trace (the rewind's replay): the
        same output and what backward needs; ``extras``, which only a trace reads, may be
        left as they were."""
        return self.forward(x)

    def replay_backward(self, dout: np.ndarray) -> None:
        """``backward`` for the first layer of a step trained again without a trace: the
        same ``grads``; dL/d(input), which only a trace shows, may be left out."""
        self.backward(dout)

    def backward_later(self, dout: np.ndarray):
        """``backward`` for the first layer of a step: ``grads`` now, and dL/d(input) as a
        function that computes it, exactly, when first asked (most steps of a Run are never
        drawn); None when this layer computes it now (then call ``backward``)."""
        return None

    def switches(self) -> list[np.ndarray]:
        """What the latest forward pass chose that the loss has a corner at: a max-pool's
        winners, a ReLU's gate. A gradient check whose nudge changes one of them sits on a
        corner, where a finite difference measures neither side's slope. None here."""
        return []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class Conv2D(Layer):
    """2-D cross-correlation with zero padding P on every side and stride S (PyTorch's Conv2d).

    x: (N, C, H, W), W: (F, C, K, K), b: (F,) -> out: (N, F, Ho, Wo) with
    Ho = (H + 2P - K) // S + 1 and Wo likewise; with P = 0, S = 1: (N, F, H-K+1, W-K+1).
    extras["padding_stride"]: [P, S], only when they are not 0 and 1.
    """

    kind = "conv"

    def __init__(self, name: str, input_shape: tuple[int, int, int], filters: int, kernel: int,
                 rng: np.random.Generator, padding: int = 0, stride: int = 1):
        super().__init__(name)
        self.input_shape = tuple(input_shape)
        self.filters, self.kernel = filters, kernel
        self.padding, self.stride = int(padding), int(stride)
        # The training step's fast path is the plain one; padding or a stride take another.
        self._plain = self.padding == 0 and self.stride == 1
        if not self._plain:
            # In every trace of this layer, for whoever reads it (the inspector's window):
            # where each output's window sits is not in the shapes alone.
            self.extras = {"padding_stride": np.array([self.padding, self.stride])}
        c, h, w = self.input_shape
        fan_in = c * kernel * kernel
        # He initialisation keeps the activations' variance steady through ReLU layers.
        self.params["W"] = rng.standard_normal((filters, c, kernel, kernel)) * np.sqrt(2.0 / fan_in)
        self.params["b"] = np.zeros(filters)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        # Gather indices (im2col) for a batch, computed once: row r = (c, i, j) of the kernel,
        # column = output position; entry = flat index into one sample's C*Hp*Wp padded input.
        p, s = self.padding, self.stride
        hp, wp = h + 2 * p, w + 2 * p
        ho, wo = (hp - kernel) // s + 1, (wp - kernel) // s + 1
        ch, ki, kj = np.meshgrid(np.arange(c), np.arange(kernel), np.arange(kernel), indexing="ij")
        oi, oj = np.meshgrid(np.arange(ho) * s, np.arange(wo) * s, indexing="ij")
        self._cols_index = ((ch * hp * wp + ki * wp + kj).reshape(-1, 1)
                            + (oi * wp + oj).reshape(1, -1))  # (C*K*K, Ho*Wo)
        self._windows_shape = (c, kernel, kernel, ho, wo)
        self._padded_shape = (c, hp, wp)
        self._new_scratch()

    def _new_scratch(self) -> None:
        """The one-sample buffers, reused from step to step (they never leave this layer):
        the windows (C*K*K + 1, Ho*Wo), the last row all ones (see forward), and the planes
        of _add_windows."""
        c, k = self.input_shape[0], self.kernel
        self._one_sample_cols = np.ones((c * k * k + 1, math.prod(self._windows_shape[3:])))
        self._one_sample_windows = self._one_sample_cols[:-1].reshape(self._windows_shape)
        self._planes: tuple[np.ndarray, np.ndarray] | None = None
        # With padding, one sample's padded input: its border stays zero, the inside is
        # overwritten by each step's sample.
        self._one_sample_padded = np.zeros((1, *self._padded_shape)) if self.padding else None

    def __deepcopy__(self, memo):
        # The scratch buffers are views of one another. Copied one by one, each view would
        # get memory of its own, and the copy would multiply stale windows (the debugger's
        # phase walk and gradient check work on copies): a copy gets fresh buffers instead.
        twin = copy.copy(self)
        memo[id(self)] = twin
        scratch = {"_one_sample_cols", "_one_sample_windows", "_planes", "_one_sample_padded"}
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
        k, p, s = self.kernel, self.padding, self.stride
        return (self.filters, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1)

    def _windows_of(self, x: np.ndarray) -> np.ndarray:
        """The (C, K, K, Ho, Wo) view of sample x (1, C, Hp, Wp), padded already, whose entry
        (c, a, b, i, j) is x[0, c, i*S + a, j*S + b]: every window, without copying."""
        if not x.flags.c_contiguous:
            x = np.ascontiguousarray(x)
        _, sc, sh, sw = x.strides
        s = self.stride
        # The ndarray constructor: as_strided makes the same view at five times the cost.
        return np.ndarray(self._windows_shape, x.dtype, x, 0, (sc, sh, sw, sh * s, sw * s))

    def _padded(self, x: np.ndarray) -> np.ndarray:
        """x (N, C, H, W) with P zeros on every side, (N, C, Hp, Wp): one sample's in this
        layer's own buffer, a batch's in a fresh array."""
        p = self.padding
        n, c, h, w = x.shape
        if n == 1:
            padded = self._one_sample_padded
        else:
            padded = np.zeros((n, *self._padded_shape))
        padded[:, :, p:p + h, p:p + w] = x
        return padded

    def _forward_padded_or_strided(self, x):
        """``forward`` with padding or a stride: the same products on the padded input's
        windows, read S apart."""
        n = x.shape[0]
        f = self.filters
        W, b = self.params["W"], self.params["b"]
        xp = self._padded(x) if self.padding else x
        if n == 1:
            cols = self._one_sample_cols  # the last row is ones: see forward
            np.copyto(self._one_sample_windows, self._windows_of(xp))
            out = np.concatenate((W.reshape(f, -1), b[:, None]), axis=1) @ cols
        else:
            cols = xp.reshape(n, -1).take(self._cols_index, axis=1)  # (N, C*K*K, Ho*Wo)
            out = W.reshape(f, -1) @ cols
            out += b[:, None]
        self._cache = (x.shape, cols)
        return out.reshape(n, f, *self._windows_shape[3:])

    def forward(self, x):
        if not self._plain:
            return self._forward_padded_or_strided(x)
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
        # order. With zero padding the input is placed inside its border of zeros; with a
        # stride the outputs between the strided ones are dropped too.
        n, c, h, w = x.shape
        k, f, p, s = self.kernel, self.filters, self.padding, self.stride
        h, w = h + 2 * p, w + 2 * p
        ho, wo = h - k + 1, w - k + 1
        pixels = n * h * w
        padded = _scratch("conv padded input", (c, pixels + (k - 1) * (w + 1)))
        if p:
            padded[...] = 0.0
            padded[:, :pixels].reshape(c, n, h, w)[:, :, p:h - p, p:w - p] = \
                x.transpose(1, 0, 2, 3)
        else:
            padded[:, pixels:] = 0.0
            padded[:, :pixels].reshape(c, n, h, w)[...] = x.transpose(1, 0, 2, 3)
        step = padded.strides[1]
        shifted = np.ndarray((c, k, k, pixels), padded.dtype, padded, 0,
                             (padded.strides[0], w * step, step, step))
        cols = _scratch("conv windows", (c * k * k, pixels))
        np.copyto(cols.reshape(shifted.shape), shifted)
        out = self.params["W"].reshape(f, -1) @ cols  # (F, N*H*W), this call's own array
        out += self.params["b"][:, None]
        return out.reshape(f, n, h, w)[:, :, :ho:s, :wo:s].transpose(1, 0, 2, 3)

    def backward(self, dout):
        return self._input_gradient(self.params["W"], self._param_grads(dout),
                                    self._cache[0][0])

    def replay_backward(self, dout):
        self._param_grads(dout)

    def backward_later(self, dout):
        # The weights of now: an update replaces the array, never writes into it.
        d, W, n = self._param_grads(dout), self.params["W"], self._cache[0][0]
        return lambda: self._input_gradient(W, d, n)

    def _input_gradient(self, W: np.ndarray, d: np.ndarray, n: int) -> np.ndarray:
        # ([N,] C*K*K, Ho*Wo): each window's share of dL/dx
        dcols = W.reshape(self.filters, -1).T @ d
        return self._add_windows(dcols, n)

    def _param_grads(self, dout):
        """Sets ``grads``; returns dout as backward's product with W takes it."""
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
        return d

    def _add_windows(self, dcols: np.ndarray, n: int) -> np.ndarray:
        """dx (N, C, H, W): every window's share of dL/dx summed onto the pixels it read.

        Each kernel offset (a, b) writes its shares into its own zeroed plane of a buffer
        (K, K, N, C, Hp, Wp), shifted by (a, b) through a strided view (S apart with a
        stride); summing the K*K planes then adds the shares of every window a pixel belongs
        to: two NumPy calls in all. The view writes the same places every time, so the rest of
        the buffer stays zero and the one-sample buffer is kept from step to step (it never
        leaves this layer). With padding, the border's shares are cut off at the end: they
        belong to zeros, not to the input.
        """
        c, hp, wp = self._padded_shape
        k, (ho, wo) = self.kernel, self._windows_shape[3:]
        planes = self._planes if n == 1 else None
        if planes is None:
            buffer = np.zeros((k, k, n, c, hp, wp))
            st, sp = buffer.strides, self.stride
            view = as_strided(buffer, shape=(k, k, n, c, ho, wo),
                              strides=(st[0] + st[4], st[1] + st[5], st[2], st[3],
                                       st[4] * sp, st[5] * sp))
            planes = (buffer, view)
            if n == 1:
                self._planes = planes
        buffer, view = planes
        view[...] = dcols.reshape(n, c, k, k, ho, wo).transpose(2, 3, 0, 1, 4, 5)
        dx = buffer.reshape(k * k, -1).sum(axis=0).reshape(n, c, hp, wp)
        p = self.padding
        if p:
            # Copied out of the border: a trace's arrays are contiguous, each its own block.
            return dx[:, :, p:hp - p, p:wp - p].copy()
        return dx


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

    def switches(self):
        return [self.extras["relu_mask"]]


class MaxPool2D(Layer):
    """K x K max pooling with stride K; rows and columns past the last full window are dropped.

    x: (N, C, H, W) -> out: (N, C, H // K, W // K). extras["argmax_mask"]: bool (N, C, H, W),
    True at the position that won each window; ties go to the first maximum in row-major order.
    extras["pool_size"]: [K], only when the windows leave rows or columns unread (the
    input's and output's sizes then do not tell K).
    """

    kind = "pool"

    def __init__(self, name: str, input_shape: tuple[int, int, int], kernel: int):
        super().__init__(name)
        self.input_shape = tuple(input_shape)
        self.kernel = k = kernel
        c, h, w = self.input_shape
        ho, wo = h // k, w // k
        # Flat index (within one channel) of each window's top-left pixel, and each window
        # member's offset from it, members in row-major order.
        oi, oj = np.meshgrid(np.arange(ho) * k, np.arange(wo) * k, indexing="ij")
        self._corner = (oi * w + oj).ravel()  # (Ho*Wo,)
        di, dj = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
        self._offset = (di * w + dj).ravel()  # (K*K,)
        self._members_cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        # The extras besides the mask, the same for every step: made and frozen once.
        self._more = _pool_size(h, w, k)
        for value in self._more.values():
            value.setflags(write=False)

    def output_shape(self, input_shape):
        c, h, w = input_shape
        return (c, h // self.kernel, w // self.kernel)

    def _members(self, planes: int) -> tuple[np.ndarray, np.ndarray]:
        """(members, corners) of an input of ``planes`` channel planes (N*C of them), as flat
        indices into it: members (K*K, planes, Ho*Wo), a row for each place in the window
        (row-major), and corners (planes, Ho*Wo), each window's top-left pixel."""
        cached = self._members_cache.get(planes)
        if cached is None:
            c, h, w = self.input_shape
            corners = (np.arange(planes) * (h * w))[:, None] + self._corner
            cached = (self._offset[:, None, None] + corners, corners)
            self._members_cache = {planes: cached}  # one batch size at a time: the last one
        return cached

    def replay_forward(self, x):
        """The pooled output, and the winners for backward: no mask for a trace."""
        n, c, h, w = x.shape
        k = self.kernel
        members, corners = self._members(n * c)
        windows = x.reshape(-1).take(members)  # (K*K, N*C, Ho*Wo)
        out = windows.max(axis=0)
        if math.isnan(out.min()):  # a NaN: argmax, with which the first NaN wins
            winner = windows.argmax(axis=0)
        else:
            # Each window's first maximum, counted as the places before it, each neither the
            # maximum nor after one. argmax along windows of four branches on every value,
            # which mispredicts on each step's new values: this way the step is 3-5 % faster.
            before = windows[:-1] != out
            for j in range(1, len(before)):
                np.logical_and(before[j], before[j - 1], out=before[j])
            winner = np.add.reduce(before.view(np.uint8), axis=0, dtype=np.intp)
        # Flat index of each winner in the whole (N*C*H*W) input: its window's corner plus
        # its offset within the window.
        pos = self._offset.take(winner)
        pos += corners
        pos.setflags(write=False)  # a trace's extras read it
        self._cache = (x.shape, pos)
        return out.reshape(n, c, h // k, w // k)

    def forward(self, x):
        out = self.replay_forward(x)
        shape, pos = self._cache
        self.extras = PoolWinners(shape, pos, self._more)
        return out

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

    def switches(self):
        return [self.extras["argmax_mask"]]


def _pool_size(h: int, w: int, k: int) -> dict[str, np.ndarray]:
    """A pool's extras entry for its window size, when its input's and output's sizes do not
    tell it (the windows leave rows or columns unread), else nothing."""
    return {"pool_size": np.array([k])} if h % k or w % k else {}


class AvgPool2D(Layer):
    """K x K average pooling with stride K; rows and columns past the last full window are
    dropped (and get zero gradient).

    x: (N, C, H, W) -> out: (N, C, H // K, W // K), out[n, c, i, j] = the mean of window (i, j).
    dx: every member of a window gets dout / K^2 of it. extras["pool_size"]: [K], only when the
    windows leave rows or columns unread.
    """

    kind = "avgpool"

    def __init__(self, name: str, input_shape: tuple[int, int, int], kernel: int):
        super().__init__(name)
        self.input_shape = tuple(input_shape)
        self.kernel = kernel

    def output_shape(self, input_shape):
        c, h, w = input_shape
        return (c, h // self.kernel, w // self.kernel)

    def _mean_of_windows(self, x: np.ndarray) -> np.ndarray:
        """(N, C, H // K, W // K): the sum of K*K strided views, one per position in the
        window, over K^2. Reads x in any memory order (Conv2D.infer leaves (C, N) order)."""
        n, c, h, w = x.shape
        k = self.kernel
        ho, wo = h // k, w // k
        out = x[:, :, 0:ho * k:k, 0:wo * k:k].copy()  # its own memory
        for a in range(k):
            for b in range(k):
                if a or b:
                    out += x[:, :, a:ho * k:k, b:wo * k:k]
        out /= k * k
        return out

    def forward(self, x):
        self._cache = x.shape
        self.extras = _pool_size(x.shape[2], x.shape[3], self.kernel)
        return self._mean_of_windows(x)

    def infer(self, x):
        return self._mean_of_windows(x)

    def backward(self, dout):
        n, c, h, w = self._cache
        k = self.kernel
        ho, wo = dout.shape[2:]
        dx = np.zeros((n, c, h, w))
        share = np.broadcast_to((dout / (k * k))[:, :, :, None, :, None], (n, c, ho, k, wo, k))
        dx[:, :, :ho * k, :wo * k] = share.reshape(n, c, ho * k, wo * k)
        return dx


class _Activation(Layer):
    """An elementwise activation. x: any shape -> out: same shape.

    extras["local_derivative"]: d(out)/d(x) at each entry, the factor backward multiplies
    dL/d(out) by: dx = dout * local_derivative.
    """

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def _out_and_derivative(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def forward(self, x):
        out, local = self._out_and_derivative(x)
        self.extras = {"local_derivative": local}
        return out

    def infer(self, x):
        return self._out_and_derivative(x)[0]

    def backward(self, dout):
        return dout * self.extras["local_derivative"]


class Sigmoid(_Activation):
    """1 / (1 + exp(-x)); local derivative out * (1 - out), at most 1/4: each sigmoid layer
    shrinks the gradient passing back through it at least fourfold."""

    kind = "sigmoid"

    def _out_and_derivative(self, x):
        # exp of -|x| only, which cannot overflow: for x >= 0, 1 / (1 + e); for x < 0,
        # e / (1 + e), the same value written without exp(-x).
        e = np.exp(-np.abs(x))
        denominator = 1.0 + e
        out = np.where(x >= 0, 1.0, e) / denominator
        # out * (1 - out) = e / (1 + e)^2 for either sign: no 1 - out that loses the digits
        # of a saturated unit.
        return out, e / (denominator * denominator)


class Tanh(_Activation):
    """tanh(x); local derivative 1 - out^2, at most 1 (at x = 0)."""

    kind = "tanh"

    def _out_and_derivative(self, x):
        out = np.tanh(x)
        return out, 1.0 - out * out


class LeakyReLU(_Activation):
    """x where x > 0, else slope * x (slope 0.01, PyTorch's default); local derivative 1 where
    x > 0, else slope. At exactly x = 0 it is the slope, as PyTorch's test x > 0 gives."""

    kind = "lrelu"

    def __init__(self, name: str, slope: float = 0.01):
        super().__init__(name)
        self.slope = float(slope)

    def _out_and_derivative(self, x):
        local = np.where(x > 0, 1.0, self.slope)
        return x * local, local

    def switches(self):
        return [self.extras["local_derivative"]]  # 1 or the slope: which side of the corner


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

    # np.dot rather than @ for these products: the same BLAS call with less on the way to it
    # (a microsecond of the forward's three, a tenth of one of dL/dx's).
    def forward(self, x):
        self._cache = x
        out = np.dot(x, self.params["W"].T)
        out += self.params["b"]  # in place: ``out`` is this call's own array
        return out

    def backward(self, dout):
        self.replay_backward(dout)
        return np.dot(dout, self.params["W"])

    def replay_backward(self, dout):
        x = self._cache
        if x.shape[0] == 1:
            # dW is an outer product: np.dot hands it to BLAS (each entry one product, as
            # exact as any other way), 6 % of the whole step faster than einsum, which beat a
            # broadcast multiply and matmul's rank-1 product. db is dout's one row (a view:
            # neither is ever written again).
            self.grads = {"W": np.dot(dout.T, x), "b": dout[0]}
        else:
            self.grads = {"W": dout.T @ x, "b": dout.sum(axis=0)}


# The elementwise activations by their kind (an architecture token of the same name).
ACTIVATIONS: dict[str, type[Layer]] = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh,
                                       "lrelu": LeakyReLU}


def build_layer(spec, rng: np.random.Generator) -> Layer:
    """The layer a ``visualcnn.nn.arch.LayerSpec`` describes; conv and dense layers draw their
    weights from ``rng``, in the order the network builds them."""
    if spec.kind == "conv":
        return Conv2D(spec.name, spec.shape_in, spec.filters, spec.kernel, rng,
                      padding=spec.padding, stride=spec.stride)
    if spec.kind in ACTIVATIONS:
        return ACTIVATIONS[spec.kind](spec.name)
    if spec.kind == "pool":
        return MaxPool2D(spec.name, spec.shape_in, spec.kernel)
    if spec.kind == "avgpool":
        return AvgPool2D(spec.name, spec.shape_in, spec.kernel)
    if spec.kind == "flatten":
        return Flatten(spec.name)
    if spec.kind == "dense":
        return Dense(spec.name, spec.shape_in[0], spec.units, rng)
    raise ValueError(f"{spec.name}: no layer of kind {spec.kind!r}")


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
