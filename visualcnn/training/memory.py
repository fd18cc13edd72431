"""What the rewind history costs, worked out from an architecture before any array exists.

One rewind point (a snapshot of the run, ``visualcnn.training.rewind``) keeps the parameters
and the optimiser's state (with momentum the velocities, with Adam its two moments), plus a
few small objects. The history has a byte budget
and thins its oldest snapshots to stay within it (every step stays reachable, far ones by a
longer replay); a network is refused when the budget cannot hold two of its points, before it
is built:

    >>> rewind_point_nbytes(parse_arch("conv8x3-pool2-dense10"))
    110712
    >>> check_arch_budget("dense50000-dense10", (1, 28, 28), 10)   # raises ArchError
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import math
import zipfile

import numpy as np

from visualcnn.common.errors import ArchError

# parameter_count: only conv and dense layers have parameters; pools, activations and
# flatten none (one count for the parser, the Model and data dock and the budget here).
from visualcnn.nn.arch import canonical_arch, parameter_count, parse_arch
from visualcnn.nn.optimizers import STATE_SLOTS

MB = 1_000_000
DEFAULT_BUDGET_MB = 100
MIN_BUDGET_MB, MAX_BUDGET_MB = 1, 1_000_000
MIN_POINTS = 2  # Step back restores one point and replays the step before it from another
BUDGET_SETTING = "Debug > Rewind history budget"

FLOAT_BYTES = 8
MARK_SUMS = 3  # the curves' running sums a point keeps besides one per parameter layer
# The Python objects of a point (its record, dicts, keys and array headers), measured with
# tracemalloc at about 1 to 3 KB a point: small beside the arrays, but not for a tiny network.
ENTRY_BYTES = 512
ARRAY_BYTES = 256


def held_nbytes(arrays) -> int:
    """Bytes a rewind point holding ``arrays`` costs: their data and the objects around."""
    arrays = list(arrays)
    return sum(a.nbytes for a in arrays) + ARRAY_BYTES * len(arrays) + ENTRY_BYTES


def rewind_point_nbytes(specs, momentum: bool = False, optimizer: str | None = None) -> int:
    """Bytes of one rewind point of the network ``specs`` describes: its parameters before
    the update (weight and bias of each layer), the optimiser's arrays of the same shapes
    (``optimizer`` "momentum": the velocities, "adam": m and v; None: "momentum" when
    ``momentum`` is true, else "sgd"), and the curves' running sums (``History.mark``)."""
    layers = sum(sp.kind in ("conv", "dense") for sp in specs)
    if optimizer is None:
        optimizer = "momentum" if momentum else "sgd"
    copies = 1 + len(STATE_SLOTS[optimizer])
    return (copies * (FLOAT_BYTES * parameter_count(specs) + ARRAY_BYTES * 2 * layers)
            + FLOAT_BYTES * (MARK_SUMS + layers) + ARRAY_BYTES + ENTRY_BYTES)


def resident_zeros(size: int, dtype) -> np.ndarray:
    """Zeros whose memory is taken now, for the rewind's per-step logs, whose whole capacity
    counts in its budget. ``np.zeros`` maps pages that take memory only once written: a
    log grown by half would then hold a third of its counted bytes in no memory at first,
    the budget would hand them to snapshots, and the process would rise by that third as
    the log filled and fall at its next growth (up to 16 MB with the default budget)."""
    a = np.empty(size, dtype)
    a.fill(0)
    return a


def grown_capacity(stored: int, needed: int) -> int:
    """The new capacity of a per-step log holding ``stored`` rows that needs ``needed``:
    half as much again, at least 1024 more (doubling would overshoot the rewind's budget by
    megabytes)."""
    return max(needed, stored + max(1024, stored // 2))


def write_rows(columns, start: int, rows: list[tuple], dtype) -> None:
    """Write ``rows`` (tuples, a value for each of ``columns`` in their order) into the
    columns from ``start`` on, in one block: a per-step log's newest rows wait as tuples,
    since NumPy item writes one at a time cost more."""
    block = np.array(rows, dtype=dtype)
    for k, column in enumerate(columns):
        column[start:start + len(rows)] = block[:, k]


def steps_kept(budget_mb: int, point: int) -> int:
    """How many rewind points of ``point`` bytes a budget of ``budget_mb`` MB holds."""
    return int(budget_mb) * MB // point


def needed_mb(point: int) -> int:
    """The smallest budget in whole MB that holds ``MIN_POINTS`` points of ``point`` bytes."""
    return math.ceil(MIN_POINTS * point / MB)


def check_arch_budget(arch: str, input_shape, classes: int,
                      budget_mb: int = DEFAULT_BUDGET_MB, momentum: float = 0.0,
                      optimizer: str | None = None) -> int:
    """Raise ArchError, naming the setting, when a budget of ``budget_mb`` MB cannot hold two
    rewind points of ``arch`` on inputs of ``input_shape`` with ``classes`` classes and
    ``optimizer`` (see ``rewind_point_nbytes``). Returns the bytes of one point. Nothing is
    allocated: call it before building the network."""
    arch = canonical_arch(arch)
    point = rewind_point_nbytes(parse_arch(arch, input_shape, classes), momentum > 0,
                                optimizer)
    _refuse_beyond(arch, point, budget_mb)
    return point


def _refuse_beyond(arch: str, point: int, budget_mb: int) -> None:
    if MIN_POINTS * point > int(budget_mb) * MB:
        name = arch if len(arch) <= 60 else arch[:57] + "..."  # a message stays one line
        raise ArchError(f"{name} needs {needed_mb(point):,} MB for two rewind points; the "
                        f"rewind history budget is {int(budget_mb):,} MB ({BUDGET_SETTING})")


def check_checkpoint_budget(path, budget_mb: int = DEFAULT_BUDGET_MB) -> None:
    """``check_arch_budget`` for the network a checkpoint holds, read from its small entries
    only (not its arrays). A file that cannot be read so passes: opening it says why."""
    try:
        if not zipfile.is_zipfile(path):
            return
        with np.load(path, allow_pickle=False) as z:
            arch, shape = str(z["arch"]), tuple(int(s) for s in z["input_shape"])
            specs = parse_arch(arch, shape, int(z["classes"]))
            momentum = float(z["momentum"]) > 0
            optimizer = str(z["optimizer"]) if "optimizer" in z.files else None
            if optimizer not in (None, *STATE_SLOTS):
                return  # opening it says what is wrong
    except Exception:  # damaged, missing or foreign: Session.open reports it in its words
        return
    try:
        _refuse_beyond(arch, rewind_point_nbytes(specs, momentum, optimizer), budget_mb)
    except ArchError as e:
        raise ArchError(f"{path}: {e}") from None


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, Windows, musl)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def return_freed_memory() -> bool:
    """Give the pages of memory freed inside the heap back to the system (glibc's
    ``malloc_trim``; elsewhere nothing): True when it could.

    The rewind history stays within its budget by dropping snapshots (100 KB blocks, kept in
    the heap) while its log grows in large arrays mapped apart from it. glibc keeps a freed
    block's pages unless asked, so the process would grow by the log's size, a few MB every
    100,000 steps, although the budget holds. About a millisecond here.
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
