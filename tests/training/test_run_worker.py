"""Run's worker process: the session it leaves is the session that trained in one process."""

import time

import numpy as np
import pytest

from visualcnn.data.dataset import Dataset
from visualcnn.nn.network import Network
from visualcnn.training.debugger import Debugger
from visualcnn.training.run_worker import RunWorker, at_the_head, worker_possible
from visualcnn.training.session import Session
from visualcnn.training.worker_transfer import LayoutError, read_trace, trace_layout, write_trace

pytestmark = pytest.mark.skipif(not worker_possible(), reason="no worker process here")

CURVES = ("steps", "loss", "correct", "loss_avg", "accuracy_avg", "grad_norm", "update_ratio",
          "test_steps", "test_accuracy", "test_loss")


def dataset(train=300, test=80, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.random((train + test, 1, 12, 12), dtype=np.float32)
    y = rng.integers(0, 4, train + test)
    return Dataset("tiny", x[:train], y[:train], x[train:], y[train:], classes=4,
                   class_names=("a", "b", "c", "d"))


def session(data, arch="conv4x3-pool2-dense4", lr=0.05, eval_every=40, **optimizer):
    net = Network.from_arch(arch, data.input_shape, data.classes, seed=1, **optimizer)
    s = Session(data, net, lr=lr, seed=2, eval_every=eval_every)
    return s, Debugger(s)


def run_worker(s, steps_at_least, frames=None, during=None):
    """Train ``s`` in a worker until it is past ``steps_at_least``; ``frames`` gets each
    frame's trace, ``during(worker)`` runs once the first frame is in."""
    worker = RunWorker(s)
    deadline = time.perf_counter() + 30
    called = False
    while s.net.step < steps_at_least and time.perf_counter() < deadline:
        trace = worker.frame()
        if trace is not None and frames is not None:
            frames.append(trace)
        if trace is not None and during is not None and not called:
            called = True
            during(worker)
        time.sleep(0.005)
    last = worker.stop()
    return worker, last


def assert_same_session(a, b):
    assert a.net.step == b.net.step
    for la, lb in zip(a.net.layers, b.net.layers, strict=True):
        for k in la.params:
            assert np.array_equal(la.params[k], lb.params[k]), (la.name, k)
    for key, value in a.net.optimizer_arrays().items():
        assert np.array_equal(value, b.net.optimizer_arrays()[key]), key
    assert ((a.epoch, a.index_in_epoch, a.sample_index, a.batch_indices)
            == (b.epoch, b.index_in_epoch, b.sample_index, b.batch_indices))
    # An evaluation due on the very step the worker stopped at is left to the pause, as Run
    # in one process leaves it, unless the child had finished it before the stop.
    kept = b.history.test_steps < a.net.step
    if a.history.test_steps.size and a.history.test_steps[-1] == a.net.step:
        kept |= b.history.test_steps == a.net.step  # the child had finished it
    for name in CURVES:
        theirs = getattr(b.history, name)
        if name.startswith("test_"):
            theirs = theirs[kept]
        assert np.array_equal(getattr(a.history, name), theirs, equal_nan=True), name
    assert a.history.mark() == b.history.mark()
    if kept.all():
        assert a.fully_tested_at == b.fully_tested_at
        assert np.array_equal(a.test_predictions, b.test_predictions)


@pytest.mark.parametrize("arch, optimizer", [("conv4x3-pool2-dense4", {}),
                                             ("conv4x3-relu-pool2-dense4", {"optimizer": "adam"})])
def test_a_run_in_the_worker_leaves_the_session_one_process_would(arch, optimizer):
    data = dataset()
    a, debugger_a = session(data, arch, **optimizer)
    for _ in range(5):  # a run already under way, as after Step
        a.step()
    frames = []
    _, last = run_worker(a, 900, frames)
    assert a.net.step >= 900 and last.step == a.net.step and a.last_trace is last
    b, debugger_b = session(data, arch, **optimizer)
    for _ in range(a.net.step):
        b.step()
    assert_same_session(a, b)
    # Every step can be gone back to, bit for bit, from snapshots the worker sent.
    for target in (3, 250, a.net.step - 70, a.net.step - 1):
        ta, tb = debugger_a.go_to(target), debugger_b.go_to(target)
        assert ta.step == tb.step == target
        for la, lb in zip(ta.layers, tb.layers, strict=True):
            for k in la.params:
                assert np.array_equal(la.params[k], lb.params[k])
            assert np.array_equal(la.out, lb.out)
    # A frame is the trace that step made, read-only like any.
    frame = frames[len(frames) // 2]
    c, _ = session(data, arch, **optimizer)
    for _ in range(frame.step - 1):
        c.step()
    expected = c.step()
    assert frame.step == expected.step and frame.loss == expected.loss
    for lf, le in zip(frame.layers, expected.layers, strict=True):
        for name in ("x", "out", "dx", "dout"):
            assert np.array_equal(getattr(lf, name), getattr(le, name)), (lf.name, name)
            assert not getattr(lf, name).flags.writeable
        for group in ("params", "grads", "updates", "extras"):
            for k, v in getattr(le, group).items():
                assert np.array_equal(getattr(lf, group)[k], v), (lf.name, group, k)


def test_a_learning_rate_changed_during_the_run_is_logged_step_by_step():
    data = dataset()
    a, debugger_a = session(data)
    run_worker(a, 600, during=lambda worker: worker.set_lr(0.2))
    lrs = [debugger_a.rewind.log.inputs(n, data)[2] for n in range(1, a.net.step + 1)]
    assert lrs[0] == pytest.approx(0.05) and lrs[-1] == pytest.approx(0.2)
    b, _ = session(data)
    for lr in lrs:  # the same steps at the learning rates the log says
        b.lr = lr
        b.step()
    assert_same_session(a, b)


def test_a_run_that_diverges_stops_on_the_step_it_would_stop_on_here():
    data = dataset()
    a, _ = session(data, lr=1.0, eval_every=0)
    worker = RunWorker(a)
    deadline = time.perf_counter() + 30
    while not worker.halted and time.perf_counter() < deadline:
        time.sleep(0.01)
    worker.frame()
    worker.stop()
    b, _ = session(data, lr=1.0, eval_every=0)
    while not b.failure and b.divergence is None:
        b.step()
    assert a.net.step == b.net.step
    assert (a.failure, a.divergence is None) == (b.failure, b.divergence is None)
    assert_same_session(a, b)


def test_a_change_made_in_the_window_drops_the_worker_steps_not_taken():
    data = dataset()
    a, _ = session(data)
    worker = RunWorker(a)
    deadline = time.perf_counter() + 30
    while worker.frame() is None and time.perf_counter() < deadline:
        time.sleep(0.005)
    a.reset()
    assert worker.changed_under()
    worker.drop()
    assert a.net.step == 0 and len(a.history) == 0
    a.step()  # trains on as a session does
    assert a.net.step == 1


def test_at_the_head_only():
    data = dataset()
    a, debugger = session(data)
    assert at_the_head(a)
    for _ in range(20):
        a.step()
    debugger.go_to(10)  # re-training a rewound stretch: one step at a time, here
    assert not at_the_head(a)
    a.batch = 4
    assert not at_the_head(a)


def test_a_trace_of_a_type_the_worker_does_not_know_is_refused():
    class Odd:
        pass

    with pytest.raises(LayoutError):
        trace_layout((np.zeros(3), Odd()))
    layout, size = trace_layout((np.arange(6.0).reshape(2, 3), 7, 2.5, None, "conv"))
    buffer = np.zeros(size, dtype=np.uint8)
    write_trace((np.arange(6.0).reshape(2, 3), 7, 2.5, None, "conv"), layout, buffer)
    back = read_trace(layout, buffer)
    assert np.array_equal(back[0], np.arange(6.0).reshape(2, 3)) and back[1:] == (7, 2.5, None,
                                                                                    "conv")


def test_a_worker_whose_window_stops_asking_ends_itself(monkeypatch):
    from visualcnn.training import run_worker

    monkeypatch.setattr(run_worker, "ORPHAN_S", 0.5)  # the child's copy is made at the fork
    a, _ = session(dataset())
    worker = RunWorker(a)
    deadline = time.perf_counter() + 30
    while worker.failed is None and time.perf_counter() < deadline:
        time.sleep(0.05)  # no frame asked for: the journal fills, then the child waits
    assert "stopped asking" in worker.failed and worker.halted
    worker.drop()
    run_worker.reap_exited(wait=True)
    assert run_worker._exiting == []
    assert a.net.step == 0  # nothing taken without a frame
