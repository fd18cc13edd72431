"""A session stepping in mini-batches: batches walk the epoch order (the last of an epoch
takes what is left), the batch size changes between steps, the curves record each batch's
mean loss and accuracy, and the debugger's Replay, Dry run, phases and breakpoints work on
the batch of the shown step."""

import numpy as np
import pytest

from visualcnn.common.errors import UserError
from visualcnn.data.dataset import Dataset
from visualcnn.nn import Network
from visualcnn.training.breakpoints import Breakpoints
from visualcnn.training.debugger import Debugger
from visualcnn.training.session import Session

ARCH = "conv4x3-pool2-dense10"


def dataset(n=23, seed=0):
    rng = np.random.default_rng(seed)
    return Dataset("random", rng.random((n, 1, 12, 12), dtype=np.float32),
                   rng.integers(0, 10, n).astype(np.int64),
                   rng.random((10, 1, 12, 12), dtype=np.float32),
                   rng.integers(0, 10, 10).astype(np.int64))


def session(batch=1, **kwargs):
    data = dataset(**kwargs)
    return Session(data, Network.from_arch(ARCH, input_shape=(1, 12, 12)), lr=0.05,
                   eval_every=0, batch=batch)


def test_batches_walk_the_epoch_order_and_the_last_of_an_epoch_is_smaller():
    s = session(batch=5)
    seen, sizes = [], []
    for _ in range(5):  # 23 samples: 5, 5, 5, 5, 3
        trace = s.step()
        assert trace.batch == len(s.batch_indices)
        assert s.sample_index == s.batch_indices[0]
        assert trace.labels.tolist() == s.dataset.y_train[list(s.batch_indices)].tolist()
        seen += s.batch_indices
        sizes.append(trace.batch)
    assert sizes == [5, 5, 5, 5, 3]
    assert seen == s.epoch_order(0).tolist()
    assert (s.epoch, s.index_in_epoch) == (0, 23)
    assert s.next_batch_indices == tuple(s.epoch_order(1)[:5].tolist())
    s.step()
    assert s.epoch == 1 and s.batch_indices == tuple(s.epoch_order(1)[:5].tolist())
    assert s.net.step == 6


def test_the_batch_size_changes_from_the_next_step_and_the_order_goes_on():
    s = session(batch=2)
    s.step()
    s.batch = 7
    assert s.batch_indices == tuple(s.epoch_order(0)[:2].tolist())  # the last step stays
    trace = s.step()
    assert trace.batch == 7 and s.batch_indices == tuple(s.epoch_order(0)[2:9].tolist())
    s.batch = 1
    trace = s.step()
    assert trace.batch == 1 and s.batch_indices == (int(s.epoch_order(0)[9]),)
    assert s.index_in_epoch == 10


@pytest.mark.parametrize("size", [0, 65, 2.5, True, "8"])
def test_a_batch_size_outside_1_to_64_is_refused_and_the_old_one_stays(size):
    s = session(batch=4)
    with pytest.raises(UserError, match="batch size must be a whole number from 1 to 64"):
        s.batch = size
    assert s.batch == 4
    with pytest.raises(UserError):
        Session(s.dataset, s.net, batch=size)


def test_a_batch_of_one_steps_exactly_as_a_single_sample_session():
    one, plain = session(batch=1), session()
    plain.batch = 1
    for _ in range(30):
        a, b = one.step(), plain.step()
        assert a.loss == b.loss
    for (_, _, a), (_, _, b) in zip(one.net.parameters(), plain.net.parameters(), strict=True):
        assert np.array_equal(a, b)


def test_the_curves_record_each_batch_mean_loss_and_its_accuracy():
    s = session(batch=6)
    for _ in range(4):
        trace = s.step()
        assert s.history.loss[-1] == trace.loss == pytest.approx(trace.losses.mean())
        right = np.mean(trace.predictions == trace.labels)
        assert s.history.correct[-1] == right == trace.accuracy
    assert len(s.history) == 4
    assert set(np.round(s.history.correct * 6).tolist()) <= set(range(7))


def test_replay_of_a_batch_trains_the_same_samples_again_without_moving():
    s = session(batch=4)
    dbg = Debugger(s)
    first = s.step()
    position = (s.epoch, s.index_in_epoch)
    shown = dbg.shown_batch(first)
    assert shown == s.batch_indices and dbg.shown_sample(first) == shown[0]
    again = dbg.replay()
    assert again.batch == 4 and s.batch_indices == shown
    assert again.labels.tolist() == first.labels.tolist()
    assert (s.epoch, s.index_in_epoch) == position and s.net.step == 2
    # Step back undoes the replay: the first step's trace again, bit for bit.
    back = dbg.step_back()
    assert back.step == 1 and back.loss == first.loss and s.batch_indices == shown


def test_dry_run_and_phases_work_on_the_next_batch():
    s = session(batch=3)
    dbg = Debugger(s)
    coming = s.next_batch_indices
    dry = dbg.dry_run()
    assert dry.batch == 3 and not dry.applied and s.net.step == 0
    assert dbg.shown_batch(dry) == coming
    event = dbg.step_phase()
    assert event.phase == "forward" and event.trace.batch == 3
    while event.phase != "update":
        event = dbg.step_phase()
    assert s.net.step == 1 and s.batch_indices == coming
    assert event.trace.loss == dry.loss  # the same weights, the same batch


def test_wrong_prediction_fires_when_any_sample_of_the_batch_is_wrong_and_says_which():
    s = session(batch=8)
    dbg = Debugger(s)
    dbg.breakpoints = Breakpoints(wrong_prediction=True)
    trace = s.step()
    wrong = np.flatnonzero(trace.predictions != trace.labels)
    assert len(wrong) > 0
    first = int(wrong[0])
    reason = s.pause_reason
    assert reason is not None and f"{len(wrong)} of the batch of 8 wrong" in reason
    assert f"sample #{s.batch_indices[first]}, {first + 1} of the batch of 8" in reason
    assert f"batch of 8 from sample #{s.batch_indices[0]}" in reason


def test_sample_and_label_breakpoints_look_at_every_sample_of_the_batch():
    s = session(batch=5)
    dbg = Debugger(s)
    target = int(s.epoch_order(0)[3])  # the fourth sample of the first batch
    dbg.breakpoints = Breakpoints(sample_is=target)
    s.step()
    assert s.pause_reason.startswith(f"sample #{target}, 4 of the batch of 5 at step 1")
    label = int(s.dataset.y_train[int(s.epoch_order(0)[7])])
    dbg.breakpoints = Breakpoints(label_is=label)
    s.step()
    assert f"has label {label} at step 2" in s.pause_reason


def test_prediction_changed_fires_for_any_sample_of_a_batch_seen_before():
    s = session(batch=23, n=23)  # the whole set each step
    dbg = Debugger(s)
    dbg.breakpoints = Breakpoints(prediction_changed=True)
    s.set_lr(1.0)  # large steps change predictions from one epoch to the next
    before = s.step()
    assert s.pause_reason is None  # nothing was seen before
    after = s.step()
    previous = dict(zip(s.epoch_order(0).tolist(), before.predictions.tolist(), strict=True))
    changed = [i for i, p in zip(s.batch_indices, after.predictions.tolist(), strict=True)
               if previous[i] != p]
    assert changed, "the test needs a prediction that changed"
    assert s.pause_reason.startswith(f"prediction of sample #{changed[0]}, ")


def test_preview_shows_the_next_batch():
    s = session(batch=4)
    preview = s.preview()
    assert preview.batch == 4 and not preview.applied
    assert preview.labels.tolist() == s.dataset.y_train[list(s.next_batch_indices)].tolist()
