"""Step-through debugging of a session: phases, rewind, replay, dry runs, breakpoints. Qt-free.

A ``Debugger`` attaches to a ``Session`` (through ``Session.step_hook``) and sees every step,
however it was started (Step, Run, a phase walk's last phase, Replay):

    >>> dbg = Debugger(session)
    >>> event = dbg.step_phase()      # "forward conv1"; again and again ... "update"
    >>> trace = dbg.step_back()       # undo the last update exactly; the trace before it
    >>> dbg.breakpoints = Breakpoints(wrong_prediction=True)   # session.pause_reason

Rewind keeps, per step, what the step replaced: the parameters before the update (the
trace's own frozen arrays, which the network no longer holds: no copy), the momentum velocity
before it (only with momentum; those arrays are replaced, not written, by an update), the
position in the epoch, the learning rate and a mark of the curves' history. Stepping back from
step t puts the state before step t-1 back and trains step t-1 again: the step is
deterministic, so this recreates both step t-1's trace and the weights before step t bit for
bit. The entries are kept within a byte budget (``budget_bytes``), oldest dropped first, so a
bigger network keeps fewer steps; ``history_nbytes()`` says what they hold.
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass

import numpy as np

from visualcnn.nn.gradcheck import GradcheckReport, gradcheck
from visualcnn.nn.network import PhaseEvent
from visualcnn.nn.trace import StepTrace
from visualcnn.training.breakpoints import Breakpoints
from visualcnn.training.memory import DEFAULT_BUDGET_MB, MB, held_nbytes


@dataclass(frozen=True)
class _Undo:
    """What step ``step_before + 1`` changed, so that it can be undone."""

    net: object
    step_before: int
    params: dict  # (layer, key) -> the array before the update (frozen, the trace's own)
    velocity: dict | None  # (layer, key) -> velocity before the update, with momentum only
    position: tuple  # (epoch, index_in_epoch, sample_index) before the step
    failure: str | None
    mark: tuple  # the history's mark before the step
    sample: int  # the dataset index the step trained on
    lr: float

    def nbytes(self) -> int:
        """The arrays' bytes and an allowance for the objects around them (memory.py)."""
        velocity = self.velocity.values() if self.velocity is not None else ()
        return held_nbytes([*self.params.values(), *velocity, self.mark[1]])


@dataclass
class _Walk:
    """A sample walked phase by phase, on a private copy of the network (nothing else can
    disturb the layers' caches between phases); the last phase is a real step."""

    events: object  # the generator of PhaseEvents
    net: object  # the session's network it copied
    first: np.ndarray  # the network's first parameter array then: replaced by any update
    step: int
    sample: int


def _first_param(net) -> np.ndarray | None:
    return next((v for _, _, v in net.parameters()), None)


class Debugger:
    """Phase walking, Step back, Replay, Dry run and breakpoints for ``session``."""

    def __init__(self, session, budget_bytes: int = DEFAULT_BUDGET_MB * MB):
        self.budget_bytes = int(budget_bytes)
        self.session = None
        self.breakpoints = Breakpoints()
        self.event: PhaseEvent | None = None  # the walk's latest phase, None outside a walk
        self._undo: deque[_Undo] = deque()
        self._nbytes = 0  # history_nbytes(), kept up to date as entries come and go
        self._walk: _Walk | None = None
        self._committing = False
        self._expect = None
        self.attach(session)

    # ------------------------------------------------------------------------ attaching
    def attach(self, session) -> None:
        """Follow ``session`` (a new one after a dataset change); forgets the old history."""
        if session is self.session:
            return
        if self.session is not None and self.session.step_hook is self:
            self.session.step_hook = None
        self.session = session
        session.step_hook = self
        self._forget()
        self._walk = self.event = None
        self._expect = None

    # ---------------------------------------------------------------- the session's hook
    def before_step(self, session):
        if not self._committing:
            self._walk = self.event = None  # any other step ends a walk
        if not self._continuous():
            self._forget()  # a reset, a checkpoint or an unrecorded step came between
        position = (session.epoch, session.index_in_epoch, session.sample_index)
        net = session.net
        velocity = dict(net.velocity) if net.momentum else None
        return position, velocity, session.failure, session.history.mark()

    def after_step(self, session, trace: StepTrace, index: int, before) -> None:
        position, velocity, failure, mark = before
        net = session.net
        params = {(lt.name, k): v for lt in trace.layers for k, v in lt.params.items()}
        self._keep(_Undo(net, trace.step - 1, params, velocity, position, failure, mark,
                         int(index), trace.lr))
        self._remember()
        bp = self.breakpoints
        session.pause_reason = None
        if bp.any_ticked:
            norms = dict(zip(session.history.layer_names, session.history.grad_norm[-1],
                             strict=True))
            reason = bp.check(trace, finite=session.last_step_finite, grad_norms=norms)
            if reason is not None:
                session.pause_reason = f"{reason} (sample #{index})"

    def _keep(self, u: _Undo) -> None:
        """Add ``u``, first dropping the oldest entries it would not fit beside."""
        size = u.nbytes()
        while self._undo and self._nbytes + size > self.budget_bytes:
            self._nbytes -= self._undo.popleft().nbytes()
        if size <= self.budget_bytes:
            self._undo.append(u)
            self._nbytes += size

    def _forget(self) -> None:
        self._undo.clear()
        self._nbytes = 0

    def set_budget(self, budget_bytes: int) -> None:
        """A new byte budget for the history; the oldest entries go at once if it shrank."""
        self.budget_bytes = int(budget_bytes)
        while self._undo and self._nbytes > self.budget_bytes:
            self._nbytes -= self._undo.popleft().nbytes()

    def _remember(self) -> None:
        net = self.session.net
        self._expect = (net, net.step, _first_param(net), self.session.history)

    def _continuous(self) -> bool:
        """True while nothing but the steps recorded here has changed the network: no reset,
        no checkpoint opened, no step trained past the session's ``step``."""
        if self._expect is None:
            return False
        net, step, first, history = self._expect
        s = self.session
        return (s.net is net and net.step == step and _first_param(net) is first
                and s.history is history)

    # -------------------------------------------------------------------------- rewind
    @property
    def can_step_back(self) -> bool:
        return bool(self._undo) and self._continuous()

    @property
    def rewind_depth(self) -> int:
        return len(self._undo) if self._continuous() else 0

    def history_nbytes(self) -> int:
        """Bytes the rewind history holds: its arrays (parameters, velocities with momentum,
        the curves' marks) and an allowance for the objects around them."""
        return sum(u.nbytes() for u in self._undo)

    def _restore(self, u: _Undo) -> None:
        net = self.session.net
        for layer in net.layers:
            for k in layer.params:
                layer.params[k] = np.array(u.params[(layer.name, k)])
                if u.velocity is not None:
                    net.velocity[(layer.name, k)] = np.array(u.velocity[(layer.name, k)])
        net.step = u.step_before

    def step_back(self) -> StepTrace | None:
        """Undo the last update. Returns the trace of the step before it, recomputed bit for
        bit, or None when that step is not in the history (show a preview then)."""
        self.end_walk()
        if not self.can_step_back:
            return None
        s = self.session
        u = self._undo.pop()
        self._nbytes -= u.nbytes()
        trace = None
        prev = self._undo[-1] if self._undo else None
        if prev is not None:
            self._restore(prev)
            x, y = s.dataset.x_train[prev.sample], int(s.dataset.y_train[prev.sample])
            with np.errstate(all="ignore"):
                trace = s.net.train_step(x, y, prev.lr)
        else:
            self._restore(u)
        s.net.step = u.step_before
        s.seek(*u.position)
        s.history.rewind(u.mark, u.step_before)
        s.failure = u.failure
        s.pause_reason = s.divergence = None
        s.last_trace = trace
        self._remember()
        return trace

    # ----------------------------------------------------------------- replay, dry run
    def shown_sample(self, trace: StepTrace | None) -> int:
        """The dataset index of ``trace`` when the session trained it, else the next one."""
        s = self.session
        if trace is not None and trace.applied and s.sample_index is not None:
            return s.sample_index
        return s.next_sample_index

    def replay(self, sample: int | None = None) -> StepTrace:
        """Train on ``sample`` (default: the last one trained) again with the current weights.
        A real step (the curves count it, Step back undoes it); the position does not move."""
        self.end_walk()
        s = self.session
        if sample is None:
            sample = s.sample_index if s.sample_index is not None else s.next_sample_index
        trace = s.replay(sample)
        self._remember()
        return trace

    def dry_run(self, sample: int | None = None) -> StepTrace:
        """Forward and backward on ``sample`` (default: the next one) without an update."""
        self.end_walk()
        s = self.session
        sample = s.next_sample_index if sample is None else sample
        with np.errstate(all="ignore"):
            return s.net.forward_backward(s.dataset.x_train[sample],
                                          int(s.dataset.y_train[sample]), s.lr)

    # ---------------------------------------------------------------------- phase walk
    @property
    def walking(self) -> bool:
        return self._walk is not None and self._walk_valid()

    def _walk_valid(self) -> bool:
        w, s = self._walk, self.session
        return (w is not None and s.net is w.net and s.net.step == w.step
                and _first_param(s.net) is w.first and s.next_sample_index == w.sample)

    def step_phase(self) -> PhaseEvent:
        """The next phase of the next sample: forward layer by layer, the loss, backward layer
        by layer in reverse, then the update, which is the session's real step."""
        s = self.session
        if not self.walking:
            sample = s.next_sample_index
            twin = copy.deepcopy(s.net)
            events = twin.phases(s.dataset.x_train[sample], int(s.dataset.y_train[sample]),
                                 s.lr, apply=False)
            self._walk = _Walk(events, s.net, _first_param(s.net), s.net.step, sample)
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

    # ------------------------------------------------------------------- gradient check
    def gradcheck(self, x, y: int, tensor: str, max_entries: int | None = None,
                  seed: int = 0) -> GradcheckReport:
        """Backprop against centred finite differences for one tensor ("conv1/W", "input")
        on sample ``x`` (C, H, W) with label ``y``, on a copy of the network: the session's
        is not touched (nor a walk in progress)."""
        twin = copy.deepcopy(self.session.net)
        with np.errstate(all="ignore"):
            return gradcheck(twin, x, int(y), tensors=[tensor], max_entries=max_entries,
                             seed=seed)

    def tensor_names(self) -> list[str]:
        return [f"{layer.name}/{k}" for layer, k, _ in self.session.net.parameters()] + ["input"]
