"""The log of a run: per step, what it trained on and with which learning rate, and where the
session stood after it. Qt-free; ``visualcnn.training.rewind`` replays steps from it.

42 bytes a step in NumPy columns that grow when full, plus the image of each step that
trained on a drawn digit or a test image (not on the training split). A mini-batch taken in
the epoch's order is its first sample and its size: the rest follows from the position and
the seeded order. A batch from elsewhere (Replay of a batch) keeps its indices, 4 bytes each.
"""

from __future__ import annotations

import numpy as np

from visualcnn.training.memory import grown_capacity, resident_zeros, write_rows

FOREIGN = -1  # the sample column's value for a drawn digit or a test image
NONE = -1  # the sample_index column's value for None (before any training sample)
ROW_BYTES = 5 * 8 + 2  # the five 8-byte columns and the batch size's
COLUMNS = ("sample", "lr", "epoch", "index", "shown", "count")  # a pending row's order
PENDING_ROWS = 64  # the newest rows kept as tuples before they are written (see StepLog)
IMAGE_BYTES = 256  # the objects around a logged image
BATCH_BYTES = 128  # the objects around the logged indices of a batch out of order


def _as_indices(index) -> tuple[int, ...] | None:
    """A step's training samples as a tuple (one int for one sample), None for others."""
    if index is None:
        return None
    if isinstance(index, (int, np.integer)):
        return (int(index),)
    return tuple(int(i) for i in index)


class StepLog:
    """Steps ``first_step + 1`` to ``last_step`` of a run. ``order(epoch)``: the training
    indices of an epoch in the session's order (for the batches taken from it)."""

    def __init__(self, first_step: int, capacity: int = 1024, order=None):
        self.first_step = int(first_step)
        self._size = 0  # steps logged: the columns' rows and the pending ones
        self._cols = self._allocate(capacity)
        # The newest steps that trained on one training sample, as tuples of the columns'
        # values in COLUMNS' order: written into the columns PENDING_ROWS at a time, or
        # before anything reads them. Six NumPy item writes a step cost more.
        self._pending: list[tuple] = []
        self._foreign: dict[int, tuple[np.ndarray, int, str | None]] = {}
        self._foreign_nbytes = 0
        self._order_of = order
        self._order: tuple[int, np.ndarray] | None = None  # (epoch, its order), the last used
        self._batches: dict[int, np.ndarray] = {}  # step -> indices of a batch out of order
        self._batches_nbytes = 0
        # Called when the bytes held grow (the columns, a kept batch or image): the rewind
        # keeps its budget counting them at once, not at its next snapshot.
        self.on_resize = None

    @staticmethod
    def _allocate(capacity: int) -> dict[str, np.ndarray]:
        # Resident: the budget counts the whole capacity (see resident_zeros).
        return {"sample": resident_zeros(capacity, np.int64),
                "lr": resident_zeros(capacity, np.float64),
                "epoch": resident_zeros(capacity, np.int64),
                "index": resident_zeros(capacity, np.int64),
                "shown": resident_zeros(capacity, np.int64),
                "count": resident_zeros(capacity, np.int16)}

    def _epoch_order(self, epoch: int) -> np.ndarray:
        if self._order is None or self._order[0] != epoch:
            self._order = (epoch, self._order_of(epoch))
        return self._order[1]

    def _in_order(self, indices: tuple[int, ...], epoch: int, in_epoch: int) -> bool:
        """True when ``indices`` are the samples just before ``in_epoch`` in the order."""
        n = len(indices)
        return (self._order_of is not None and in_epoch >= n
                and self._epoch_order(epoch)[in_epoch - n:in_epoch].tolist() == list(indices))

    @property
    def last_step(self) -> int:
        return self.first_step + self._size

    def __len__(self) -> int:
        return self._size

    def nbytes(self) -> int:
        return ROW_BYTES * len(self._cols["lr"]) + self._foreign_nbytes + self._batches_nbytes

    def _row(self, step: int) -> int:
        if not self.first_step < step <= self.last_step:
            raise IndexError(f"step {step} is not logged")
        self._write_pending()
        return step - self.first_step - 1

    def _write_pending(self) -> None:
        """The pending rows into the columns."""
        pending = self._pending
        if not pending:
            return
        if self._size > len(self._cols["lr"]):
            self._grow(self._size - len(pending), self._size)
        # Floats hold every value exactly: learning rates, and integers far below 2 ** 53.
        write_rows([self._cols[key] for key in COLUMNS], self._size - len(pending), pending,
                   np.float64)
        pending.clear()

    def _grow(self, stored: int, needed: int) -> None:
        """Room for ``needed`` rows at least, the first ``stored`` kept (see
        ``grown_capacity``)."""
        bigger = self._allocate(grown_capacity(stored, needed))
        for key, a in self._cols.items():
            bigger[key][:stored] = a[:stored]
        self._cols = bigger
        self._resized()

    def _resized(self) -> None:
        if self.on_resize is not None:
            self.on_resize()

    def append(self, step: int, index, trace, position, note) -> None:
        """Step ``step`` (the next one) trained on training sample ``index`` (a sequence of
        indices for a batch), or on ``trace.input`` (None: a drawn digit or a test image),
        leaving the session at ``position`` (epoch, index_in_epoch, sample_index)."""
        if step != self.last_step + 1:
            raise ValueError(f"step {step} does not follow step {self.last_step}")
        epoch, in_epoch, shown = position
        if type(index) is int:  # one training sample (Run's steps): the row waits
            pending = self._pending
            pending.append((index, trace.lr, epoch, in_epoch,
                            NONE if shown is None else shown, 1))
            self._size += 1
            if len(pending) == PENDING_ROWS:
                self._write_pending()
            return
        self._write_pending()
        if self._size == len(self._cols["lr"]):
            self._grow(self._size, self._size + 1)
        i, c = self._size, self._cols
        indices = _as_indices(index)
        c["sample"][i] = FOREIGN if indices is None else indices[0]
        c["count"][i] = 1 if indices is None else len(indices)
        if indices is not None and len(indices) > 1 and not self._in_order(indices, epoch,
                                                                            in_epoch):
            kept = self._batches[step] = np.array(indices, dtype=np.int32)
            self._batches_nbytes += kept.nbytes + BATCH_BYTES
            self._resized()
        c["lr"][i] = trace.lr
        c["epoch"][i], c["index"][i] = epoch, in_epoch
        c["shown"][i] = NONE if shown is None else shown
        if index is None:
            # The trace's own frozen copy of the image: read-only, never written.
            self._foreign[step] = (trace.input[0], int(trace.label), note)
            self._foreign_nbytes += trace.input.nbytes + IMAGE_BYTES
            self._resized()
        self._size += 1

    def append_run(self, first_step: int, indices, lrs, epochs, in_epoch, shown) -> None:
        """Steps that each trained on one training sample, in order from ``first_step`` (the
        next one), as columns: each a sequence with a value a step (``shown``: the sample
        index, never None here). Written at once, a column at a time."""
        if first_step != self.last_step + 1:
            raise ValueError(f"step {first_step} does not follow step {self.last_step}")
        self._write_pending()
        start, end, c = self._size, self._size + len(indices), self._cols
        if end > len(c["lr"]):
            self._grow(start, end)
            c = self._cols
        for key, values in (("sample", indices), ("lr", lrs), ("epoch", epochs),
                            ("index", in_epoch), ("shown", shown)):
            c[key][start:end] = values
        c["count"][start:end] = 1
        self._size = end

    def forget_before(self, step: int) -> None:
        """Forget the steps up to ``step``: the run now starts after it (the rewind keeps
        to its byte budget however long a run is). The columns shrink to what is left."""
        self._write_pending()
        drop = max(0, min(self._size, int(step) - self.first_step))
        left = self._size - drop
        smaller = self._allocate(left + max(1024, left // 4))
        for key, a in self._cols.items():
            smaller[key][:left] = a[drop:self._size]
        self._cols, self._size = smaller, left
        self.first_step += drop
        for s in [s for s in self._foreign if s <= self.first_step]:
            self._foreign_nbytes -= self._foreign.pop(s)[0].nbytes + IMAGE_BYTES
        for s in [s for s in self._batches if s <= self.first_step]:
            self._batches_nbytes -= self._batches.pop(s).nbytes + BATCH_BYTES

    def truncate(self, step: int) -> None:
        """Forget the steps after ``step``."""
        self._write_pending()
        self._size = max(0, min(self._size, int(step) - self.first_step))
        for s in [s for s in self._foreign if s > step]:
            self._foreign_nbytes -= self._foreign.pop(s)[0].nbytes + IMAGE_BYTES
        for s in [s for s in self._batches if s > step]:
            self._batches_nbytes -= self._batches.pop(s).nbytes + BATCH_BYTES

    def same(self, step: int, index: int | None, trace, position) -> bool:
        """True when step ``step`` as just trained is the logged one: the same samples, the
        same learning rate, the same position after it."""
        i, c = self._row(step), self._cols
        if c["lr"][i] != trace.lr or self.position(step) != tuple(position):
            return False
        if index is not None:
            return self.samples(step) == _as_indices(index)
        logged = self._foreign.get(step)
        return (logged is not None and logged[1] == trace.label
                and np.array_equal(logged[0], trace.input[0]))

    def position(self, step: int) -> tuple[int, int, int | None]:
        i, c = self._row(step), self._cols
        shown = int(c["shown"][i])
        return int(c["epoch"][i]), int(c["index"][i]), None if shown == NONE else shown

    def sample(self, step: int) -> int | None:
        """The training index step ``step`` trained on (the first of a batch), None for a
        foreign image."""
        i = self._row(step)  # first: it may write the pending rows into new columns
        index = int(self._cols["sample"][i])
        return None if index == FOREIGN else index

    def samples(self, step: int) -> tuple[int, ...] | None:
        """The training indices step ``step`` trained on, None for a foreign image."""
        i, c = self._row(step), self._cols
        first, count = int(c["sample"][i]), int(c["count"][i])
        if first == FOREIGN:
            return None
        if count == 1:
            return (first,)
        kept = self._batches.get(step)
        if kept is not None:
            return tuple(kept.tolist())
        in_epoch = int(c["index"][i])
        order = self._epoch_order(int(c["epoch"][i]))
        return tuple(order[in_epoch - count:in_epoch].tolist())

    def inputs(self, step: int, dataset) -> tuple[np.ndarray, object, float, str | None,
                                                  tuple[int, ...]]:
        """What step ``step`` trained on: (x, label, lr, note, indices); note None for the
        split, indices () for a foreign image; a batch's x (B, C, H, W) and labels (B,)."""
        i = self._row(step)
        lr = float(self._cols["lr"][i])
        indices = self.samples(step)
        if indices is None:
            x, label, note = self._foreign[step]
            return x, label, lr, note, ()
        if len(indices) == 1:
            index = indices[0]
            return dataset.x_train[index], int(dataset.y_train[index]), lr, None, indices
        chosen = np.array(indices)
        return dataset.x_train[chosen], np.asarray(dataset.y_train[chosen]), lr, None, indices

    def lr_in_force(self, step: int, default: float) -> float:
        """The learning rate step ``step`` trained with (at the start of the run, the one the
        first step took), else ``default``."""
        if step > self.first_step:
            i = self._row(step)
            return float(self._cols["lr"][i])
        self._write_pending()
        return float(self._cols["lr"][0]) if self._size else default
