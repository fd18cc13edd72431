"""Divergence is caught at its first sign, and ordinary one-sample swings are not."""

import math

import numpy as np
import pytest

from visualcnn.data import load_dataset
from visualcnn.nn import Network
from visualcnn.training.debugger import Debugger
from visualcnn.training.divergence import DEFAULT_FACTOR, LOSS_CAP, Divergence, DivergenceWatch
from visualcnn.training.session import Session

DEFAULT = "conv8x3-pool2-dense10"
NAMES = ["conv1", "dense1"]


@pytest.fixture(scope="module")
def bundled():
    return load_dataset("bundled")


def bundled_session(bundled, lr, arch=DEFAULT):
    return Session(bundled, Network.from_arch(arch), lr=lr, seed=0, eval_every=0)


def run_until_sign(s, steps):
    for _ in range(steps):
        s.step()
        if s.divergence is not None or s.failure:
            break
    return s.divergence


def test_learning_rate_1_pauses_at_step_2_not_at_the_overflow(bundled):
    s = bundled_session(bundled, 1.0)
    sign = run_until_sign(s, 200)
    # Before: nothing until a gradient norm overflowed at step 145 (loss 2.7e306).
    assert sign is not None and sign.step <= 20 and not s.failure
    assert sign.step == 2 and sign.what == "loss"
    assert sign.describe() == "the loss jumped from 2.3 to 132 (x57.5 its recent level)"
    assert sign.lr == 1.0 and sign.last_good_step == 0


def test_a_slower_blow_up_is_caught_by_the_loss_cap(bundled):
    s = bundled_session(bundled, 0.1)
    sign = run_until_sign(s, 2000)
    assert sign is not None and sign.step <= 20 and sign.cap == LOSS_CAP * math.log(10)
    assert sign.describe().startswith(f"the loss reached {sign.value:.3g}, more than 100 "
                                      "times the loss of a uniform guess (2.3)")


@pytest.mark.slow
def test_no_pause_in_100000_steps_at_learning_rate_001(bundled):
    # The worst ordinary swing measured here: a loss 5.4 times a uniform guess's (factor 20).
    s = bundled_session(bundled, 0.01)
    signs = []
    for _ in range(100_000):
        s.step()
        if s.divergence is not None:
            signs.append(s.divergence.describe())
    assert signs == [] and not s.failure and s.net.step == 100_000


def test_it_fires_once_then_again_after_stepping_back_before_it(bundled):
    s = bundled_session(bundled, 1.0)
    dbg = Debugger(s)
    first = run_until_sign(s, 50)
    for _ in range(10):  # going on regardless: the run is shown, not paused at every step
        s.step()
        assert s.divergence is None or s.failure
    while s.net.step > first.last_good_step:
        dbg.step_back()
    assert s.divergence is None
    again = run_until_sign(s, 50)
    assert again == first  # the same steps: the same sign, at the same step
    for _ in range(2):
        dbg.step_back()
    s.set_lr(0.01)
    assert run_until_sign(s, 300) is None and s.net.step == 300


def test_reset_rearms_it_and_off_means_off(bundled):
    s = bundled_session(bundled, 1.0)
    assert run_until_sign(s, 50).step == 2
    s.reset()
    assert run_until_sign(s, 50).step == 2
    s.reset()
    s.watch.factor = None
    assert run_until_sign(s, 100) is None and s.net.step == 100


def watch_check(watch, step=10, loss=1.0, grads=(1.0, 1.0), ratios=(0.001, 0.001),
                level=(0.5, (1.0, 1.0))):
    lvl = None if level is None else (level[0], np.array(level[1]))
    return watch.check(step, loss, list(grads), list(ratios), NAMES, lvl, 10, 0.01)


def test_the_loss_level_counts_as_at_least_a_uniform_guess():
    watch = DivergenceWatch()
    # A well-trained network: average loss 0.001; one misclassified sample at 14 is x14000
    # its level but only x6 a uniform guess's loss (the deeper preset's worst in 100k steps).
    assert watch_check(watch, loss=14.0, level=(0.001, (1.0, 1.0))) is None
    sign = watch_check(watch, loss=DEFAULT_FACTOR * math.log(10) * 1.01,
                       level=(0.001, (1.0, 1.0)))
    assert sign.what == "loss" and sign.level == 0.001


def test_a_gradient_jump_counts_only_when_its_update_moves_the_weights():
    watch = DivergenceWatch()
    assert watch_check(watch, grads=(1.0, 50.0), ratios=(0.001, 0.3)) is None
    sign = watch_check(watch, grads=(1.0, 50.0), ratios=(0.001, 0.6))
    assert sign.what == "dense1 gradient norm" and sign.value == 50.0 and sign.level == 1.0
    assert sign.describe() == "the dense1 gradient norm jumped from 1 to 50 (x50 its recent level)"


def test_the_factor_is_a_setting():
    assert watch_check(DivergenceWatch(factor=5.0), loss=12.0) is not None
    assert watch_check(DivergenceWatch(factor=6.0), loss=12.0) is None
    assert watch_check(DivergenceWatch(factor=None), loss=1e300) is None


def test_a_loss_over_the_cap_fires_even_on_the_first_step():
    sign = watch_check(DivergenceWatch(), step=1, loss=500.0, level=None)
    assert sign.cap == pytest.approx(230.26, abs=0.01) and sign.step == 1


def test_numbers_in_the_message_are_short():
    sign = Divergence(4, "loss", 1.2345e306, 0.9, 1.0)
    assert sign.describe() == "the loss jumped from 0.9 to 1.23e306 (x1.37e306 its recent level)"
    assert sign.last_good_step == 2
    assert Divergence(1, "loss", 300.0, 2.3, 1.0).last_good_step == 0


def test_step_back_rewinds_the_levels(bundled):
    s = bundled_session(bundled, 0.01)
    dbg = Debugger(s)
    for _ in range(5):
        s.step()
    before = s.history.level()
    s.step()
    dbg.step_back()
    after = s.history.level()
    assert after[0] == before[0]
    np.testing.assert_array_equal(after[1], before[1])


@pytest.mark.parametrize("factor", [DEFAULT_FACTOR, 2.0, 150.0])
def test_a_step_the_watch_lets_pass_unchecked_is_one_check_finds_nothing_in(factor):
    """The session skips ``check`` (and the level it reads) when ``could_fire`` says no sign
    can show: over losses, updates, levels and fired states around every limit, whenever it
    says so, ``check`` finds nothing and lets nothing go."""
    rng = np.random.default_rng(7)
    uniform = math.log(10)
    skipped = 0
    for _ in range(3000):
        watch = DivergenceWatch(factor=factor)
        if rng.random() < 0.2:
            watch.fired_at = int(rng.integers(1, 20))
        loss = float(uniform * rng.choice([0.001, 1.0, 1.5, 2.0, 10, 19.9, 20.1, 99, 101])
                     * rng.uniform(0.9, 1.1))
        ratios = [float(r) for r in rng.choice([0.001, 0.3, 0.49, 0.5, 0.6, 2.0], size=2)]
        level = None if rng.random() < 0.1 else (
            float(rng.choice([0.001, 0.5, uniform, 5.0])),
            rng.choice([0.01, 1.0, 100.0], size=2))
        grads = rng.choice([0.5, 1.0, 50.0, 1e4], size=2).tolist()
        if watch.could_fire(loss, max(ratios), 10):
            continue
        skipped += 1
        fired_before = watch.fired_at
        assert watch.check(10, loss, grads, ratios, NAMES, level, 10, 0.01) is None
        assert watch.fired_at == fired_before
    assert skipped > 100  # the test is not empty: many of its steps are let pass
