"""The test evaluation a session makes every ``eval_every`` steps, done at once or a chunk at a
time. Qt-free.

Stepping outside Run, it is done at once, inside the step. During Run the run loop leaves it
pending (``Session.defer_tests``) and does it ``images`` at a turn of the event loop before
the next step, so that the bundled split's 1,000 images (30 ms here) never hold the window
in one piece. Either way its point is that of the weights of the step it fell due at: a
pending evaluation whose network has moved on is dropped, never finished under other weights.
"""

from __future__ import annotations

import numpy as np

PERIODIC_EVAL_SIZE = 1000  # test images evaluated every ``eval_every`` steps while training


def test_scores(probs: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Accuracy and mean cross-entropy of class probabilities ``probs`` against labels ``y``."""
    with np.errstate(all="ignore"):
        accuracy = float((probs.argmax(axis=1) == y).mean())
        loss = float(-np.log(probs[np.arange(len(y)), y]).mean())
    return accuracy, loss


def periodic_choice(test_size: int, seed: int) -> np.ndarray | None:
    """The test images a periodic evaluation takes: a fixed seeded choice of
    PERIODIC_EVAL_SIZE of them, or None for all when the split is no larger."""
    if test_size <= PERIODIC_EVAL_SIZE:
        return None
    return np.random.default_rng(seed).choice(test_size, PERIODIC_EVAL_SIZE, replace=False)


class PendingTest:
    """The periodic evaluation due at ``session``'s current step, filled chunk by chunk."""

    def __init__(self, session):
        self.net, self.step = session.net, session.net.step
        self.chosen = periodic_choice(len(session.dataset.y_test), session.seed)
        size = len(session.dataset.y_test) if self.chosen is None else len(self.chosen)
        self.probs = np.empty((size, session.net.classes))
        self.done = 0

    def advance(self, session, images: int | None = None) -> bool:
        """Evaluate the next ``images`` test images (None: all that are left) and record the
        point once all are done; True when nothing is left to do (recorded, or dropped as
        the network moved on: every update moves the step, a reset or a checkpoint replaces
        the network). Clears ``session.pending_test`` then."""
        if session.net is not self.net or self.net.step != self.step:
            session.pending_test = None
            return True
        size = len(self.probs)
        stop = size if images is None else min(size, self.done + max(1, int(images)))
        picked = slice(self.done, stop) if self.chosen is None else self.chosen[self.done:stop]
        with np.errstate(all="ignore"):
            self.probs[self.done:stop] = self.net.predict(session.dataset.x_test[picked])
        self.done = stop
        if stop < size:
            return False
        session.pending_test = None
        record_probs(session, self.step, self.probs, self.chosen)
        return True


def record_probs(session, step: int, probs: np.ndarray, chosen: np.ndarray | None) -> None:
    """Record the periodic evaluation of step ``step``: ``probs`` for the test images
    ``chosen`` (``periodic_choice``'s: None for all of them)."""
    if chosen is None:
        session.record_full_test(step, probs)
    else:
        labels = session.dataset.y_test[chosen]
        session.history.record_test(step, *test_scores(probs, labels))
