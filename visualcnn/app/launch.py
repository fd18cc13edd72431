"""Entry points the command line calls: the app, a screenshot, and the GUI benchmark."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ORGANIZATION = "visualcnn"
APPLICATION = "visualcnn"
DEFAULT_LR = 0.01


def _application(offscreen: bool = False):
    """The QApplication, created once; offscreen when asked and no platform was chosen."""
    if offscreen:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    return app


def _window(dataset, net, lr: float, seed: int, settings=None):
    from visualcnn.app.main_window import MainWindow
    from visualcnn.session import Session

    return MainWindow(Session(dataset, net, lr=lr, seed=seed), settings)


def run_app(dataset, net, lr: float | None = None, seed: int = 0) -> int:
    """Open the main window on ``dataset`` and ``net``; returns the Qt exit code.

    ``lr`` None takes the last learning rate from the settings, else 0.01.
    """
    app = _application()
    from PyQt6.QtCore import QSettings

    from visualcnn.session import LR_MAX, LR_MIN

    if lr is None:
        lr = QSettings().value("training/learning_rate", DEFAULT_LR, type=float)
        if not LR_MIN <= lr <= LR_MAX:
            lr = DEFAULT_LR
    window = _window(dataset, net, lr, seed)
    window.show()
    return app.exec()


def _scratch_settings(folder: str):
    """Settings in a throw-away file, so screenshots and benchmarks neither read nor change
    the user's layout."""
    from PyQt6.QtCore import QSettings

    return QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)


def save_screenshot(out_path, dataset, net, steps: int, size=(1366, 768), lr: float = 0.01,
                    seed: int = 0) -> Path:
    """Train ``steps`` steps, draw the window at ``size`` offscreen and write it as a PNG."""
    app = _application(offscreen=True)
    out_path = Path(out_path)
    with tempfile.TemporaryDirectory() as folder:
        window = _window(dataset, net, lr, seed, _scratch_settings(folder))
        window.resize(*size)
        window.show()
        app.processEvents()
        window._size_docks()  # the docks follow the final size, not the default one
        for _ in range(steps):
            trace = window.session.step()
        if steps:
            window.show_trace(trace)
            window.evaluate_test()
        app.processEvents()
        try:
            from visualcnn.app.exports import save_png

            save_png(window, out_path)
        finally:
            window.loop.stop()
            window.close()
            window.deleteLater()
            app.processEvents()
    return out_path


def gui_benchmark(dataset, net, seconds: float = 5.0) -> dict:
    """Redraw time, Run speed with drawing against headless stepping, and frames per second.

    Keys: ``redraw_ms`` (median time to draw a new trace in every panel and paint the
    window), ``run_steps_per_s`` and ``fps`` (Run at full speed through the real run loop and
    event loop), ``headless_steps_per_s`` (the same session stepping with no window) and
    ``run_ratio`` = run / headless.
    """
    app = _application(offscreen=True)
    from PyQt6.QtCore import QEventLoop, QTimer

    from visualcnn.app.run_loop import MAX_SPEED

    with tempfile.TemporaryDirectory() as folder:
        window = _window(dataset, net, DEFAULT_LR, 0, _scratch_settings(folder))
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
