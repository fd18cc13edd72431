"""The curves' history holds a fixed amount however long the run: recent steps at full
resolution, older ones as buckets whose min, mean and max are those of the steps they hold."""

import copy
import tracemalloc

import numpy as np
import pytest

from visualcnn.training.history import History

LAYERS = ["conv1", "dense1"]


def synthetic_run(n: int, seed: int = 0):
    """A decaying, noisy loss, its correctness, and two layers' norms, as a run gives them."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    loss = 2.3 * np.exp(-t / 20_000) * rng.exponential(1.0, n) + 0.01
    correct = rng.random(n) < 1 - 0.9 * np.exp(-t / 10_000)
    grad = np.exp(rng.normal(-1, 0.5, (n, len(LAYERS))))
    ratio = np.exp(rng.normal(-7, 0.5, (n, len(LAYERS))))
    return loss, correct, grad, ratio


def record_all(history: History, first_step: int, data) -> None:
    for i, (loss, correct, grad, ratio) in enumerate(zip(*data, strict=True)):
        history.record(first_step + i, float(loss), bool(correct), grad.tolist(),
                       ratio.tolist())


def assert_points_match(points, values):
    """Each point covers the next ``count`` steps of ``values`` (in recording order): its
    low, mean and high are those of their finite values."""
    assert points.count.sum() == len(values)
    starts = np.concatenate([[0], np.cumsum(points.count)[:-1]])
    finite = np.isfinite(values)
    shown = np.where(finite, values, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.add.reduceat(np.where(finite, values, 0.0), starts) / np.add.reduceat(
            finite * 1.0, starts)
    np.testing.assert_allclose(points.low, np.fmin.reduceat(shown, starts), rtol=1e-12)
    np.testing.assert_allclose(points.high, np.fmax.reduceat(shown, starts), rtol=1e-12)
    np.testing.assert_allclose(points.mean, mean, rtol=1e-9)


def test_memory_stays_the_same_however_long_the_run():
    data = synthetic_run(400_000)
    history = History(LAYERS)
    record_all(history, 1, [d[:100_000] for d in data])
    held_100k = history.nbytes()
    record_all(history, 100_001, [d[100_000:] for d in data])
    assert len(history) == 400_000
    assert history.nbytes() == held_100k < 8_000_000
    assert len(history.steps) <= 2 ** 16


def test_what_the_process_allocates_for_the_history_does_not_grow():
    # Small sizes, so that a short stretch (traced allocations are slow) goes through
    # many aggregations and merges; a history that grew would double its arrays here.
    data = synthetic_run(25_000, seed=4)
    history = History(LAYERS, capacity=512, buckets=32, tests=16)
    record_all(history, 1, [d[:5_000] for d in data])
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        record_all(history, 5_001, [d[5_000:] for d in data])
        for step in range(5_000, 25_001, 500):
            history.record_test(step, 0.5, 1.0)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(history) == 25_000
    assert after - before < 10_000


def test_aggregated_min_mean_max_are_those_of_the_steps():
    data = synthetic_run(300_000, seed=1)
    history = History(LAYERS)
    record_all(history, 1, data)
    loss, correct, grad, ratio = data
    whole = history.series("loss", 1, 300_000, 10 ** 9)  # every bucket and step as it is
    assert len(whole.count) < 4096 + 2 ** 16
    assert whole.count.max() > 1  # the older steps are aggregated
    assert_points_match(whole, loss)
    assert_points_match(history.series("correct", 1, 300_000, 10 ** 9), correct * 1.0)
    for name, values in (("grad_norm", grad), ("update_ratio", ratio)):
        points = history.series(name, 1, 300_000, 10 ** 9)
        for j in range(len(LAYERS)):
            assert_points_match(points._replace(low=points.low[:, j], mean=points.mean[:, j],
                                                high=points.high[:, j]), values[:, j])
    # Brought down to a plot's width, each point still holds exactly the steps it covers.
    narrow = history.series("loss", 1, 300_000, 800)
    assert len(narrow.count) <= 800
    assert_points_match(narrow, loss)
    # The recent steps come back one by one.
    recent = history.series("loss", 299_001, 300_000, 2000)
    np.testing.assert_array_equal(recent.steps, np.arange(299_001, 300_001))
    np.testing.assert_array_equal(recent.mean, loss[-1000:])


def test_buckets_skip_values_that_are_not_finite():
    history = History(LAYERS, capacity=64, buckets=8)
    loss = np.linspace(1.0, 0.1, 500)
    loss[[3, 4, 5, 100]] = [np.nan, np.inf, -np.inf, np.nan]
    for i, value in enumerate(loss):
        history.record(i, float(value), True, [1.0, 2.0], [0.1, 0.2])
    assert_points_match(history.series("loss", 0, 499, 10 ** 6), loss)


def test_step_back_within_the_recent_steps_is_exact_across_an_aggregation():
    data = synthetic_run(200, seed=2)
    history = History(LAYERS, capacity=64, buckets=8)
    record_all(history, 1, [d[:50] for d in data])
    mark = history.mark()
    before = (history.steps.copy(), history.loss.copy(), history.loss_avg.copy(),
              history.grad_norm.copy(), history.level(), len(history))
    record_all(history, 51, [d[50:70] for d in data])  # 64 rows fill: the oldest fold
    history.rewind(mark, 50)
    assert len(history) == before[5] == 50
    np.testing.assert_array_equal(history.steps, before[0][-len(history.steps):])
    np.testing.assert_array_equal(history.loss, before[1][-len(history.steps):])
    np.testing.assert_array_equal(history.loss_avg, before[2][-len(history.steps):])
    np.testing.assert_array_equal(history.grad_norm, before[3][-len(history.steps):])
    assert history.level()[0] == before[4][0]
    np.testing.assert_array_equal(history.level()[1], before[4][1])
    assert_points_match(history.series("loss", 1, 50, 10 ** 6), data[0][:50])


def test_step_back_past_the_recent_steps_cuts_at_a_bucket_boundary():
    data = synthetic_run(400, seed=3)
    history = History(LAYERS, capacity=64, buckets=8)
    record_all(history, 1, [d[:10] for d in data])
    mark, level = history.mark(), history.level()
    record_all(history, 11, [d[10:] for d in data])
    history.rewind(mark, 10)
    assert len(history) <= 10
    assert history.last_step is None or history.last_step <= 10
    assert history.level()[0] == level[0]  # the moving averages come back exactly
    # Recording goes on from there, and what is held is still the steps as recorded.
    record_all(history, 11, [d[10:300] for d in data])
    points = history.series("loss", 0, 10 ** 6, 10 ** 6)
    kept = len(history) - 290
    assert_points_match(points, np.concatenate([data[0][:kept], data[0][10:300]]))


def test_test_evaluations_are_thinned_evenly_when_full():
    history = History(LAYERS, tests=64)
    for step in range(500, 500_001, 500):
        history.record_test(step, step / 500_000, 1.0)
    steps = history.test_steps
    assert 32 <= len(steps) <= 64
    assert steps[0] == 500 and steps[-1] == 500_000
    assert np.all(np.diff(steps) > 0) and np.diff(steps)[:-1].max() <= 4 * 500_000 / 64
    np.testing.assert_array_equal(history.test_accuracy, steps / 500_000)
    history.rewind(history.mark(), 250_000)
    assert history.test_steps[-1] <= 250_000 and not history.tested_at(500_000)


def test_an_unknown_series_is_refused_by_name():
    with pytest.raises(ValueError, match="no series 'accuracy'"):
        History(LAYERS).series("accuracy", 0, 10, 10)


def test_a_deep_copy_holds_the_same_steps_and_goes_its_own_way():
    import copy

    data = synthetic_run(300, seed=5)
    history = History(LAYERS, capacity=64, buckets=8, tests=4)
    record_all(history, 1, data)
    for step in (100, 200, 300):
        history.record_test(step, 0.5, 1.0)
    twin = copy.deepcopy(history)
    assert len(twin) == len(history) and twin.nbytes() == history.nbytes()
    for name in ("loss", "grad_norm", "correct"):
        a, b = (h.series(name, 1, 300, 10 ** 6) for h in (history, twin))
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(twin.test_steps, history.test_steps)
    assert twin.level()[0] == history.level()[0]
    twin.rewind(twin.mark(), 150)
    twin.record(301, 9.0, False, [1.0, 1.0], [1.0, 1.0])
    assert history.loss[-1] == data[0][-1] and list(history.test_steps) == [100, 200, 300]


@pytest.mark.parametrize("back_to", [0, 150, 700, 1_199])
def test_a_rewound_copy_is_the_copy_rewound_and_leaves_the_history_whole(back_to):
    """Step back copies only the rows up to the mark: the result reads exactly as a whole
    copy rewound there (marks among the buckets included), and the run's history is intact."""
    history = History(LAYERS, capacity=512, buckets=16)
    data = synthetic_run(1_200)
    marks = {}
    for i, row in enumerate(zip(*data, strict=True)):
        if i == back_to:
            marks[i] = history.mark()
        record_all(history, i + 1, [[v] for v in row])
    history.record_test(100, 0.5, 1.0)
    history.record_test(900, 0.8, 0.5)
    whole = copy.deepcopy(history)
    whole.rewind(marks[back_to], back_to)
    rewound = history.rewound_copy(marks[back_to], back_to)
    assert len(rewound) == len(whole) and rewound.last_step == whole.last_step
    assert rewound.level() is not None or whole.level() is None
    np.testing.assert_array_equal(rewound.test_steps, whole.test_steps)
    for name in ("loss", "loss_avg", "grad_norm", "update_ratio"):
        a, b = (h.series(name, 0, 1_200, 100) for h in (rewound, whole))
        np.testing.assert_array_equal(a.mean, b.mean)
        np.testing.assert_array_equal(a.count, b.count)
    assert len(history) == 1_200 and history.last_step == 1_200
    if back_to:
        np.testing.assert_array_equal(rewound.level()[1], whole.level()[1])
