"""A test evaluation that falls due during Run is done a chunk at a time: the window gets
turns while it is under way, and each point is still that of the step it fell due at."""

import pytest
from PyQt6.QtCore import QTimer

from visualcnn.app.run_loop import MAX_SPEED, RunLoop
from visualcnn.data.bundled import load_bundled
from visualcnn.nn import Network
from visualcnn.training.session import Session

EVERY = 20


@pytest.fixture(autouse=True)
def timer_only(monkeypatch):
    """These are the timer's own ways: Run in a worker process is tested on its own."""
    monkeypatch.setattr(RunLoop, "use_worker", False)


def test_the_event_loop_gets_turns_during_a_periodic_test_evaluation(qtbot):
    data = load_bundled()  # 1,000 test images: several chunks
    session = Session(data, Network.from_arch("conv8x3-pool2-dense10", data.input_shape,
                                              data.classes), seed=0, eval_every=EVERY)
    twin = Session(data, Network.from_arch("conv8x3-pool2-dense10", data.input_shape,
                                           data.classes), seed=0, eval_every=EVERY)
    loop = RunLoop(session)
    loop.set_speed(MAX_SPEED)
    seen = []  # (step, its test point there?) at each turn the event loop gave a timer

    def poll():
        step = session.net.step
        seen.append((step, session.history.tested_at(step)))

    timer = QTimer()
    timer.setInterval(0)
    timer.timeout.connect(poll)
    timer.start()
    loop.start()
    qtbot.waitUntil(lambda: session.net.step >= 3 * EVERY + 5, timeout=120000)
    loop.stop()
    timer.stop()
    # Events were handled after a step that called for an evaluation and before its point
    # was recorded: the evaluation did not hold the event loop from start to end.
    assert any(step and step % EVERY == 0 and not tested for step, tested in seen)
    # Every point is there, and is what the same weights give evaluated in one go.
    for _ in range(3 * EVERY):
        twin.step()
    tested = session.history.test_steps.tolist()
    assert [EVERY, 2 * EVERY, 3 * EVERY] == [s for s in tested if s <= 3 * EVERY]
    assert twin.history.test_steps.tolist() == [EVERY, 2 * EVERY, 3 * EVERY]
    assert session.history.test_accuracy[:3].tolist() == twin.history.test_accuracy.tolist()
