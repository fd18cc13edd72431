"""Network.predict (the prediction-only path) gives what the training path's forward gives,
whatever the chunking, and reusing its working arrays never leaks one call into another."""

from __future__ import annotations

import numpy as np

from visualcnn.nn import DEEPER_ARCH, DEFAULT_ARCH, Network
from visualcnn.nn.layers import softmax


def forward_probs(net: Network, X: np.ndarray) -> np.ndarray:
    a = np.asarray(X, dtype=np.float64)
    for layer in net.layers:
        a = layer.forward(a)
    return softmax(a)


def same(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_predict_in_chunks_equals_forward_for_both_presets():
    X = np.random.default_rng(3).random((123, 1, 28, 28)).astype(np.float32)
    for arch in (DEFAULT_ARCH, DEEPER_ARCH):
        net = Network.from_arch(arch, seed=4)
        expected = forward_probs(net, X)
        # The default chunks (a remainder at the end), one image at a time, all at once.
        for batch_size in (Network.PREDICT_BATCH, 1, 7, len(X)):
            same(net.predict(X, batch_size=batch_size), expected)


def test_interleaved_predicts_of_different_networks_do_not_mix():
    """Two networks of different shapes take turns in one thread: each result is still its
    own, and repeating a call gives the same numbers bit for bit."""
    rng = np.random.default_rng(5)
    small = Network.from_arch("conv4x5-relu-pool3-dense7", (3, 17, 19), 7, seed=1)
    default = Network.from_arch(DEFAULT_ARCH, seed=2)
    xs, xd = rng.random((30, 3, 17, 19)), rng.random((60, 1, 28, 28))
    first_small, first_default = small.predict(xs), default.predict(xd)
    same(first_small, forward_probs(small, xs))
    same(first_default, forward_probs(default, xd))
    for _ in range(2):
        same(default.predict(xd[:13]), first_default[:13])  # chunks of another size
        np.testing.assert_array_equal(small.predict(xs), first_small)
        np.testing.assert_array_equal(default.predict(xd), first_default)
