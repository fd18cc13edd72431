"""Rewind with Adam and weight decay: the moments and Adam's step count come back with the
weights, so any step (and Step back) is bit for bit the step that was trained."""

import numpy as np
import pytest

from tests.training.test_rewind_whole_run import assert_at, dataset
from visualcnn.common.errors import ArchError
from visualcnn.nn import Network
from visualcnn.nn.arch import parse_arch
from visualcnn.training.debugger import Debugger
from visualcnn.training.memory import (
    MB,
    check_arch_budget,
    check_checkpoint_budget,
    rewind_point_nbytes,
)
from visualcnn.training.rewind import take_snapshot
from visualcnn.training.session import Session

DEFAULT = "conv8x3-pool2-dense10"


def adam_run(steps, saved_at, budget=100 * MB, every=None):
    net = Network.from_arch(DEFAULT, optimizer="adam", weight_decay=1e-3)
    s = Session(dataset(), net, lr=0.002, seed=0, eval_every=100)
    dbg = Debugger(s, budget_bytes=budget)
    if every is not None:
        dbg.rewind.every = every
    saved = {}
    for n in range(1, steps + 1):
        if n == steps // 3:
            s.set_lr(0.0005)  # a new rate mid-run: the log must give each step its own
        trace = s.step()
        if n in saved_at:
            saved[n] = dict(trace=trace, state=s.net.get_state(), lr=s.lr,
                            loss=s.history.loss.copy(), loss_avg=s.history.loss_avg.copy(),
                            tests=s.history.test_steps.copy(),
                            position=(s.epoch, s.index_in_epoch, s.sample_index))
    return s, dbg, saved


def assert_same_moments(a, b):
    for la, lb in zip(a.layers, b.layers, strict=True):
        assert la.moments.keys() == lb.moments.keys()
        for k in la.moments:
            ma, mb = la.moments[k], lb.moments[k]
            assert ma.t == mb.t
            assert np.array_equal(ma.m, mb.m) and np.array_equal(ma.v, mb.v)


def test_300_adam_steps_with_weight_decay_come_back_bit_for_bit_by_jump_and_step_back():
    targets = {1, 2, 99, 100, 101, 127, 128, 129, 200, 298, 299, 300}
    s, dbg, saved = adam_run(300, targets)
    assert any(key.startswith("adam_m/") for key in saved[300]["state"])
    for n in [129, 1, 300, 100, 2, 299, 128, 200, 101, 127, 99]:
        trace = dbg.go_to(n)
        assert_at(s, trace, saved[n])
        assert_same_moments(trace, saved[n]["trace"])
    # Step back from the end, one step at a time: each is the step as it was trained.
    dbg.go_to(300)
    for n in (299, 298):
        trace = dbg.step_back()
        assert_at(s, trace, saved[n])
        assert_same_moments(trace, saved[n]["trace"])
    # Training on from a rewound step is the run's own next step (Adam's t included).
    dbg.go_to(200)
    for _ in range(98):
        s.step()
    assert_at(s, s.step(), saved[299])


def test_a_thinned_adam_history_still_brings_every_step_back():
    point = rewind_point_nbytes(parse_arch(DEFAULT), optimizer="adam")
    s, dbg, saved = adam_run(300, {1, 50, 150, 151, 299, 300}, budget=12 * point, every=16)
    assert dbg.history_nbytes() <= 12 * point
    for n in [1, 300, 150, 50, 299, 151]:
        assert_at(s, dbg.go_to(n), saved[n])


def test_an_adam_rewind_point_counts_both_moments():
    specs = parse_arch(DEFAULT)
    sgd, momentum = rewind_point_nbytes(specs), rewind_point_nbytes(specs, True)
    adam = rewind_point_nbytes(specs, optimizer="adam")
    params = 8 * 9 + 8 + 10 * 8 * 13 * 13 + 10
    assert momentum - sgd == adam - momentum > 8 * params
    s, _, _ = adam_run(3, set())
    held = take_snapshot(s, (s.epoch, s.index_in_epoch, s.sample_index)).nbytes  # measured
    assert abs(held - adam) <= 0.02 * adam


def test_adam_triples_a_rewind_point_in_the_budget_checks(tmp_path):
    arch = "dense50000-dense10"  # 318 MB a point of SGD
    check_arch_budget(arch, (1, 28, 28), 10, budget_mb=1273, optimizer="momentum")
    with pytest.raises(ArchError, match="needs 1,909 MB"):
        check_arch_budget(arch, (1, 28, 28), 10, budget_mb=1273, optimizer="adam")
    # A checkpoint says which optimiser it holds: 10 MB holds two SGD points of dense500
    # (3.2 MB each), not two Adam points (9.5 MB each).
    arch = "dense500-dense10"
    for optimizer in ("sgd", "adam"):
        Network.from_arch(arch, optimizer=optimizer).save(tmp_path / f"{optimizer}.npz")
    check_checkpoint_budget(tmp_path / "sgd.npz", budget_mb=10)
    with pytest.raises(ArchError, match="adam.npz: dense500-dense10 needs 20 MB"):
        check_checkpoint_budget(tmp_path / "adam.npz", budget_mb=10)
