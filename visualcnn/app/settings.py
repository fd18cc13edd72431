"""What the window keeps between runs, in QSettings with path keys and a version key:
``window/geometry``, ``window/state`` (the dock layout) with ``window/state_arch`` (the
architecture it was laid out for), ``training/learning_rate``, ``training/speed``,
``view/scale_mode``, ``debug/divergence_factor`` (0: off) and ``debug/history_budget_mb``
(``rewind_budget``). Features keep their own keys (``view/theme``)."""

from __future__ import annotations

from PyQt6.QtCore import QSettings

from visualcnn.app.controls import DEFAULT_SPEED
from visualcnn.app.views.colormaps import DEFAULT_SCALE_MODE, SCALE_MODES
from visualcnn.training.divergence import DEFAULT_FACTOR

SETTINGS_VERSION = 1
DEFAULT_SIZE = (1366, 768)


def checked_version(settings: QSettings) -> QSettings:
    """``settings``, cleared first when another version wrote them: a layout written by
    another version could put docks out of reach."""
    if settings.value("settings/version", 0, type=int) != SETTINGS_VERSION:
        settings.clear()
        settings.setValue("settings/version", SETTINGS_VERSION)
    return settings


def read_into(window) -> None:
    """Geometry, speed and scale mode from ``window.settings`` into the window."""
    s = window.settings
    geometry = s.value("window/geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    else:
        window.resize(*DEFAULT_SIZE)
    window.controls.set_speed(s.value("training/speed", DEFAULT_SPEED, type=int))
    mode = s.value("view/scale_mode", DEFAULT_SCALE_MODE, type=str)
    window.scale_mode = mode if mode in SCALE_MODES else DEFAULT_SCALE_MODE
    window.controls.show_scale_mode(window.scale_mode)


def divergence_factor(settings: QSettings) -> float | None:
    """The divergence watch's factor: None when it was turned off (stored as 0)."""
    factor = settings.value("debug/divergence_factor", DEFAULT_FACTOR, type=float)
    return None if factor <= 0 else factor


def store_divergence_factor(settings: QSettings, factor: float | None) -> None:
    settings.setValue("debug/divergence_factor", 0.0 if factor is None else float(factor))


def saved_layout(window):
    """The dock layout saved for the window's architecture, or None."""
    s = window.settings
    if s.value("window/state_arch", "", type=str) != window.session.net.arch:
        return None
    return s.value("window/state")


def write_from(window) -> None:
    s = window.settings
    s.setValue("settings/version", SETTINGS_VERSION)
    s.setValue("window/geometry", window.saveGeometry())
    s.setValue("window/state", window.saveState())
    s.setValue("window/state_arch", window.session.net.arch)
    s.setValue("training/learning_rate", window.session.lr)
    s.setValue("training/speed", window.loop.speed)
    s.setValue("view/scale_mode", window.scale_mode)
    s.sync()
