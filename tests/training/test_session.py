import subprocess
import sys

import numpy as np
import pytest

from visualcnn.common.errors import ArchError, CheckpointError, UserError
from visualcnn.data.dataset import Dataset
from visualcnn.nn import Network
from visualcnn.training.session import Session


def make_dataset(n_train=30, n_test=10, channels=1):
    rng = np.random.default_rng(1)
    return Dataset("random", rng.random((n_train, channels, 28, 28), dtype=np.float32),
                   rng.integers(0, 10, n_train).astype(np.int64),
                   rng.random((n_test, channels, 28, 28), dtype=np.float32),
                   rng.integers(0, 10, n_test).astype(np.int64))


@pytest.fixture
def session():
    return Session(make_dataset(), Network.from_arch("conv8x3-pool2-dense10"), lr=0.01,
                   eval_every=10)


def test_an_epoch_visits_every_sample_once_in_a_seeded_order(session):
    seen = []
    for _ in range(30):
        session.step()
        seen.append(session.sample_index)
    assert sorted(seen) == list(range(30))
    assert seen != list(range(30))
    again = Session(session.dataset, Network.from_arch("conv8x3-pool2-dense10"))
    assert [again.step() and again.sample_index for _ in range(30)] == seen
    session.step()
    assert (session.epoch, session.index_in_epoch) == (1, 1)


def test_step_trains_on_the_sample_it_reports(session):
    index = session.next_sample_index
    trace = session.step()
    assert session.sample_index == index
    np.testing.assert_array_equal(trace.input[0], session.dataset.x_train[index])
    assert trace.label == session.dataset.y_train[index]
    assert trace.lr == 0.01 and session.net.step == 1


def test_history_records_every_step_and_tests_on_schedule(session):
    traces = [session.step() for _ in range(25)]
    h = session.history
    assert len(h) == 25
    np.testing.assert_array_equal(h.steps, np.arange(1, 26))
    np.testing.assert_allclose(h.loss, [t.loss for t in traces])
    np.testing.assert_array_equal(h.correct, [t.correct for t in traces])
    assert h.loss_avg[0] == h.loss[0]
    grad = traces[-1].layer("conv1").grads
    expected = np.sqrt(sum(np.sum(g ** 2) for g in grad.values()))
    assert h.grad_norm[-1, 0] == pytest.approx(expected)
    lt = traces[-1].layer("dense1")
    ratio = np.sqrt(sum(np.sum(u ** 2) for u in lt.updates.values())) / np.sqrt(
        sum(np.sum(p ** 2) for p in lt.params.values()))
    assert h.update_ratio[-1, 1] == pytest.approx(ratio)
    np.testing.assert_array_equal(h.test_steps, [10, 20])
    accuracy, _ = session.net.evaluate(session.dataset.x_test, session.dataset.y_test)
    assert session.evaluate_test()[0] == pytest.approx(accuracy)


def test_history_grows_past_its_first_capacity(session):
    for _ in range(1100):
        session.history.record(1, 0.5, True, [1.0, 2.0], [0.1, 0.2])
    assert len(session.history) == 1100
    assert session.history.grad_norm.shape == (1100, 2)


def test_learning_rate_range_and_effect(session):
    session.set_lr(0.5)
    assert session.step().lr == 0.5
    for bad in (0.0, 2.0, 1e-6):
        with pytest.raises(UserError):
            session.set_lr(bad)
    assert session.lr == 0.5


def test_non_finite_step_is_reported_not_raised(session):
    session.net.layers[0].params["W"][...] = np.inf
    trace = session.step()
    assert not trace.is_finite()
    assert "infinite or NaN" in session.failure


def test_reset_restores_seeded_weights_and_position(session):
    fresh = Network.from_arch("conv8x3-pool2-dense10").get_state()
    for _ in range(5):
        session.step()
    session.reset()
    for key, value in session.net.get_state().items():
        np.testing.assert_array_equal(value, fresh[key])
    assert (session.net.step, session.index_in_epoch, len(session.history)) == (0, 0, 0)


def test_checkpoint_round_trip_keeps_lr_and_position(session, tmp_path):
    session.set_lr(0.05)
    for _ in range(7):
        session.step()
    path = tmp_path / "c.npz"
    session.save(path)
    state = session.net.get_state()
    other = Session(session.dataset, Network.from_arch("conv8x3-pool2-dense10"), lr=0.01)
    other.open(path)
    assert other.lr == 0.05 and other.net.step == 7 and other.index_in_epoch == 7
    for key, value in other.net.get_state().items():
        np.testing.assert_array_equal(value, state[key])


def test_bad_checkpoints_keep_the_current_network(session, tmp_path):
    net = session.net
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(CheckpointError):
        session.open(bad)
    colour = Session(make_dataset(channels=3), Network.from_arch("conv4x3-pool2-dense10",
                                                                   input_shape=(3, 28, 28)))
    colour.save(tmp_path / "colour.npz")
    with pytest.raises(ArchError):
        session.open(tmp_path / "colour.npz")
    assert session.net is net


def test_session_does_not_import_qt():
    code = ("import sys, visualcnn.training.session; "
            "assert not any(m.startswith(('PyQt6', 'pyqtgraph')) for m in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)
