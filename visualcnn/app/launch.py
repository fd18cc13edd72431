"""Entry points the command line calls: the app and a screenshot of it."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from visualcnn.app.system_check import window_problem
from visualcnn.common.errors import UserError

ORGANIZATION = "visualcnn"
APPLICATION = "visualcnn"
DEFAULT_LR = 0.01


def application(offscreen: bool = False):
    """The QApplication, created once; offscreen when asked and no platform was chosen."""
    if offscreen:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    from visualcnn.app.app_icon import app_icon

    app.setWindowIcon(app_icon())
    app.setDesktopFileName("visualcnn")  # matches resources/visualcnn.desktop
    return app


def start_language(app, settings=None) -> str | None:
    """Set the window's language from ``settings`` (else the user's) or the system; returns
    the message to show when it could not be the one asked for."""
    from visualcnn.app.language import apply_language, chosen_language

    return apply_language(app, chosen_language(settings))


def open_window(dataset, net, lr: float, seed: int, settings=None, batch: int = 1):
    from visualcnn.app.main_window import MainWindow
    from visualcnn.training.session import Session

    return MainWindow(Session(dataset, net, lr=lr, seed=seed, batch=batch), settings)


def run_app(dataset, net, lr: float | None = None, seed: int = 0, layers=None,
            lesson=None, batch: int | None = None) -> int:
    """Open the main window on ``dataset`` and ``net``; returns the Qt exit code.

    ``lr`` None takes the last learning rate from the settings, else 0.01, and ``batch`` None
    the last batch size, else 1; ``layers`` is a file of the student's own layer functions
    to step with. Raises UserError,
    before Qt is loaded, when Qt could not open a window here (no display, or a system library
    of its xcb plugin missing): Qt itself would abort the process with a misleading message.
    """
    problem = window_problem()
    if problem:
        raise UserError(problem)
    app = application()
    from PyQt6.QtCore import QSettings

    from visualcnn.training.session import LR_MAX, LR_MIN

    if lr is None:
        lr = QSettings().value("training/learning_rate", DEFAULT_LR, type=float)
        if not LR_MIN <= lr <= LR_MAX:
            lr = DEFAULT_LR
    if batch is None:
        from visualcnn.app.settings import saved_batch

        batch = saved_batch(QSettings())
    language_problem = start_language(app)
    window = open_window(dataset, net, lr, seed, batch=batch)
    window.show()
    if language_problem:
        window.show_banner(language_problem)
    if layers is not None:
        window.my_layers.use(layers)  # a student's own functions (--layers)
    if lesson is not None:
        window.lessons.open_lesson(lesson)  # `visualcnn lesson NAME`
    from visualcnn.app.welcome import show_welcome_once

    show_welcome_once(window)  # where to click first, until dismissed once
    return app.exec()


def scratch_settings(folder: str):
    """Settings in a throw-away file, so screenshots and benchmarks neither read nor change
    the user's layout."""
    from PyQt6.QtCore import QSettings

    return QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)


def save_screenshot(out_path, dataset, net, steps: int, size=(1366, 768), lr: float = 0.01,
                    seed: int = 0, presenter: bool = False, theme: str = "light",
                    batch: int = 1, language: str | None = None, lesson=None,
                    card: int = 1, phases: int = 0) -> Path:
    """Train ``steps`` steps, draw the window at ``size`` offscreen (in presenter mode, in
    ``theme``, in ``language`` -- None: the system's --, on card ``card`` of ``lesson``, when
    asked), then step ``phases`` phases of the next sample, and write it as a PNG. A lesson
    brings its own setup; the steps follow it."""
    app = application(offscreen=True)
    out_path = Path(out_path)
    with tempfile.TemporaryDirectory() as folder:
        from visualcnn.app.language import apply_language

        problem = start_language(app, scratch_settings(folder)) if language is None else \
            apply_language(app, language)
        window = open_window(dataset, net, lr, seed, scratch_settings(folder), batch)
        window.resize(*size)
        window.show()
        app.processEvents()
        if problem:
            window.show_banner(problem)
        window.actions[f"theme_{theme}"].trigger()
        if presenter:
            window.actions["presenter"].setChecked(True)
            app.processEvents()
        window.fit_docks()  # the docks follow the final size, not the default one
        if lesson is not None:
            window.lessons.open_lesson(lesson)
            window.lessons.go(min(max(card, 1), len(lesson.cards)) - 1)
            app.processEvents()
        for _ in range(steps):
            trace = window.session.step()
        if steps:
            window.show_trace(trace)
            window.evaluate_test(wait=True)  # the picture needs the test point now
        for _ in range(phases):
            window.actions["step_phase"].trigger()
        app.processEvents()
        try:
            from visualcnn.app.classroom.exports import save_png

            save_png(window, out_path)
        finally:
            window.loop.stop()
            window.close()
            window.deleteLater()
            app.processEvents()
    return out_path
