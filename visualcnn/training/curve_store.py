"""The older steps of the curves, aggregated: a fixed number of buckets, each holding the
minimum, maximum, sum and count of the finite values of every series over a run of steps.

When the buckets are full, neighbouring pairs merge into one (a bucket then covers twice the
steps), so however long the run, the store holds the same few thousand buckets: finer than
any plot can show, and of a size fixed when it is made. ``reduce_points`` brings buckets and
full-resolution steps down to at most a given number of points over a range of steps.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Points(NamedTuple):
    """A series over a range of steps: per point the step it is drawn at (the middle of the
    steps it covers), the lowest, mean and highest finite value (NaN where none was finite)
    and how many steps it covers. One column per series value (a column per layer for the
    gradient norms and update ratios)."""

    steps: np.ndarray
    low: np.ndarray
    mean: np.ndarray
    high: np.ndarray
    count: np.ndarray


class Buckets:
    """At most ``capacity`` buckets of ``columns`` series, in the order of the steps.

    Per bucket: the index of its first row (the how-many-th step recorded), its first and
    last step, its count of steps, and per series the min, max, sum and count of the finite
    values. A bucket takes ``width`` rows when made; ``width`` doubles at each merge.
    """

    def __init__(self, columns: int, capacity: int, width: int):
        if capacity < 2:
            raise ValueError(f"capacity must be at least 2 buckets, got {capacity}")
        self.capacity, self.width, self.size = int(capacity), max(1, int(width)), 0
        # first row index, first step, last step, count of steps
        self._spans = np.zeros((self.capacity, 4), dtype=np.int64)
        # low, high, sum of finite values, count of finite values; per series
        self._stats = np.zeros((4, self.capacity, columns))

    def commit_memory(self) -> None:
        """Write through the arrays once, so that their memory is taken now rather than a
        page at a time as buckets fill (a copy skips it: it may never fill)."""
        self._spans.fill(0)
        self._stats.fill(0.0)

    @property
    def nbytes(self) -> int:
        return self._spans.nbytes + self._stats.nbytes

    @property
    def end_index(self) -> int:
        """Index of the first row after the last bucket (0 when empty)."""
        if self.size == 0:
            return 0
        first, _, _, count = self._spans[self.size - 1]
        return int(first + count)

    @property
    def first_step(self) -> int | None:
        return int(self._spans[0, 1]) if self.size else None

    @property
    def last_step(self) -> int | None:
        return int(self._spans[self.size - 1, 2]) if self.size else None

    def add(self, first_index: int, steps: np.ndarray, rows: np.ndarray) -> None:
        """Aggregate ``rows`` (one per step in ``steps``; the first is row ``first_index``)
        into buckets of ``width`` rows, merging pairs first while they would not fit."""
        n = len(steps)
        if n == 0:
            return
        while self.size + -(-n // self.width) > self.capacity:
            self._merge_pairs()
        starts = np.arange(0, n, self.width)
        new = slice(self.size, self.size + len(starts))
        ends = np.append(starts[1:], n)
        self._spans[new, 0] = first_index + starts
        self._spans[new, 1] = steps[starts]
        self._spans[new, 2] = steps[ends - 1]
        self._spans[new, 3] = ends - starts
        low, high, total, finite = _row_stats(rows)
        stats = self._stats[:, new]
        stats[0] = np.fmin.reduceat(low, starts, axis=0)
        stats[1] = np.fmax.reduceat(high, starts, axis=0)
        stats[2] = np.add.reduceat(total, starts, axis=0)
        stats[3] = np.add.reduceat(finite, starts, axis=0)
        self.size = new.stop

    def _merge_pairs(self) -> None:
        k = self.size
        pairs, odd = divmod(k, 2)
        a, b = slice(0, 2 * pairs, 2), slice(1, 2 * pairs, 2)
        spans, stats = self._spans, self._stats
        spans[:pairs, 2] = spans[b, 2]
        spans[:pairs, 3] = spans[a, 3] + spans[b, 3]
        spans[:pairs, :2] = spans[a, :2]
        low, high, total, finite = stats
        low[:pairs] = np.fmin(low[a], low[b])
        high[:pairs] = np.fmax(high[a], high[b])
        total[:pairs] = total[a] + total[b]
        finite[:pairs] = finite[a] + finite[b]
        if odd:
            spans[pairs] = spans[k - 1]
            stats[:, pairs] = stats[:, k - 1]
        self.size = pairs + odd
        self.width *= 2

    def copy(self) -> Buckets:
        """A copy; only the buckets in use are copied."""
        new = Buckets(self._stats.shape[2], self.capacity, self.width)
        new.size = self.size
        new._spans[:self.size] = self._spans[:self.size]
        new._stats[:, :self.size] = self._stats[:, :self.size]
        return new

    def truncate(self, index: int) -> int:
        """Drop every bucket holding row ``index`` or later; returns the new end index."""
        ends = self._spans[:self.size, 0] + self._spans[:self.size, 3]
        self.size = int(np.searchsorted(ends, index, side="right"))
        return self.end_index

    def clear(self) -> None:
        self.size = 0

    def select(self, first_step: int, last_step: int, columns) -> Points | None:
        """The buckets that overlap the steps ``first_step`` to ``last_step``, each as a
        point, for the series ``columns`` (a slice); None when there are none."""
        spans = self._spans[:self.size]
        lo = int(np.searchsorted(spans[:, 2], first_step, side="left"))
        hi = int(np.searchsorted(spans[:, 1], last_step, side="right"))
        if hi <= lo:
            return None
        low, high, total, finite = (s[lo:hi, columns] for s in self._stats)
        return _points(spans[lo:hi, 1], spans[lo:hi, 2], low, high, total, finite,
                       spans[lo:hi, 3])


def _row_stats(rows: np.ndarray):
    """Per-step values as one-step aggregates: low and high NaN where not finite, sum 0."""
    finite = np.isfinite(rows)
    low = np.where(finite, rows, np.nan)
    return low, low, np.where(finite, rows, 0.0), finite.astype(np.float64)


def rows_as_points(steps: np.ndarray, rows: np.ndarray, first_step: float,
                   last_step: float, limit: int) -> Points:
    """Full-resolution steps as points: one a step, or, when there are more than ``limit``,
    those in the same of ``limit`` equal slices of ``first_step`` to ``last_step`` as one
    (as ``reduce_points`` does, in one pass over the rows)."""
    n = len(steps)
    if n <= limit:
        starts = np.arange(n)
    else:  # the steps are in order: where each slice starts is a search, not a pass
        span = max(float(last_step) - float(first_step), 1.0)
        edges = first_step + span * np.arange(1, limit) / limit
        starts = np.unique(np.append(0, np.searchsorted(steps, edges, side="left")))
        starts = starts[starts < n]
    count = np.diff(np.append(starts, n))
    first, last = steps[starts], steps[np.append(starts[1:], n) - 1]
    if len(starts) == n:
        low, high, total, finite = _row_stats(rows)
    elif np.isfinite(rows).all():  # the usual case: no masking needed
        low, high = np.minimum.reduceat(rows, starts), np.maximum.reduceat(rows, starts)
        total, finite = np.add.reduceat(rows, starts), count[:, None] * 1.0
        steps = np.add.reduceat(steps, starts) / count
        return Points(steps, low, total / finite, high, count)
    else:
        low, high, total, finite = _row_stats(rows)
        low, high = np.fmin.reduceat(low, starts), np.fmax.reduceat(high, starts)
        total, finite = np.add.reduceat(total, starts), np.add.reduceat(finite, starts)
    return _points(first, last, low, high, total, finite, count)


def _slots(steps: np.ndarray, first_step: float, last_step: float, limit: int) -> np.ndarray:
    """Which of ``limit`` equal slices of ``first_step`` to ``last_step`` each step is in."""
    span = max(float(last_step) - float(first_step), 1.0)
    return np.clip(((steps - first_step) * (limit / span)).astype(np.int64), 0, limit - 1)


def _points(first, last, low, high, total, finite, count) -> Points:
    """Points from aggregates: drawn at the middle of their steps, mean of the finite."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(finite > 0, total / np.maximum(finite, 1), np.nan)
    steps = (first.astype(np.float64) + last) / 2
    return Points(steps, low, mean, high, np.asarray(count, dtype=np.int64))


def join(parts: list[Points]) -> Points:
    """One series from parts that follow each other in step order."""
    parts = [p for p in parts if p is not None]
    if len(parts) == 1:
        return parts[0]
    return Points(*(np.concatenate(field) for field in zip(*parts, strict=True)))


def reduce_points(points: Points, first_step: float, last_step: float,
                  limit: int) -> Points:
    """At most ``limit`` points: those falling in the same of ``limit`` equal slices of the
    steps ``first_step`` to ``last_step`` become one (lowest low, highest high, mean weighted
    by the steps each covers). Fewer points than ``limit`` come back unchanged."""
    if len(points.steps) <= limit:
        return points
    starts = np.flatnonzero(np.diff(_slots(points.steps, first_step, last_step, limit),
                                    prepend=-1))
    count = np.add.reduceat(points.count, starts)
    weight = points.count if points.mean.ndim == 1 else points.count[:, None]
    known = np.isfinite(points.mean)
    weighted = np.add.reduceat(np.where(known, points.mean * weight, 0.0), starts, axis=0)
    finite = np.add.reduceat(np.where(known, weight, 0), starts, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(finite > 0, weighted / np.maximum(finite, 1), np.nan)
    step_weighted = np.add.reduceat(points.steps * points.count, starts)
    return Points(step_weighted / count,
                  np.fmin.reduceat(points.low, starts, axis=0), mean,
                  np.fmax.reduceat(points.high, starts, axis=0), count)
