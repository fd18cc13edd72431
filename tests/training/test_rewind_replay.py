"""A jump trains the logged steps again through a lean path (no full trace for the steps on the
way): the weights, the momentum velocity and every number of the curves must come out bit for
bit as training them normally did."""

import numpy as np
import pytest

from visualcnn.data.dataset import Dataset
from visualcnn.nn import Network
from visualcnn.nn.network import replay_step
from visualcnn.training.debugger import Debugger
from visualcnn.training.session import Session

DEFAULT = "conv8x3-pool2-dense10"
CURVES = ("steps", "loss", "correct", "loss_avg", "accuracy_avg", "grad_norm", "update_ratio")


def dataset(n=40, seed=3):
    rng = np.random.default_rng(seed)
    return Dataset("random", rng.random((n, 1, 28, 28), dtype=np.float32),
                   rng.integers(0, 10, n).astype(np.int64),
                   rng.random((20, 1, 28, 28), dtype=np.float32),
                   rng.integers(0, 10, 20).astype(np.int64))


def session(data, momentum):
    return Session(data, Network.from_arch(DEFAULT, momentum=momentum), lr=0.02, seed=1,
                   eval_every=0)


def assert_same_state(a: Network, b: Network):
    sa, sb = a.get_state(), b.get_state()
    assert sa.keys() == sb.keys()
    for key in sa:
        assert np.array_equal(sa[key], sb[key]), key
    assert a.step == b.step


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_replay_step_updates_weights_and_velocity_as_train_step_does(momentum):
    data = dataset()
    trained = Network.from_arch(DEFAULT, momentum=momentum)
    replayed = Network.from_arch(DEFAULT, momentum=momentum)
    for n in range(300):
        x, y, lr = data.x_train[n % 40], int(data.y_train[n % 40]), 0.01 + 0.0001 * (n % 7)
        trace = trained.train_step(x, y, lr)
        numbers = replay_step(replayed, x, y, lr)
        assert (numbers.step, numbers.loss, numbers.lr, numbers.correct) == (
            trace.step, trace.loss, trace.lr, trace.correct)
        assert numbers.dinput is None  # a trace's alone
        for lt in trace.layers:
            mine = numbers.layer(lt.name)
            for what in ("grads", "updates", "params"):
                ours, theirs = getattr(mine, what), getattr(lt, what)
                assert ours.keys() == theirs.keys()
                assert all(np.array_equal(ours[k], theirs[k]) for k in ours)
    assert_same_state(trained, replayed)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_seek_replaying_steps_gives_the_curves_and_weights_of_training_them(momentum):
    data = dataset()
    trained, replaying = session(data, momentum), session(data, momentum)
    logged = []
    for n in range(1, 301):
        if n in (90, 200):
            trained.set_lr(trained.lr * 1.5)
        index = trained.next_sample_index
        last = trained.step()
        logged.append((data.x_train[index], int(data.y_train[index]), trained.lr, None))
    replayed = []
    trace = replaying.seek(trained.epoch, trained.index_in_epoch, trained.sample_index,
                           replay=logged, after=replayed.append)
    assert_same_state(trained.net, replaying.net)
    for name in CURVES:
        assert np.array_equal(getattr(trained.history, name),
                              getattr(replaying.history, name), equal_nan=True), name
    assert trained.history.mark()[0] == replaying.history.mark()[0]
    assert np.array_equal(trained.history.mark()[1], replaying.history.mark()[1])
    assert [t.step for t in replayed] == list(range(1, 301))
    # The step shown at the end is a full trace, as training it gave it.
    assert trace is replayed[-1] and trace.step == last.step and trace.loss == last.loss
    for a, b in zip(trace.layers, last.layers, strict=True):
        assert np.array_equal(a.out, b.out) and np.array_equal(a.dx, b.dx)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_jump_back_and_forth_gives_each_step_back_bit_for_bit(momentum):
    data = dataset()
    s = session(data, momentum)
    dbg = Debugger(s)
    dbg.rewind.every = 64  # jumps replay up to 64 steps
    saved = {}
    for _ in range(400):
        trace = s.step()
        if trace.step in (37, 150, 151, 399):
            saved[trace.step] = (s.net.get_state(), s.history.loss.copy(),
                                 s.history.grad_norm.copy(), trace)
    for target in (150, 37, 399, 151, 37):
        shown = dbg.go_to(target)
        state, loss, grad_norm, trace = saved[target]
        assert all(np.array_equal(v, state[k]) for k, v in s.net.get_state().items())
        assert np.array_equal(s.history.loss, loss)
        assert np.array_equal(s.history.grad_norm, grad_norm)
        assert shown.step == target and shown.loss == trace.loss
        assert np.array_equal(shown.layer("conv1").out, trace.layer("conv1").out)


def test_the_rewind_benchmark_reports_the_cost_of_a_replayed_step():
    from visualcnn.bench.rewind import format_rewind, rewind_benchmark

    result = rewind_benchmark(dataset(), steps=400, jumps=12, budget_mb=1)
    assert result["bit_exact"] is True
    assert result["replay_steps_max"] >= 64  # 1 MB holds a few snapshots: long replays
    assert result["replayed_step_us_p50"] > 0
    assert "us a replayed step" in format_rewind(result)
