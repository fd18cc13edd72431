"""The gradient and weight norms a step adds to the curves: right, and worked out on the
stepping thread alone (OpenBLAS gives a dot product of over 10,000 entries to a second
thread, whose wait on a busy machine cost a step, and each step of a rewind, milliseconds)."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from visualcnn.data.dataset import Dataset
from visualcnn.nn import Network
from visualcnn.training import rewind as rewind_module
from visualcnn.training import session as session_module
from visualcnn.training.debugger import Debugger
from visualcnn.training.session import Session, joint_norm

OPENBLAS_ONE_THREAD_MOST = 10_000  # entries of a dot product OpenBLAS keeps on the caller's thread


def _dataset(n_train=20, n_test=5):
    rng = np.random.default_rng(3)
    return Dataset("random", rng.random((n_train, 1, 28, 28), dtype=np.float32),
                   rng.integers(0, 10, n_train).astype(np.int64),
                   rng.random((n_test, 1, 28, 28), dtype=np.float32),
                   rng.integers(0, 10, n_test).astype(np.int64))


@pytest.fixture
def dot_sizes(monkeypatch):
    """The entries of every np.dot / np.vdot call while the fixture's list is switched on."""
    sizes, on = [], [False]
    for name in ("dot", "vdot"):
        real = getattr(np, name)

        def counted(a, b, *rest, _real=real, **kw):
            if on[0]:
                sizes.append(np.size(a))
            return _real(a, b, *rest, **kw)
        monkeypatch.setattr(np, name, counted)
    return sizes, on


def _norm(arrays) -> float:
    return math.sqrt(sum(float(np.square(np.asarray(a, dtype=np.float64)).sum())
                         for a in arrays))


def test_a_steps_norms_take_no_dot_product_a_second_thread_would_compute(dot_sizes,
                                                                         monkeypatch):
    """As where NumPy was loaded before visualcnn could ask OpenBLAS for one thread."""
    monkeypatch.setattr(session_module, "ONE_BLAS_THREAD", False)
    sizes, on = dot_sizes
    # The default network: its dense layer holds 10 x 1352 = 13,520 weights.
    session = Session(_dataset(), Network.from_arch("conv8x3-pool2-dense10"), lr=0.01,
                      eval_every=1000)
    on[0] = True
    for _ in range(3):
        session.step()
    on[0] = False
    assert sizes, "the curves' norms are no longer dot products: update this test"
    assert max(sizes) <= OPENBLAS_ONE_THREAD_MOST
    trace = session.last_trace
    for i, name in enumerate(session.history.layer_names):
        layer = trace.layer(name)
        recorded = session.history.grad_norm[-1, i]
        assert recorded == pytest.approx(_norm(layer.grads.values()), rel=1e-12)


def test_replayed_steps_give_the_curves_the_norms_they_had(dot_sizes, monkeypatch):
    sizes, on = dot_sizes
    # A clock that stands still: the cache snapshots only its grid, whatever the machine's pace.
    monkeypatch.setattr(rewind_module, "perf_counter", lambda: 0.0)
    session = Session(_dataset(), Network.from_arch("conv8x3-pool2-dense10"), lr=0.01,
                      eval_every=1000)
    debugger = Debugger(session, budget_bytes=10 ** 6)  # a few snapshots: jumps replay
    for _ in range(40):
        session.step()
    norms = session.history.grad_norm.copy()
    assert debugger.rewind.replay_length(20) > 1  # steps are trained again, not restored
    on[0] = True
    debugger.go_to(20)
    on[0] = False
    assert max(sizes) <= OPENBLAS_ONE_THREAD_MOST
    replayed = session.history.grad_norm
    np.testing.assert_array_equal(replayed[-10:], norms[10:20])


@pytest.mark.parametrize("one_thread", [True, False])
def test_a_joint_norm_is_the_same_in_blocks_or_whole(monkeypatch, dot_sizes, one_thread):
    """With one BLAS thread a large array is one dot product, else blocks; short vectors
    (biases) need none: the same norm."""
    monkeypatch.setattr(session_module, "ONE_BLAS_THREAD", one_thread)
    sizes, on = dot_sizes
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal((10, 1352)), rng.standard_normal(10), np.zeros((0,)),
              rng.standard_normal((8, 1, 3, 3)), rng.standard_normal(12)[::2]]
    on[0] = True
    norm = joint_norm(arrays)
    on[0] = False
    assert norm == pytest.approx(_norm(arrays), rel=1e-13)
    assert sizes == ([13_520, 72] if one_thread else [8192, 13_520 - 8192, 72])
    # Only short vectors, or none at all.
    assert joint_norm(arrays[1:3]) == pytest.approx(_norm(arrays[1:3]), rel=1e-13)
    assert joint_norm([]) == 0.0


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_a_joint_norm_is_not_finite_exactly_when_an_entry_is_not(bad):
    big, short = np.ones((10, 1352)), np.ones(10)
    for arrays in ([big, short], [short], [big]):
        assert math.isfinite(joint_norm(arrays))
        arrays[-1][3] = bad
        assert not math.isfinite(joint_norm(arrays))
        arrays[-1][3] = 1.0


@pytest.mark.parametrize("numpy_first, setting, expected", [
    (False, None, True), (True, None, False), (False, "4", False), (False, "1", True)])
def test_one_blas_thread_is_known_only_when_visualcnn_set_it_in_time(numpy_first, setting,
                                                                     expected):
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if setting is not None:
        env["OPENBLAS_NUM_THREADS"] = setting
    code = ("import numpy\n" if numpy_first else "") + \
        "import visualcnn\nprint(visualcnn.ONE_BLAS_THREAD)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == str(expected)


def test_the_norms_of_a_step_that_overflows_warn_of_nothing_and_report_it():
    """A diverging run overflows on purpose: the session says so in words, and computing
    the curves' norms raises no warning (the suite makes warnings errors)."""
    session = Session(_dataset(), Network.from_arch("conv8x3-pool2-dense10"), lr=1.0,
                      eval_every=0)
    layer = session.net.layers[-1]
    layer.params["W"] = np.full_like(layer.params["W"], 1e200)  # squares overflow
    session.step()
    assert not session.last_step_finite
    assert session.failure is not None and "infinite or NaN" in session.failure
