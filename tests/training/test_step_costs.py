"""What a session step keeps and converts, held to what it must: a sample converted with
its chunk is the sample converted alone, and the rewind's cache stays a few snapshots, taken
every few steps of a fast Run (a cache of hundreds made each step write its weights into memory
out of every CPU cache; one every step cost 4 % of Run), while Step back replays a few steps
at most, then one."""

import dataclasses

import numpy as np
import pytest

from visualcnn.data.dataset import Dataset
from visualcnn.data.pixels import Pixels
from visualcnn.nn import Network
from visualcnn.training import rewind as rewind_module
from visualcnn.training.breakpoints import PENDING_ENTRIES, Breakpoints, PredictionMemory
from visualcnn.training.debugger import Debugger
from visualcnn.training.rewind import CACHE_EVERY, CACHE_REPLAYED, CACHE_STEPS, CHECKPOINT_EVERY
from visualcnn.training.sample_feed import CHUNK, EpochFeed
from visualcnn.training.session import Session
from visualcnn.training.step_log import PENDING_ROWS, StepLog

DEFAULT = "conv8x3-pool2-dense10"


def _bytes_dataset(n_train, seed=0):
    rng = np.random.default_rng(seed)
    return Dataset("bytes", Pixels(rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8)),
                   rng.integers(0, 10, n_train).astype(np.int64),
                   Pixels(rng.integers(0, 256, (7, 28, 28), dtype=np.uint8)),
                   rng.integers(0, 10, 7).astype(np.int64))


@pytest.mark.parametrize("floats", [False, True])
def test_the_feed_hands_out_each_sample_as_indexing_the_split_gives_it(floats):
    data = _bytes_dataset(CHUNK * 2 + 11, seed=1)
    if floats:  # a split held as float32 rather than bytes
        data = dataclasses.replace(data, x_train=np.asarray(data.x_train))
    feed, rng = EpochFeed(), np.random.default_rng(2)
    orders = {e: rng.permutation(len(data.y_train)) for e in range(2)}
    # In order across chunk ends, then jumps back, into another epoch, and a new dataset.
    visits = [(0, p) for p in range(len(data.y_train))] + [(0, 3), (1, CHUNK + 5), (0, 70)]
    for epoch, position in visits:
        index, x, label = feed.sample(data, epoch, orders[epoch], position)
        assert index == orders[epoch][position]
        np.testing.assert_array_equal(x.view(np.uint32),
                                      data.x_train[index].view(np.uint32))  # bit for bit
        assert label == data.y_train[index] and type(label) is int
    other = _bytes_dataset(CHUNK, seed=3)
    index, x, label = feed.sample(other, 0, orders[0][:CHUNK] % CHUNK, 0)
    np.testing.assert_array_equal(x, other.x_train[index])


def test_a_run_trains_on_the_same_floats_as_steps_on_each_sample_alone():
    data = _bytes_dataset(150)
    session = Session(data, Network.from_arch(DEFAULT), lr=0.05, seed=4, eval_every=0)
    alone = Network.from_arch(DEFAULT)
    for _ in range(170):  # past an epoch's end
        index = session.next_sample_index
        trace = session.step()
        theirs = alone.train_step(data.x_train[index], int(data.y_train[index]), 0.05)
        assert trace.loss == theirs.loss
    for (layer, key, mine), (_, _, theirs) in zip(session.net.parameters(), alone.parameters(),
                                                   strict=True):
        np.testing.assert_array_equal(mine, theirs, err_msg=f"{layer.name}/{key}")


class _Clock:
    """A stand-in for ``perf_counter`` that moves ``tick`` seconds a reading."""

    def __init__(self, tick):
        self.now, self.tick = 0.0, tick

    def __call__(self):
        self.now += self.tick
        return self.now


FAST, SLOW = 1e-6, 10 * rewind_module.CACHE_SECONDS  # seconds a clock reading (a step)


@pytest.mark.parametrize("tick", [FAST, SLOW])
def test_the_rewind_caches_a_few_steps_however_large_its_budget(monkeypatch, tick):
    # A fast machine's Run, and a slow one's (each step its own snapshot): the same walk back.
    monkeypatch.setattr(rewind_module, "perf_counter", _Clock(tick))
    data = _bytes_dataset(300)
    session = Session(data, Network.from_arch(DEFAULT), lr=0.02, eval_every=0)
    debugger = Debugger(session)  # 100 MB: room for hundreds of steps of this network
    # Past the step where the grid's part of the cache is full (checkpoints are not cached).
    grid = [n for n in range(CACHE_EVERY, 10 ** 6, CACHE_EVERY) if n % CHECKPOINT_EVERY]
    head = grid[CACHE_STEPS] + 3
    for _ in range(head):
        session.step()
    rewind = debugger.rewind
    kinds = 2 if tick == SLOW else 1  # the grid's snapshots, and the slow steps' own
    assert len(rewind.cache) == kinds * CACHE_STEPS
    # The run's memory: the checkpoints and the few cached steps, not a budget's worth.
    points = len(rewind.checkpoint_steps()) + kinds * CACHE_STEPS
    assert debugger.history_nbytes() < (points + 1) * rewind._point_nbytes + 10 ** 6
    # Step back from the head replays at most CACHE_EVERY steps, and caches the last ones it
    # replays: most of the next ones cost one step.
    lengths = []
    for step in range(head - 1, head - 1 - 3 * CACHE_EVERY, -1):
        lengths.append(rewind.replay_length(step))
        debugger.go_to(step)
    assert max(lengths) <= CACHE_EVERY and lengths.count(1) > 3 * len(lengths) // 4
    target = head - 4 * CACHE_EVERY - 5  # a jump further back, then Step back from there
    debugger.go_to(target)
    assert rewind.replay_length(target) == 1
    assert all(rewind.replay_length(target - back) <= CACHE_EVERY
               for back in range(CACHE_REPLAYED))
    assert len(rewind.cache) <= 2 * CACHE_STEPS


@pytest.mark.parametrize("tick, spacing", [(FAST, CACHE_EVERY), (SLOW, 1)])
def test_the_cache_snapshots_every_few_fast_steps_and_every_slow_one(monkeypatch, tick, spacing):
    # A fast Run is snapshotted every CACHE_EVERY steps; steps slower than CACHE_SECONDS
    # (a big network, or a user pressing Step) each get one, so that Step back never
    # replays more than about CACHE_SECONDS of training.
    monkeypatch.setattr(rewind_module, "perf_counter", _Clock(tick))
    session = Session(_bytes_dataset(100), Network.from_arch(DEFAULT), lr=0.02, eval_every=0)
    debugger = Debugger(session)
    steps = 5 * CACHE_EVERY + 3
    for _ in range(steps):
        session.step()
    # Checkpoints are kept apart from the cache.
    grid = [n for n in range(CACHE_EVERY, steps + 1, CACHE_EVERY) if n % CHECKPOINT_EVERY]
    others = [n for n in range(1, steps + 1) if n % CACHE_EVERY][-CACHE_STEPS:]
    assert debugger.rewind.cache.steps == (grid if spacing > 1 else sorted(grid + others))
    assert debugger.rewind.replay_length(steps) == (3 if spacing > 1 else 1)


def test_breakpoints_know_whether_any_is_ticked_after_a_change():
    none = Breakpoints()
    assert not none.any_ticked
    assert dataclasses.replace(none, loss_above=2.0).any_ticked
    assert dataclasses.replace(none, grad_norm_below={"conv1": 0.1}).any_ticked
    assert not dataclasses.replace(Breakpoints(at_step=3), at_step=None).any_ticked


def test_the_prediction_memory_goes_back_and_forth_with_entries_waiting_to_be_written():
    # The newest entries wait as tuples (PENDING_ENTRIES at a time): every way of reading
    # the log sees them as if they had been written at once.
    class Data:
        y_train = np.zeros(30, np.int64)
        classes = 10

    rng = np.random.default_rng(4)
    memory = PredictionMemory()
    records = []  # (step, sample, prediction) in order
    for step in range(1, 3 * PENDING_ENTRIES + 11):
        sample, prediction = int(rng.integers(30)), int(rng.integers(10))
        memory.record(Data, sample, prediction, step=step)
        records.append((step, sample, prediction))

    def expected(step):
        last = np.full(30, -1)
        for s, sample, prediction in records:
            if s <= step:
                last[sample] = prediction
        return last

    head = records[-1][0]
    for target in [head - 1, head - 70, 5, 0, head - 3, head]:
        memory.go_to(target)
        np.testing.assert_array_equal(memory.last, expected(target), err_msg=str(target))
    # Trained again along the logged steps, then on a new branch from step 100.
    memory.go_to(90)
    for step, sample, prediction in records[90:100]:
        memory.record(Data, sample, prediction, step=step)
    memory.go_to(head)
    np.testing.assert_array_equal(memory.last, expected(head))
    memory.go_to(100)
    records = records[:100]
    for step in range(101, 101 + PENDING_ENTRIES + 5):
        sample, prediction = int(rng.integers(30)), int(rng.integers(10))
        assert memory.record(Data, sample, prediction, step=step) == (
            None if expected(step - 1)[sample] < 0 else expected(step - 1)[sample])
        records.append((step, sample, prediction))
    for target in [150, 120, 101, 100, 40]:
        memory.go_to(target)
        np.testing.assert_array_equal(memory.last, expected(target), err_msg=str(target))


def test_the_step_log_reads_its_newest_steps_before_they_are_written():
    # Run's steps wait as tuples (PENDING_ROWS at a time); a batch, a drawn digit, a read,
    # a truncation and the columns' growth all see every step as logged.
    class Trace:
        def __init__(self, lr, image=None):
            self.lr, self.label = lr, 3
            self.input = image

    log = StepLog(10, capacity=50, order=lambda epoch: np.arange(1000))
    rng = np.random.default_rng(6)
    logged = {}
    step = 10
    for k in range(3 * PENDING_ROWS + 7):
        step += 1
        lr = float(rng.choice([0.01, 0.05, 1e-5]))
        position = (k // 100, k % 100 + 1, k % 100)
        if k == 70:  # a batch taken in the order, then a drawn digit
            log.append(step, (k % 100 - 1, k % 100), Trace(lr), position, None)
            logged[step] = (lr, position, (k % 100 - 1, k % 100))
            step += 1
            image = np.full((1, 1, 28, 28), 0.5)
            log.append(step, None, Trace(lr, image), position, "a drawn digit")
            logged[step] = (lr, position, None)
            continue
        log.append(step, k % 100, Trace(lr), position, None)
        logged[step] = (lr, position, (k % 100,))
        if k == 100:  # a read while rows wait
            assert log.position(step) == position and log.lr_in_force(step, 1.0) == lr
    assert log.last_step == step and len(log) == step - 10
    for s, (lr, position, samples) in logged.items():
        assert log.lr_in_force(s, 1.0) == lr
        assert log.position(s) == position
        assert log.samples(s) == samples
    # Truncated while rows wait: the rest is gone, the next step follows on.
    for extra in range(5):
        log.append(step + 1 + extra, extra, Trace(0.02), (9, 9, 9), None)
    log.truncate(step)
    assert log.last_step == step and log.samples(step) == logged[step][2]
    log.append(step + 1, 4, Trace(0.03), (9, 10, 4), None)
    assert log.position(step + 1) == (9, 10, 4) and log.lr_in_force(step + 1, 1.0) == 0.03
