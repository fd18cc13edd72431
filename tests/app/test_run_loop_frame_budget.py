"""Run's frames at full speed, on a simulated clock: drawing keeps to its share of the time
(give or take what may be banked), and an occasional slow frame (the curves' refresh) does
not hold back the frames after it. The clock and the session are stand-ins, so the figures
are exact, not timed."""

import pytest

from visualcnn.app import run_loop
from visualcnn.app.run_loop import DRAW_BANK_S, DRAW_SHARE, FRAME_S, MAX_SPEED, RunLoop

STEP_S = 0.0002  # what a step costs on the simulated clock


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class SteppedSession:
    """What the run loop reads of a session; each step moves the clock on by STEP_S."""

    failure = divergence = pause_reason = pending_test = None
    defer_tests = False

    def __init__(self, clock: Clock):
        self.clock, self.steps = clock, 0

    def step(self):
        self.clock.now += STEP_S
        self.steps += 1
        return self.steps


def simulated_loop(monkeypatch):
    """A run loop over a SteppedSession, on a simulated clock: (clock, session, loop)."""
    clock = Clock()
    monkeypatch.setattr(run_loop.time, "perf_counter", clock)
    session = SteppedSession(clock)
    return clock, session, RunLoop(session)


def run(qtbot, monkeypatch, frame_cost, seconds: float = 20.0, returns=None, drawn_at=None):
    """Run for ``seconds`` of the simulated clock, frame n costing ``frame_cost(n)``; returns
    (frames drawn, the share of the time spent drawing). ``drawn_at`` gets when each frame
    went out."""
    clock, session, loop = simulated_loop(monkeypatch)
    if returns is not None:  # note when freed memory goes back to the system
        monkeypatch.setattr(run_loop, "return_freed_memory", lambda: returns.append(clock.now))
    loop.set_speed(MAX_SPEED)
    drawing = []

    def draw(_trace):
        if drawn_at is not None:
            drawn_at.append(clock.now)
        cost = frame_cost(len(drawing))
        drawing.append(cost)
        clock.now += cost

    loop.trace_ready.connect(draw)
    loop.start()
    end = clock.now + seconds
    while clock.now < end:
        loop._tick()  # what the loop's zero-interval timer does, here without waiting
    loop.stop()
    return len(drawing), sum(drawing) / seconds


def test_an_occasional_slow_frame_does_not_cost_the_frames_after_it(qtbot, monkeypatch):
    # 5 ms frames, and a 25 ms one once a second: 16 % of the time at 30 frames a second.
    frames, share = run(qtbot, monkeypatch, lambda n: 0.025 if n % 30 == 29 else 0.005)
    assert frames >= 0.98 * 20 / FRAME_S  # was 26.7 frames a second
    assert share <= DRAW_SHARE


def test_a_dear_first_frame_does_not_hold_back_the_second(qtbot, monkeypatch):
    # The first frame of a Run redraws what Pause left (22 ms here); the loop trained nothing
    # while paused, so the bank is full and the second frame keeps to the grid. Starting
    # with an empty bank made it wait 110 ms: three frames lost at every Run.
    drawn_at = []
    run(qtbot, monkeypatch, lambda n: 0.022 if n == 0 else 0.005, seconds=1.0,
        drawn_at=drawn_at)
    gaps = [b - a for a, b in zip(drawn_at, drawn_at[1:], strict=False)]
    assert max(gaps) <= FRAME_S + 2 * STEP_S


@pytest.mark.parametrize("cost", [0.012, 0.05, 0.2])
def test_frames_that_stay_slow_keep_drawing_to_its_share(qtbot, monkeypatch, cost):
    frames, share = run(qtbot, monkeypatch, lambda n: cost)
    # The bank starts full and is spent once; a frame goes out as soon as nothing is owed,
    # and Pause draws the newest trace: two frames beyond the share.
    assert share <= DRAW_SHARE + (2 * cost + DRAW_BANK_S) / 20 + 1e-9
    assert frames >= 0.9 * min(20 / FRAME_S, 20 * DRAW_SHARE / cost)  # and no fewer frames


def test_a_frame_far_slower_than_the_rest_still_buys_training_after_it(qtbot, monkeypatch):
    # One 300 ms frame (a panel opened, a window resized) among 5 ms ones.
    frames, share = run(qtbot, monkeypatch, lambda n: 0.3 if n == 100 else 0.005)
    assert share <= DRAW_SHARE + DRAW_BANK_S / 20


def test_a_bank_spent_on_a_slow_frame_is_paid_back_by_waiting(qtbot, monkeypatch):
    # 6 ms frames (18 % at 30 a second) and a 150 ms one every 60 frames: more than the
    # share over each two seconds, so frames must be dropped to pay for it.
    frames, share = run(qtbot, monkeypatch, lambda n: 0.15 if n % 60 == 59 else 0.006)
    assert share <= DRAW_SHARE + DRAW_BANK_S / 20
    assert frames < 0.95 * 20 / FRAME_S


def test_freed_memory_goes_back_to_the_system_every_second_of_a_run(qtbot, monkeypatch):
    # Freed snapshots and a Pause's temporaries pile up as touched pages until returned.
    returns = []
    run(qtbot, monkeypatch, lambda n: 0.005, seconds=10.0, returns=returns)
    assert len(returns) >= 9
    assert max(b - a for a, b in zip(returns, returns[1:], strict=False)) < 1.1


@pytest.mark.parametrize("cost", [0.005, 0.05])
def test_the_loop_times_training_apart_from_drawing(qtbot, monkeypatch, cost):
    clock, session, loop = simulated_loop(monkeypatch)
    frames = []

    def draw(_trace):
        if loop.running:  # not the frame Pause draws, after the Run
            frames.append(cost)
        clock.now += cost

    loop.trace_ready.connect(draw)
    start = clock.now
    loop.start()
    while clock.now < start + 5.0:
        loop._tick()
    elapsed = clock.now - start
    loop.stop()
    # On this clock only steps and frames take time: training is the steps' time, exactly,
    # and the rest of the Run's time went to drawing.
    assert loop.training_s == pytest.approx(session.steps * STEP_S)
    assert loop.training_s + sum(frames) == pytest.approx(elapsed)
    assert len(frames) >= 0.9 * min(5.0 / FRAME_S, 5.0 * DRAW_SHARE / cost)


def test_time_outside_the_steps_keeps_to_the_share_wherever_it_lands(qtbot, monkeypatch):
    # Each frame's slots take 2 ms, and 4 ms more of its painting land after the loop's next
    # tick; every turn of the event loop costs 0.5 ms (other timers, the loop's own turn).
    # Counted from each frame to its next tick, as before, the frames looked like 8 % of the
    # time, and training got 76 % of it.
    clock, session, loop = simulated_loop(monkeypatch)
    late_paint = []

    def draw(_trace):
        clock.now += 0.002
        late_paint.append(0.004)

    loop.trace_ready.connect(draw)
    start = clock.now
    loop.start()
    ticks = 0
    while clock.now < start + 20.0:
        clock.now += 0.0005
        if ticks % 2 == 1 and late_paint:  # a tick after the frame's first one
            clock.now += late_paint.pop()
        loop._tick()
        ticks += 1
    elapsed = clock.now - start
    loop.stop()
    # As for slow frames: the bank, and a frame that goes out with nothing owed, beyond it.
    assert loop.training_s / elapsed >= 1 - DRAW_SHARE - (DRAW_BANK_S + 2 * 0.006) / 20


def test_a_set_speed_the_loop_keeps_up_with_draws_every_frame(qtbot, monkeypatch):
    # 1,000 steps a second of 0.2 ms each, and 8 ms frames: drawing takes 24 % of the time,
    # but the loop keeps to its schedule, so no step waits for a frame and none is dropped.
    clock, session, loop = simulated_loop(monkeypatch)
    frames = []

    def draw(_trace):
        if loop.running:
            frames.append(clock.now)
        clock.now += 0.008

    loop.trace_ready.connect(draw)
    loop.set_speed(1000)
    start = clock.now
    loop.start()
    while clock.now < start + 10.0:
        loop._tick()
        clock.now += 0.0005  # the timer's wait, and the event loop's turn
    loop.stop()
    assert len(frames) >= 0.98 * 10 / FRAME_S
    assert session.steps >= 0.98 * 10 * 1000
