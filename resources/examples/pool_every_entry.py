"""A max-pool whose backward pass hands each window's gradient to all of its entries."""

import numpy as np


def maxpool_forward(x, k):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H // k, W // k))
    for i in range(H // k):
        for j in range(W // k):
            out[:, :, i, j] = x[:, :, i * k:i * k + k, j * k:j * k + k].max(axis=(2, 3))
    return out


def maxpool_backward(dout, x, k):
    N, C, Ho, Wo = dout.shape
    dx = np.zeros(x.shape)
    for i in range(Ho):
        for j in range(Wo):
            # The mistake: every entry of the window gets the gradient, not only the maximum.
            dx[:, :, i * k:i * k + k, j * k:j * k + k] += dout[:, :, i, j][:, :, None, None]
    return dx
