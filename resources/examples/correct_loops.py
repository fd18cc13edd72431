"""Every layer written the way a student first writes it: plain loops, one number at a time.

It is slow, and it is right: `visualcnn check correct_loops.py` passes every function.
"""

import math

import numpy as np


def conv_forward(x, W, b):
    N, C, H, Wd = x.shape
    F, _, K, _ = W.shape
    out = np.zeros((N, F, H - K + 1, Wd - K + 1))
    for n in range(N):
        for f in range(F):
            for i in range(H - K + 1):
                for j in range(Wd - K + 1):
                    total = b[f]
                    for c in range(C):
                        for di in range(K):
                            for dj in range(K):
                                total += x[n, c, i + di, j + dj] * W[f, c, di, dj]
                    out[n, f, i, j] = total
    return out


def conv_backward(dout, x, W):
    N, F, Ho, Wo = dout.shape
    K = W.shape[2]
    dx = np.zeros(x.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(F)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    g = dout[n, f, i, j]
                    db[f] += g
                    dW[f] += g * x[n, :, i:i + K, j:j + K]
                    dx[n, :, i:i + K, j:j + K] += g * W[f]
    return dx, dW, db


def relu_forward(x):
    out = x.copy()
    out[out < 0] = 0.0
    return out


def relu_backward(dout, x):
    dx = dout.copy()
    dx[x <= 0] = 0.0
    return dx


def _winner(x, n, c, i, j, k):
    # Scanning with a strict > keeps the first of equal maxima.
    best_r, best_s = i * k, j * k
    for r in range(i * k, i * k + k):
        for s in range(j * k, j * k + k):
            if x[n, c, r, s] > x[n, c, best_r, best_s]:
                best_r, best_s = r, s
    return best_r, best_s


def maxpool_forward(x, k):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H // k, W // k))
    for n in range(N):
        for c in range(C):
            for i in range(H // k):
                for j in range(W // k):
                    r, s = _winner(x, n, c, i, j, k)
                    out[n, c, i, j] = x[n, c, r, s]
    return out


def maxpool_backward(dout, x, k):
    N, C, Ho, Wo = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    r, s = _winner(x, n, c, i, j, k)
                    dx[n, c, r, s] += dout[n, c, i, j]
    return dx


def dense_forward(x, W, b):
    N, D = x.shape
    M = W.shape[0]
    out = np.zeros((N, M))
    for n in range(N):
        for m in range(M):
            out[n, m] = b[m] + sum(x[n, d] * W[m, d] for d in range(D))
    return out


def dense_backward(dout, x, W):
    N, M = dout.shape
    dx = np.zeros(x.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(M)
    for n in range(N):
        for m in range(M):
            dx[n] += dout[n, m] * W[m]
            dW[m] += dout[n, m] * x[n]
            db[m] += dout[n, m]
    return dx, dW, db


def softmax_cross_entropy(logits, y):
    N, M = logits.shape
    probs = np.zeros((N, M))
    dlogits = np.zeros((N, M))
    loss = 0.0
    for n in range(N):
        top = max(logits[n])
        exps = [math.exp(z - top) for z in logits[n]]
        total = sum(exps)
        for m in range(M):
            probs[n, m] = exps[m] / total
        loss += math.log(total) - (logits[n, y[n]] - top)
        for m in range(M):
            dlogits[n, m] = (probs[n, m] - (1.0 if m == y[n] else 0.0)) / N
    return loss / N, probs, dlogits
