"""The app benchmark behind ``visualcnn bench --gui``: redraw time, and Run's speed and frame
rate against the same session stepping with no window. Offscreen, with throw-away settings."""

from __future__ import annotations

import statistics
import tempfile
import time

from visualcnn.app.launch import DEFAULT_LR, application, open_window, scratch_settings

SLOW_DRAW_S = 0.05  # the frame cost of the slow-drawing case: a machine ~4x slower than this one
# Runs at full speed, each between two headless measurements: on a 2-core machine whose
# speed drifts by 10 to 15% from one second to the next, one Run against headless speed
# measured before and after it gave ratios from 0.68 to 0.86 for the same code; the median
# of three still ranged 0.72 to 0.87 over an afternoon, the median of five is steadier.
RUN_ROUNDS = 5


def busy_wait(seconds: float) -> None:
    """Hold the thread for ``seconds`` the way drawing does (a sleep would let the loop's
    timers fire early)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def run_for(window, seconds: float,
            frame_costs: list | None = None) -> tuple[float, float, float]:
    """Run at full speed through the real run loop and event loop for ``seconds``; returns
    (steps per second, frames per second, the share of the time spent training: steps and
    test chunks, as the loop times them). ``frame_costs`` gets what each frame cost as the
    loop measured it (its slots, the painting and other events before its next tick)."""
    from PyQt6.QtCore import QEventLoop, QTimer

    from visualcnn.app.run_loop import MAX_SPEED

    loop, session = window.loop, window.session
    loop.set_speed(MAX_SPEED)
    frames_before, steps_before = loop.frames, session.net.step
    training_before = loop.training_s

    def note_cost(_trace):  # at each frame, the cost of the frame before it is known
        if frame_costs is not None and loop.frames > frames_before + 1:
            frame_costs.append(loop.last_frame_s)

    loop.trace_ready.connect(note_cost)
    wait = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), wait.quit)
    start = time.perf_counter()
    loop.start()
    wait.exec()
    elapsed = time.perf_counter() - start
    loop.stop()
    loop.trace_ready.disconnect(note_cost)
    return ((session.net.step - steps_before) / elapsed, (loop.frames - frames_before) / elapsed,
            (loop.training_s - training_before) / elapsed)


def headless_steps_per_s(session, seconds: float) -> float:
    start, steps = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        session.step()
        steps += 1
    return steps / (time.perf_counter() - start)


def shown_window(app, dataset, net, folder: str):
    """The app's window on ``dataset`` and ``net``, its settings in ``folder``, shown offscreen
    at 1366 x 768, the size every GUI figure is measured at."""
    window = open_window(dataset, net, DEFAULT_LR, 0, scratch_settings(folder))
    window.resize(1366, 768)
    window.show()
    app.processEvents()
    return window


def gui_benchmark(dataset, net, seconds: float = 5.0, rounds: int = RUN_ROUNDS) -> dict:
    """Redraw time, Run speed with drawing against headless stepping, and frames per second.

    Keys: ``redraw_ms`` (median time to draw a new trace in every panel and repaint the
    window: the slots and the window's widgets; the graphics views, maps, charts and curves,
    paint later in the event loop, which ``frame_ms`` includes), ``run_steps_per_s`` and
    ``fps`` (Run at full speed through the real run loop and event loop), ``frame_ms`` and
    ``frame_ms_p90`` (what a frame of that Run cost, as the loop measures it to keep drawing
    within its share: at most 0.2 / 30 s for 30 frames a second), ``headless_steps_per_s``
    (the same session stepping with no window),
    ``run_ratio`` = run / headless, and the same with every frame made SLOW_DRAW_S slower
    (a slot on ``trace_ready`` that holds the thread): ``run_ratio_slow_draw`` and
    ``fps_slow_draw``. ``run_training_share`` (``run_training_shares`` for each round,
    ``run_training_share_slow_draw``) is the share of each Run's time that went to steps and
    test chunks, timed inside the Run: unlike the ratios it does not depend on the machine
    running at the same speed in the Run and the headless spells, and it leaves out what
    drawing costs the steps themselves (caches it cooled). Headless speed is measured before
    and after each Run and averaged, so that a machine whose load changes during the
    benchmark skews the ratios less. The fast case is ``rounds`` Runs of ``seconds`` each,
    their ratios ``run_ratios``; ``run_ratio``, ``run_steps_per_s``, ``fps`` and
    ``headless_steps_per_s`` are the median round's.
    """
    app = application(offscreen=True)

    with tempfile.TemporaryDirectory() as folder:
        window = shown_window(app, dataset, net, folder)
        session = window.session

        redraws = []
        for _ in range(40):
            trace = session.step()
            start = time.perf_counter()
            window.show_trace(trace)
            window.repaint()
            redraws.append(time.perf_counter() - start)

        headless = [headless_steps_per_s(session, seconds / 2)]
        frame_costs: list[float] = []
        fast = []  # (ratio, run steps/s, fps, headless steps/s, training share) per round
        for _ in range(max(1, rounds)):
            run, fps, training = run_for(window, seconds, frame_costs)
            headless.append(headless_steps_per_s(session, seconds / 2))
            head = (headless[-2] + headless[-1]) / 2
            fast.append((run / head, run, fps, head, training))

        def slow_drawing(_trace):
            busy_wait(SLOW_DRAW_S)

        window.loop.trace_ready.connect(slow_drawing)
        run_slow, fps_slow, training_slow = run_for(window, seconds)
        window.loop.trace_ready.disconnect(slow_drawing)
        headless.append(headless_steps_per_s(session, seconds / 2))
        window.close()
        window.deleteLater()
        app.processEvents()
    head_slow = (headless[-2] + headless[-1]) / 2
    ratio, run, fps, head_fast, _ = sorted(fast)[len(fast) // 2]
    shares = [r[4] for r in fast]
    return {
        "redraw_ms": statistics.median(redraws) * 1000,
        "run_steps_per_s": run,
        "headless_steps_per_s": head_fast,
        "run_ratio": ratio,
        "run_ratios": [round(r[0], 3) for r in fast],
        "run_training_share": statistics.median(shares),
        "run_training_shares": [round(share, 3) for share in shares],
        "fps": fps,
        "frame_ms": statistics.median(frame_costs) * 1000 if frame_costs else None,
        "frame_ms_p90": (statistics.quantiles(frame_costs, n=10)[-1] * 1000
                         if len(frame_costs) >= 2 else None),
        "run_ratio_slow_draw": run_slow / head_slow,
        "fps_slow_draw": fps_slow,
        "run_training_share_slow_draw": training_slow,
    }
