"""Breakpoints on a sample: by its index in the training split, and on its prediction
changing since the last time it was trained on. Steps run through a session with the
debugger attached, as Run does."""

import numpy as np

from visualcnn.data.dataset import Dataset
from visualcnn.nn import Network
from visualcnn.training.breakpoints import Breakpoints, PredictionMemory
from visualcnn.training.debugger import Debugger
from visualcnn.training.session import Session


def dataset(n=30, seed=0):
    rng = np.random.default_rng(seed)
    return Dataset("random", rng.random((n, 1, 28, 28), dtype=np.float32),
                   rng.integers(0, 10, n).astype(np.int64),
                   rng.random((10, 1, 28, 28), dtype=np.float32),
                   rng.integers(0, 10, 10).astype(np.int64))


def attached(n=30, lr=0.05, seed=0):
    s = Session(dataset(n, seed), Network.from_arch("conv8x3-pool2-dense10"), lr=lr, seed=0)
    return s, Debugger(s)


def run_until_paused(s, limit):
    """Step as Run does, stopping at the first breakpoint; the traces and their samples."""
    seen = []
    for _ in range(limit):
        trace = s.step()
        seen.append((trace, s.sample_index))
        if s.pause_reason is not None:
            break
    return seen


def test_breakpoint_on_a_sample_index_fires_on_that_sample_only():
    s, dbg = attached()
    target = int(s.epoch_order(0)[17])  # the 18th sample of the first epoch
    dbg.breakpoints = Breakpoints(sample_is=target)
    seen = run_until_paused(s, 100)
    assert len(seen) == 18
    assert [i for _, i in seen[:-1]].count(target) == 0
    trace, index = seen[-1]
    assert index == target == s.sample_index
    assert s.pause_reason == f"sample #{target} at step {trace.step} (sample #{target})"
    # On again: next time round, in the next epoch, and nowhere in between.
    seen = run_until_paused(s, 100)
    where_next = 12 + list(s.epoch_order(1)).index(target) + 1
    assert seen[-1][1] == target and len(seen) == where_next
    assert s.epoch == 1 and target not in [i for _, i in seen[:-1]]


def test_breakpoint_on_a_sample_ignores_a_replay_of_another():
    s, dbg = attached()
    first = int(s.epoch_order(0)[0])
    other = int(s.epoch_order(0)[5])
    dbg.breakpoints = Breakpoints(sample_is=other)
    s.step()
    assert s.pause_reason is None
    dbg.replay(first)
    assert s.pause_reason is None
    dbg.replay(other)
    assert s.pause_reason is not None and f"sample #{other}" in s.pause_reason


def test_prediction_changed_fires_exactly_where_a_sample_first_changes():
    s, dbg = attached(lr=0.05)
    dbg.breakpoints = Breakpoints(prediction_changed=True)
    seen = run_until_paused(s, 200)
    assert s.pause_reason is not None, "no prediction changed in 200 steps"
    # Our own record of every sample's last prediction, step by step: the first change in
    # it is the step that paused, and nothing fired during the first sighting of each.
    last = {}
    first_change = None
    for k, (trace, index) in enumerate(seen):
        if index in last and last[index] != trace.prediction and first_change is None:
            first_change = k
        last[index] = trace.prediction
    assert first_change == len(seen) - 1
    assert len(seen) > 30  # every sample was seen once first: the first epoch cannot fire
    trace, index = seen[-1]
    before = [t.prediction for t, i in seen[:-1] if i == index][-1]
    assert s.pause_reason.startswith(
        f"prediction of sample #{index} changed from {before} to {trace.prediction} at step "
        f"{trace.step}")


def test_prediction_memory_is_kept_while_the_breakpoint_is_off():
    s, dbg = attached(lr=0.05)
    seen = run_until_paused(s, 30)  # the first epoch, nothing ticked
    assert s.pause_reason is None
    dbg.breakpoints = Breakpoints(prediction_changed=True)
    seen += run_until_paused(s, 200)
    last, first_change = {}, None
    for k, (trace, index) in enumerate(seen):
        if index in last and last[index] != trace.prediction and first_change is None:
            first_change = k
        last[index] = trace.prediction
    assert first_change == len(seen) - 1 and first_change >= 30


def test_prediction_memory_is_one_small_integer_per_sample_and_starts_over():
    memory = PredictionMemory()
    a, b = dataset(50), dataset(50, seed=1)
    assert memory.record(a, 7, 3) is None
    assert memory.record(a, 7, 4) == 3
    assert memory.record(a, 7, 4) == 4
    assert memory.record(a, None, 1) is None  # a drawn digit or a test image
    assert memory.last.dtype == np.int8 and memory.last.shape == (50,)
    assert memory.last.nbytes == 50
    assert memory.record(b, 7, 2) is None  # another dataset: nothing seen yet
    assert memory.last[7] == 2 and (np.delete(memory.last, 7) == -1).all()


def test_new_dataset_in_the_session_forgets_the_predictions():
    s, dbg = attached(n=30)
    dbg.breakpoints = Breakpoints(prediction_changed=True)
    run_until_paused(s, 30)
    s2 = Session(dataset(30, seed=5), Network.from_arch("conv8x3-pool2-dense10"), lr=0.05)
    dbg.attach(s2)
    seen = run_until_paused(s2, 30)  # first sightings again: no pause in the first epoch
    assert s2.pause_reason is None and len(seen) == 30


def test_going_back_puts_each_samples_last_prediction_back():
    s, dbg = attached(n=12, lr=0.5)
    memories = {}
    for _ in range(40):  # past three epochs: samples are seen several times
        s.step()
        memories[s.net.step] = dbg.predictions.last.copy()
    for target in (39, 30, 17, 5, 0):
        dbg.go_to(target)
        expected = memories.get(target, np.full(12, -1, np.int8))
        assert np.array_equal(dbg.predictions.last, expected), target
    # Forward again along the same steps: the later predictions come back too.
    dbg.go_to(33)
    assert np.array_equal(dbg.predictions.last, memories[33])
    # Step back and train the same step: the run past it stays reachable.
    dbg.step_back()
    s.step()
    dbg.go_to(40)
    assert np.array_equal(dbg.predictions.last, memories[40])


def test_prediction_changed_after_step_back_compares_with_the_step_before():
    s, dbg = attached(n=12, lr=0.5)
    dbg.breakpoints = Breakpoints(prediction_changed=True)
    hits = []
    for _ in range(36):
        s.step()
        if s.pause_reason is not None:
            hits.append((s.net.step, s.pause_reason))
    assert hits, "the test needs a prediction that changed"
    step, reason = hits[-1]
    # Going back past the hit and training the same steps again hits it again, the same way:
    # the memory came back with the weights.
    dbg.go_to(step - 13)
    again = []
    while s.net.step < step:
        s.step()
        if s.pause_reason is not None:
            again.append((s.net.step, s.pause_reason))
    assert again and again[-1] == (step, reason)
