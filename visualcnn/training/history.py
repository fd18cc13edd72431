"""The numbers the curves are drawn from: per step loss, correctness, their moving averages and
per-layer gradient norms and update ratios, and the test evaluations.

Its size is fixed when it is made, however long the run: the recent steps at full resolution
(between ``capacity / 2`` and ``capacity`` of them), the older ones aggregated into at most
``buckets`` buckets (min, mean, max per series; see ``curve_store``), and at most
``tests`` test evaluations (evenly thinned when full). ``nbytes()`` says what it holds.
"""

from __future__ import annotations

import copy

import numpy as np

from visualcnn.training.curve_store import Buckets, Points, join, reduce_points, rows_as_points

FULL_STEPS = 2 ** 16  # rows at full resolution; the oldest half is aggregated when full
BUCKETS = 4096
TESTS = 1024

# Columns of a row; the gradient norms and update ratios follow, one column per layer each.
SCALAR_SERIES = ("loss", "correct", "loss_avg", "accuracy_avg")


class History:
    """Per-step numbers for the curves, in a fixed amount of memory.

    Per step: ``steps``, ``loss``, ``correct`` (1.0 or 0.0; for a batch its accuracy), their
    moving averages ``loss_avg`` and ``accuracy_avg``, and per parameter layer
    (``layer_names``) the gradient norm ``grad_norm[:, j]`` and the ratio
    ``update_ratio[:, j]`` = |update| / |weights|.
    These properties are views (``steps`` a copy) of the recent steps kept at full
    resolution (every step of a run shorter than ``capacity / 2``); ``series`` gives any of
    them over any range of the whole run at a chosen number of points. Test evaluations go
    to ``test_steps``, ``test_accuracy`` and ``test_loss``. ``level()`` is the recent level
    of the loss and of each gradient norm (what divergence is measured against). ``len()``
    counts every step recorded, aggregated or not.
    """

    def __init__(self, layer_names: list[str], window: int = 100, capacity: int = FULL_STEPS,
                 buckets: int = BUCKETS, tests: int = TESTS):
        if capacity < 2 or capacity % 2 or tests < 2:
            raise ValueError(f"capacity must be even and at least 2, tests at least 2; got "
                             f"{capacity} and {tests}")
        self.layer_names = list(layer_names)
        layers = len(self.layer_names)
        # Columns of a row: the step (a float: exact to 2^53, and a row is written in one
        # go), the scalar series, then a column per layer for each per-layer series.
        self._columns = {"loss": slice(1, 2), "correct": slice(2, 3),
                         "loss_avg": slice(3, 4), "accuracy_avg": slice(4, 5),
                         "grad_norm": slice(5, 5 + layers),
                         "update_ratio": slice(5 + layers, 5 + 2 * layers)}
        # An exponential average with weights summing to one from the first step on, so the
        # start of the curve is the plain mean of the steps so far rather than biased to zero.
        self._decay = 1.0 - 1.0 / window
        # Running sums of the moving averages (plain floats: a step is cheaper without NumPy
        # calls): loss, correct, the weight total, and each layer's gradient norm. A mark
        # copies them, so Step back rewinds the averages exactly.
        self._loss_sum = self._correct_sum = self._weight = 0.0
        self._grad_sums = [0.0] * layers
        self._capacity = int(capacity)
        # Written through once now: the memory is the process's from the start, rather than
        # a page at a time as the run fills it (RSS that grows for the first 65,536 steps).
        self._rows = np.full((capacity, 5 + 2 * layers), np.nan)
        self._size = 0  # rows in use
        self._first_index = 0  # how many steps came before the first row (in the buckets)
        self._buckets = Buckets(5 + 2 * layers, buckets, (capacity // 2) // (buckets // 2))
        self._buckets.commit_memory()
        self._test_steps = np.zeros(tests, dtype=np.int64)
        self._test_values = np.zeros((tests, 2))  # accuracy, loss
        # The how-many-th evaluation each is: when the list is full, only every other
        # ``_test_stride`` is kept, so what is kept stays evenly spread over the run.
        self._test_numbers = np.zeros(tests, dtype=np.int64)
        self._tests = self._tests_seen = 0
        self._test_stride = 1

    def __deepcopy__(self, memo) -> History:
        """A copy holding the same steps; only the filled rows are copied (the rest of a
        new array stays untouched, so it costs no memory until filled)."""
        return self._copy(self._size)

    def rewound_copy(self, mark: tuple[int, tuple], step: int) -> History:
        """A copy rewound to ``mark`` (see ``rewind``), this history left as it is: only the
        rows up to the mark are copied (a jump back copies megabytes less)."""
        new = self._copy(max(0, min(self._size, mark[0] - self._first_index)))
        new.rewind(mark, step)
        return new

    def _copy(self, rows: int) -> History:
        new = copy.copy(self)
        new.layer_names, new._grad_sums = list(self.layer_names), list(self._grad_sums)
        new._rows = np.zeros(self._rows.shape)
        new._rows[:rows] = self._rows[:rows]
        new._size = rows
        new._buckets = self._buckets.copy()
        for name in ("_test_steps", "_test_values", "_test_numbers"):
            setattr(new, name, getattr(self, name).copy())
        return new

    def __len__(self) -> int:
        return self._first_index + self._size

    def nbytes(self) -> int:
        """Bytes of every array the history holds: the same from the start to any length."""
        return (self._rows.nbytes + self._buckets.nbytes
                + self._test_steps.nbytes + self._test_values.nbytes
                + self._test_numbers.nbytes)

    # ----------------------------------------------------------------------- recording
    def record(self, step: int, loss: float, correct: float, grad_norm, update_ratio) -> None:
        """One step: its (batch mean) loss, whether it was right (for a batch, the fraction
        of its samples that was), and per layer the gradient norm and update ratio."""
        # Called every step: kept to the fewest Python operations (the sums updated in place,
        # no conversions: a row of the wrong length fails as it is written).
        i = self._size
        if i == self._capacity:
            self._fold()
            i = self._size
        d = self._decay
        self._loss_sum = loss_sum = self._loss_sum * d + loss
        self._correct_sum = correct_sum = self._correct_sum * d + correct
        self._weight = weight = self._weight * d + 1.0
        sums = self._grad_sums
        for j, g in enumerate(grad_norm):
            sums[j] = sums[j] * d + g
        self._rows[i] = (step, loss, correct, loss_sum / weight, correct_sum / weight,
                         *grad_norm, *update_ratio)
        self._size = i + 1

    def _fold(self) -> None:
        """Aggregate the oldest half of the full-resolution rows into buckets."""
        half = self._capacity // 2
        self._buckets.add(self._first_index, self._rows[:half, 0].astype(np.int64),
                          self._rows[:half])
        rest = self._size - half
        self._rows[:rest] = self._rows[half:self._size]
        self._first_index += half
        self._size = rest

    def level(self) -> tuple[float, np.ndarray] | None:
        """The moving averages (over about ``window`` steps) of the loss and of each layer's
        gradient norm, up to the last step recorded; None before any step."""
        weight = self._weight
        if weight == 0:
            return None
        return self._loss_sum / weight, np.array(self._grad_sums) / weight

    def level_now(self) -> tuple[float, list[float]] | None:
        """``level()`` as plain floats (what the divergence watch reads after every step,
        without building an array)."""
        weight = self._weight
        if weight == 0:
            return None
        return self._loss_sum / weight, [s / weight for s in self._grad_sums]

    def mark(self) -> tuple[int, tuple[float, ...]]:
        """What ``rewind`` needs to bring the history back to this point (Step back): the
        count of steps and the running sums (Python floats: a mark is taken every step)."""
        return (self._first_index + self._size,
                (self._loss_sum, self._correct_sum, self._weight, *self._grad_sums))

    def rewind(self, mark: tuple[int, tuple], step: int) -> None:
        """Forget what was recorded after ``mark``, and test results after ``step``.

        Exact while the mark is within the full-resolution steps (the last ``capacity / 2``
        steps at least). A mark further back falls among aggregated steps, which cannot be
        taken apart: the history is cut back to the start of the bucket holding the mark,
        so the curves lose the steps from there to the mark. The moving averages and
        ``level()`` come back exactly either way.
        """
        index, sums = mark
        if index < self._first_index:
            self._first_index = self._buckets.truncate(index)
            self._size = 0
        else:
            self._size = min(self._size, index - self._first_index)
        self._loss_sum, self._correct_sum, self._weight, *grads = (float(s) for s in sums)
        self._grad_sums = grads
        self._tests = n = int(np.searchsorted(self._test_steps[:self._tests], step, "right"))
        self._tests_seen = int(self._test_numbers[n - 1]) + 1 if n else 0

    def record_test(self, step: int, accuracy: float, loss: float) -> None:
        n = self._tests
        if n and self._test_steps[n - 1] == step:  # evaluated again at the same step
            self._test_values[n - 1] = accuracy, loss
            return
        if n and self._test_numbers[n - 1] % self._test_stride:
            n -= 1  # the newest is always shown, but kept only if it falls on the stride
        if n == len(self._test_steps):
            self._test_stride *= 2
            keep = np.flatnonzero(self._test_numbers[:n] % self._test_stride == 0)
            n = len(keep)
            for column in (self._test_steps, self._test_values, self._test_numbers):
                column[:n] = column[keep]
        self._test_steps[n] = step
        self._test_values[n] = accuracy, loss
        self._test_numbers[n] = self._tests_seen
        self._tests_seen += 1
        self._tests = n + 1

    def tested_at(self, step: int) -> bool:
        return self._tests > 0 and self._test_steps[self._tests - 1] == step

    # ------------------------------------------------------------------------- reading
    def series(self, name: str, first_step: float, last_step: float, points: int) -> Points:
        """Series ``name`` (``loss``, ``correct``, ``loss_avg``, ``accuracy_avg``,
        ``grad_norm`` or ``update_ratio``) over the steps ``first_step`` to ``last_step`` of
        the whole run, in at most ``points`` points, each the lowest, mean and highest value
        of the steps it covers (see ``curve_store.Points``; one column per layer for the
        last two). Steps in the range, full resolution or aggregated, all count; a range
        holding fewer steps than ``points`` gives them one by one."""
        if name not in self._columns:
            raise ValueError(f"no series {name!r}; there are {', '.join(self._columns)}")
        columns = self._columns[name]
        steps = self._rows[:self._size, 0]
        lo = int(np.searchsorted(steps, first_step, side="left"))
        hi = int(np.searchsorted(steps, last_step, side="right"))
        parts = [self._buckets.select(first_step, last_step, columns)]
        if hi > lo:
            parts.append(rows_as_points(steps[lo:hi], self._rows[lo:hi, columns],
                                        first_step, last_step, max(1, int(points))))
        parts = [p for p in parts if p is not None]
        if not parts:
            empty = np.zeros((0,) if name in SCALAR_SERIES else (0, columns.stop - columns.start))
            return Points(np.zeros(0), empty, empty, empty, np.zeros(0, np.int64))
        found = reduce_points(join(parts), first_step, last_step, max(1, int(points)))
        if name in SCALAR_SERIES:
            found = found._replace(low=found.low[:, 0], mean=found.mean[:, 0],
                                   high=found.high[:, 0])
        return found

    @property
    def first_step(self) -> int | None:
        """The first step the history holds (aggregated or not); None when empty."""
        if self._buckets.size:
            return self._buckets.first_step
        return int(self._rows[0, 0]) if self._size else None

    @property
    def last_step(self) -> int | None:
        """The last step recorded; None when empty."""
        if self._size:
            return int(self._rows[self._size - 1, 0])
        return self._buckets.last_step

    def _view(self, name: str) -> np.ndarray:
        column = self._columns[name]
        if name in SCALAR_SERIES:
            return self._rows[:self._size, column.start]
        return self._rows[:self._size, column]

    steps = property(lambda self: self._rows[:self._size, 0].astype(np.int64))
    loss = property(lambda self: self._view("loss"))
    correct = property(lambda self: self._view("correct"))
    loss_avg = property(lambda self: self._view("loss_avg"))
    accuracy_avg = property(lambda self: self._view("accuracy_avg"))
    grad_norm = property(lambda self: self._view("grad_norm"))
    update_ratio = property(lambda self: self._view("update_ratio"))

    @property
    def test_steps(self) -> np.ndarray:
        return self._test_steps[:self._tests].copy()

    @property
    def test_accuracy(self) -> np.ndarray:
        return self._test_values[:self._tests, 0].copy()

    @property
    def test_loss(self) -> np.ndarray:
        return self._test_values[:self._tests, 1].copy()
