"""The whole test split evaluated without stopping the window: CHUNK_IMAGES per turn of the
event loop, on a zero-interval timer, so that Pause with 10,000 test images (full MNIST,
about 150 ms of work here) leaves the window answering clicks; the test point appears when
the last chunk is done.

The chunks run under the weights of the step that asked for them. The weights can change in
between (Step, Run, Reset, a rewind, another checkpoint or model): before every chunk, and
before the result is recorded, the evaluation checks that the session, its network, the step
and every parameter are still the ones it started with, bit for bit, and is dropped
otherwise, so a test point never mixes two sets of weights. A timer rather than a thread:
the session and the curves stay on the GUI thread, and nothing needs a lock.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from visualcnn.common.i18n import tr

# Up to this many test images are evaluated at once, in one turn of the event loop (about
# 4 ms here); a larger split goes in chunks of as many. The bundled split's 1,000 thus take
# four turns: a Pause costs the drawing of its last step, not an evaluation as well.
CHUNK_IMAGES = 250


class _Job:
    """The test split's probabilities under the weights of one step, filled chunk by chunk."""

    def __init__(self, session):
        self.session, self.net, self.step = session, session.net, session.net.step
        self.weights = [v.copy() for _, _, v in session.net.parameters()]
        self.images = session.dataset.x_test
        self.probs = np.empty((len(session.dataset.y_test), session.net.classes))
        self.done = 0

    @property
    def size(self) -> int:
        return len(self.probs)

    def still_valid(self, session) -> bool:
        """The same session, network, step and weights (bit for bit) as at the start."""
        net = session.net
        return (session is self.session and net is self.net and net.step == self.step
                and all(np.array_equal(v, w, equal_nan=True)
                        for (_, _, v), w in zip(net.parameters(), self.weights, strict=True)))

    def run(self, images: int) -> bool:
        """Evaluate the next ``images`` test images; True when the whole split is done."""
        stop = min(self.size, self.done + images)
        with np.errstate(all="ignore"):
            # In predict's own batches, as Session.evaluate_test.
            self.probs[self.done:stop] = self.net.predict(self.images[self.done:stop])
        self.done = stop
        return stop == self.size

    def record(self) -> None:
        self.session.record_full_test(self.step, self.probs)


class TestEvaluation(QObject):
    """Evaluates ``window.session``'s whole test split at its current step and records it
    (``Session.record_full_test``); ``finished`` when a point was recorded between events,
    and then ``window.evaluate_test()`` draws it. Starting Run drops an evaluation in
    progress: its weights are about to change."""

    __test__ = False  # not a pytest class, whatever its name
    finished = pyqtSignal()

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._job: _Job | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._next_chunk)
        window.loop.running_changed.connect(self._on_running_changed)
        self.finished.connect(lambda: window.evaluate_test())

    @property
    def busy(self) -> bool:
        """An evaluation is under way (its point not recorded yet)."""
        return self._job is not None

    def start(self, wait: bool = False) -> bool:
        """Evaluate at the current step; True when its point is recorded on return (already
        there, a small split, or ``wait``), False when it goes on between events. Asked again
        for the same weights while one runs, it lets that one finish."""
        session = self.window.session
        if session.fully_tested_at == session.net.step:
            return True
        job = self._job
        if job is None or not job.still_valid(session):
            self.cancel()
            job = _Job(session)
        if wait or job.size - job.done <= CHUNK_IMAGES:
            self.cancel()  # when it was running between events, it finishes here instead
            job.run(job.size)
            job.record()
            return True
        if self._job is not job:
            self._job = job
            self.window.statusBar().showMessage(
                tr("evaluating the {images:,} test images at step {step}...",
                   images=job.size, step=job.step))
            self._timer.start(0)
        return False

    def cancel(self) -> None:
        """Drop the evaluation in progress, if any; nothing is recorded."""
        if self._job is not None:
            self._job = None
            self._timer.stop()
            self.window.statusBar().clearMessage()

    def _next_chunk(self) -> None:
        job = self._job
        if job is None:
            return
        if not job.still_valid(self.window.session):
            self.cancel()
            return
        if job.run(CHUNK_IMAGES):
            self._job = None
            self.window.statusBar().clearMessage()
            job.record()
            self.finished.emit()
        else:
            self._timer.start(0)

    def _on_running_changed(self, running: bool) -> None:
        if running:
            self.cancel()
