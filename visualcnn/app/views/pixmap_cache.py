"""Qt's pixmap cache, sized to the pictures the window keeps in it.

Labels, colour bars and the curves' axes are drawn once into pixmaps (DeviceCoordinateCache)
that live in Qt's one global QPixmapCache. A picture replaced by a new one (an axis whose
range moved at a Pause, a label that got longer) stays there until the cache is full, and
Qt's default limit is 10 MB: a Run paused every 2 s grew by 10 MB from its 10th pause to its
110th (231 to 241 MB); with 2.2 MB (the limit fitted to a 1366 x 768 window) it grew by 1.7
MB, to its 80th, and no more. The default is also too small for a 4K window, whose cached
pictures take 14 MB: every paint drew the curves' axes afresh. The limit is fitted to what
the window shows whenever one of its views changes size or is shown or hidden, and at every
Pause.
"""

from __future__ import annotations

from PyQt6 import sip
from PyQt6.QtCore import QEvent, QObject, QTimer
from PyQt6.QtGui import QPixmapCache
from PyQt6.QtWidgets import QGraphicsItem, QGraphicsView, QWidget

from visualcnn.app.views.board import on_screen

CACHED = QGraphicsItem.CacheMode.DeviceCoordinateCache
HEADROOM = 1.25  # the cached pictures shown, times this: room for those being replaced
# Plus this, for what else Qt caches there (the style's pictures of buttons and frames).
SPARE_KB = 1024
# The fit waits this long after the last change: the boards lay their labels out again just
# after a resize, and a window dragged to a new size sends a stream of them.
FIT_DELAY_MS = 100
_WATCHED = "pixmap_cache_fit"  # a view's property once the fit watches its events
_VIEW_EVENTS = (QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.Hide)


def cached_picture_bytes(window: QWidget) -> int:
    """Bytes of the pixmaps that the items of ``window``'s shown graphics views are cached
    in: each item's rectangle on screen, inside its view, at 4 bytes a device pixel."""
    total = 0
    for view in window.findChildren(QGraphicsView):
        scene = view.scene()
        if scene is None or not on_screen(view):
            continue
        ratio = view.devicePixelRatioF()
        shown = view.viewport().rect()
        for item in scene.items():
            if item.cacheMode() != CACHED or not item.isVisible():
                continue
            rect = view.mapFromScene(item.sceneBoundingRect()).boundingRect() & shown
            if not rect.isEmpty():
                total += int(rect.width() * rect.height() * 4 * ratio * ratio)
    return total


def fitted_limit_kb(window: QWidget) -> int:
    return int(cached_picture_bytes(window) * HEADROOM / 1024) + SPARE_KB


class PixmapCacheFit(QObject):
    """Keeps the QPixmapCache's limit at ``fitted_limit_kb(window)`` (the main window): refitted
    FIT_DELAY_MS after a graphics view of the window was last resized, shown or hidden, after
    the panels are built again and at a Pause, while the window is shown."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.fit)
        window.installEventFilter(self)
        window.docks_built.connect(self.fit_soon)
        window.loop.running_changed.connect(self._on_running_changed)
        self._watch_views()
        self.fit_soon()

    def fit_soon(self) -> None:
        # A closed window leaves no timer running; one being deleted hides its views.
        if not sip.isdeleted(self.window) and self.window.isVisible():
            self._timer.start(FIT_DELAY_MS)

    @property
    def pending(self) -> bool:
        """Whether a fit is due (FIT_DELAY_MS after the last change)."""
        return self._timer.isActive()

    def _on_running_changed(self, running: bool) -> None:
        if not running:  # the curves' new ranges: their axes' pictures change size
            self.fit_soon()

    def fit(self) -> None:
        self._watch_views()
        QPixmapCache.setCacheLimit(fitted_limit_kb(self.window))

    def _watch_views(self) -> None:
        for view in self.window.findChildren(QGraphicsView):
            if not view.property(_WATCHED):  # views made since the last fit
                view.setProperty(_WATCHED, True)
                view.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.window:
            if event.type() == QEvent.Type.Hide:
                self._timer.stop()
        elif event.type() in _VIEW_EVENTS:
            self.fit_soon()
        return False
