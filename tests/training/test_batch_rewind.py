"""Rewinding a run trained in mini-batches: every step comes back bit for bit (weights,
Adam's moments, trace, position, the batch it trained on, curves), across epoch ends, a
batch-size change, a replayed batch and a drawn digit; the log keeps a batch taken in the
order as its first sample and size, and counts the indices of one that is not."""

import numpy as np
import pytest

from visualcnn.data.dataset import Dataset
from visualcnn.nn import Network
from visualcnn.training.debugger import Debugger
from visualcnn.training.session import Session
from visualcnn.training.step_log import ROW_BYTES

ARCH = "conv4x3p1-relu-pool2-dense10"
STEPS = 300


def dataset(n=37, seed=0):
    rng = np.random.default_rng(seed)
    return Dataset("random", rng.random((n, 1, 10, 10), dtype=np.float32),
                   rng.integers(0, 10, n).astype(np.int64),
                   rng.random((12, 1, 10, 10), dtype=np.float32),
                   rng.integers(0, 10, 12).astype(np.int64))


def snapshot(s):
    return {"state": s.net.get_state(), "position": (s.epoch, s.index_in_epoch),
            "batch": s.batch_indices, "loss": s.last_trace.loss,
            "losses": s.last_trace.losses.copy(), "lr": s.lr,
            "history": (s.history.loss.copy(), s.history.correct.copy())}


@pytest.fixture(scope="module")
def run():
    """300 steps: batches of 6, then of 16 from step 150 (37 samples: every epoch ends on
    a smaller batch), a replayed batch at step 100 and a drawn digit at step 200."""
    s = Session(dataset(), Network.from_arch(ARCH, input_shape=(1, 10, 10), optimizer="adam"),
                lr=0.003, eval_every=0, batch=6)
    # A budget for a few snapshots: jumps replay up to 63 steps from a checkpoint.
    dbg = Debugger(s, budget_bytes=400_000)
    dbg.rewind.every = 64
    saved = {}
    while s.net.step < STEPS:
        n = s.net.step + 1
        if n == 150:
            s.batch = 16
        if n == 100:
            dbg.replay()
        elif n == 200:
            drawn = np.zeros((1, 10, 10))
            drawn[0, 2:8, 4:6] = 1.0
            s.train_sample(drawn, 1, "drawn digit, target 1")
        else:
            s.step()
        saved[s.net.step] = {**snapshot(s), "seen": dbg.predictions.last.copy()}
    return s, dbg, saved


def assert_same(s, expected):
    got = snapshot(s)
    assert got["position"] == expected["position"] and got["batch"] == expected["batch"]
    assert got["loss"] == expected["loss"] and np.array_equal(got["losses"], expected["losses"])
    for key, value in expected["state"].items():
        assert np.array_equal(got["state"][key], value), key
    for a, b in zip(got["history"], expected["history"], strict=True):
        assert np.array_equal(a, b)


def test_the_run_trained_batches_of_both_sizes_and_smaller_ends_of_epochs(run):
    s, dbg, saved = run
    sizes = {len(saved[n]["batch"]) for n in saved if n != 200}
    assert {6, 16} <= sizes and sizes - {6, 16}  # a smaller batch ends an epoch
    assert saved[100]["batch"] == saved[99]["batch"]  # the replayed batch
    assert s.epoch >= 10
    assert dbg.rewind.checkpoint_steps() == [0, 64, 128, 192, 256]
    assert max(dbg.rewind.replay_length(n) for n in range(1, STEPS)) > 30


@pytest.mark.parametrize("step", [1, 63, 64, 99, 100, 101, 149, 150, 151, 199, 200, 201, 299,
                                  STEPS])
def test_going_to_any_step_gives_it_back_bit_for_bit(run, step):
    s, dbg, saved = run
    trace = dbg.go_to(step)
    assert trace.step == step
    assert_same(s, saved[step])
    # Every sample's last prediction as it was then ("prediction changed" breakpoints).
    assert np.array_equal(dbg.predictions.last, saved[step]["seen"])
    assert s.batch == 16  # the setting is the user's: going back does not change it
    dbg.go_to(STEPS)
    assert_same(s, saved[STEPS])


def test_step_back_and_forward_again_walk_the_run(run):
    s, dbg, saved = run
    dbg.go_to(160)
    for step in (159, 158, 157):
        back = dbg.step_back()
        assert back.step == step
        assert_same(s, saved[step])
    assert dbg.last_step == STEPS  # going back keeps the steps after it
    dbg.go_to(230)
    assert_same(s, saved[230])
    dbg.go_to(STEPS)


def test_a_new_batch_trained_from_a_rewound_step_continues_the_order(run):
    s, dbg, saved = run
    dbg.go_to(250)
    expected = s.next_batch_indices
    s.batch = 16
    trace = s.step()
    assert s.batch_indices == expected and trace.step == 251
    assert s.batch_indices == saved[251]["batch"]
    assert np.array_equal(trace.losses, saved[251]["losses"])
    assert dbg.last_step == STEPS  # the same step as logged: the run goes on
    dbg.go_to(251)
    assert s.batch_indices == expected


def test_the_log_keeps_a_batch_in_order_as_two_numbers_and_counts_one_out_of_order():
    s = Session(dataset(), Network.from_arch(ARCH, input_shape=(1, 10, 10)), lr=0.01,
                eval_every=0, batch=8)
    dbg = Debugger(s)
    s.step()
    log = dbg.rewind.log
    in_order = log.nbytes()
    assert in_order == ROW_BYTES * 1024  # no indices kept: the order gives them
    dbg.replay([5, 9, 2])  # not the order's
    assert log.nbytes() > in_order and log.samples(2) == (5, 9, 2)
    assert log.samples(1) == tuple(s.epoch_order(0)[:8].tolist())
    assert dbg.history_nbytes() >= log.nbytes()
    back = dbg.go_to(2)
    assert back.labels.tolist() == s.dataset.y_train[[5, 9, 2]].tolist()
    s.step()  # another step 3 in place of none: nothing forgotten but what came after
    dbg.go_to(1)
    s.step()  # a different step 2: the out-of-order batch is forgotten, and its bytes
    assert log.nbytes() == in_order


def test_weights_at_a_batched_step_leave_the_session_where_it_is(run):
    s, dbg, saved = run
    here = snapshot(s)
    for step in (130, 151, 222):
        weights = dbg.weights_at(step)
        for key, value in weights.items():
            assert np.array_equal(value, saved[step]["state"][f"param/{key}"])
    assert_same(s, here)
