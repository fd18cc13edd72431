"""The app benchmark behind ``visualcnn bench --gui``: redraw time, and Run's speed and frame
rate against the same session stepping with no window. Offscreen, with throw-away settings."""

from __future__ import annotations

import statistics
import tempfile
import time

from visualcnn.app.launch import DEFAULT_LR, application, open_window, scratch_settings


def gui_benchmark(dataset, net, seconds: float = 5.0) -> dict:
    """Redraw time, Run speed with drawing against headless stepping, and frames per second.

    Keys: ``redraw_ms`` (median time to draw a new trace in every panel and paint the
    window), ``run_steps_per_s`` and ``fps`` (Run at full speed through the real run loop and
    event loop), ``headless_steps_per_s`` (the same session stepping with no window) and
    ``run_ratio`` = run / headless.
    """
    app = application(offscreen=True)
    from PyQt6.QtCore import QEventLoop, QTimer

    from visualcnn.app.run_loop import MAX_SPEED

    with tempfile.TemporaryDirectory() as folder:
        window = open_window(dataset, net, DEFAULT_LR, 0, scratch_settings(folder))
        window.resize(1366, 768)
        window.show()
        app.processEvents()
        session = window.session

        redraws = []
        for _ in range(40):
            trace = session.step()
            start = time.perf_counter()
            window.show_trace(trace)
            window.repaint()
            redraws.append(time.perf_counter() - start)

        start, steps = time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            session.step()
            steps += 1
        headless = steps / (time.perf_counter() - start)

        window.loop.set_speed(MAX_SPEED)
        window.loop.frames = 0
        steps_before = session.net.step
        wait = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), wait.quit)
        start = time.perf_counter()
        window.loop.start()
        wait.exec()
        elapsed = time.perf_counter() - start
        window.loop.stop()
        run = (session.net.step - steps_before) / elapsed
        fps = window.loop.frames / elapsed
        window.close()
        window.deleteLater()
        app.processEvents()
    return {
        "redraw_ms": statistics.median(redraws) * 1000,
        "run_steps_per_s": run,
        "headless_steps_per_s": headless,
        "run_ratio": run / headless,
        "fps": fps,
    }
