"""A copy of a network (the debugger's phase walk and gradient check work on copies) computes
exactly what the network computes, and neither disturbs the other."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from visualcnn.nn import Network


@pytest.mark.parametrize("arch", ["conv8x3-pool2-dense10",
                                  "conv8x3-relu-pool2-conv16x3-relu-pool2-dense10"])
def test_a_copy_of_a_trained_network_steps_exactly_like_it(arch):
    rng = np.random.default_rng(0)
    net = Network.from_arch(arch)
    samples = rng.random((6, 1, 1, 28, 28))
    for x in samples[:3]:
        net.train_step(x, 3, 0.01)
    twin = copy.deepcopy(net)
    for x in samples[3:]:
        mine, theirs = net.forward_backward(x, 5, 0.01), twin.forward_backward(x, 5, 0.01)
        assert np.array_equal(mine.dinput, theirs.dinput)
        for a, b in zip(mine.layers, theirs.layers, strict=True):
            assert np.array_equal(a.out, b.out)
            for key in a.grads:
                assert np.array_equal(a.grads[key], b.grads[key])
    # A copy made between a forward and its backward still has the forward's windows.
    x = samples[0]
    first = net.layers[0]
    first.forward(x)
    later = copy.deepcopy(first)
    dout = rng.random((1,) + first.output_shape(first.input_shape))
    assert np.array_equal(first.backward(dout), later.backward(dout))
    assert np.array_equal(first.grads["W"], later.grads["W"])
