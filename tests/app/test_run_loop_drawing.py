"""Run at full speed drops frames, never steps, however long a frame takes to draw."""

import gc

import pytest
from PyQt6.QtCore import QCoreApplication, QEvent

from visualcnn.app.run_loop import FRAME_S, MAX_SPEED, RunLoop
from visualcnn.bench.gui import busy_wait
from visualcnn.nn import Network
from visualcnn.training.session import Session


@pytest.fixture(autouse=True)
def timer_only(monkeypatch):
    """These are the timer's own ways: Run in a worker process is tested on its own."""
    monkeypatch.setattr(RunLoop, "use_worker", False)


def steps_per_frame(loop, qtbot, draw_s: float, frames: int = 4) -> float:
    """Run with every frame taking ``draw_s`` to draw; training steps per frame drawn."""

    def draw(_trace):
        busy_wait(draw_s)

    loop.trace_ready.connect(draw)
    frames_before, steps_before = loop.frames, loop.session.net.step
    loop.start()
    qtbot.waitUntil(lambda: loop.frames - frames_before >= frames, timeout=60000)
    loop.stop()
    loop.trace_ready.disconnect(draw)
    return (loop.session.net.step - steps_before) / (loop.frames - frames_before)


def settle(qapp) -> None:
    """Let what earlier tests left behind (windows to delete, their wrappers to collect) go
    now: Run charges every second outside its steps to the frames, so a stall of 150 ms in
    the first frames of a short Run held them back (214 steps a frame at no drawing cost,
    where 105 is usual)."""
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qapp.processEvents()


def test_a_slow_frame_is_followed_by_more_training_not_by_the_next_frame(qtbot, qapp,
                                                                          dataset):
    loop = RunLoop(Session(dataset, Network.from_arch("conv8x3-pool2-dense10"), seed=0))
    loop.set_speed(MAX_SPEED)
    settle(qapp)
    # Frames at no cost: over a dozen of them, a stall no drain can foresee (a collection
    # of old windows' wrappers) is paid back once, not in every frame of four.
    quick = steps_per_frame(loop, qtbot, 0.0, frames=12)
    # A frame three periods long: a loop that waits for drawing manages about one step per
    # frame; one that drops frames trains several times longer between frames than at the cap.
    slow = steps_per_frame(loop, qtbot, 3 * FRAME_S)
    assert slow > 3 * quick > 0
    assert not loop.running
