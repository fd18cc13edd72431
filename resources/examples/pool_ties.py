"""A max-pool that is right except on ties: scanning with >= lets a later equal value win."""

import numpy as np


def maxpool_backward(dout, x, k):
    N, C, Ho, Wo = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    best_r, best_s = i * k, j * k
                    for r in range(i * k, i * k + k):
                        for s in range(j * k, j * k + k):
                            # The mistake: >= gives a tie to the last maximum, not the first.
                            if x[n, c, r, s] >= x[n, c, best_r, best_s]:
                                best_r, best_s = r, s
                    dx[n, c, best_r, best_s] += dout[n, c, i, j]
    return dx
