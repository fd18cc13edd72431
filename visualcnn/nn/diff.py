"""What changed in the weights between two moments of a run, tensor by tensor.

    >>> before = named_params(net)               # copies, e.g. at step 100
    >>> ...                                      # train, rewind, open a checkpoint
    >>> for d in diff_params(before, named_params(net)):
    ...     d.name, d.norm, d.moved_most(3)      # "conv1/W", ||after - before||, filters
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualcnn.common.i18n import tr


def named_params(net) -> dict[str, np.ndarray]:
    """Copies of every parameter tensor, keyed "layer/key" ("conv1/W", "dense1/b")."""
    return {f"{layer.name}/{k}": np.array(v, copy=True) for layer, k, v in net.parameters()}


@dataclass(frozen=True)
class TensorDiff:
    """``delta`` = b - a for one tensor. ``per_unit`` holds the norm of ``delta`` for each
    slice along the first axis: each filter of a convolution's W, each unit of a dense W (one
    row), each entry of a bias."""

    name: str
    delta: np.ndarray
    norm: float  # ||b - a||
    norm_before: float  # ||a||
    per_unit: np.ndarray

    @property
    def relative(self) -> float:
        """||b - a|| / ||a||; NaN when a is all zero (the output layer at step 0)."""
        return self.norm / self.norm_before if self.norm_before > 0 else float("nan")

    @property
    def unit_noun(self) -> str:
        if self.name.endswith("/b"):
            return "entry"
        return "filter" if self.delta.ndim == 4 else "unit"

    def moved_most(self, top: int = 3) -> list[tuple[int, float]]:
        """The ``top`` slices that moved most, as (index, norm of their change), largest
        first; slices that did not move at all are left out."""
        order = np.argsort(-self.per_unit, kind="stable")[:top]
        return [(int(i), float(self.per_unit[i])) for i in order if self.per_unit[i] > 0]


def diff_params(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> list[TensorDiff]:
    """Per tensor, in ``a``'s order: what b - a changed. Raises a one-line ValueError when the
    two are not weights of the same architecture."""
    if list(a) != list(b):
        raise ValueError(tr("the two sets of weights have different tensors: {a} and {b}",
                            a=list(a), b=list(b)))
    diffs = []
    for name, before in a.items():
        after = b[name]
        if before.shape != after.shape:
            raise ValueError(tr("{tensor} has shape {before} in one set of weights and "
                                "{after} in the other", tensor=name, before=before.shape,
                                after=after.shape))
        delta = np.asarray(after, dtype=np.float64) - before
        with np.errstate(over="ignore", invalid="ignore"):
            per_unit = np.sqrt((delta.reshape(delta.shape[0], -1) ** 2).sum(axis=1))
            norm = float(np.sqrt((delta ** 2).sum()))
            norm_before = float(np.sqrt((np.asarray(before, dtype=np.float64) ** 2).sum()))
        diffs.append(TensorDiff(name, delta, norm, norm_before, per_unit))
    return diffs
