"""Recognising the classic mistakes in a student's layer by what it returns, not by its source.

For each mistake we compute what the engine would return had it made that mistake (the
kernel flipped, the bias gradient left unsummed, ...). When the student's output agrees with
one of those and not with the right answer, the mistake is named. Their code is never read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from visualcnn.yours.engine import agrees, engine_outputs

MISTAKES = {
    "flipped_kernel": "the kernel looks flipped: the engine computes a cross-correlation, "
                      "x[i+di, j+dj] * W[di, dj], with W as it is, not turned by 180 degrees",
    "bias_not_summed": "the bias gradient is not summed over every sample and position: "
                       "db[f] is the sum of dout[:, f] over samples and positions (not a mean, "
                       "not one sample's)",
    "pool_every_entry": "the gradient went to every entry of a pooling window: only the "
                        "window's maximum (its winner) gets it, every other entry gets 0",
    "pool_ties": "the winner differs on ties: when entries of a window share the maximum, "
                 "the first one in row-major order wins and alone gets the gradient (scan "
                 "with >, not >=)",
    "softmax_overflow": "softmax overflowed on large logits: subtract each row's largest "
                        "logit before exp (the probabilities do not change)",
    "log_of_zero": "the loss is infinite where a probability underflowed to 0: take "
                   "log p[y] as (z[y] - max z) - log(sum of exp(z - max z))",
    "mean_forgotten": "off by the batch size N: the loss is the mean over the N samples, so "
                      "dlogits = (probs - onehot(y)) / N",
    "transposed_weights": "the weights look transposed: W has shape (M, D), one row per "
                          "output unit, so out = x @ W.T + b, dx = dout @ W, dW = dout.T @ x",
    "relu_at_zero": "the gradient passes where x == 0: the engine takes ReLU's gradient at 0 "
                    "as 0 (x > 0, not x >= 0)",
}


def _flipped(W: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(W[:, :, ::-1, ::-1])


def _pool_winners(x: np.ndarray, k: int, rule: str) -> np.ndarray:
    """(N, C, Ho, Wo, K*K) bool: which entries of each window get its gradient under ``rule``:
    "every" entry, "last" maximum in row-major order, "all" tied maxima, "column" first
    maximum in column-major order."""
    n, c, h, w = x.shape
    ho, wo = h // k, w // k
    windows = (x[:, :, :ho * k, :wo * k].reshape(n, c, ho, k, wo, k)
               .transpose(0, 1, 2, 4, 3, 5).reshape(n, c, ho, wo, k * k))
    if rule == "every":
        return np.ones(windows.shape, dtype=bool)
    is_max = windows == windows.max(axis=-1, keepdims=True)
    if rule == "all":
        return is_max
    if rule == "column":
        entry = np.arange(k * k)
        column_scan = (entry % k) * k + entry // k  # where each entry comes in a column scan
        first = np.where(is_max, column_scan, k * k).argmin(axis=-1)
    else:  # "last"
        first = k * k - 1 - is_max[..., ::-1].argmax(axis=-1)
    return np.arange(k * k) == first[..., None]


def _pool_backward_by(dout: np.ndarray, x: np.ndarray, k: int, rule: str) -> np.ndarray:
    n, c, h, w = x.shape
    ho, wo = h // k, w // k
    share = _pool_winners(x, k, rule) * dout[..., None]
    dx = np.zeros(x.shape)
    dx[:, :, :ho * k, :wo * k] = (share.reshape(n, c, ho, wo, k, k).transpose(0, 1, 2, 4, 3, 5)
                                  .reshape(n, c, ho * k, wo * k))
    return dx


def _naive_softmax_overflows(logits: np.ndarray) -> bool:
    return bool(np.max(logits) > np.log(np.finfo(np.float64).max))


# Each variant: (mistake, output index, what the engine returns had it made the mistake).
Variants = Iterator[tuple[str, int, Callable[[], np.ndarray]]]


def _variants(name: str, args: tuple, right: tuple[np.ndarray, ...]) -> Variants:
    if name == "conv_forward":
        x, W, b = args
        yield "flipped_kernel", 0, lambda: engine_outputs(name, (x, _flipped(W), b))[0]
    elif name == "conv_backward":
        dout, x, W = args
        yield "flipped_kernel", 0, lambda: engine_outputs(name, (dout, x, _flipped(W)))[0]
        yield "flipped_kernel", 1, lambda: _flipped(right[1])
        per_sample = dout.sum(axis=(2, 3))  # (N, F): summed over positions only
        unsummed = [lambda: per_sample, lambda: dout.sum(axis=0),
                    lambda: dout.mean(axis=(0, 2, 3)), lambda: per_sample.mean(axis=0)]
        # One sample's sum alone: a "db =" where "db +=" was meant keeps the last one.
        unsummed += [lambda n=n: per_sample[n] for n in range(len(dout))]
        for db in unsummed:
            yield "bias_not_summed", 2, db
    elif name == "dense_forward":
        x, W, b = args
        if W.shape[0] == W.shape[1]:
            yield "transposed_weights", 0, lambda: x @ W + b
    elif name == "dense_backward":
        dout, x, W = args
        yield "transposed_weights", 1, lambda: right[1].T
        if W.shape[0] == W.shape[1]:
            yield "transposed_weights", 0, lambda: dout @ W.T
        unsummed = [lambda: dout, lambda: dout.mean(axis=0)]
        unsummed += [lambda n=n: dout[n] for n in range(len(dout))]
        for db in unsummed:
            yield "bias_not_summed", 2, db
    elif name == "maxpool_backward":
        dout, x, k = args
        yield "pool_every_entry", 0, lambda: _pool_backward_by(dout, x, k, "every")
        yield "pool_every_entry", 0, lambda: _pool_backward_by(dout, x, k, "every") / (k * k)
        for rule in ("last", "all", "column"):
            yield "pool_ties", 0, lambda rule=rule: _pool_backward_by(dout, x, k, rule)
    elif name == "relu_backward":
        dout, x = args
        yield "relu_at_zero", 0, lambda: np.where(x >= 0, dout, 0.0)
    elif name == "softmax_cross_entropy":
        logits, y = args
        n = logits.shape[0]
        if n > 1:
            yield "mean_forgotten", 0, lambda: right[0] * n
            yield "mean_forgotten", 2, lambda: right[2] * n


def _not_finite_where_engine_is(got: tuple[np.ndarray, ...], right) -> bool:
    return any(g.shape == r.shape and bool(np.any(~np.isfinite(g) & np.isfinite(r)))
               for g, r in zip(got, right, strict=True))


def find_mistake(name: str, args: tuple, got: tuple[np.ndarray, ...]) -> str | None:
    """The classic mistake ``got`` (a student's outputs for ``name`` on ``args``, possibly of
    wrong shapes) shows, as a key of MISTAKES, or None when none fits."""
    right = engine_outputs(name, args)
    if name == "softmax_cross_entropy" and _not_finite_where_engine_is(got, right):
        return "softmax_overflow" if _naive_softmax_overflows(args[0]) else "log_of_zero"
    with np.errstate(all="ignore"):
        for mistake, output, variant in _variants(name, args, right):
            mine = got[output]
            if not agrees(mine, right[output]) and agrees(mine, variant()):
                return mistake
    return None


def hint_text(mistake: str | None) -> str | None:
    return None if mistake is None else MISTAKES[mistake]
