'''The starting file ``visualcnn template`` writes: every function of the contract, each raising
NotImplementedError until the student writes it.'''

from __future__ import annotations

from pathlib import Path

from visualcnn.common.resources import resource, resource_candidates

TEMPLATE = '''"""My own layers, to check against visualcnn's engine.

Write any of these functions; leave the others raising NotImplementedError (they then count
as not written yet, and the engine's stay in use). Then run:

    visualcnn check {name}

Every array is a float64 NumPy array with the batch axis first, even when N is 1. Forward
functions may return a tuple whose first item is out (to keep a cache, say).
"""

import numpy as np


# ----------------------------------------------------------------------------- convolution
def conv_forward(x, W, b):
    """x: (N, C, H, W), W: (F, C, K, K), b: (F,) -> out: (N, F, H-K+1, W-K+1)

    Stride 1, no padding, and no flip of the kernel (a cross-correlation):
    out[n, f, i, j] = b[f] + sum over c, di, dj of x[n, c, i+di, j+dj] * W[f, c, di, dj]
    """
    raise NotImplementedError


def conv_backward(dout, x, W):
    """dout: (N, F, H-K+1, W-K+1), x: (N, C, H, W), W: (F, C, K, K)
    -> (dx: (N, C, H, W), dW: (F, C, K, K), db: (F,))

    Each output out[n, f, i, j] adds dout[n, f, i, j] * W[f] to dx over its window of x,
    dout[n, f, i, j] * (that window of x) to dW[f], and dout[n, f, i, j] to db[f]: db is
    summed over every sample and every position.
    """
    raise NotImplementedError


# ------------------------------------------------------------------------------------ ReLU
def relu_forward(x):
    """x: any shape -> out: same shape, max(x, 0)."""
    raise NotImplementedError


def relu_backward(dout, x):
    """dout, x: same shape -> dx: dout where x > 0, else 0 (the gradient at 0 counts as 0)."""
    raise NotImplementedError


# -------------------------------------------------------------------------------- max-pool
def maxpool_forward(x, k):
    """x: (N, C, H, W), k: int -> out: (N, C, H // k, W // k)

    k x k windows with stride k; rows and columns past the last full window are dropped.
    """
    raise NotImplementedError


def maxpool_backward(dout, x, k):
    """dout: (N, C, H // k, W // k), x: (N, C, H, W), k: int -> dx: (N, C, H, W)

    Each window's gradient goes to its maximum alone, every other entry gets 0. On a tie the
    first maximum in row-major order (left to right, then top to bottom) wins.
    """
    raise NotImplementedError


# ----------------------------------------------------------------------------------- dense
def dense_forward(x, W, b):
    """x: (N, D), W: (M, D), b: (M,) -> out: (N, M)

    W has one row per output unit: out[n, m] = b[m] + sum over d of x[n, d] * W[m, d].
    """
    raise NotImplementedError


def dense_backward(dout, x, W):
    """dout: (N, M), x: (N, D), W: (M, D) -> (dx: (N, D), dW: (M, D), db: (M,))

    dW and db are summed over the N samples.
    """
    raise NotImplementedError


# ------------------------------------------------------------------------------------ loss
def softmax_cross_entropy(logits, y):
    """logits: (N, M), y: (N,) integer labels -> (loss: float, probs: (N, M), dlogits: (N, M))

    probs = softmax of each row; loss = the mean over the N samples of -log probs[n, y[n]];
    dlogits = (probs - onehot(y)) / N. Subtract each row's largest logit before exp, or
    large logits overflow.
    """
    raise NotImplementedError
'''


def template_text(file_name: str) -> str:
    """The starting file, its instructions naming ``file_name``."""
    return TEMPLATE.replace("{name}", file_name)


def examples_folder() -> Path:
    """Where the example layer files are: inside the installed package (a wheel carries the
    repository's ``resources/`` as ``visualcnn/resources/``), else in the source tree."""
    folder = resource("examples")
    if folder is None or not folder.is_dir():
        package = resource_candidates("examples")[0].parent.parent
        raise FileNotFoundError(f"no examples folder in {package}: the installation is "
                                "incomplete")
    return folder
