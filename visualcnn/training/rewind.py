"""Rewind the whole run: snapshots every few steps and a log of what each step depends on.
Qt-free.

A step depends on the weights and the optimiser's state before it (momentum's velocity,
Adam's moments; Adam's step count is the network's), on its sample (or mini-batch) and on
the learning rate. The sample is a training index (its place in the order follows from the
seed and the epoch), a batch the indices of its samples (a batch taken in the order: its
position and size; the batch size setting itself is not needed, the log has what each step
took), or, for a drawn digit or a test image, the image itself, which the log keeps. The
architecture, the optimiser and its settings, and the data belong to the session's network
and dataset: a new one starts a new run. So the state after any step ``n`` comes back bit for
bit by restoring the nearest snapshot at or before step ``n - 1`` and training the logged
steps up to ``n`` again; the last of them is step ``n``'s trace.

    >>> rewind = RunRewind(budget_bytes=100 * MB)
    >>> rewind.start(session)                # before the run's first recorded step
    >>> rewind.record(session, trace, index) # after each step
    >>> trace = rewind.go_to(session, 1234)  # weights, velocity, position, curves of step 1234

Two kinds of snapshot are kept within ``budget_bytes`` (with the log): checkpoints, every
``every`` steps, and a cache of recent ones: at most CACHE_STEPS at steps that are multiples
of CACHE_EVERY (taken as a run is recorded) and at most CACHE_STEPS others (steps slow enough
to take CACHE_SECONDS since the last snapshot, and the last few steps a jump replays), so that
Step back replays a few steps at most, then one, however fast the machine. Past the budget the
cache goes first, oldest first, then every other checkpoint of the oldest half: a jump far
back then replays longer. The start of the run is kept, so every step of it can be
reached, until the per-step logs (42 bytes a step here, 16 for the debugger's predictions)
pass LOG_SHARE of the budget: then the run starts anew at the last checkpoint a quarter of
the way in or before, the steps before it forgotten (for the default budget, after 600,000
to 860,000 steps). Thinning has made the oldest checkpoints the sparsest by then: when the
start is the only one there, the run starts at the next, often much further in.
"""

from __future__ import annotations

import bisect
import copy
from collections import OrderedDict
from time import perf_counter
from typing import NamedTuple

import numpy as np

from visualcnn.nn.network import replay_step
from visualcnn.training.memory import ARRAY_BYTES, DEFAULT_BUDGET_MB, FLOAT_BYTES, MB, held_nbytes
from visualcnn.training.step_log import StepLog

CHECKPOINT_EVERY = 128  # 782 checkpoints of the default network for 100,000 steps: 86 MB
# Replayed steps a jump keeps in the cache: the last few, so that Step back after a jump costs
# one step a few times over; keeping them all would only push checkpoints out of the budget.
CACHE_REPLAYED = 8
# Snapshots the cache keeps at most of each kind (on the CACHE_EVERY grid, and others). Each
# holds the parameters a step made: a cache of hundreds of steps (all a budget could hold)
# made every step write its new weights into memory last used hundreds of steps before, out
# of every CPU cache (measured alone, 9 us more for an update of the default network's dense
# weights).
CACHE_STEPS = 8
# While a run is recorded, the cache takes a snapshot at every multiple of CACHE_EVERY, and
# between them once the steps since the last snapshot took CACHE_SECONDS (a slow machine, a
# big network, a user pressing Step): Step back from the head replays at most what came after
# the last one (here 64 of the default network's steps, about 8 ms, below a frame) and caches
# those steps, so the next Step backs cost one step each. The two kinds are kept apart so that
# slow steps never push the grid's out. Each snapshot costs the Run about 20 us (the
# snapshot, the cache's bookkeeping, its arrays kept alive, and the next step's caches): one
# every 8 steps made Run with the debugger 4 % slower than one every 64, and one every step
# 4 % slower again.
CACHE_EVERY = 64
CACHE_SECONDS = 0.01
# The per-step logs (what each step trained on, the predictions it changed) may take this
# share of the budget; past it the oldest quarter of the run is forgotten, so that a Run of
# any length stays within the budget (the default network: after about a million steps).
LOG_SHARE = 0.5


class Snapshot(NamedTuple):
    """The state after ``step`` steps. Arrays are the network's own: an update replaces its
    parameters and the optimiser's arrays with new ones and never writes into the old ones.
    (A named tuple: one is made every step, in a quarter of a frozen dataclass's time.)"""

    step: int
    params: tuple  # per layer of the network, the values of its ``params`` dict in its order
    optimizer: dict  # (slot, layer, key) -> array: Network.optimizer_arrays(), {} for SGD
    position: tuple  # (epoch, index_in_epoch, sample_index)
    mark: tuple  # History.mark(): the count of steps and a tuple of running sums
    nbytes: int


def take_snapshot(session, position: tuple, nbytes: int | None = None) -> Snapshot:
    """The session's state now; ``nbytes`` when known (the same for every snapshot of a
    run: the shapes do not change)."""
    net = session.net
    # Tuples rather than a dict keyed by layer and name: a snapshot is taken every step.
    params = tuple([tuple(layer.params.values()) for layer in net.layers])
    state = net.optimizer_arrays() if net.optimizer != "sgd" else {}
    mark = session.history.mark()
    if nbytes is None:  # the running sums counted as the array of floats they amount to
        nbytes = (held_nbytes([a for arrays in params for a in arrays] + [*state.values()])
                  + FLOAT_BYTES * len(mark[1]) + ARRAY_BYTES)
    return Snapshot(net.step, params, state, position, mark, nbytes)


class SnapshotCache:
    """Recent snapshots beside the checkpoints: at most CACHE_STEPS at steps on the
    CACHE_EVERY grid and CACHE_STEPS others, the one cached first going first of its kind.
    ``add`` and the ``drop`` methods return the change in bytes held."""

    def __init__(self):
        self._snapshots: OrderedDict[int, Snapshot] = OrderedDict()  # in the order cached
        self.steps: list[int] = []  # their steps in order, for bisect

    def __len__(self) -> int:
        return len(self._snapshots)

    def __contains__(self, step: int) -> bool:
        return step in self._snapshots

    def latest(self, step: int) -> Snapshot | None:
        """The latest snapshot cached at or before ``step``, or None."""
        # The cache once held hundreds of steps: a loop over them cost milliseconds a jump.
        j = bisect.bisect_right(self.steps, step) - 1
        return self._snapshots[self.steps[j]] if j >= 0 else None

    def add(self, snap: Snapshot) -> int:
        step, steps = snap.step, self.steps
        change = snap.nbytes
        if not steps or step > steps[-1]:  # a step trained at the head of the run
            steps.append(step)
        else:
            old = self._snapshots.pop(step, None)
            if old is not None:
                change -= old.nbytes
            else:
                bisect.insort(steps, step)
        self._snapshots[step] = snap
        on_grid = step % CACHE_EVERY == 0
        if sum((s % CACHE_EVERY == 0) == on_grid for s in steps) > CACHE_STEPS:
            change += self.drop_oldest(on_grid)
        return change

    def drop_oldest(self, on_grid: bool | None = None) -> int:
        """The snapshot cached first (of those on the grid, or of the others, when
        ``on_grid`` says which) goes."""
        step = next(s for s in self._snapshots
                    if on_grid is None or (s % CACHE_EVERY == 0) == on_grid)
        del self.steps[bisect.bisect_left(self.steps, step)]
        return -self._snapshots.pop(step).nbytes

    def drop_where(self, gone) -> int:
        """The snapshots of the steps for which ``gone(step)`` is true go."""
        steps = [s for s in self.steps if gone(s)]
        self.steps = [s for s in self.steps if not gone(s)]
        return -sum(self._snapshots.pop(s).nbytes for s in steps)


class RunRewind:
    """Snapshots and the step log of one run of one session (see the module's docstring)."""

    # Whether a slow stretch (CACHE_SECONDS) takes a snapshot of its own: off while Run's
    # worker process (training.run_worker) trains, which sends the states of the grid's
    # steps only; its steps come here in bursts, not at the pace they were trained.
    timed_snapshots = True

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_MB * MB,
                 every: int = CHECKPOINT_EVERY):
        self.budget_bytes = int(budget_bytes)
        self.every = int(every)
        self.step_seconds = 2e-4  # a replayed step, measured by each jump
        self.log: StepLog | None = None
        self._checkpoints: list[Snapshot] = []
        self.cache = SnapshotCache()
        self._last_snapshot_time = 0.0  # of the last snapshot taken as the run is recorded
        self._logs_resized = False  # since the budget was last counted
        self._nbytes = 0
        self._head_history = None  # the run's curves while the session shows an older step
        self._failure: tuple[int, str] | None = None  # (first step, message)
        self._point_nbytes = 0  # one snapshot of this run
        # Bytes of what others keep per step of the run (the debugger's log of predictions),
        # counted in the budget with the snapshots: a callable, or None; ``on_forget(step)``
        # tells them that the steps up to ``step`` are gone.
        self.also_held = None
        self.on_forget = None

    # --------------------------------------------------------------------------- facts
    @property
    def started(self) -> bool:
        return self.log is not None

    @property
    def first_step(self) -> int:
        return self.log.first_step

    @property
    def last_step(self) -> int:
        return self.log.last_step

    def nbytes(self) -> int:
        """Bytes held: the snapshots' arrays with an allowance for their objects, the log."""
        return self._nbytes + self._logs_nbytes()

    def checkpoint_steps(self) -> list[int]:
        return [c.step for c in self._checkpoints]

    def run_history(self, session):
        """The curves of the whole run (the session's own while it shows the last step)."""
        return self._head_history if self._head_history is not None else session.history

    def nearest(self, step: int) -> Snapshot:
        """The latest snapshot at or before ``step`` (the start of the run at worst)."""
        i = bisect.bisect_right(self._checkpoints, step, key=lambda c: c.step) - 1
        best = self._checkpoints[max(i, 0)]
        cached = self.cache.latest(step)
        return cached if cached is not None and cached.step > best.step else best

    def replay_length(self, step: int) -> int:
        """How many steps a jump to ``step`` trains again."""
        return 0 if step <= self.first_step else step - self.nearest(step - 1).step

    def replay_lengths(self, steps: np.ndarray) -> np.ndarray:
        """``replay_length`` of many steps at once (the timeline's shading)."""
        points = np.array(sorted({c.step for c in self._checkpoints} | set(self.cache.steps)))
        steps = np.asarray(steps, dtype=np.int64)
        i = np.searchsorted(points, steps - 1, side="right") - 1
        return np.where(steps <= self.first_step, 0, steps - points[np.maximum(i, 0)])

    # ------------------------------------------------------------------------- keeping
    def start(self, session) -> None:
        """A new run from the session's present state (its first step is the next one)."""
        self.log = StepLog(session.net.step, order=session.epoch_order)
        self.log.on_resize = self.logs_resized
        self._checkpoints, self.cache, self._nbytes = [], SnapshotCache(), 0
        self._head_history = None
        self._failure = (session.net.step, session.failure) if session.failure else None
        base = take_snapshot(session, (session.epoch, session.index_in_epoch,
                                       session.sample_index))
        self._point_nbytes = base.nbytes
        self._add_checkpoint(base)
        self._last_snapshot_time = perf_counter()

    def record(self, session, trace, index, note: str | None = None) -> None:
        """After step ``trace.step``: ``index`` its training sample (a batch: a sequence of
        indices), or None for a drawn digit or a test image (``trace.input``, with ``note``
        saying what it was)."""
        n = trace.step
        position = (session.epoch, session.index_in_epoch, session.sample_index)
        if n <= self.log.last_step:
            if self.log.same(n, index, trace, position):
                self._on_the_logged_path(session, n, position)
                return
            self._forget_after(n - 1)
        self.log.append(n, index, trace, position, note)
        if session.failure and self._failure is None:
            self._failure = (n, session.failure)
        if self.snapshot_due(n):
            self.snapshot(session, n, position)
        elif self._logs_resized:
            self._keep_to_budget()

    def record_run(self, steps, indices, lrs, epochs, in_epoch, shown) -> None:
        """Steps of one training sample each at the head of the run, in order, as columns
        (see ``StepLog.append_run``); ``snapshot`` was called for those whose snapshot was due."""
        self.log.append_run(steps[0], indices, lrs, epochs, in_epoch, shown)
        if self._logs_resized:
            self._keep_to_budget()

    def snapshot_due(self, n: int) -> bool:
        """Whether step ``n`` at the head of the run takes a snapshot (a checkpoint, the
        cache's grid, or a slow stretch since the last one)."""
        return (n % CACHE_EVERY == 0 or n % self.every == 0
                or (self.timed_snapshots
                    and perf_counter() - self._last_snapshot_time >= CACHE_SECONDS))

    def snapshot(self, session, n: int, position) -> None:
        """The snapshot of step ``n`` at the head of the run (``snapshot_due``), the session
        at ``position``, and the budget counted with it."""
        self._last_snapshot_time = perf_counter()
        snap = take_snapshot(session, position, self._point_nbytes)
        if n % self.every == 0:
            self._add_checkpoint(snap)
        else:
            self._nbytes += self.cache.add(snap)
        self._keep_to_budget()

    def logs_resized(self) -> None:
        """The bytes a log holds changed (it grew, or kept an image): the budget is counted
        after this step, before the next snapshot."""
        self._logs_resized = True

    def _keep_to_budget(self) -> None:
        self._logs_resized = False
        # The logs' bytes, counted once: trimming snapshots leaves them as they are.
        logs = self._logs_nbytes()
        if self._nbytes + logs > self.budget_bytes:
            self._trim(logs)
        self._forget_oldest(logs)

    def _logs_nbytes(self) -> int:
        """Bytes held besides the snapshots: the step log and what ``also_held`` counts."""
        others = self.also_held() if self.also_held is not None else 0
        return others + (self.log.nbytes() if self.log is not None else 0)

    def _forget_oldest(self, logs: int) -> None:
        """Past LOG_SHARE of the budget in per-step logs (``logs`` bytes), the run starts
        anew at the last checkpoint a quarter of the way in or before, or the second one when
        that is the start (which would free nothing): the steps before it are forgotten.
        Only while recording, at the run's head: no step shown is ever forgotten."""
        if logs <= self.budget_bytes * LOG_SHARE or len(self._checkpoints) < 3:
            return
        quarter = self.first_step + (self.last_step - self.first_step) // 4
        kept = max(1, bisect.bisect_right(self._checkpoints, quarter, key=lambda c: c.step) - 1)
        start = self._checkpoints[kept]
        for gone in self._checkpoints[:kept]:
            self._nbytes -= gone.nbytes
        self._checkpoints = self._checkpoints[kept:]
        self._nbytes += self.cache.drop_where(lambda s: s <= start.step)
        self.log.forget_before(start.step)
        if self.on_forget is not None:
            self.on_forget(start.step)

    def _on_the_logged_path(self, session, n: int, position) -> None:
        """A step trained again from a rewound state as the log has it: the same result,
        so the rest of the run stays; once at its end the session's curves are the run's."""
        if n == self.last_step:
            self._head_history = None
        if n % self.every and n not in self.cache:
            self._nbytes += self.cache.add(take_snapshot(session, position, self._point_nbytes))
            self._trim()

    def _forget_after(self, step: int) -> None:
        """A different step n + 1 was trained: the run after ``step`` is gone."""
        self.log.truncate(step)
        while self._checkpoints[-1].step > step and len(self._checkpoints) > 1:
            self._nbytes -= self._checkpoints.pop().nbytes
        self._nbytes += self.cache.drop_where(lambda s: s > step)
        self._last_snapshot_time = perf_counter()
        self._head_history = None
        if self._failure is not None and self._failure[0] > step:
            self._failure = None

    def _add_checkpoint(self, snap: Snapshot) -> None:
        self._checkpoints.append(snap)
        self._nbytes += snap.nbytes

    def set_budget(self, budget_bytes: int) -> None:
        self.budget_bytes = int(budget_bytes)
        self._trim()

    def _trim(self, logs: int | None = None) -> None:
        """Snapshots go, the cached ones first, until the budget holds everything; ``logs``:
        the logs' bytes when known (dropping snapshots does not change them)."""
        room = self.budget_bytes - (self._logs_nbytes() if logs is None else logs)
        while self.cache and self._nbytes > room:
            self._nbytes += self.cache.drop_oldest()
        while self._nbytes > room and len(self._checkpoints) > 2:
            self._thin_oldest()

    def _thin_oldest(self) -> None:
        """Every other checkpoint of the oldest half goes (the start and the newest stay):
        the spacing there doubles."""
        keep, older = [self._checkpoints[0]], self._checkpoints[1:]
        half = max(1, len(older) // 2)
        for i, c in enumerate(older):
            if i < half and i % 2 == 0 and c is not older[-1]:
                self._nbytes -= c.nbytes
            else:
                keep.append(c)
        self._checkpoints = keep

    # -------------------------------------------------------------------------- jumping
    def go_to(self, session, step: int):
        """Put ``session`` at step ``step`` of the run: weights, the optimiser's state
        (velocity, Adam's moments), position, learning rate, failure and curves as they were
        after it. Returns its trace, trained again bit for bit, or None at the start of the
        run (no step made it)."""
        step = int(step)
        if not self.first_step <= step <= self.last_step:
            raise ValueError(f"step {step} is not in the run ({self.first_step} to "
                             f"{self.last_step})")
        start = perf_counter()
        # A rate changed since the step on screen is meant for the next step ("lower the
        # learning rate, then step back"): it stays. Otherwise the step's own comes back.
        pending = session.lr != self.log.lr_in_force(session.net.step, session.lr)
        snap = self.nearest(max(step - 1, self.first_step))
        head = self.run_history(session)
        history = head.rewound_copy(snap.mark, step)
        self._restore(session.net, snap)
        session.history = history
        self._head_history = head if step < self.last_step else None
        steps = [self.log.inputs(k, session.dataset) for k in range(snap.step + 1, step + 1)]
        position = snap.position if step == snap.step else self.log.position(step)
        trace = session.seek(*position, replay=steps,
                             after=lambda t: self._cache_replayed(session, t, step))
        if steps and not steps[-1][4]:
            # A drawn digit or a test image: the training samples shown stay the last ones.
            session.batch_indices = self._last_samples(step, position[2])
        if not pending:
            session.lr = self.log.lr_in_force(step, session.lr)
        failure = self._failure
        session.failure = failure[1] if failure is not None and failure[0] <= step else None
        if steps:
            self.step_seconds = (perf_counter() - start) / len(steps)
        self._trim()
        return trace

    def weights_at(self, session, step: int) -> dict[str, np.ndarray]:
        """The parameters after step ``step`` of the run, keyed "layer/key", worked out on a
        copy of the session's network: the session, its network and its curves stay as they
        are. Bit for bit the weights ``go_to(session, step)`` would give."""
        step = int(step)
        if not self.first_step <= step <= self.last_step:
            raise ValueError(f"step {step} is not in the run ({self.first_step} to "
                             f"{self.last_step})")
        snap = self.nearest(step)
        net = copy.deepcopy(session.net)
        self._restore(net, snap)
        with np.errstate(all="ignore"):
            for k in range(snap.step + 1, step + 1):
                x, label, lr, _note, _indices = self.log.inputs(k, session.dataset)
                replay_step(net, x, label, lr)
        return {f"{layer.name}/{key}": np.array(value, copy=True)
                for layer, key, value in net.parameters()}

    def _last_samples(self, step: int, shown: int | None) -> tuple[int, ...]:
        """The training samples of the last step up to ``step`` that trained on some."""
        for k in range(step, self.first_step, -1):
            samples = self.log.samples(k)
            if samples is not None:
                return samples if samples[0] == shown else (shown,)
        return () if shown is None else (shown,)

    def _restore(self, net, snap: Snapshot) -> None:
        # Copies: the snapshot's arrays stay as they are whatever is done to the network.
        for layer, values in zip(net.layers, snap.params, strict=True):
            for k, value in zip(list(layer.params), values, strict=True):
                layer.params[k] = np.array(value)
        net.set_optimizer_arrays(snap.optimizer)
        net.step = snap.step  # Adam's step count with it

    def _cache_replayed(self, session, trace, target: int) -> None:
        step = trace.step
        if target - step < CACHE_REPLAYED and step % self.every and step not in self.cache:
            self._nbytes += self.cache.add(take_snapshot(session, self.log.position(step),
                                                         self._point_nbytes))
