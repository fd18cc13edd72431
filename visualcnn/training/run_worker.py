"""Run's worker process: a copy of the session trains on the second core while the window
draws. Qt-free.

Run at full speed forks the window's process. The child (``_train_in_child``) steps its copy
of the session as fast as it can, with no step hook, and writes into shared memory what the
window's session needs to be where the child is: per step, the numbers the curves, the
divergence watch and the rewind log take (a journal row); the network's state at the steps
the rewind history snapshots (the grid of CACHE_EVERY and its checkpoints) and at its first
step; each periodic test evaluation's probabilities; and, when the window asks for a frame,
the newest trace and the state after it. The window applies the rows up to that trace's step
to its own session (``RunWorker.frame``), through the same hook and the same bookkeeping as a
step trained there, and takes the state: between frames its session is exactly where it
would be had it trained those steps itself, so Pause, rewind, breakpoints set later and every
view see one session. Rewind stays bit-exact: the snapshots are the child's own numbers, and
replaying from them in the window runs the same code on the same inputs.

Anything else that changes the window's session during the Run (a reset, a checkpoint, a
replayed sample, a breakpoint ticked, another batch size) shows as a changed fingerprint: the
child is dropped with the steps the window did not take yet, and the run loop starts again
from the window's session. Only the engine's own record types cross (``worker_transfer``);
nothing is pickled.

Measured on a 2-core machine (README, Speed): the child keeps 0.83 to 0.91 of headless speed
while the window draws 30 frames a second, where a timer in one process kept 0.74 to 0.82.
The run loop starts a new child every half second (``RENEW_WORKER_S``: the pages the window
writes would otherwise leave the child old copies of its own, 8 MB a second).
"""

from __future__ import annotations

import gc
import json
import mmap
import os
import platform
import signal
import sys
import time

import numpy as np

import visualcnn.training.session as session_module
from visualcnn.training.periodic_eval import PERIODIC_EVAL_SIZE, periodic_choice, record_probs
from visualcnn.training.rewind import CACHE_EVERY
from visualcnn.training.session import Session, record_numbers
from visualcnn.training.worker_transfer import (
    ALIGN,
    LayoutError,
    layout_text,
    read_state,
    read_trace,
    state_layout,
    trace_layout,
    write_state,
    write_trace,
)

JOURNAL_ROWS = 1024        # steps the child may be ahead of the window (about 0.2 s here)
STATE_RING_BYTES = 64 << 20  # the states of the grid's steps not applied yet, at most
TEST_SLOTS = 4
LAYOUT_BYTES = 1 << 18     # a trace's structure as JSON
TRACE_SPARE_BYTES = 1 << 20
ERROR_BYTES = 4096
START_TIMEOUT_S = 5.0      # for the child's first row; a child that sends none is dropped
HALT_TIMEOUT_S = 2.0
TEST_CHUNK_IMAGES = 125    # the child looks at the window's requests between chunks
POLL_S = 0.0002

# Control words (int64): counters the child and the window each write one side of.
(ROWS_WRITTEN, ROWS_APPLIED, STATES_WRITTEN, STATES_READ, TESTS_WRITTEN, TESTS_READ,
 WANT_TRACE, TRACE_SEQ, LAYOUT_SEQ, LAYOUT_LEN, STOP, HALTED, RELEASE, ERROR, ERROR_LEN,
 CONTROL_WORDS) = range(16)
LR, TRAINING_S, HEARTBEAT, FLOAT_WORDS = 0, 1, 2, 3
# A child whose window has not asked for anything for this long (a run loop dropped without
# Pause) ends itself; a window that is alive asks at every tick, 30 times a second.
ORPHAN_S = 10.0
_parent_pid = 0  # in the child: the window's process
BUILT_IN_LAYERS = "visualcnn.nn.layers"


def worker_possible() -> bool:
    """Forking a process that runs Qt is sound on Linux; the counters below publish rows
    without memory barriers, which x86-64's store order makes safe."""
    return (sys.platform.startswith("linux") and hasattr(os, "fork")
            and platform.machine().lower() in ("x86_64", "amd64"))


def at_the_head(session) -> bool:
    """Whether ``session``'s next steps can be trained elsewhere: one sample a step, the
    engine's own layers, no breakpoint to check after each, no walk, not re-training a
    rewound stretch."""
    from visualcnn.training.debugger import Debugger

    if not isinstance(session, Session) or session.batch != 1 or session.failure:
        return False
    # A student's own layer runs in a sandbox process of the window's, through pipes that a
    # fork would share: those networks train here.
    if any(type(layer).__module__ != BUILT_IN_LAYERS for layer in session.net.layers):
        return False
    if session.pending_test is not None:
        return False
    hook = session.step_hook
    if hook is None:
        return True
    if not isinstance(hook, Debugger):
        return False
    if hook.breakpoints.any_ticked or hook.extra_breakpoints or hook.walking:
        return False
    rewind = hook.rewind
    return (not hook.continuous() or rewind.log is None
            or session.net.step >= rewind.last_step)


def fingerprint(session) -> tuple:
    """What changes when anything but the worker's rows changes the session (beside what
    ``at_the_head`` looks at: the batch size, a failure, breakpoints, a walk)."""
    return (session.net, session.net.step, session.history, session.eval_every,
            session.dataset, session.step_hook, session.seed)


class _Shared:
    """The shared memory, mapped before the fork, and numpy views on it."""

    def __init__(self, session):
        net = session.net
        layers = len(session.history.layer_names)
        row = [(name, np.int64) for name in ("step", "index", "epoch", "in_epoch", "label",
                                             "prediction", "finite")]
        row += [(name, np.float64) for name in ("loss", "accuracy", "lr", "largest")]
        row += [("grad_norm", np.float64, (layers,)), ("update_ratio", np.float64, (layers,))]
        self.row_dtype = np.dtype(row)
        self.state_layout, self.state_bytes = state_layout(net)
        self.state_slots = int(np.clip(STATE_RING_BYTES // max(self.state_bytes, 1), 4,
                                       JOURNAL_ROWS // CACHE_EVERY + 2))
        test_size = min(len(session.dataset.y_test), PERIODIC_EVAL_SIZE)
        self.test_shape = (test_size, net.classes)
        preview_layout, preview_bytes = trace_layout(session.preview())
        self.trace_bytes = preview_bytes + 3 * self.state_bytes + TRACE_SPARE_BYTES
        parts = [("control", CONTROL_WORDS * 8), ("floats", FLOAT_WORDS * 8),
                 ("journal", JOURNAL_ROWS * self.row_dtype.itemsize),
                 ("state_steps", self.state_slots * 8),
                 ("states", self.state_slots * self.state_bytes),
                 ("test_steps", TEST_SLOTS * 8),
                 ("tests", TEST_SLOTS * 8 * test_size * net.classes),
                 ("layout", LAYOUT_BYTES), ("error", ERROR_BYTES), ("trace", self.trace_bytes),
                 ("frame_state", self.state_bytes)]
        total = sum(-(-size // ALIGN) * ALIGN for _, size in parts)
        self.memory = mmap.mmap(-1, total)  # anonymous and shared: the child sees it
        raw = np.frombuffer(self.memory, dtype=np.uint8)
        views, at = {}, 0
        for name, size in parts:
            views[name] = raw[at:at + size]
            at += -(-size // ALIGN) * ALIGN
        self.control = views["control"].view(np.int64)
        self.floats = views["floats"].view(np.float64)
        self.journal = views["journal"].view(self.row_dtype)
        self.state_steps = views["state_steps"].view(np.int64)
        self.states = views["states"].reshape(self.state_slots, -1)[:, :self.state_bytes]
        self.test_steps = views["test_steps"].view(np.int64)
        self.tests = views["tests"].view(np.float64).reshape(TEST_SLOTS, *self.test_shape)
        self.layout, self.error, self.trace = views["layout"], views["error"], views["trace"]
        self.frame_state = views["frame_state"]

    def close(self) -> None:
        for name in ("control", "floats", "journal", "state_steps", "states", "test_steps",
                     "tests", "layout", "error", "trace", "frame_state"):
            setattr(self, name, None)
        try:
            self.memory.close()
        except BufferError:  # a view still held somewhere: the mapping goes with it
            pass


class _Orphaned(Exception):
    """The window stopped asking for frames without a Pause: its run loop was dropped."""


def _wait(condition, shared, meanwhile, stoppable: bool = True) -> bool:
    """Sleep-poll until ``condition()``, calling ``meanwhile()`` between polls; False when
    STOP was asked for (if ``stoppable``)."""
    control, floats = shared.control, shared.floats
    started = time.perf_counter()
    while not condition():
        meanwhile()
        if stoppable and control[STOP]:
            return False
        if os.getppid() != _parent_pid:  # the window's process is gone
            os._exit(0)
        if time.monotonic() - floats[HEARTBEAT] > ORPHAN_S:
            raise _Orphaned("the window stopped asking for frames")
        # Quick to answer at first; a long wait (a window busy elsewhere) polls less often.
        time.sleep(POLL_S if time.perf_counter() - started < 0.05 else 20 * POLL_S)
    return True


# ---------------------------------------------------------------------------- the child
def _send_trace(shared: _Shared, trace, net, sent: bytes) -> bytes:
    """Write ``trace`` and the network's state after it for the window; returns the layout
    text now in shared memory (written again only when it changed)."""
    control = shared.control
    layout, size = trace_layout(trace)
    if size > len(shared.trace):
        raise LayoutError(f"a trace of {size} bytes, {len(shared.trace)} at most")
    text = layout_text(layout)
    if text != sent:
        if len(text) > LAYOUT_BYTES:
            raise LayoutError("a trace whose structure is too long to send")
        shared.layout[:len(text)] = np.frombuffer(text, dtype=np.uint8)
        control[LAYOUT_LEN] = len(text)
        control[LAYOUT_SEQ] += 1
    write_trace(trace, layout, shared.trace)
    write_state(net, shared.state_layout, shared.frame_state)
    control[WANT_TRACE] = 0
    control[TRACE_SEQ] += 1
    return text


def _train_in_child(session: Session, shared: _Shared, parent: int, grid: int) -> None:
    control, floats = shared.control, shared.floats
    numbers: list = []

    def kept(s, *args):  # the numbers of the step the session just recorded
        numbers[:] = args
        record_numbers(s, *args)

    session_module.record_numbers = kept  # this process's copy of the module only
    session.step_hook = None
    session.defer_tests = True
    trace, sent, first = None, b"", True
    clock = time.perf_counter

    def answer():  # a frame asked for while waiting: the newest step whose row is out
        nonlocal sent
        if control[WANT_TRACE] and trace is not None:
            sent = _send_trace(shared, trace, session.net, sent)

    def room(used, limit):
        return lambda: control[used[0]] - control[used[1]] < limit

    while not control[STOP]:
        # Room for the next step's row (and state) is waited for before the step, while the
        # newest trace is still the one a frame may have: the window takes rows, states and
        # test points only with a frame.
        n = session.net.step + 1
        wants_state = first or n % CACHE_EVERY == 0 or n % grid == 0
        if not _wait(room((ROWS_WRITTEN, ROWS_APPLIED), JOURNAL_ROWS), shared, answer):
            break
        if wants_state and not _wait(room((STATES_WRITTEN, STATES_READ), shared.state_slots),
                                     shared, answer):
            break
        session.lr = float(floats[LR])
        started = clock()
        trace = session.step()
        if wants_state:
            slot = control[STATES_WRITTEN] % shared.state_slots
            write_state(session.net, shared.state_layout, shared.states[slot])
            shared.state_steps[slot] = n
            control[STATES_WRITTEN] += 1
            first = False
        _write_row(shared.journal[control[ROWS_WRITTEN] % JOURNAL_ROWS], session, trace,
                   numbers)
        control[ROWS_WRITTEN] += 1
        floats[TRAINING_S] += clock() - started
        started = clock()
        if session.failure or session.divergence is not None:
            break  # the window stops on the same step: it applies the same numbers
        answer()
        pending = session.pending_test
        if pending is not None:
            # A chunk at a time, so that Pause can drop it, as the run loop does, and the
            # window gets its frames meanwhile (the step's row is out already).
            while not pending.advance(session, TEST_CHUNK_IMAGES) and not control[STOP]:
                answer()
            if session.pending_test is None and pending.done == len(pending.probs):
                if not _wait(room((TESTS_WRITTEN, TESTS_READ), TEST_SLOTS), shared, answer):
                    break
                slot = control[TESTS_WRITTEN] % TEST_SLOTS
                shared.tests[slot] = pending.probs
                shared.test_steps[slot] = n
                control[TESTS_WRITTEN] += 1
            floats[TRAINING_S] += clock() - started
        if n % 4096 == 0 and os.getppid() != parent:
            os._exit(0)
    control[HALTED] = 1
    _wait(lambda: control[RELEASE], shared, answer, stoppable=False)


def _write_row(row, session: Session, trace, numbers: list) -> None:
    step, loss, accuracy, lr, grad_norm, update_ratio, largest, finite = numbers
    row["step"], row["index"], row["label"] = step, session.sample_index, trace.label
    row["epoch"], row["in_epoch"] = session.epoch, session.index_in_epoch
    row["prediction"], row["finite"] = trace.prediction, finite
    row["loss"], row["accuracy"], row["lr"], row["largest"] = loss, accuracy, lr, largest
    row["grad_norm"], row["update_ratio"] = grad_norm, update_ratio


def _child_main(session: Session, shared: _Shared, parent: int, grid: int) -> None:
    """The forked process: trains, then exits without running anything the window's
    process set up (Qt's objects, atexit handlers)."""
    global _parent_pid
    _parent_pid = parent
    try:
        # The window's objects (Qt's among them) are never collected here.
        gc.freeze()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the window's to handle
        _train_in_child(session, shared, parent, grid)
    except BaseException as e:  # noqa: BLE001 - reported to the window, which trains on
        text = f"{type(e).__name__}: {e}".encode()[:ERROR_BYTES]
        shared.error[:len(text)] = np.frombuffer(text, dtype=np.uint8)
        shared.control[ERROR_LEN] = len(text)
        shared.control[ERROR] = 1
        shared.control[HALTED] = 1
    finally:
        os._exit(0)


# --------------------------------------------------------------------------- the window
class _RowNumbers:
    """A journal row under the StepTrace names the session's hook reads."""

    __slots__ = ("step", "lr", "label", "prediction", "loss")

    def __init__(self, step: int, lr: float, label: int, prediction: int, loss: float):
        self.step, self.lr, self.label, self.prediction, self.loss = (step, lr, label,
                                                                      prediction, loss)


_exiting: list[int] = []  # children told to exit, not reaped yet


def reap_exited(wait: bool = False) -> None:
    """Collect the children that have exited (all of them, waiting, with ``wait``)."""
    for pid in list(_exiting):
        try:
            done, _ = os.waitpid(pid, 0 if wait else os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _exiting.remove(pid)


class RunWorker:
    """Trains ``session`` in a forked process until ``stop()``; see the module docstring.

    ``frame()`` gives the newest trace with the session brought to its step (None while the
    child has not answered); ``stop()`` brings the session to the child's last step and
    returns its trace; ``drop()`` ends the child and leaves the session where the last frame
    left it. ``failed`` holds the child's error, ``halted`` says it stopped by itself (a step
    that failed or diverged; the session has it after the next frame)."""

    def __init__(self, session: Session):
        self.session = session
        self.shared = shared = _Shared(session)
        hook = session.step_hook
        grid = hook.rewind.every if hook is not None else CACHE_EVERY
        shared.floats[LR] = session.lr
        shared.floats[HEARTBEAT] = time.monotonic()
        self._layout, self._layout_seq = None, 0
        self._chosen = periodic_choice(len(session.dataset.y_test), session.seed)
        self._asked_at_seq: int | None = None
        self.training_s = 0.0  # the child's time in steps and test chunks, as of the last frame
        self._started = time.perf_counter()
        reap_exited()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child never returns from here
            _child_main(session, shared, parent, grid)
        self.pid = pid
        self._fingerprint = fingerprint(session)

    # ---------------------------------------------------------------- asked by the loop
    @property
    def failed(self) -> str | None:
        control = self.shared.control
        if control[ERROR]:
            return bytes(self.shared.error[:control[ERROR_LEN]]).decode(errors="replace")
        if (not control[ROWS_WRITTEN] and not control[HALTED]
                and time.perf_counter() - self._started > START_TIMEOUT_S):
            return "the worker process trained no step"
        return None

    def age_s(self) -> float:
        return time.perf_counter() - self._started

    @property
    def halted(self) -> bool:
        return bool(self.shared.control[HALTED])

    def changed_under(self) -> bool:
        """Whether something other than this worker changed the session since its last
        frame (or a new speed, batch size, breakpoint... made it train here again)."""
        return fingerprint(self.session) != self._fingerprint or not at_the_head(self.session)

    def set_lr(self, lr: float) -> None:
        """The learning rate of the child's next steps; asked at every tick of the loop, it
        also tells the child the window is still there (see ORPHAN_S)."""
        self.shared.floats[LR] = lr
        self.shared.floats[HEARTBEAT] = time.monotonic()

    def frame(self):
        """The newest trace, the session brought to its step; None when not answered yet."""
        control = self.shared.control
        self.shared.floats[HEARTBEAT] = time.monotonic()
        if self._asked_at_seq is None:
            self._asked_at_seq = int(control[TRACE_SEQ])
            control[WANT_TRACE] = 1
            # The child answers after its step (about 0.15 ms): worth a short wait.
            deadline = time.perf_counter() + 0.002
            while control[TRACE_SEQ] == self._asked_at_seq and time.perf_counter() < deadline:
                pass
        if control[TRACE_SEQ] == self._asked_at_seq:
            return None
        self._asked_at_seq = None
        return self._take_trace()

    def stop(self):
        """Stop the child; the session at its last step. Returns that step's trace, None
        when the child trained none (or failed: the session stays at the last frame)."""
        control = self.shared.control
        control[STOP] = 1
        deadline = time.perf_counter() + HALT_TIMEOUT_S
        while not control[HALTED] and time.perf_counter() < deadline:
            time.sleep(POLL_S)
        trace = None
        if control[HALTED] and not control[ERROR] and control[ROWS_WRITTEN] > control[ROWS_APPLIED]:
            if self._asked_at_seq is None:
                self._asked_at_seq = int(control[TRACE_SEQ])
                control[WANT_TRACE] = 1
            while (control[TRACE_SEQ] == self._asked_at_seq
                   and time.perf_counter() < deadline):
                time.sleep(POLL_S)
            if control[TRACE_SEQ] != self._asked_at_seq:
                trace = self._take_trace()
        elif control[HALTED] and not control[ERROR]:
            # At the last frame's step: an evaluation the child finished since is still kept.
            self._record_tests(before=self.session.net.step + 1)
        self._end(kill=not control[HALTED] or bool(control[ERROR]))
        return trace

    def drop(self) -> None:
        """End the child; the steps it trained after the last frame are not taken."""
        self._end(kill=True)

    # ------------------------------------------------------------------------ internals
    def _end(self, kill: bool) -> None:
        if self.pid is None:
            return
        if kill:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:
            self.shared.control[RELEASE] = 1
        # Reaped later: a child takes milliseconds to exit (its copy of the address space
        # goes), which Pause need not wait for.
        _exiting.append(self.pid)
        reap_exited()
        self.pid = None
        self.shared.close()

    def _take_trace(self):
        control, shared = self.shared.control, self.shared
        if control[LAYOUT_SEQ] != self._layout_seq:
            self._layout_seq = int(control[LAYOUT_SEQ])
            self._layout = json.loads(bytes(shared.layout[:control[LAYOUT_LEN]]))
        trace = read_trace(self._layout, shared.trace)
        session = self.session
        self._apply_rows(trace.step)
        hook = session.step_hook
        continuous = hook is not None and hook.continuous()
        read_state(session.net, shared.state_layout, shared.frame_state, trace.step)
        if continuous:  # the same run: its arrays were replaced by equal ones
            hook.remember()
        session.last_trace = trace
        self.training_s = float(shared.floats[TRAINING_S])
        self._fingerprint = fingerprint(session)
        return trace

    def _apply_rows(self, last: int) -> None:
        """Apply the journal's rows up to step ``last`` to the window's session."""
        control, journal = self.shared.control, self.shared.journal
        hook = self.session.step_hook
        rewind = hook.rewind if hook is not None else None
        if rewind is not None:
            rewind.timed_snapshots = False
        try:
            while control[ROWS_APPLIED] < control[ROWS_WRITTEN]:
                row = journal[control[ROWS_APPLIED] % JOURNAL_ROWS]
                if row["step"] > last:
                    break
                self._record_tests(before=int(row["step"]))
                self._apply(row, hook)
                control[ROWS_APPLIED] += 1
            self._record_tests(before=last + 1)
        finally:
            if rewind is not None:
                rewind.timed_snapshots = True

    def _record_tests(self, before: int) -> None:
        """The periodic evaluations the child finished for steps before ``before``: a step's
        point comes after the step's own and before the next step's, as in the session."""
        control, shared = self.shared.control, self.shared
        while control[TESTS_READ] < control[TESTS_WRITTEN]:
            slot = control[TESTS_READ] % TEST_SLOTS
            step = int(shared.test_steps[slot])
            if step >= before:
                return
            record_probs(self.session, step, shared.tests[slot].copy(), self._chosen)
            control[TESTS_READ] += 1

    def _apply(self, row, hook) -> None:
        """One step the child trained, applied as ``Session._train`` would have."""
        s, shared, control = self.session, self.shared, self.shared.control
        n = int(row["step"])
        before = hook.before_step(s) if hook is not None else None
        if (control[STATES_READ] < control[STATES_WRITTEN]
                and shared.state_steps[control[STATES_READ] % shared.state_slots] == n):
            slot = control[STATES_READ] % shared.state_slots
            read_state(s.net, shared.state_layout, shared.states[slot], n)
            control[STATES_READ] += 1
        else:
            s.net.step = n
        epoch, index, loss, lr = int(row["epoch"]), int(row["index"]), float(row["loss"]), \
            float(row["lr"])
        if epoch != s.epoch:
            s.epoch, s._order = epoch, s.epoch_order(epoch)
        s.index_in_epoch = int(row["in_epoch"])
        s.sample_index, s.batch_indices = index, (index,)
        record_numbers(s, n, loss, float(row["accuracy"]), lr, row["grad_norm"].tolist(),
                       row["update_ratio"].tolist(), float(row["largest"]), bool(row["finite"]))
        if s.failure is None and not s.last_step_finite:
            s.note_failure(n, loss)
        if hook is not None:
            hook.after_step(s, _RowNumbers(n, lr, int(row["label"]), int(row["prediction"]),
                                           loss), index, before)
