"""Qt's pixmap cache holds what the window keeps cached (labels, colour bars, the curves'
axes) and little more: a large window's axes are not drawn afresh at every paint, and a small
window does not let replaced pictures pile up to Qt's default 10 MB."""

import pyqtgraph as pg
from PyQt6.QtGui import QPixmapCache

from visualcnn.app.views.pixmap_cache import SPARE_KB, cached_picture_bytes

QT_DEFAULT_KB = 10240


def fitted(qtbot, window):
    """Once the fit the last changes asked for has been made."""
    qtbot.wait(10)  # the events of the change
    qtbot.waitUntil(lambda: not window.pixmap_cache.pending, timeout=5000)


def settle(qtbot, window, width, height):
    window.resize(width, height)
    window.fit_docks()
    fitted(qtbot, window)


def axis_paints_on_repaint(monkeypatch, window) -> int:
    """How many axes of the curves draw themselves when the curves' view repaints with
    nothing changed (a cached axis is copied from its pixmap instead)."""
    painted = []
    monkeypatch.setattr(pg.AxisItem, "paint", lambda self, *a: painted.append(self))
    view = window.curves_panel.widget
    view.viewport().repaint()
    painted.clear()
    view.viewport().repaint()
    return len(painted)


def test_a_large_window_keeps_its_axes_cached(qtbot, monkeypatch, window):
    settle(qtbot, window, 3840, 2160)  # a 4K screen
    assert cached_picture_bytes(window) > QT_DEFAULT_KB * 1024  # more than Qt's default
    assert QPixmapCache.cacheLimit() * 1024 >= cached_picture_bytes(window)
    assert axis_paints_on_repaint(monkeypatch, window) == 0  # was 8: every axis, every paint


def test_a_small_window_leaves_little_room_for_replaced_pictures(qtbot, window):
    settle(qtbot, window, 1366, 768)
    needed = cached_picture_bytes(window)
    assert 0 < needed < 2 * 2**20
    assert QPixmapCache.cacheLimit() * 1024 >= needed
    assert QPixmapCache.cacheLimit() <= needed * 1.5 / 1024 + SPARE_KB < QT_DEFAULT_KB / 2


def test_the_limit_follows_the_window_down_and_at_a_pause(qtbot, window):
    settle(qtbot, window, 3840, 2160)
    large = QPixmapCache.cacheLimit()
    settle(qtbot, window, 1024, 768)
    assert QPixmapCache.cacheLimit() < large / 2
    QPixmapCache.setCacheLimit(QT_DEFAULT_KB)  # anything else set it meanwhile
    window.actions["run"].trigger()
    qtbot.wait(30)
    window.actions["run"].trigger()  # Pause
    fitted(qtbot, window)
    assert QPixmapCache.cacheLimit() < QT_DEFAULT_KB / 2
