"""A periodic test evaluation left pending (``Session.defer_tests``, as Run does) records
what an immediate one does, a chunk at a time, and never under other weights."""

import numpy as np
import pytest

from visualcnn.data.bundled import load_bundled
from visualcnn.nn import Network
from visualcnn.training.session import Session

EVERY = 10


def new_session(defer: bool) -> Session:
    data = load_bundled()
    session = Session(data, Network.from_arch("conv8x3-pool2-dense10", data.input_shape,
                                              data.classes), seed=0, eval_every=EVERY)
    session.defer_tests = defer
    return session


def test_a_deferred_evaluation_records_what_an_immediate_one_does():
    now, later = new_session(False), new_session(True)
    for _ in range(EVERY):
        now.step()
        later.step()
    assert now.history.tested_at(EVERY)
    pending = later.pending_test
    assert pending is not None and not later.history.tested_at(EVERY)
    chunks = 1
    while not pending.advance(later, 300):
        chunks += 1
    assert chunks == 4  # the bundled 1,000 test images, 300 at a time
    assert later.pending_test is None and later.history.tested_at(EVERY)
    assert later.history.test_accuracy.tolist() == now.history.test_accuracy.tolist()
    assert later.history.test_loss == pytest.approx(now.history.test_loss, rel=1e-12)
    # The whole split was evaluated: the test-set views get its predictions.
    assert later.fully_tested_at == EVERY
    np.testing.assert_array_equal(later.test_predictions, now.test_predictions)


def test_a_deferred_evaluation_is_dropped_once_the_weights_move_on():
    session = new_session(True)
    for _ in range(EVERY):
        session.step()
    pending = session.pending_test
    pending.advance(session, 100)  # a chunk done, then another step changes the weights
    session.step()
    assert pending.advance(session, 100)  # nothing left to do: dropped
    assert session.pending_test is None
    assert session.history.test_steps.tolist() == []


def test_a_step_outside_run_still_evaluates_at_once():
    session = new_session(False)
    for _ in range(EVERY):
        session.step()
    assert session.pending_test is None
    assert session.history.test_steps.tolist() == [EVERY]
