"""The log of a run: per step, what it trained on and with which learning rate, and where the
session stood after it. Qt-free; ``visualcnn.training.rewind`` replays steps from it.

40 bytes a step in NumPy columns that double when full, plus the image of each step that
trained on a drawn digit or a test image (not on the training split).
"""

from __future__ import annotations

import numpy as np

FOREIGN = -1  # the sample column's value for a drawn digit or a test image
NONE = -1  # the sample_index column's value for None (before any training sample)
ROW_BYTES = 5 * 8  # the five columns
IMAGE_BYTES = 256  # the objects around a logged image


class StepLog:
    """Steps ``first_step + 1`` to ``last_step`` of a run."""

    def __init__(self, first_step: int, capacity: int = 1024):
        self.first_step = int(first_step)
        self._size = 0
        self._cols = self._allocate(capacity)
        self._foreign: dict[int, tuple[np.ndarray, int, str | None]] = {}
        self._foreign_nbytes = 0

    @staticmethod
    def _allocate(capacity: int) -> dict[str, np.ndarray]:
        return {"sample": np.zeros(capacity, np.int64), "lr": np.zeros(capacity),
                "epoch": np.zeros(capacity, np.int64), "index": np.zeros(capacity, np.int64),
                "shown": np.zeros(capacity, np.int64)}

    @property
    def last_step(self) -> int:
        return self.first_step + self._size

    def __len__(self) -> int:
        return self._size

    def nbytes(self) -> int:
        return ROW_BYTES * len(self._cols["lr"]) + self._foreign_nbytes

    def _row(self, step: int) -> int:
        if not self.first_step < step <= self.last_step:
            raise IndexError(f"step {step} is not logged")
        return step - self.first_step - 1

    def append(self, step: int, index: int | None, trace, position, note) -> None:
        """Step ``step`` (the next one) trained on training sample ``index``, or on
        ``trace.input`` (None: a drawn digit or a test image), leaving the session at
        ``position`` (epoch, index_in_epoch, sample_index)."""
        if step != self.last_step + 1:
            raise ValueError(f"step {step} does not follow step {self.last_step}")
        if self._size == len(self._cols["lr"]):
            bigger = self._allocate(2 * self._size)
            for key, a in self._cols.items():
                bigger[key][:self._size] = a
            self._cols = bigger
        i, c = self._size, self._cols
        epoch, in_epoch, shown = position
        c["sample"][i] = FOREIGN if index is None else int(index)
        c["lr"][i] = trace.lr
        c["epoch"][i], c["index"][i] = epoch, in_epoch
        c["shown"][i] = NONE if shown is None else shown
        if index is None:
            # The trace's own frozen copy of the image: read-only, never written.
            self._foreign[step] = (trace.input[0], int(trace.label), note)
            self._foreign_nbytes += trace.input.nbytes + IMAGE_BYTES
        self._size += 1

    def truncate(self, step: int) -> None:
        """Forget the steps after ``step``."""
        self._size = max(0, min(self._size, int(step) - self.first_step))
        for s in [s for s in self._foreign if s > step]:
            self._foreign_nbytes -= self._foreign.pop(s)[0].nbytes + IMAGE_BYTES

    def same(self, step: int, index: int | None, trace, position) -> bool:
        """True when step ``step`` as just trained is the logged one: the same sample, the
        same learning rate, the same position after it."""
        i, c = self._row(step), self._cols
        if c["lr"][i] != trace.lr or self.position(step) != tuple(position):
            return False
        if index is not None:
            return int(c["sample"][i]) == int(index)
        logged = self._foreign.get(step)
        return (logged is not None and logged[1] == trace.label
                and np.array_equal(logged[0], trace.input[0]))

    def position(self, step: int) -> tuple[int, int, int | None]:
        i, c = self._row(step), self._cols
        shown = int(c["shown"][i])
        return int(c["epoch"][i]), int(c["index"][i]), None if shown == NONE else shown

    def sample(self, step: int) -> int | None:
        """The training index step ``step`` trained on, None for a foreign image."""
        index = int(self._cols["sample"][self._row(step)])
        return None if index == FOREIGN else index

    def inputs(self, step: int, dataset) -> tuple[np.ndarray, int, float, str | None]:
        """What step ``step`` trained on: (x, label, lr, note); note None for the split."""
        i = self._row(step)
        lr = float(self._cols["lr"][i])
        index = int(self._cols["sample"][i])
        if index == FOREIGN:
            x, label, note = self._foreign[step]
            return x, label, lr, note
        return dataset.x_train[index], int(dataset.y_train[index]), lr, None

    def lr_in_force(self, step: int, default: float) -> float:
        """The learning rate step ``step`` trained with (at the start of the run, the one the
        first step took), else ``default``."""
        if step > self.first_step:
            return float(self._cols["lr"][self._row(step)])
        return float(self._cols["lr"][0]) if self._size else default
