"""A convolution that turns the kernel by 180 degrees, as the textbook definition of
convolution does; the engine (like every deep-learning library) does not."""

import numpy as np


def conv_forward(x, W, b):
    N, C, H, Wd = x.shape
    F, _, K, _ = W.shape
    out = np.zeros((N, F, H - K + 1, Wd - K + 1))
    for n in range(N):
        for f in range(F):
            for i in range(H - K + 1):
                for j in range(Wd - K + 1):
                    window = x[n, :, i:i + K, j:j + K]
                    # The mistake: the kernel is flipped in both directions.
                    out[n, f, i, j] = np.sum(window * W[f, :, ::-1, ::-1]) + b[f]
    return out
