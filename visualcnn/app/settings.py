"""What the window keeps between runs, in QSettings with path keys and a version key:
``window/geometry``, the dock layouts (``layout/...``, see ``layouts``),
``training/learning_rate``, ``training/batch`` (samples a step; ``launch`` reads it),
``training/speed``,
``view/scale_mode``, ``debug/divergence_factor`` (0: off) and ``debug/history_budget_mb``
(``rewind_budget``). Features keep their own keys (``view/theme``)."""

from __future__ import annotations

from PyQt6.QtCore import QSettings, QSize

from visualcnn.app.controls import DEFAULT_SPEED
from visualcnn.app.views.colormaps import DEFAULT_SCALE_MODE, SCALE_MODES
from visualcnn.nn.network import MAX_BATCH
from visualcnn.training.divergence import DEFAULT_FACTOR

SETTINGS_VERSION = 1
DEFAULT_SIZE = (1366, 768)
FRAME = 40  # pixels kept for the window manager's frame and title bar, each way


def checked_version(settings: QSettings) -> QSettings:
    """``settings``, cleared first when another version wrote them: a layout written by
    another version could put docks out of reach."""
    if settings.value("settings/version", 0, type=int) != SETTINGS_VERSION:
        settings.clear()
        settings.setValue("settings/version", SETTINGS_VERSION)
    return settings


def fitting_size(available: QSize, wanted: QSize) -> QSize:
    """``wanted``, made smaller where it does not fit in ``available`` with room for the
    window's frame (FRAME pixels each way)."""
    return QSize(min(wanted.width(), available.width() - FRAME),
                 min(wanted.height(), available.height() - FRAME))


def fit_to_screen(window) -> None:
    """Make ``window`` fit the available area of its screen, and put it inside it."""
    screen = window.screen()
    if screen is None or window.isMaximized() or window.isFullScreen():
        return
    area = screen.availableGeometry()
    size = fitting_size(area.size(), window.size())
    if size != window.size():
        window.resize(size)
    frame = window.frameGeometry()
    x = min(max(frame.x(), area.x()), area.right() + 1 - frame.width())
    y = min(max(frame.y(), area.y()), area.bottom() + 1 - frame.height())
    if (x, y) != (frame.x(), frame.y()):
        window.move(max(x, area.x()), max(y, area.y()))


def read_into(window) -> None:
    """Geometry (fitted to the screen the window opens on), speed and scale mode from
    ``window.settings`` into the window."""
    s = window.settings
    geometry = s.value("window/geometry")
    if geometry is None or not window.restoreGeometry(geometry):
        window.resize(*DEFAULT_SIZE)
    fit_to_screen(window)  # saved on a bigger screen, or the default on a small one
    window.controls.set_speed(s.value("training/speed", DEFAULT_SPEED, type=int))
    mode = s.value("view/scale_mode", DEFAULT_SCALE_MODE, type=str)
    window.scale_mode = mode if mode in SCALE_MODES else DEFAULT_SCALE_MODE
    window.controls.show_scale_mode(window.scale_mode)
    window.controls.show_batch(window.session.batch)


def saved_batch(settings: QSettings) -> int:
    """The batch size of the last run (1 when none was kept, or one out of range)."""
    batch = settings.value("training/batch", 1, type=int)
    return batch if 1 <= batch <= MAX_BATCH else 1


def divergence_factor(settings: QSettings) -> float | None:
    """The divergence watch's factor: None when it was turned off (stored as 0)."""
    factor = settings.value("debug/divergence_factor", DEFAULT_FACTOR, type=float)
    return None if factor <= 0 else factor


def store_divergence_factor(settings: QSettings, factor: float | None) -> None:
    settings.setValue("debug/divergence_factor", 0.0 if factor is None else float(factor))


def write_from(window) -> None:
    s = window.settings
    s.setValue("settings/version", SETTINGS_VERSION)
    s.setValue("window/geometry", window.saveGeometry())
    window.layouts.write()
    s.setValue("training/learning_rate", window.session.lr)
    s.setValue("training/batch", window.session.batch)
    s.setValue("training/speed", window.loop.speed)
    s.setValue("view/scale_mode", window.scale_mode)
    s.sync()
