"""The next training samples of an epoch, converted a chunk at a time. Qt-free.

A step on one sample wants its image as floats. Converting one sample (index the split,
widen the bytes, divide) costs as many NumPy calls as converting many, and Run trains an
epoch's order one sample after another: so the feed converts the next CHUNK samples of the
order at once and hands them out one by one. The floats are the same bits either way
(``data.pixels.to_unit_floats`` converts per sample or per chunk alike).

    >>> feed = EpochFeed()
    >>> index, x, label = feed.sample(dataset, epoch, order, position)  # order[position]
"""

from __future__ import annotations

import numpy as np

CHUNK = 64  # samples converted at once: 200 KB of MNIST-sized floats


class EpochFeed:
    """Samples of a dataset's training split in an epoch's order (see the module)."""

    def __init__(self):
        self._dataset = None
        self._epoch = self._first = -1  # the chunk held: its epoch and first position
        self._indices: list[int] = []
        self._labels: list[int] = []
        self._images: np.ndarray | None = None

    def sample(self, dataset, epoch: int, order: np.ndarray,
               position: int) -> tuple[int, np.ndarray, int]:
        """(index, image, label) of the sample at ``position`` of ``order``, epoch ``epoch``'s
        order of ``dataset``: the dataset index, its (C, H, W) floats (a view: not to be
        written) and its label."""
        at = position - self._first
        if (dataset is not self._dataset or epoch != self._epoch
                or not 0 <= at < len(self._indices)):
            chosen = order[position:position + CHUNK]
            self._images = dataset.x_train[chosen]
            self._indices = chosen.tolist()
            self._labels = dataset.y_train[chosen].tolist()
            self._dataset, self._epoch, self._first, at = dataset, epoch, position, 0
        return self._indices[at], self._images[at], self._labels[at]
