"""replay_step (the rewind's step without a trace) trains exactly what train_step trains: the
layers' replay passes leave out what only a trace reads, never a number of the step."""

import copy

import numpy as np
import pytest

from visualcnn.nn.network import Network, replay_step

ARCHS = ["conv8x3-pool2-dense10", "conv4x3-relu-pool3-conv4x3p1s2-tanh-dense10",
         "conv4x5-lrelu-avgpool2-dense10", "conv3x3-sigmoid-pool2-dense10"]


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_replayed_steps_give_the_trained_weights_bit_for_bit(arch, optimizer):
    rng = np.random.default_rng(5)
    trained = Network.from_arch(arch, seed=2, optimizer=optimizer,
                                momentum=0.9 if optimizer == "momentum" else 0.0)
    replayed = copy.deepcopy(trained)
    for step in range(6):
        if step % 3 == 2:  # a mini-batch now and then
            x, y = rng.random((4, 1, 28, 28)), [int(v) for v in rng.integers(0, 10, 4)]
        else:
            x, y = rng.random((1, 28, 28)), int(rng.integers(0, 10))
        lr = 0.05 / (step + 1)
        trace = trained.train_step(x, y, lr)
        numbers = replay_step(replayed, x, y, lr)
        assert numbers.loss == trace.loss
        assert numbers.prediction == trace.prediction
        assert numbers.dinput is None  # only a trace shows dL/d(input)
        for layer in trained.layers:
            theirs = numbers.layer(layer.name)
            for k, g in trace.layer(layer.name).grads.items():
                np.testing.assert_array_equal(theirs.grads[k], g)
    assert replayed.step == trained.step
    for (_, key, mine), (_, _, theirs) in zip(replayed.parameters(), trained.parameters(),
                                              strict=True):
        np.testing.assert_array_equal(mine, theirs, err_msg=key)
    for key, value in trained.optimizer_arrays().items():
        np.testing.assert_array_equal(replayed.optimizer_arrays()[key], value)


def test_a_replayed_step_leaves_the_next_traced_step_whole():
    """After replayed steps (no masks made), the next full step's trace has its own."""
    net = Network.from_arch("conv8x3-relu-pool2-dense10", seed=1)
    rng = np.random.default_rng(0)
    first = net.train_step(rng.random((1, 28, 28)), 3, 0.01)
    for _ in range(2):
        replay_step(net, rng.random((1, 28, 28)), 4, 0.01)
    x = rng.random((1, 28, 28))
    last = net.train_step(x, 5, 0.01)
    pool = last.layer("pool1")
    mask = pool.extras["argmax_mask"]
    # The mask marks one winner a window, the value this step's pool output holds.
    assert mask.sum() == pool.out.size
    winners = np.where(mask, pool.x, -np.inf).reshape(1, 8, 13, 2, 13, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(winners, pool.out)
    assert not np.array_equal(mask, first.layer("pool1").extras["argmax_mask"])
