"""A convolution whose bias gradient keeps only the last sample of the batch."""

import numpy as np


def conv_backward(dout, x, W):
    N, F, Ho, Wo = dout.shape
    K = W.shape[2]
    dx = np.zeros(x.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(F)
    for n in range(N):
        for f in range(F):
            # The mistake: = instead of +=, so each sample overwrites the one before.
            db[f] = np.sum(dout[n, f])
            for i in range(Ho):
                for j in range(Wo):
                    dW[f] += dout[n, f, i, j] * x[n, :, i:i + K, j:j + K]
                    dx[n, :, i:i + K, j:j + K] += dout[n, f, i, j] * W[f]
    return dx, dW, db
