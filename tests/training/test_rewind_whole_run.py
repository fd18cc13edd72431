"""Rewinding the whole run: any step of it comes back bit for bit (weights, velocity, trace,
curves, position, learning rate) from the nearest snapshot and the step log, within a byte
budget that thins the oldest snapshots."""

import numpy as np
import pytest

from visualcnn.data.dataset import Dataset
from visualcnn.nn import Network
from visualcnn.training.debugger import Debugger
from visualcnn.training.memory import MB
from visualcnn.training.session import Session

DEFAULT = "conv8x3-pool2-dense10"


def dataset(n=50, seed=0):
    rng = np.random.default_rng(seed)
    return Dataset("random", rng.random((n, 1, 28, 28), dtype=np.float32),
                   rng.integers(0, 10, n).astype(np.int64),
                   rng.random((30, 1, 28, 28), dtype=np.float32),
                   rng.integers(0, 10, 30).astype(np.int64))


def drawing():
    x = np.zeros((1, 28, 28))
    x[0, 5:23, 12:16] = 1.0
    return x


def run(steps, saved_at, momentum=0.0, budget=100 * MB, lr_changes=None, every=None):
    """Train ``steps`` steps (lr changes, a drawn digit and a test image in the middle) and
    keep what each step of ``saved_at`` left behind."""
    s = Session(dataset(), Network.from_arch(DEFAULT, momentum=momentum), lr=0.01, seed=0,
                eval_every=250)
    dbg = Debugger(s, budget_bytes=budget)
    if every is not None:
        dbg.rewind.every = every  # a short run thins as a long one would
    lr_changes = lr_changes or {steps // 5: 0.03, steps // 2: 0.005, 4 * steps // 5: 0.02}
    saved = {}
    for n in range(1, steps + 1):
        if n in lr_changes:
            s.set_lr(lr_changes[n])
        if n == steps // 2:
            trace = s.train_sample(drawing(), 7, "drawn, target 7")
        elif n == steps // 2 + 3:
            trace = s.train_sample(s.dataset.x_test[5], int(s.dataset.y_test[5]), "test #5")
        else:
            trace = s.step()
        if n in saved_at:
            saved[n] = dict(trace=trace, state=s.net.get_state(), lr=s.lr,
                            loss=s.history.loss.copy(), loss_avg=s.history.loss_avg.copy(),
                            tests=s.history.test_steps.copy(),
                            position=(s.epoch, s.index_in_epoch, s.sample_index))
    return s, dbg, saved


def assert_same_trace(a, b):
    assert (a.step, a.label, a.loss, a.lr) == (b.step, b.label, b.loss, b.lr)
    np.testing.assert_array_equal(a.input, b.input)
    for la, lb in zip(a.layers, b.layers, strict=True):
        for x, y in ((la.out, lb.out), (la.dx, lb.dx)):
            assert np.array_equal(x, y)
        for group in ("params", "grads", "updates"):
            for k in getattr(la, group):
                assert np.array_equal(getattr(la, group)[k], getattr(lb, group)[k])


def assert_at(s, trace, expected):
    assert_same_trace(trace, expected["trace"])
    for key, value in s.net.get_state().items():
        assert np.array_equal(value, expected["state"][key]), key
    assert s.lr == expected["lr"]
    assert np.array_equal(s.history.loss, expected["loss"])
    assert np.array_equal(s.history.loss_avg, expected["loss_avg"])
    assert np.array_equal(s.history.test_steps, expected["tests"])
    assert (s.epoch, s.index_in_epoch, s.sample_index) == expected["position"]


STEPS = 3000
TARGETS = [1, 127, 128, 129, 600, 1499, 1500, 1501, 1503, 1504, 2999, 3000]


def test_any_step_of_a_3000_step_run_comes_back_bit_for_bit():
    s, dbg, saved = run(STEPS, set(TARGETS))
    assert dbg.first_step == 0 and dbg.last_step == STEPS
    # Far jumps in both directions, in an order no cache can have prepared.
    for n in [1503, 129, 3000, 1, 2999, 600, 1500, 128, 1504, 127, 1501, 1499]:
        assert_at(s, dbg.go_to(n), saved[n])
    assert s.note_for(dbg.go_to(1500)) == "drawn, target 7"
    assert s.note_for(dbg.go_to(1503)) == "test #5"
    assert dbg.go_to(0) is None and s.net.step == 0 and len(s.history) == 0
    assert dbg.last_step == STEPS  # going back keeps the rest of the run


def test_momentum_velocities_come_back_too():
    targets = {1, 64, 149, 150, 151, 152, 299}
    s, dbg, saved = run(300, targets, momentum=0.9)
    for n in sorted(targets, reverse=True):
        assert_at(s, dbg.go_to(n), saved[n])


def test_a_small_budget_thins_the_oldest_snapshots_and_every_step_still_comes_back():
    point = 13_610 * 8
    budget = 12 * point
    targets = {1, 17, 150, 151, 153, 300, 599, 600}
    s, dbg, saved = run(600, targets, budget=budget, every=16)
    rewind = dbg.rewind
    assert dbg.history_nbytes() <= budget
    steps = rewind.checkpoint_steps()
    assert steps[0] == 0 and len(steps) < 600 // 16
    gaps = np.diff(steps)
    assert gaps[0] > gaps[-1]  # thinned at the old end, not the new one
    assert rewind.replay_length(steps[1]) > rewind.replay_length(steps[-1])
    for n in [1, 600, 150, 17, 599, 153, 300, 151]:
        assert_at(s, dbg.go_to(n), saved[n])
        assert dbg.history_nbytes() <= budget


def test_a_different_step_after_going_back_starts_a_new_branch_the_same_one_keeps_the_run():
    s, dbg, saved = run(200, {150, 151})
    dbg.go_to(150)
    s.step()  # the step the run made next: nothing is lost
    assert dbg.last_step == 200 and s.net.step == 151
    assert_at(s, s.last_trace, saved[151])
    dbg.go_to(150)
    s.set_lr(0.5)
    s.step()  # another step 151: the old 151 to 200 are gone
    assert dbg.last_step == 151
    with pytest.raises(ValueError, match="not in the run"):
        dbg.go_to(152)
    assert_at(s, dbg.go_to(150), saved[150])


def test_a_reset_starts_a_new_run():
    s, dbg, _ = run(50, set())
    s.reset()
    assert not dbg.can_step_back and dbg.first_step is None
    s.step()
    assert dbg.first_step == 0 and dbg.last_step == 1
