"""The timeline: a strip under the toolbar over the whole run. The loss of every step is drawn
on it (grey, its moving average red), breakpoint hits are red marks, the band along its foot
is green where a jump comes back within ``FAST_MS`` and grey where it replays longer (far
back, once the oldest snapshots have thinned), and a yellow line marks the step on screen.
Drag the line (or click the strip) and the whole window goes to that step: its trace, its
weights and the curves up to it.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QSizePolicy, QToolBar

from visualcnn.common.i18n import tr

FAST_MS = 50.0
STRIP_HEIGHT = 96
BAND_POINTS = 600  # where the band's speed is worked out, across the run
SERIES_POINTS = 1500  # about one a pixel across the strip
REFRESH_S = 0.5  # the loss and the band while running
FAST_COLOUR, SLOW_COLOUR = (102, 187, 106, 200), (176, 176, 176, 200)


class TimelineView:
    """The timeline of ``view`` (the ``DebuggerView``): ``dock`` (a toolbar strip, shown and
    hidden like the debugger's docks), ``plot``, ``cursor``."""

    def __init__(self, view):
        self.view = view
        self.window = view.window
        self.debugger = view.debugger
        self.plot = pg.PlotWidget(background="w")
        self.plot.setObjectName("timeline")
        self.plot.setMinimumHeight(90)
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        item = self.plot.getPlotItem()
        item.setLabel("bottom", tr("step"))
        item.setLabel("left", tr("loss"))
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        self.loss = self.plot.plot(pen=pg.mkPen((185, 185, 185), width=1))
        self.loss_avg = self.plot.plot(pen=pg.mkPen((200, 30, 30), width=2))
        self.hits = pg.ScatterPlotItem(symbol="t", size=11, brush=pg.mkBrush(198, 40, 40),
                                       pen=None)
        self.plot.addItem(self.hits)
        self.band = pg.ImageItem()
        self.band.setZValue(-5)
        self.plot.addItem(self.band)
        self.cursor = pg.InfiniteLine(0, movable=True, pen=pg.mkPen((255, 179, 0), width=3),
                                      hoverPen=pg.mkPen((255, 143, 0), width=4))
        self.plot.addItem(self.cursor)
        self.cursor.sigPositionChanged.connect(self._on_dragged)
        self.plot.scene().sigMouseClicked.connect(self._on_clicked)
        self.plot.setToolTip(tr(
            "The whole run: the loss of each step, breakpoint hits (red), and along the foot "
            "where a jump is fast (green, within {ms:g} ms) or replays longer (grey).\n"
            "Drag the yellow line or click to show any step: trace, weights and curves.",
            ms=FAST_MS))
        self.plot.setFixedHeight(STRIP_HEIGHT)
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        # A strip under the toolbars, the window's whole width: the panels all give up a
        # little height, rather than the curves all of it.
        self.dock = QToolBar(tr("Timeline"), self.window)
        self.dock.setObjectName("toolbar_debug_timeline")
        self.dock.setMovable(False)
        self.dock.addWidget(self.plot)
        self.window.addToolBarBreak()
        self.window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.dock)
        self.dock.visibilityChanged.connect(lambda visible: visible and self.refresh())
        self._pending: int | None = None
        self._moving = False  # the cursor is being placed by the code, not dragged
        self._last = 0.0
        self._jump = QTimer(self.dock, singleShot=True, interval=0)
        self._jump.timeout.connect(self._jump_now)

    # ------------------------------------------------------------------------ drawing
    def follow(self, running: bool) -> None:
        """A trace was shown: move the cursor, and the data at most every REFRESH_S while
        running."""
        if not self.dock.isVisible():
            return
        now = time.perf_counter()
        if not running or now - self._last >= REFRESH_S:
            self.refresh()
        else:
            self._place_cursor()

    def refresh(self) -> None:
        self._last = time.perf_counter()
        d = self.debugger
        first, last = d.first_step, d.last_step
        steps, loss, average = self._loss(d.run_history(), first, last)
        finite = np.isfinite(loss) & np.isfinite(average)
        self.loss.setData(steps[finite], loss[finite])
        self.loss_avg.setData(steps[finite], average[finite])
        top = float(np.percentile(loss[finite], 99)) if finite.any() else 1.0
        hits = [s for s in d.hits if first is not None and first <= s <= last]
        self.hits.setData(hits, [top * 1.05] * len(hits))
        self._draw_band(first, last, top)
        if first is not None:
            self.plot.setXRange(first, max(last, first + 1), padding=0.01)
        self.plot.setYRange(-top * 0.2, top * 1.12, padding=0)
        self._place_cursor()

    @staticmethod
    def _loss(history, first, last):
        """Steps, loss and its moving average over the whole run: the history's aggregated
        series (a point per few steps of a long run, every step of a short one)."""
        if first is None or last <= first:
            return np.zeros(0), np.zeros(0), np.zeros(0)
        loss = history.series("loss", first, last, SERIES_POINTS)
        average = history.series("loss_avg", first, last, SERIES_POINTS)
        return loss.steps, loss.mean, average.mean

    def fast_mask(self, steps: np.ndarray) -> np.ndarray:
        """True where a jump to the step is expected within FAST_MS (from the last jumps'
        time per replayed step)."""
        rewind = self.debugger.rewind
        return rewind.replay_lengths(steps) * rewind.step_seconds * 1000 <= FAST_MS

    def _draw_band(self, first, last, top: float) -> None:
        if first is None or last <= first:
            self.band.clear()
            return
        steps = np.linspace(first, last, min(BAND_POINTS, last - first + 1)).round()
        fast = self.fast_mask(steps.astype(np.int64))
        rgba = np.where(fast[:, None], FAST_COLOUR, SLOW_COLOUR).astype(np.ubyte)
        self.band.setImage(rgba[None, :, :], autoLevels=False, levels=(0, 255))
        self.band.setRect(first, -top * 0.2, max(last - first, 1), top * 0.16)

    def _place_cursor(self) -> None:
        self._moving = True
        try:
            self.cursor.setValue(self.window.session.net.step)
        finally:
            self._moving = False

    # ------------------------------------------------------------------------ jumping
    def _on_dragged(self) -> None:
        if not self._moving:
            self.request(int(round(self.cursor.value())))

    def _on_clicked(self, event) -> None:
        vb = self.plot.getPlotItem().vb
        if event.button() == Qt.MouseButton.LeftButton and vb.sceneBoundingRect().contains(
                event.scenePos()):
            self.request(int(round(vb.mapSceneToView(event.scenePos()).x())))

    def request(self, step: int) -> None:
        """Go to ``step`` (clamped to the run) once the events queued now are handled: a drag
        sends many positions, only the latest is shown."""
        first, last = self.debugger.first_step, self.debugger.last_step
        if first is None:
            return
        self._pending = min(max(step, first), last)
        self._jump.start()

    def _jump_now(self) -> None:
        step, self._pending = self._pending, None
        if step is not None:
            self.view.show_step(step)
            self._place_cursor()
