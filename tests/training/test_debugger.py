"""The Qt-free debugger: phase walks, exact rewind, replay, dry run, breakpoints in a session."""

import numpy as np
import pytest

from visualcnn.data.dataset import Dataset
from visualcnn.nn import Network
from visualcnn.training.breakpoints import Breakpoints, layer_grad_norms
from visualcnn.training.debugger import Debugger
from visualcnn.training.session import Session

DEFAULT = "conv8x3-pool2-dense10"
DEEPER = "conv8x3-relu-pool2-conv16x3-relu-pool2-dense10"
STEPS = 500  # the default budget keeps more than this of the default network


def dataset(n=40, labels=None, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n) if labels is None else np.asarray(labels)
    return Dataset("random", rng.random((len(y), 1, 28, 28), dtype=np.float32),
                   y.astype(np.int64), rng.random((10, 1, 28, 28), dtype=np.float32),
                   rng.integers(0, 10, 10).astype(np.int64))


def session(arch=DEFAULT, momentum=0.0, labels=None, n=40, lr=0.05):
    return Session(dataset(n, labels), Network.from_arch(arch, momentum=momentum), lr=lr,
                   seed=0, eval_every=7)


def expected_phases(net):
    names = [layer.name for layer in net.layers]
    return ([("forward", n) for n in names] + [("loss", names[-1])]
            + [("backward", n) for n in reversed(names)] + [("update", None)])


def assert_same_trace(a, b):
    assert (a.step, a.label, a.loss, a.prediction, a.lr) == (b.step, b.label, b.loss,
                                                             b.prediction, b.lr)
    for la, lb in zip(a.layers, b.layers, strict=True):
        for x, y in ((la.x, lb.x), (la.out, lb.out), (la.dx, lb.dx), (la.dout, lb.dout)):
            np.testing.assert_array_equal(x, y)
        for group in ("params", "grads", "updates"):
            ga, gb = getattr(la, group), getattr(lb, group)
            assert ga.keys() == gb.keys()
            for k in ga:
                np.testing.assert_array_equal(ga[k], gb[k])


@pytest.mark.parametrize("arch", [DEFAULT, DEEPER])
def test_phase_walk_visits_every_layer_and_ends_in_the_real_step(arch):
    s = session(arch)
    twin = Network.from_arch(arch)
    dbg = Debugger(s)
    s.step()
    twin.train_step(s.dataset.x_train[s.sample_index], int(s.dataset.y_train[s.sample_index]),
                    s.lr)
    sample = s.next_sample_index
    seen = []
    while True:
        event = dbg.step_phase()
        seen.append((event.phase, event.layer))
        if event.phase == "forward":
            i = event.index
            assert event.trace.layers[i].out is not None
            assert all(lt.out is None for lt in event.trace.layers[i + 1:])
            assert s.net.step == 1  # nothing applied before the update phase
        if event.phase == "update":
            break
    assert seen == expected_phases(s.net)
    assert s.net.step == 2 and s.sample_index == sample and not dbg.walking
    expected = twin.train_step(s.dataset.x_train[sample], int(s.dataset.y_train[sample]), s.lr)
    assert_same_trace(event.trace, expected)
    assert len(s.history) == 2


def test_a_plain_step_finishes_the_walk_on_the_same_sample():
    s = session()
    dbg = Debugger(s)
    sample = s.next_sample_index
    for _ in range(3):
        dbg.step_phase()
    assert dbg.walking
    trace = s.step()
    assert s.sample_index == sample and trace.step == 1 and not dbg.walking
    assert dbg.step_phase().phase == "forward"  # a new walk, on the next sample
    assert dbg.walking


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_steps_then_as_many_step_backs_restore_everything_bit_for_bit(momentum):
    steps = STEPS if momentum == 0.0 else 60
    s = session(momentum=momentum)
    dbg = Debugger(s)
    initial = s.net.get_state()
    traces, positions, losses = [], [], []
    for _ in range(steps):
        positions.append((s.epoch, s.index_in_epoch, s.sample_index))
        traces.append(s.step())
        losses.append(s.history.loss_avg.copy())
    assert s.epoch > 0  # the walk back crosses epoch boundaries
    for t in range(steps, 0, -1):
        trace = dbg.step_back()
        assert s.net.step == t - 1
        assert (s.epoch, s.index_in_epoch, s.sample_index) == positions[t - 1]
        assert len(s.history) == t - 1
        if t > 1:
            assert_same_trace(trace, traces[t - 2])
            np.testing.assert_array_equal(s.history.loss_avg, losses[t - 2])
        else:
            assert trace is None
        # Weights before step t are the params the trace of step t recorded.
        for lt in traces[t - 1].layers:
            for k, v in lt.params.items():
                np.testing.assert_array_equal(s.net.layers[[la.name for la in s.net.layers]
                                                           .index(lt.name)].params[k], v)
    for key, value in s.net.get_state().items():
        np.testing.assert_array_equal(value, initial[key])
    assert not dbg.can_step_back and dbg.step_back() is None
    assert list(s.history.test_steps) == []
    # And forward again: the same steps come out.
    assert_same_trace(s.step(), traces[0])


def test_rewind_history_keeps_to_its_budget_and_still_reaches_every_step():
    s = session()
    per_step = sum(v.nbytes for _, _, v in s.net.parameters())
    budget = 60 * per_step  # far less than one snapshot per step
    dbg = Debugger(s, budget_bytes=budget)
    weights = {}
    for _ in range(STEPS + 20):
        s.step()
        weights[s.net.step] = s.net.get_state()
    assert dbg.history_nbytes() <= budget
    assert dbg.rewind_depth == STEPS + 20  # the whole run, from its start
    for _ in range(STEPS + 20):
        assert dbg.step_back() is not None or s.net.step == 0
        if s.net.step % 97 == 0 and s.net.step:
            for key, value in s.net.get_state().items():
                np.testing.assert_array_equal(value, weights[s.net.step][key])
        assert dbg.history_nbytes() <= budget
    assert not dbg.can_step_back and s.net.step == 0


def test_reset_or_an_unrecorded_change_ends_the_rewind_history():
    s = session()
    dbg = Debugger(s)
    for _ in range(3):
        s.step()
    s.reset()
    assert not dbg.can_step_back
    s.step()
    assert dbg.rewind_depth == 1
    s.net.set_state(s.net.get_state(), s.net.step)  # someone put other arrays in place
    assert not dbg.can_step_back


def test_replay_trains_the_same_sample_again_and_step_back_undoes_it():
    s = session()
    dbg = Debugger(s)
    s.step()
    s.step()
    position = (s.epoch, s.index_in_epoch, s.sample_index)
    weights = s.net.get_state()
    trace = dbg.replay()
    assert trace.step == 3 and trace.label == int(s.dataset.y_train[position[2]])
    np.testing.assert_array_equal(trace.input[0], s.dataset.x_train[position[2]])
    assert (s.epoch, s.index_in_epoch, s.sample_index) == position
    assert s.next_sample_index == int(s.epoch_order(0)[2])  # the order is untouched
    dbg.step_back()
    for key, value in s.net.get_state().items():
        np.testing.assert_array_equal(value, weights[key])
    assert (s.epoch, s.index_in_epoch, s.sample_index) == position and s.net.step == 2


def test_dry_run_changes_nothing():
    s = session()
    dbg = Debugger(s)
    s.step()
    weights = s.net.get_state()
    trace = dbg.dry_run(s.sample_index)
    assert not trace.applied and trace.layer("conv1").grads
    assert s.net.step == 1 and len(s.history) == 1
    for key, value in s.net.get_state().items():
        np.testing.assert_array_equal(value, weights[key])
    assert dbg.can_step_back


# --------------------------------------------------------------------- breakpoints
def fired(s, breakpoints, steps=1):
    dbg = Debugger(s)
    dbg.breakpoints = breakpoints
    reasons = []
    for _ in range(steps):
        s.step()
        reasons.append(s.pause_reason)
    return reasons


def test_wrong_prediction_fires_only_when_wrong():
    # The output layer starts at zero: every class equally likely, argmax picks class 0.
    assert fired(session(labels=[3] * 10), Breakpoints(wrong_prediction=True))[0] \
        .startswith("wrong prediction at step 1: predicted 0, label 3")
    assert fired(session(labels=[0] * 10), Breakpoints(wrong_prediction=True)) == [None]


def test_loss_above_fires_only_above():
    # First step: uniform probabilities, loss ln 10 = 2.303.
    assert "loss 2.303 above 2" in fired(session(), Breakpoints(loss_above=2.0))[0]
    assert fired(session(), Breakpoints(loss_above=2.5)) == [None]


def test_label_fires_on_that_digit_only():
    labels = [1, 2, 7, 2, 9]
    reasons = fired(session(labels=labels, n=5), Breakpoints(label_is=2), steps=5)
    s_order = np.random.default_rng((0, 0)).permutation(5)
    hits = [labels[i] == 2 for i in s_order]
    assert [r is not None for r in reasons] == hits
    assert all(f"(sample #{i})" in r for r, i in zip(reasons, s_order, strict=True) if r)


def test_gradient_norm_above_and_below():
    # At step 1 the output layer is still zero, so conv1's gradient is zero: use dense1.
    probe = session()
    norm = layer_grad_norms(probe.step())["dense1"]
    assert norm > 0
    assert "dense1 gradient norm" in fired(session(), Breakpoints(
        grad_norm_above={"dense1": norm / 2}))[0]
    assert fired(session(), Breakpoints(grad_norm_above={"dense1": norm * 2})) == [None]
    assert "below" in fired(session(), Breakpoints(grad_norm_below={"dense1": norm * 2}))[0]
    assert fired(session(), Breakpoints(grad_norm_below={"dense1": norm / 2})) == [None]
    # A dead layer (zero gradient) is what "below" is for.
    assert "conv1 gradient norm 0 below" in fired(session(), Breakpoints(
        grad_norm_below={"conv1": 1e-12}))[0]


def test_step_number_fires_once():
    reasons = fired(session(), Breakpoints(at_step=3), steps=5)
    assert [r is not None for r in reasons] == [False, False, True, False, False]


def test_non_finite_always_fires_when_any_breakpoint_is_ticked_and_sets_failure():
    s = session()
    s.net.layers[-1].params["W"][...] = np.inf
    reasons = fired(s, Breakpoints(at_step=1000))
    assert reasons[0].startswith("non-finite value at step 1")
    assert s.failure  # the run loop pauses on this whatever is ticked


def test_nothing_ticked_costs_nothing_and_never_pauses():
    assert fired(session(), Breakpoints(), steps=3) == [None, None, None]
