"""A dense layer right in its forward pass whose weight gradient comes out transposed."""


def dense_forward(x, W, b):
    return x @ W.T + b


def dense_backward(dout, x, W):
    dx = dout @ W
    # The mistake: x.T @ dout is (D, M); W, and so dW, is (M, D).
    dW = x.T @ dout
    db = dout.sum(axis=0)
    return dx, dW, db
