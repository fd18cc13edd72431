"""A run of any length keeps the rewind within its byte budget: the per-step logs (what each
step trained on, the predictions it changed) grow with the run, so past their share of the
budget the oldest part of the run is forgotten, and what is left still comes back bit for
bit."""

import numpy as np
import pytest

from visualcnn.data.dataset import Dataset
from visualcnn.nn import Network
from visualcnn.training import rewind as rewind_module
from visualcnn.training.debugger import Debugger
from visualcnn.training.rewind import LOG_SHARE
from visualcnn.training.session import Session

TINY = "conv2x3-pool2-dense4"


def tiny_dataset(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return Dataset("tiny", rng.random((n, 1, 8, 8), dtype=np.float32),
                   rng.integers(0, 4, n).astype(np.int64),
                   rng.random((8, 1, 8, 8), dtype=np.float32),
                   rng.integers(0, 4, 8).astype(np.int64), classes=4)


class _Clock:
    """A stand-in for the rewind's ``perf_counter``: each reading a fast step's time, or, with
    probability ``slow``, a step slow enough for a snapshot of its own (seeded)."""

    def __init__(self, slow: float, seed: int = 0):
        self.now, self.slow, self.rng = 0.0, slow, np.random.default_rng(seed)

    def __call__(self):
        slow = self.rng.random() < self.slow
        self.now += 10 * rewind_module.CACHE_SECONDS if slow else 1e-6
        return self.now


@pytest.mark.parametrize("slow", [0.0, 0.3, 1.0])
def test_a_long_run_stays_within_the_budget_and_its_steps_left_come_back_exactly(
        monkeypatch, slow):
    # Some steps slow, some fast (a busy machine): the logs then grow between snapshots.
    monkeypatch.setattr(rewind_module, "perf_counter", _Clock(slow))
    data = tiny_dataset()
    session = Session(data, Network.from_arch(TINY, input_shape=(1, 8, 8), classes=4),
                      lr=0.05, seed=0, eval_every=0)
    budget = 400_000
    debugger = Debugger(session, budget_bytes=budget)
    rewind = debugger.rewind
    saved, peak = {}, 0
    for _ in range(30_000):
        session.step()
        peak = max(peak, rewind.nbytes())
        if session.net.step % 301 == 0:
            saved[session.net.step] = session.net.get_state()
    assert peak <= budget
    # The per-step logs alone would have taken 30,000 x (42 + 16) bytes, over 1.7 MB.
    assert rewind.first_step > 0, "the oldest steps were never forgotten"
    assert rewind.log.nbytes() + debugger.predictions.nbytes() <= budget * LOG_SHARE * 1.3
    kept = [s for s in saved if s >= rewind.first_step]
    assert len(kept) >= 5
    for step in kept[:: max(1, len(kept) // 6)]:
        debugger.go_to(step)
        for key, value in saved[step].items():
            assert np.array_equal(session.net.get_state()[key], value), (step, key)
    # Going back below the start says so, in one line.
    try:
        debugger.go_to(rewind.first_step - 1)
    except ValueError as e:
        assert "is not in the run" in str(e)
    else:
        raise AssertionError("a forgotten step came back")


def test_predictions_after_forgetting_match_a_run_that_never_forgot():
    """The "prediction changed" memory, rewound to a kept step, is what it was then."""
    data = tiny_dataset()

    def trained(budget):
        s = Session(data, Network.from_arch(TINY, input_shape=(1, 8, 8), classes=4),
                    lr=0.05, seed=0, eval_every=0)
        d = Debugger(s, budget_bytes=budget)
        for _ in range(12_000):
            s.step()
        return s, d

    small, small_dbg = trained(200_000)
    big, big_dbg = trained(50_000_000)
    assert small_dbg.rewind.first_step > 0 and big_dbg.rewind.first_step == 0
    target = small_dbg.rewind.first_step + 500
    for d in (small_dbg, big_dbg):
        d.go_to(target)
    np.testing.assert_array_equal(small_dbg.predictions.last, big_dbg.predictions.last)
