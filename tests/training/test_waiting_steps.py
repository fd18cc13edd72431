"""Run's steps wait to be logged (a few dozen at a time, see ``Debugger._waiting``): whatever
reads the debugger's rewind history or memory of predictions, between any two steps, finds
what a debugger that logs every step at once holds (one with a breakpoint ticked that never
fires: every step of it is logged at once)."""

import numpy as np
import pytest

from tests.training.test_rewind_whole_run import dataset
from visualcnn.nn import Network
from visualcnn.training import rewind as rewind_module
from visualcnn.training.breakpoints import Breakpoints
from visualcnn.training.debugger import Debugger
from visualcnn.training.session import Session

NEVER = Breakpoints(at_step=10 ** 9)  # ticked, so every step is checked, and never fires


@pytest.fixture
def pair(monkeypatch):
    """Two sessions alike, one debugged as the window has it, one checked at every step."""
    monkeypatch.setattr(rewind_module, "perf_counter", lambda: 0.0)  # every machine alike
    data = dataset(n=40)
    debuggers = []
    for breakpoints in (Breakpoints(), NEVER):
        session = Session(data, Network.from_arch("conv4x3-pool2-dense10", seed=1), lr=0.02,
                          seed=3, eval_every=0)
        debugger = Debugger(session, budget_bytes=3 * 10 ** 6)
        debugger.breakpoints = breakpoints
        debuggers.append(debugger)
    return debuggers


def _held(debugger) -> dict:
    """What the rewind history and the memory of predictions hold, read from outside."""
    # Either may be read first.
    last_predictions = debugger.predictions.last.tolist()
    rewind = debugger.rewind
    log = rewind.log
    steps = range(rewind.first_step + 1, rewind.last_step + 1)
    return {
        "first": debugger.first_step, "last": debugger.last_step,
        "checkpoints": rewind.checkpoint_steps(),
        "log": [(log.position(k), log.samples(k), log.lr_in_force(k, -1.0)) for k in steps],
        "last_predictions": last_predictions,
    }


def _same(a, b) -> None:
    # The logs' arrays may grow at other steps (written in blocks): the same content, the
    # same budget, not always the same bytes.
    assert max(a.history_nbytes(), b.history_nbytes()) <= a.budget_bytes
    held_a, held_b = _held(a), _held(b)
    for key in held_b:
        assert held_a[key] == held_b[key], key
    state_a, state_b = a.session.net.get_state(), b.session.net.get_state()
    for key, value in state_b.items():
        np.testing.assert_array_equal(state_a[key], value, err_msg=key)


def _both(pair, act):
    return [act(debugger.session, debugger) for debugger in pair]


def test_steps_that_waited_read_back_as_steps_logged_at_once(pair):
    fast, checked = pair
    waited = 0
    for round_ in range(6):
        for _ in range(37 + 11 * round_):  # reads fall anywhere among the waiting steps
            _both(pair, lambda s, d: s.step())
        waited = max(waited, len(fast._waiting))
        _same(fast, checked)
        if round_ == 1:
            _both(pair, lambda s, d: s.set_lr(0.05))
        if round_ == 2:  # a replayed sample and a drawn digit: steps that do not wait
            _both(pair, lambda s, d: d.replay(5))
            _both(pair, lambda s, d: s.train_sample(s.dataset.x_test[0], 3, "a drawn 3"))
        if round_ == 3:  # back into the run, then a different step: a new branch
            _both(pair, lambda s, d: d.go_to(s.net.step - 30))
            _both(pair, lambda s, d: s.set_lr(0.01))
        if round_ == 4:  # back, then forward again along the same steps
            _both(pair, lambda s, d: d.go_to(s.net.step - 20))
    assert waited > 0, "no step waited: the test no longer covers the fast way"
    for target in (1, 60, 200, fast.last_step - 3):
        traces = _both(pair, lambda s, d, t=target: d.go_to(t))
        assert traces[0].loss == traces[1].loss
        _same(fast, checked)


def test_a_reset_between_waiting_steps_starts_a_new_run(pair):
    fast, checked = pair
    for _ in range(45):
        _both(pair, lambda s, d: s.step())
    assert fast._waiting
    _both(pair, lambda s, d: s.reset())
    for _ in range(20):
        _both(pair, lambda s, d: s.step())
    assert fast.first_step == 0 and fast.last_step == 20
    _same(fast, checked)


def test_weights_set_from_outside_at_the_same_step_start_a_new_run(pair):
    # A checkpoint of this very step opened, say: same step count, other arrays.
    fast, _ = pair
    session = fast.session
    for _ in range(30):
        session.step()
    state = session.net.get_state()
    session.net.set_state(state, session.net.step)
    session.step()
    assert fast.first_step == 30 and fast.last_step == 31


def test_steps_waiting_when_the_debugger_follows_a_new_session_stay_with_the_old_data(pair):
    # A dataset change: the window's debugger follows a new session on the other data.
    fast, checked = pair
    for _ in range(45):
        _both(pair, lambda s, d: s.step())
    assert fast._waiting
    other = dataset(n=40, seed=9)
    for debugger in pair:
        old = debugger.session
        debugger.attach(Session(other, old.net, lr=0.02, seed=3, eval_every=0))
    for _ in range(10):
        _both(pair, lambda s, d: s.step())
    assert fast.predictions.dataset is other
    _same(fast, checked)
