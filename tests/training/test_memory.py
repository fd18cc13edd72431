"""The rewind history's byte budget: what a point costs, what a budget keeps, what is refused."""

import tracemalloc

import numpy as np
import pytest

from visualcnn.common.errors import ArchError
from visualcnn.data.dataset import Dataset
from visualcnn.nn import Network, parse_arch
from visualcnn.training.debugger import Debugger
from visualcnn.training.memory import (
    BUDGET_SETTING,
    DEFAULT_BUDGET_MB,
    MB,
    check_arch_budget,
    needed_mb,
    rewind_point_nbytes,
    steps_kept,
)
from visualcnn.training.rewind import CACHE_EVERY
from visualcnn.training.session import Session

DEFAULT = "conv8x3-pool2-dense10"
DEEPER = "conv8x3-relu-pool2-conv16x3-relu-pool2-dense10"
BIG = "dense2000-dense10"  # 1,590,010 parameters: about 12.7 MB a rewind point


def session(arch=DEFAULT, momentum=0.0, n=40):
    rng = np.random.default_rng(0)
    data = Dataset("random", rng.random((n, 1, 28, 28), dtype=np.float32),
                   rng.integers(0, 10, n).astype(np.int64),
                   rng.random((10, 1, 28, 28), dtype=np.float32),
                   rng.integers(0, 10, 10).astype(np.int64))
    return Session(data, Network.from_arch(arch, momentum=momentum), lr=0.01, eval_every=0)


@pytest.mark.parametrize("arch", [DEFAULT, DEEPER, "dense64-relu-dense10"])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_rewind_point_costs_what_the_architecture_says(arch, momentum):
    s = session(arch, momentum)
    dbg = Debugger(s)
    for _ in range(CACHE_EVERY):
        s.step()
    point = rewind_point_nbytes(parse_arch(arch), momentum > 0)
    assert dbg.rewind_depth == CACHE_EVERY
    # The start of the run and the cache's snapshots (at least the one CACHE_EVERY steps on;
    # more when these steps took longer than CACHE_SECONDS), plus the step log: tens of bytes
    # a step, in a few kilobytes while the run is short.
    points = len(dbg.rewind.checkpoint_steps()) + len(dbg.rewind.cache)
    assert points >= 2
    held = dbg.history_nbytes()
    assert points * point <= held <= points * point + 64 * 1024, (held, point)
    values = sum(v.size for _, _, v in s.net.parameters())
    assert point >= (2 if momentum else 1) * 8 * values  # at least the arrays themselves


def test_the_history_of_a_big_network_stays_within_its_budget():
    s = session(BIG)
    dbg = Debugger(s)  # the default budget, 100 MB
    point = rewind_point_nbytes(parse_arch(BIG))
    kept = steps_kept(DEFAULT_BUDGET_MB, point)
    assert kept == 7
    s.step()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(3 * kept):
            s.step()
            assert dbg.history_nbytes() <= DEFAULT_BUDGET_MB * MB
        grown = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    # What really stayed allocated: the history plus the live network and the last trace,
    # not one copy of the parameters per step.
    assert grown <= DEFAULT_BUDGET_MB * MB + 4 * point
    # Past the budget, steps are trained again from the nearest point: every step of the run
    # can still be reached, back to the first.
    for _ in range(3 * kept):
        assert dbg.step_back() is not None
        assert dbg.history_nbytes() <= DEFAULT_BUDGET_MB * MB
    assert s.net.step == 1 and dbg.can_step_back
    dbg.step_back()  # to the start of the run, which has no step's trace to show
    assert s.net.step == 0 and not dbg.can_step_back


def test_the_default_networks_keep_at_least_500_steps_under_the_default_budget():
    assert steps_kept(DEFAULT_BUDGET_MB, rewind_point_nbytes(parse_arch(DEFAULT))) >= 500
    assert steps_kept(DEFAULT_BUDGET_MB, rewind_point_nbytes(parse_arch(DEEPER))) >= 500


def test_a_budget_of_two_points_still_reaches_every_step_exactly():
    point = rewind_point_nbytes(parse_arch(BIG))
    budget = needed_mb(point)
    assert check_arch_budget(BIG, (1, 28, 28), 10, budget) == point
    s = session(BIG)
    dbg = Debugger(s, budget_bytes=budget * MB)
    states = [s.net.get_state()]
    for _ in range(6):
        s.step()
        states.append(s.net.get_state())
        assert dbg.history_nbytes() <= budget * MB
    for step in (5, 2, 0, 4):
        dbg.go_to(step)
        assert s.net.step == step
        assert all(np.array_equal(v, states[step][k]) for k, v in s.net.get_state().items())


def test_a_smaller_budget_thins_the_history_at_once():
    s = session()
    dbg = Debugger(s)
    states = {}
    for _ in range(10):
        s.step()
        states[s.net.step] = s.net.get_state()
    point = rewind_point_nbytes(parse_arch(DEFAULT))
    dbg.set_budget(3 * point)
    assert dbg.history_nbytes() <= 3 * point
    assert dbg.step_back() is not None and s.net.step == 9
    assert all(np.array_equal(v, states[9][k]) for k, v in s.net.get_state().items())
    for _ in range(9):
        dbg.step_back()
    assert s.net.step == 0 and not dbg.can_step_back


def test_a_network_two_points_do_not_fit_is_refused_naming_the_setting():
    with pytest.raises(ArchError) as e:
        check_arch_budget("dense50000-dense10", (1, 28, 28), 10)
    message = str(e.value)
    assert message == ("dense50000-dense10 needs 637 MB for two rewind points; the rewind "
                       f"history budget is 100 MB ({BUDGET_SETTING})")
    assert "\n" not in message
    check_arch_budget("dense50000-dense10", (1, 28, 28), 10, budget_mb=637)
    # Momentum doubles a point: the velocities before the update are kept too.
    with pytest.raises(ArchError, match="needs 1,273 MB"):
        check_arch_budget("dense50000-dense10", (1, 28, 28), 10, budget_mb=637,
                             momentum=0.9)


def test_the_check_allocates_nothing():
    tracemalloc.start()
    try:
        with pytest.raises(ArchError):
            check_arch_budget("dense50000-dense10", (1, 28, 28), 10)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MB
