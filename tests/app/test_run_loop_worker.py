"""Run at full speed trains in a worker process: frames come from it, Pause brings the
window's session to its last step, and a change made in the window during Run is never lost."""

import numpy as np
import pytest

from visualcnn.app import run_loop
from visualcnn.app.run_loop import MAX_SPEED, RunLoop
from visualcnn.data.dataset import Dataset
from visualcnn.nn import Network
from visualcnn.training.debugger import Debugger
from visualcnn.training.run_worker import worker_possible
from visualcnn.training.session import Session

pytestmark = pytest.mark.skipif(not worker_possible(), reason="no worker process here")


def tiny_data():
    rng = np.random.default_rng(5)
    x = rng.random((260, 1, 12, 12), dtype=np.float32)
    y = rng.integers(0, 3, 260)
    return Dataset("tiny", x[:200], y[:200], x[200:], y[200:], classes=3,
                   class_names=("a", "b", "c"))


def new_session(data):
    net = Network.from_arch("conv4x3-pool2-dense3", data.input_shape, data.classes, seed=4)
    session = Session(data, net, lr=0.05, seed=1, eval_every=50)
    Debugger(session)
    return session


def same_weights(a, b) -> bool:
    return all(np.array_equal(la.params[k], lb.params[k])
               for la, lb in zip(a.net.layers, b.net.layers, strict=True) for k in la.params)


def trained_here(data, steps):
    session = new_session(data)
    for _ in range(steps):
        session.step()
    return session


def running(data):
    """A session on ``data``, its run loop at full speed and started, and the traces drawn."""
    session = new_session(data)
    loop = RunLoop(session)
    drawn = []
    loop.trace_ready.connect(drawn.append)
    loop.set_speed(MAX_SPEED)
    loop.start()
    return session, loop, drawn


def test_run_draws_frames_from_the_worker_and_pause_keeps_every_step(qtbot):
    data = tiny_data()
    session, loop, drawn = running(data)
    qtbot.waitUntil(lambda: len(drawn) >= 4, timeout=20000)
    assert loop.worker is not None
    # At each frame the window's session is at the frame's step, weights and all.
    assert session.last_trace is drawn[-1] and session.net.step == drawn[-1].step
    assert same_weights(session, trained_here(data, session.net.step))
    loop.stop()
    assert loop.worker is None and not loop.running
    assert drawn[-1] is session.last_trace and drawn[-1].step == session.net.step
    here = trained_here(data, session.net.step)
    assert same_weights(session, here)
    assert np.array_equal(session.history.loss, here.history.loss)
    # An evaluation due on the very step paused at is left to the pause, as in one process,
    # unless the child had finished it before the stop.
    kept = here.history.test_steps < session.net.step
    if session.history.test_steps.size and session.history.test_steps[-1] == session.net.step:
        kept |= here.history.test_steps == session.net.step  # the child had finished it
    assert np.array_equal(session.history.test_steps, here.history.test_steps[kept])
    assert np.array_equal(session.history.test_accuracy, here.history.test_accuracy[kept])
    assert loop.training_s > 0


def test_a_reset_during_run_is_kept_and_training_goes_on_from_it(qtbot):
    data = tiny_data()
    session, loop, drawn = running(data)
    qtbot.waitUntil(lambda: len(drawn) >= 3 and session.net.step > 300, timeout=20000)
    session.reset()
    drawn.clear()
    qtbot.waitUntil(lambda: len(drawn) >= 3, timeout=20000)
    loop.stop()
    assert drawn[0].step < 300  # from the reset, not from where the worker had got to
    assert same_weights(session, trained_here(data, session.net.step))


def test_another_batch_size_during_run_trains_here_from_the_step_shown(qtbot):
    data = tiny_data()
    session, loop, drawn = running(data)
    qtbot.waitUntil(lambda: len(drawn) >= 2, timeout=20000)
    session.batch = 4
    qtbot.waitUntil(lambda: drawn[-1].batch == 4, timeout=20000)
    assert loop.worker is None and loop.running
    loop.stop()
    assert session.last_trace.batch == 4


@pytest.mark.parametrize("renew_s", [None, 0.0])
def test_a_run_that_blows_up_pauses_on_the_step_it_would_here(qtbot, monkeypatch, renew_s):
    if renew_s is not None:  # a new worker due on the very frame that brings the blow-up
        monkeypatch.setattr(run_loop, "RENEW_WORKER_S", renew_s)
    data = tiny_data()
    session = new_session(data)
    session.set_lr(1.0)
    loop = RunLoop(session)
    stopped = []
    loop.diverged.connect(lambda d: stopped.append(("diverged", d)))
    loop.failed.connect(lambda f: stopped.append(("failed", f)))
    loop.start()
    qtbot.waitUntil(lambda: bool(stopped), timeout=20000)
    assert not loop.running and loop.worker is None
    here = new_session(data)
    here.set_lr(1.0)
    while not here.failure and here.divergence is None:
        here.step()
    assert session.net.step == here.net.step
    assert session.last_trace.step == here.net.step
    assert same_weights(session, here)


def test_a_worker_that_fails_leaves_run_to_the_timer_and_no_step_is_lost(qtbot, monkeypatch):
    from visualcnn.training import run_worker

    def cannot_send(*args):
        raise run_worker.LayoutError("a trace this worker cannot send")

    monkeypatch.setattr(run_worker, "_send_trace", cannot_send)  # in the child, after the fork
    data = tiny_data()
    session, loop, drawn = running(data)
    qtbot.waitUntil(lambda: len(drawn) >= 5, timeout=20000)
    assert loop.worker is None and loop.running  # the timer trains this network from now on
    loop.stop()
    assert same_weights(session, trained_here(data, session.net.step))
