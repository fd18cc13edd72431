"""Step-through debugging of a session: phases, rewind, replay, dry runs, breakpoints. Qt-free.

A ``Debugger`` attaches to a ``Session`` (through ``Session.step_hook``) and sees every step,
however it was started (Step, Run, a phase walk's last phase, Replay, a drawn digit trained):

    >>> dbg = Debugger(session)
    >>> event = dbg.step_phase()      # "forward conv1"; again and again ... "update"
    >>> trace = dbg.step_back()       # undo the last update exactly; the trace before it
    >>> trace = dbg.go_to(1234)       # any step of the run, bit for bit
    >>> dbg.breakpoints = Breakpoints(wrong_prediction=True)   # session.pause_reason

Rewind covers the whole run (``visualcnn.training.rewind``): snapshots every few steps and a
log of each step's sample and learning rate, within a byte budget (``budget_bytes``). Going
back restores the nearest snapshot and trains the logged steps again: a step is
deterministic, so weights, velocity, trace and curves come back bit for bit. Going back keeps
the steps after it until a different step is trained, so a jump can also go forward again.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from visualcnn.common.i18n import tr
from visualcnn.nn.gradcheck import GradcheckReport, gradcheck
from visualcnn.nn.network import PhaseEvent
from visualcnn.nn.trace import StepTrace
from visualcnn.training.breakpoints import Breakpoints, PredictionMemory
from visualcnn.training.memory import DEFAULT_BUDGET_MB, MB
from visualcnn.training.rewind import RunRewind

# Run's steps that wait to be logged (see Debugger._waiting): written at the first snapshot
# once this many wait. Written at every snapshot (8 steps), Run with the debugger was 3 %
# slower: each block's Python costs the engine's next step its caches again.
WAITING_STEPS = 64


@dataclass
class _Walk:
    """A sample (or batch) walked phase by phase, on a private copy of the network (nothing
    else can disturb the layers' caches between phases); the last phase is a real step."""

    events: object  # the generator of PhaseEvents
    net: object  # the session's network it copied
    first: np.ndarray  # the network's first parameter array then: replaced by any update
    step: int
    samples: tuple[int, ...]


def _first_param(net) -> np.ndarray | None:
    for layer in net.layers:  # as net.parameters() would give it first, without a generator
        if layer.params:
            return next(iter(layer.params.values()))
    return None


def _what(session, trace, index) -> str:
    """What a step trained on, for a breakpoint's message: "sample #12", "batch of 8 from
    sample #12", or the note of a drawn digit or a test image."""
    if index is None:
        return session.note_for(trace)
    if isinstance(index, (int, np.integer)):
        return tr("sample #{index}", index=index)
    return tr("batch of {size} from sample #{index}", size=len(index), index=index[0])


class Debugger:
    """Phase walking, rewind, Replay, Dry run and breakpoints for ``session``."""

    def __init__(self, session, budget_bytes: int = DEFAULT_BUDGET_MB * MB):
        self.session = None
        self.breakpoints = Breakpoints()
        self.event: PhaseEvent | None = None  # the walk's latest phase, None outside a walk
        self._rewind = RunRewind(budget_bytes)
        self.hits: dict[int, str] = {}  # step -> the breakpoint that fired after it
        # Breakpoints of features outside this package (the window's "my layers disagree"):
        # callables (session, trace) -> a reason, or None; asked after the built-in ones.
        self.extra_breakpoints: list = []
        self._predictions = PredictionMemory()  # for "this sample's prediction changed"
        self._rewind.also_held = self._predictions.nbytes
        self._rewind.on_forget = self._predictions.forget_before
        self._predictions.on_resize = self._rewind.logs_resized
        # Run's steps at the head of the run, one training sample each, nothing to check
        # after them (no breakpoint ticked): (step, index, lr, epoch, index in the epoch,
        # sample index, prediction), written into the rewind's log and the memory of
        # predictions at the step's snapshot, a few steps on, or before either is read.
        # Their bookkeeping a step at a time made Run with the debugger 5 % slower.
        self._waiting: list[tuple] = []
        self._fast_next: int | None = None  # the step that may wait next, None: none
        self._walk: _Walk | None = None
        # The last dry run and its samples (one index, or a batch's tuple).
        self._dry: tuple[StepTrace, tuple[int, ...]] | None = None
        self._committing = False
        self._expect = None  # (net, history, first layer with parameters, its first key)
        self._expect_at = (0, None)  # the network's step and first parameter array then
        self.attach(session)

    @property
    def rewind(self) -> RunRewind:
        """The run's rewind history, with every step recorded so far written into it."""
        self._write_waiting()
        return self._rewind

    @property
    def predictions(self) -> PredictionMemory:
        """The memory of predictions, with every step recorded so far written into it."""
        self._write_waiting()
        return self._predictions

    def _write_waiting(self) -> None:
        waiting = self._waiting
        if not waiting:
            return
        self._waiting = []
        steps, indices, lrs, epochs, in_epoch, shown, predictions = zip(*waiting, strict=True)
        self._predictions.record_run(self.session.dataset, steps, indices, predictions)
        self._rewind.record_run(steps, indices, lrs, epochs, in_epoch, shown)

    @property
    def budget_bytes(self) -> int:
        return self._rewind.budget_bytes

    # ------------------------------------------------------------------------ attaching
    def attach(self, session) -> None:
        """Follow ``session`` (a new one after a dataset change); forgets the old run."""
        if session is self.session:
            return
        if self.session is not None:
            self._write_waiting()
        if self.session is not None and self.session.step_hook is self:
            self.session.step_hook = None
        self.session = session
        session.step_hook = self
        self._walk = self.event = self._dry = None
        self._expect = self._fast_next = None

    # ---------------------------------------------------------------- the session's hook
    def before_step(self, session):
        if self._walk is not None and not self._committing:
            self._walk = self.event = None  # any other step ends a walk
        if not self.continuous():
            # A reset, a checkpoint or an unrecorded step came between: a new run.
            self.rewind.start(session)
            self.predictions.new_run()
            self.hits = {}
            self._fast_next = None
        return None

    def after_step(self, session, trace: StepTrace, index: int | None, before) -> None:
        n = trace.step
        if (n == self._fast_next and type(index) is int and session.failure is None
                and not self.extra_breakpoints and not self.breakpoints.any_ticked):
            # Run's step: it waits (see _waiting), unless its snapshot is due.
            self._fast_next = n + 1
            waiting = self._waiting
            waiting.append((n, index, trace.lr, session.epoch, session.index_in_epoch,
                            session.sample_index, trace.prediction))
            _, _, layer, key = self._expect
            self._expect_at = (n, None if layer is None else layer.params[key])
            session.pause_reason = None
            rewind = self._rewind
            if rewind.snapshot_due(n):
                if len(waiting) >= WAITING_STEPS:
                    self._write_waiting()
                rewind.snapshot(session, n, waiting[-1][3:6])
            return
        # The predictions first: the rewind keeps to its budget counting their log too.
        if index is None or isinstance(index, (int, np.integer)):
            previous = self.predictions.record(session.dataset, index, trace.prediction,
                                               trace.step)
        else:  # a batch: each sample's own prediction, in the batch's order
            previous = [self.predictions.record(session.dataset, i, int(p), trace.step)
                        for i, p in zip(index, trace.predictions, strict=True)]
        # The note says what a step from elsewhere (index None) trained on.
        self.rewind.record(session, trace, index,
                           session.note_for(trace) if index is None else None)
        if self.hits and next(reversed(self.hits)) >= trace.step:  # a new branch
            self.hits = {s: r for s, r in self.hits.items() if s < trace.step}
        self.remember()
        bp = self.breakpoints
        session.pause_reason = None
        if bp.any_ticked:
            norms = dict(zip(session.history.layer_names, session.history.grad_norm[-1],
                             strict=True))
            reason = bp.check(trace, finite=session.last_step_finite, grad_norms=norms,
                              sample=index, previous_prediction=previous)
            if reason is not None:
                session.pause_reason = tr("{reason} ({what})", reason=reason,
                                          what=_what(session, trace, index))
                self.hits[trace.step] = session.pause_reason
        for extra in self.extra_breakpoints:
            if session.pause_reason is not None:
                break
            reason = extra(session, trace)
            if reason is not None:
                session.pause_reason = reason
                self.hits[trace.step] = reason
        # At the head of the run, the next step may wait.
        self._fast_next = n + 1 if n == self._rewind.last_step else None

    def set_budget(self, budget_bytes: int) -> None:
        """A new byte budget for the rewind history; it thins at once if it shrank."""
        self.rewind.set_budget(budget_bytes)

    def remember(self) -> None:
        """Follow the network as it is now: the run goes on from it (see ``continuous``)."""
        net = self.session.net
        layer = next((layer for layer in net.layers if layer.params), None)
        key = None if layer is None else next(iter(layer.params))
        self._expect = (net, self.session.history, layer, key)
        self._expect_at = (net.step, None if layer is None else layer.params[key])

    def continuous(self) -> bool:
        """True while nothing but the steps recorded here has changed the network: no reset,
        no checkpoint opened, no step trained past the session's ``step``."""
        if self._expect is None or self._rewind.log is None:  # nothing recorded yet
            return False
        net, history, layer, key = self._expect
        step, first = self._expect_at
        s = self.session
        return (s.net is net and net.step == step and s.history is history
                and (layer is None or layer.params.get(key) is first))

    # -------------------------------------------------------------------------- rewind
    @property
    def first_step(self) -> int | None:
        """The first step of the run that can be gone back to (None before any step)."""
        return self.rewind.first_step if self.continuous() else None

    @property
    def last_step(self) -> int | None:
        """The last step of the run (after the shown one when it was gone back to)."""
        return self.rewind.last_step if self.continuous() else None

    @property
    def can_step_back(self) -> bool:
        return self.continuous() and self.session.net.step > self.rewind.first_step

    @property
    def rewind_depth(self) -> int:
        return self.session.net.step - self.rewind.first_step if self.continuous() else 0

    def history_nbytes(self) -> int:
        """Bytes the rewind history holds: the snapshots' arrays (parameters, the
        optimiser's state, the curves' marks) with an allowance for their objects, the log,
        and the memory of each sample's last prediction with its log."""
        return self.rewind.nbytes()

    def run_history(self):
        """The curves of the whole run, also while an older step is shown."""
        return self.rewind.run_history(self.session) if self.continuous() else \
            self.session.history

    def go_to(self, step: int) -> StepTrace | None:
        """Show step ``step`` of the run: the state after it, and its trace trained again bit
        for bit (None at the start of the run: no step made it). Raises ValueError outside
        ``first_step`` .. ``last_step``."""
        self.end_walk()
        if not self.continuous():
            raise ValueError(tr("no run to go back in: no step was recorded since the last "
                                "reset or checkpoint"))
        trace = self.rewind.go_to(self.session, step)
        self.predictions.go_to(step)
        self._dry = None
        self.remember()
        return trace

    def weights_at(self, step: int) -> dict[str, np.ndarray]:
        """Copies of the parameters after step ``step`` of the run ("layer/key" -> array),
        without moving the session. Raises ValueError outside ``first_step`` .. ``last_step``."""
        if not self.continuous():
            raise ValueError(tr("no run to look back in: no step was recorded since the "
                                "last reset or checkpoint"))
        return self.rewind.weights_at(self.session, step)

    def step_back(self) -> StepTrace | None:
        """Undo the last update. Returns the trace of the step before it, recomputed bit for
        bit, or None at the start of the run (or when there is nothing to undo)."""
        if not self.can_step_back:
            self.end_walk()
            return None
        return self.go_to(self.session.net.step - 1)

    # ----------------------------------------------------------------- replay, dry run
    def shown_batch(self, trace: StepTrace | None) -> tuple[int, ...]:
        """The dataset indices of ``trace``'s samples: those of a dry run, those the session
        trained, else (a preview) the next ones."""
        s = self.session
        if trace is not None and self._dry is not None and self._dry[0] is trace:
            return self._dry[1]
        if trace is not None and trace.applied and s.batch_indices:
            return s.batch_indices
        return s.next_batch_indices

    def shown_sample(self, trace: StepTrace | None) -> int:
        """The dataset index of ``trace`` (of its first sample for a batch): see
        ``shown_batch``."""
        return self.shown_batch(trace)[0]

    def replay(self, sample=None) -> StepTrace:
        """Train on ``sample`` (an index, or a sequence of them for a batch; default: the
        last step's samples) again with the current weights. A real step (the curves count
        it, Step back undoes it); the position does not move."""
        self.end_walk()
        s = self.session
        if sample is None:
            sample = s.batch_indices or s.next_batch_indices
        trace = s.replay(sample)
        self.remember()
        return trace

    def dry_run(self, sample=None) -> StepTrace:
        """Forward and backward on ``sample`` (an index, or a sequence of them for a batch;
        default: the next step's samples) without an update."""
        self.end_walk()
        s = self.session
        chosen = s.next_batch_indices if sample is None else \
            tuple(int(i) for i in np.asarray(sample, dtype=np.int64).reshape(-1))
        with np.errstate(all="ignore"):
            trace = s.net.forward_backward(*s.batch_inputs(chosen), s.lr)
        self._dry = (trace, chosen)
        return trace

    # ---------------------------------------------------------------------- phase walk
    @property
    def walking(self) -> bool:
        return self._walk is not None and self._walk_valid()

    def _walk_valid(self) -> bool:
        w, s = self._walk, self.session
        return (w is not None and s.net is w.net and s.net.step == w.step
                and _first_param(s.net) is w.first and s.next_batch_indices == w.samples)

    def step_phase(self) -> PhaseEvent:
        """The next phase of the next sample (batch): forward layer by layer, the loss,
        backward layer by layer in reverse, then the update, which is the session's real
        step."""
        s = self.session
        if not self.walking:
            samples = s.next_batch_indices
            twin = copy.deepcopy(s.net)
            events = twin.phases(*s.batch_inputs(samples), s.lr, apply=False)
            self._walk = _Walk(events, s.net, _first_param(s.net), s.net.step, samples)
        with np.errstate(all="ignore"):
            event = next(self._walk.events, None)
        if event is None:
            trace = self.finish_walk()
            event = PhaseEvent("update", None, None, trace)
        else:
            self.event = event
        return event

    def finish_walk(self) -> StepTrace:
        """Finish the sample being walked (or, outside a walk, step the next one)."""
        self._committing = True
        try:
            trace = self.session.step()
        finally:
            self._committing = False
        self.end_walk()
        return trace

    def end_walk(self) -> None:
        self._walk = self.event = None


def gradcheck_copy(net, x, y: int, tensor: str, max_entries: int | None = None,
                   seed: int = 0) -> GradcheckReport:
    """Backprop against centred finite differences for one tensor ("conv1/W", "input") on
    sample ``x`` (C, H, W) with label ``y``, on a copy of ``net``: the network itself is not
    touched (nor a phase walk in progress)."""
    twin = copy.deepcopy(net)
    with np.errstate(all="ignore"):
        return gradcheck(twin, x, int(y), tensors=[tensor], max_entries=max_entries, seed=seed)


def tensor_names(net) -> list[str]:
    """The tensors ``gradcheck_copy`` can check: "layer/key" of each parameter, "input"."""
    return [f"{layer.name}/{k}" for layer, k, _ in net.parameters()] + ["input"]
