"""The run loop: trains between frames on a zero-interval QTimer, draws the latest trace only.

Each timer tick trains for at most ``SLICE_S`` and returns to the event loop, so a click on
Pause (or any other event) waits at most one slice. When a frame is due, the newest trace goes
out through ``trace_ready`` and every trace stepped since the last frame is dropped ("latest
wins"). Drawing never holds training back: all the time a Run spends outside its steps (a
frame's slots, the painting and any other events, whenever they land, and the loop's own
turns) is paid for by training before the next frame, until it is back within
``DRAW_SHARE`` of the time, or from what cheaper frames left of their share (at most
``DRAW_BANK_S``), so slow frames drop frames, never steps. A periodic
test evaluation that falls due during Run is done TEST_CHUNK_IMAGES at a turn before the next
step (``training.periodic_eval``), so it holds the window no longer than a slice either.

Run at full speed trains in a worker process wherever it can (training.run_worker: one
sample a step, the engine's own layers, no breakpoint to check, Linux x86-64): the loop then
trains nothing itself, asks the worker for a frame every FRAME_S and draws it, the window's
session brought to that frame's step, and starts a new worker every RENEW_WORKER_S. On a
2-core machine the timer kept 0.74 to 0.82 of headless speed at 30 frames a second, the
worker 0.83 to 0.91 (README, Speed). The timer trains everything else (batches, breakpoints
that must stop on the very step, walks, set speeds), and takes over from the worker as soon
as one of them applies.
"""

from __future__ import annotations

import math
import time

from PyQt6.QtCore import QObject, Qt, QTimer, pyqtSignal

from visualcnn.training.memory import return_freed_memory
from visualcnn.training.run_worker import RunWorker, at_the_head, worker_possible
from visualcnn.training.session import Session
from visualcnn.training.worker_transfer import LayoutError

# Frame cap: 30 per second. A frame costs 4 to 5 ms here (slots, paint and the rest outside
# the steps), 6 to 7 ms when the machine is slow: frames come less often than the cap when
# the share below would be exceeded.
FRAME_S = 1 / 30
# At full speed everything but the steps (drawing, other events, the loop's turns) takes at
# most this share of the time: frames that cost d seconds each come at least
# d * (1 - DRAW_SHARE) / DRAW_SHARE seconds of training apart.
DRAW_SHARE = 0.2
# Drawing time that frames cheaper than their share may bank for a dearer one. Waiting four
# times each frame's own cost made the curves' refresh (20 to 70 ms once a second, beside
# 5 ms frames) drop the next frames, although the second as a whole kept to its share; with
# this much banked it goes out on time, and over any stretch of t seconds drawing takes at
# most DRAW_SHARE * t + DRAW_BANK_S.
DRAW_BANK_S = 0.1
SLICE_S = 0.008       # longest stretch of training before the event loop gets a turn
# Test images a periodic evaluation (every ``Session.eval_every`` steps) takes per turn of the
# event loop: about 4 ms here, where the bundled 1,000 in one go held the window for 30 ms.
TEST_CHUNK_IMAGES = 125
# While running, the memory freed by the rewind history's dropped snapshots (and a Pause's
# evaluation) goes back to the system this often (about a millisecond each time). Every 5 s
# let freed pages pile up between returns: a Run paused every 5 s for two minutes sampled
# 231 to 254 MB, rising, where returning them every second kept it at 233 to 238 MB.
RETURN_MEMORY_EVERY_S = 1.0
MAX_SPEED = 0         # speed value meaning "as fast as possible"
# Run's worker process (training.run_worker) starts with every page of the window's memory
# shared; each page the window writes afterwards (the rewind history cycling through its
# budget, about 8 MB a second here) leaves the child an old copy of its own. Left for a
# whole Run the two took 360 MB together after 20 s; a new worker every half second (a few
# ms of the child's time: the old one's last rows taken, a fork) kept them under 280 MB.
RENEW_WORKER_S = 0.5


class RunLoop(QObject):
    """Steps ``session`` at ``speed`` steps per second (``MAX_SPEED``: as fast as it can).

    Signals: ``trace_ready(trace)`` when a trace should be drawn; ``running_changed(bool)``;
    ``failed(str)`` when a step went infinite or NaN, ``diverged(Divergence)`` at the first
    sign of a blow-up (training.divergence); the loop has paused itself by then.
    """

    # Run at full speed trains in a worker process where it can (training.run_worker).
    use_worker = True

    trace_ready = pyqtSignal(object)
    running_changed = pyqtSignal(bool)
    failed = pyqtSignal(str)
    diverged = pyqtSignal(object)  # the session's divergence, after the loop paused
    breakpoint_hit = pyqtSignal(str)  # the session's pause_reason, after the loop paused

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session = session
        self.speed = MAX_SPEED
        self.steps_run = 0          # steps since the loop (or its speed) last started
        self.frames = 0             # trace_ready emissions while running
        # Seconds spent in steps and test chunks while running: against the time a Run
        # took, the share of it that trained rather than drew (bench --gui reports it).
        self.training_s = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # frames on the 30 Hz grid
        self._timer.timeout.connect(self._tick)
        self._started = 0.0
        self._memory_returned = 0.0  # when return_freed_memory last ran (perf_counter s)
        self._next_frame = 0.0      # when the next frame is due (perf_counter seconds)
        self._pending = None        # the newest trace not yet drawn
        self._running = False
        self._frame_started = None  # when the last frame went out, until its cost is known
        self._idle_s = 0.0          # the wait for the next step planned at the last tick's end
        self._caught_up = False     # whether the last tick ended with no step due (set speeds)
        self.last_frame_s = 0.0     # that cost: its slots, painting and events until the tick
        # Time outside the steps owed to training (positive), or banked (negative, to
        # -DRAW_BANK_S), as of _owed_at (perf_counter s), and the training since: see _account.
        self._draw_owed_s = 0.0
        self._owed_at = 0.0
        self._trained_since_owed = 0.0
        self.worker: RunWorker | None = None
        self._worker_training_s = 0.0  # the worker's training_s already counted
        self._no_worker_for = None  # the network a worker could not train (a trace it cannot send)

    @property
    def running(self) -> bool:
        return self._running

    def set_speed(self, steps_per_second: int) -> None:
        self.speed = int(steps_per_second)
        if self.speed != MAX_SPEED:
            self._end_worker()
        self._restart_clock()

    def _restart_clock(self) -> None:
        self._started = time.perf_counter()
        self.steps_run = 0

    def start(self) -> None:
        if self.running or self.session.failure:
            return
        self._restart_clock()
        self._next_frame = 0.0
        self._frame_started = None
        # The bank starts full: nothing trained while paused, and the first frame of a Run
        # (what Pause left redrawn, about 20 ms) would otherwise hold the next three back.
        self._draw_owed_s, self._owed_at = -DRAW_BANK_S, time.perf_counter()
        self._trained_since_owed = self._idle_s = 0.0
        self._caught_up = False
        self._running = True
        self.session.defer_tests = True
        self._timer.start(0)
        self.running_changed.emit(True)

    def stop(self) -> None:
        """Pause: no step runs after this returns. Draws the newest trace if it was not."""
        if not self.running:
            return
        self._running = False
        self._timer.stop()
        self._end_worker()
        # The window evaluates the whole test split at a pause, at this very step (no step
        # runs while an evaluation is pending): a pending one would only repeat part of it.
        self.session.defer_tests = False
        self.session.pending_test = None
        self._flush()
        self.running_changed.emit(False)

    def step_once(self):
        """One step outside Run (the Step action); returns its trace, already emitted."""
        trace = self.session.step()
        self.trace_ready.emit(trace)
        if self.session.failure:
            self.failed.emit(self.session.failure)
        elif self.session.divergence is not None:
            self.diverged.emit(self.session.divergence)
        return trace

    def _flush(self) -> None:
        if self._pending is not None:
            trace, self._pending = self._pending, None
            self.frames += 1
            # Frames sit on a fixed grid, so that one late frame (a test evaluation, a curves
            # refresh) does not push back every frame after it; only a frame more than a
            # whole period late starts a new grid.
            now = time.perf_counter()
            self._next_frame += FRAME_S
            if self._next_frame <= now:
                self._next_frame = now + FRAME_S
            if self._running:
                self._frame_started = now
            self.trace_ready.emit(trace)

    def _tick(self) -> None:
        if self.worker is not None or self._start_worker():
            self._worker_tick()
            return
        now = time.perf_counter()
        self._note_frame_cost(now)
        self._account(now)
        slice_end = now + SLICE_S
        if self.speed == MAX_SPEED:
            # End the slice when the next frame is due, so that frames keep the cap's pace
            # instead of waiting for the end of a slice.
            slice_end = min(slice_end, self._next_frame)
        session = self.session
        started = time.perf_counter()
        stopped_by = None  # the signal and its argument, when a step made the loop pause
        caught_up = False  # at a set speed: no step was due when the slice ended
        while True:
            if session.pending_test is not None:
                # The periodic test evaluation, a chunk a turn, before the next step: its
                # point belongs to the weights of the step it fell due at.
                session.pending_test.advance(session, TEST_CHUNK_IMAGES)
                if time.perf_counter() >= slice_end:
                    break
                continue
            if self.speed != MAX_SPEED:
                due = int((time.perf_counter() - self._started) * self.speed) - self.steps_run
                if due <= 0:
                    caught_up = True
                    break
            self._pending = session.step()
            self.steps_run += 1
            if session.failure:
                stopped_by = (self.failed, session.failure)
            elif session.divergence is not None:
                stopped_by = (self.diverged, session.divergence)
            elif session.pause_reason is not None:  # a breakpoint fired (debugger.py)
                stopped_by = (self.breakpoint_hit, session.pause_reason)
            if stopped_by is not None or time.perf_counter() >= slice_end:
                break
        trained = time.perf_counter() - started
        self.training_s += trained
        self._trained_since_owed += trained
        self._caught_up = caught_up
        if stopped_by is not None:
            signal, argument = stopped_by
            self.stop()
            signal.emit(argument)
            return
        if self._pending is not None and (self._every_step_drawn()
                                          or time.perf_counter() >= self._next_frame):
            self._flush()
        if time.perf_counter() - self._memory_returned >= RETURN_MEMORY_EVERY_S:
            return_freed_memory()
            self._memory_returned = time.perf_counter()
        if self._running:  # a slot of trace_ready may have paused the loop
            interval_ms = self._next_interval_ms()
            self._idle_s = interval_ms / 1000
            self._timer.start(interval_ms)

    def _note_frame_cost(self, now: float) -> None:
        if self._frame_started is not None:
            # The last frame's slots and the painting they queued have run by now (most of
            # it: what lands after this tick is counted at the next one); time the loop would
            # have waited anyway (a set speed, ahead of time) cost no training.
            self.last_frame_s = max(0.0, now - self._frame_started - self._idle_s)
            self._frame_started = None

    def _account(self, now: float) -> None:
        """Charge the time since the last account that did not go to training against
        DRAW_SHARE of it; what is owed holds the next frame back until training has paid it
        off. Timed whole, from tick to tick, this includes what no frame's own timing sees:
        painting that lands after the next tick, other events, and the loop's turns (about
        1.5 % of a Run). At a set speed that the loop keeps up with, the time after a tick
        that ended with no step due is waiting, whatever else ran in it: it cost no step."""
        elapsed = now - self._owed_at
        outside = 0.0 if self._caught_up else max(0.0, elapsed - self._trained_since_owed)
        owed = self._draw_owed_s + outside - DRAW_SHARE * elapsed
        self._draw_owed_s, self._owed_at = max(-DRAW_BANK_S, owed), now
        self._trained_since_owed = 0.0
        if owed > 0 and not self._every_step_drawn():
            # Paid off by training: the share of the time from now on covers it.
            self._next_frame = max(self._next_frame, now + owed / DRAW_SHARE)

    def _every_step_drawn(self) -> bool:
        """At slow speeds every step is a frame; at fast ones frames are capped at FRAME_S
        and at DRAW_SHARE of the time."""
        return self.speed != MAX_SPEED and self.speed <= 1 / FRAME_S

    def _next_interval_ms(self) -> int:
        if self.speed == MAX_SPEED or self.session.pending_test is not None:
            return 0
        next_due = self._started + (self.steps_run + 1) / self.speed
        wait = next_due - time.perf_counter()
        if self._pending is not None:  # a trace waits for its frame slot
            wait = min(wait, self._next_frame - time.perf_counter())
        return max(0, int(wait * 1000))

    # ------------------------------------------------------------------ the worker process
    def _start_worker(self) -> bool:
        """Hand Run's steps to a worker process, when it can take them."""
        session = self.session
        if (not self.use_worker or self.speed != MAX_SPEED or not worker_possible()
                or not at_the_head(session) or self._no_worker_for is session.net):
            return False
        try:
            self.worker = RunWorker(session)
        except (LayoutError, OSError, ValueError):
            # This network's traces cannot cross (a layer of its own with extras of its own
            # kind), or the system refused a process: the timer trains it, as everywhere.
            self._no_worker_for = session.net
            return False
        self._worker_training_s = 0.0
        return True

    def _end_worker(self, sync: bool = True) -> None:
        """Back to training here: the session at the worker's last step (``sync``), or at
        the last frame's."""
        worker, self.worker = self.worker, None
        if worker is None:
            return
        trace = worker.stop() if sync else worker.drop()
        self._count_worker_training(worker)
        if trace is not None:
            self._pending = trace
        now = time.perf_counter()
        self._draw_owed_s, self._owed_at = -DRAW_BANK_S, now
        self._trained_since_owed = 0.0

    def _count_worker_training(self, worker: RunWorker) -> None:
        self.training_s += worker.training_s - self._worker_training_s
        self._worker_training_s = worker.training_s

    def _worker_tick(self) -> None:
        """A frame from the worker when one is due; the loop itself trains nothing."""
        worker, session = self.worker, self.session
        now = time.perf_counter()
        self._note_frame_cost(now)
        failed = worker.failed
        if failed or worker.changed_under():
            # Changed here (a reset, a checkpoint, a breakpoint ticked...): the worker's steps
            # since the last frame are not taken; the next tick trains from the session as is.
            # A worker that failed is not tried again on this network: the timer trains it.
            if failed:
                self._no_worker_for = session.net
            self._end_worker(sync=False)
            self._timer.start(0)
            return
        worker.set_lr(session.lr)
        if now >= self._next_frame or worker.halted:
            step_before = session.net.step
            trace = worker.frame()
            if trace is not None:
                self.steps_run += session.net.step - step_before
                self._count_worker_training(worker)
                self._pending = trace
                self._flush()
                renewed = self.worker is worker and worker.age_s() >= RENEW_WORKER_S
                if renewed:  # a new fork shares the window's memory afresh: RENEW_WORKER_S
                    self._end_worker()  # its last steps taken: they may be the blow-up's
                if session.failure or session.divergence is not None:
                    signal, argument = ((self.failed, session.failure) if session.failure
                                        else (self.diverged, session.divergence))
                    self.stop()
                    signal.emit(argument)
                    return
                if renewed:
                    self._timer.start(0)
                    return
        if time.perf_counter() - self._memory_returned >= RETURN_MEMORY_EVERY_S:
            return_freed_memory()
            self._memory_returned = time.perf_counter()
        if self._running and self.worker is not None:
            # Until the next frame; a frame not answered yet (the child in a test evaluation)
            # is asked for again in a millisecond.
            interval_ms = max(1, math.ceil((self._next_frame - time.perf_counter()) * 1000))
            self._idle_s = interval_ms / 1000
            self._timer.start(interval_ms)
