"""Pictures for slides: a widget saved as a PNG, and a run recorded as an animated GIF.

PNGs are drawn at a scale (2x by default, File > PNG scale, kept as ``export/png_scale``):
text and lines drawn at that resolution, sharp on a projector or a slide. A GIF frame is
the whole window at its own size. Files are written atomically (a temporary file in the same
folder, then renamed), so a failed save never leaves half a picture behind.

Recording never holds the window up for long: the GUI thread only draws the window into an
image (about as long as one redraw of the panels) and hands it to a worker thread, which
maps it to the palette and encodes it (``gif_writer``), so that Save GIF has only the last
frame left to write. While Run is on, a frame is taken only when the last one's drawing has
been paid back three times over (recording takes at most a quarter of the GUI thread's
time), and never while two frames wait for the worker: the window keeps drawing every frame
and the GIF shows the run at a few frames a second, each lasting as long as it was on
screen. Stepping (a step, a phase, a drawing) records every picture.

``Exports(window, docks)`` adds the export actions to the File menu and "Save this panel as
PNG..." to each panel dock's context menu, and records a frame for every step shown.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from pathlib import Path

from PyQt6.QtCore import QObject, Qt
from PyQt6.QtGui import QActionGroup, QGuiApplication
from PyQt6.QtWidgets import QDockWidget, QFileDialog, QInputDialog, QMenu

from visualcnn.app.classroom.gif_writer import GifStream
from visualcnn.app.classroom.images import qimage_to_packed, render_image
from visualcnn.common.files import atomic_write
from visualcnn.common.i18n import ntr, tr

PNG_SCALES = (1, 2, 3, 4)
DEFAULT_PNG_SCALE = 2    # a 1366 x 768 window gives 2732 x 1536: sharp on a 1080p slide
MAX_GIF_FRAMES = 400     # recording stops by itself after this many frames...
MAX_GIF_BYTES = 120e6    # ...or when the GIF written so far reaches this size
CAPTURE_SHARE = 0.25     # while running, recording takes at most this share of the GUI thread
MAX_WAITING = 2          # frames handed to the worker and not yet encoded


def save_png(widget, path, scale: float = 1.0) -> Path:
    """Draw ``widget`` (a window, a dock) ``scale`` times its size and write it to ``path`` as
    a PNG, atomically."""
    path = Path(path)
    image = render_image(widget, scale)
    with atomic_write(path) as tmp:
        if not image.save(str(tmp), "PNG"):
            raise OSError(tr("could not write {path}", path=path))
    return path


class GifRecorder(QObject):
    """Records ``widget`` as an animated GIF at its own size: ``start()``, then ``capture()``
    for every step (or phase) shown, ``stop()``, ``save(path)``. ``frames`` counts the frames
    taken. Frames are encoded by one worker thread, in order; ``wait()`` waits for it.
    ``error`` is what the worker raised, if it did: the recording stops there and cannot be
    saved. ``clock`` (seconds) paces the captures and times the frames."""

    def __init__(self, widget, parent=None):
        super().__init__(parent)
        self.widget = widget
        self.clock = time.perf_counter
        self.recording = False
        self.frames = 0
        self.error: BaseException | None = None
        self._stream: GifStream | None = None
        self._worker: ThreadPoolExecutor | None = None
        self._waiting: list[Future] = []
        self._next_due = 0.0   # perf_counter time before which a paced capture is skipped
        self._ended = 0.0      # when the recording stopped: the last frame's end

    @property
    def encoded_bytes(self) -> int:
        """Bytes of GIF the worker has written so far (all frames but the last)."""
        return self._stream.nbytes if self._stream is not None else 0

    def start(self) -> None:
        """A new recording; the frames of the last one are dropped."""
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="visualcnn-gif")
        if self._stream is not None:
            self._worker.submit(self._stream.close)
        self._stream = GifStream()
        self._waiting = []
        self.frames = 0
        self.error = None
        self._next_due = 0.0
        self.recording = True

    def stop(self) -> None:
        if self.recording:
            self.recording = False
            self._ended = self.clock()

    def capture(self, paced: bool = False) -> bool:
        """Add the widget as it looks now; False (and stops) once the frame or size limit is
        reached or the worker failed. ``paced`` (while running): skip this picture when the
        last capture is not paid back yet or the worker is behind; otherwise wait for the
        worker if it is."""
        if not self.recording:
            return False
        self._collect()
        if self.error is not None:
            return False
        if self.frames >= MAX_GIF_FRAMES or self.encoded_bytes >= MAX_GIF_BYTES:
            self.stop()
            return False
        start = self.clock()
        if paced and (start < self._next_due or len(self._waiting) >= MAX_WAITING):
            return True
        if len(self._waiting) >= MAX_WAITING:  # bounded memory: at most two frames queued
            wait_for(self._waiting[:1])
            self._collect()
            if self.error is not None:
                return False
        pixels = qimage_to_packed(render_image(self.widget))
        self._waiting.append(self._worker.submit(self._stream.add, pixels, start))
        self.frames += 1
        end = self.clock()
        self._next_due = end + (end - start) * (1 / CAPTURE_SHARE - 1)
        return True

    def _collect(self) -> None:
        """Forget the frames the worker has encoded; one it failed on stops the recording."""
        waiting = []
        for future in self._waiting:
            if not future.done():
                waiting.append(future)
            elif future.exception() is not None and self.error is None:
                self.error = future.exception()
        self._waiting = waiting
        if self.error is not None:
            self.stop()

    def wait(self) -> None:
        """Until every frame taken is encoded (or the worker failed: see ``error``)."""
        wait_for(self._waiting)
        self._collect()

    def save(self, path) -> Path:
        """Write the frames so far as a looping GIF (raises ValueError with none or after the
        worker failed, OSError when the file cannot be written). The recording may go on
        afterwards."""
        if not self.frames:
            raise ValueError(tr("nothing recorded yet: turn on Record GIF and take some steps"))
        self.wait()
        if self.error is not None:
            raise ValueError(tr("the recording failed, record it again ({error})",
                                error=repr(self.error)))
        end = self.clock() if self.recording else self._ended
        return self._worker.submit(self._stream.save, path, end).result()


class Exports(QObject):
    """The export feature of ``window``: PNGs of the window or of a dock, at ``png_scale``, and
    the GIF ``recorder``. Its File menu entries go before ``file_at``; ``docks`` are the docks
    other than the panels' that "Save panel as PNG" offers (focus, drawing, model, test set)."""

    def __init__(self, window, docks: list[QDockWidget], file_at=None, parent=None):
        super().__init__(parent)
        self.window = window
        self.docks = list(docks)
        self.recorder = GifRecorder(window, self)
        scale = window.settings.value("export/png_scale", DEFAULT_PNG_SCALE, type=int)
        self.png_scale = scale if scale in PNG_SCALES else DEFAULT_PNG_SCALE
        self.scale_menu = self._build_scale_menu()
        a = window.actions
        file_menu = window.menu("File")
        if file_menu is not None:
            file_menu.insertSeparator(file_at)
            file_menu.insertActions(file_at, [a["save_window_png"], a["save_panel_png"]])
            file_menu.insertMenu(file_at, self.scale_menu)
            file_menu.insertActions(file_at, [a["record_gif"], a["save_gif"]])
        a["save_window_png"].triggered.connect(self.ask_save_window_png)
        a["save_panel_png"].triggered.connect(self.ask_save_panel_png)
        a["record_gif"].toggled.connect(self.set_recording)
        a["save_gif"].triggered.connect(self.ask_save_gif)

    def _build_scale_menu(self) -> QMenu:
        menu = QMenu(tr("PNG &scale"), self.window)
        menu.setToolTip(tr("How many times the window's size PNGs are drawn at"))
        group = QActionGroup(menu)
        for scale in PNG_SCALES:
            text = {1: tr("1x (screen pixels)"), 2: tr("2x (slides)")}.get(scale, f"{scale}x")
            action = menu.addAction(text)
            action.setCheckable(True)
            action.setData(scale)
            action.setChecked(scale == self.png_scale)
            group.addAction(action)
            action.triggered.connect(lambda _=False, s=scale: self.set_png_scale(s))
        return menu

    def set_png_scale(self, scale: int) -> None:
        """PNGs ``scale`` times the size of what they show from now on, and next time."""
        self.png_scale = scale
        self.window.settings.setValue("export/png_scale", scale)
        for action in self.scale_menu.actions():
            action.setChecked(action.data() == scale)

    def add_dock_menus(self) -> None:
        """Add "Save this panel as PNG..." to the context menu of every panel dock (after a
        rebuild, of the new ones)."""
        for dock in self.window.docks.values():
            dock.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            dock.customContextMenuRequested.connect(
                lambda pos, d=dock: self._dock_menu(d, pos))

    def _dock_menu(self, dock: QDockWidget, pos) -> None:
        menu = QMenu(dock)
        menu.addAction(tr("Save this panel as PNG..."), lambda: self.ask_save_dock_png(dock))
        menu.popup(dock.mapToGlobal(pos))

    def _ask_path(self, title: str, name: str, pattern: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.window, title, name, pattern)
        return path

    def _save_png(self, widget, path) -> bool:
        try:
            save_png(widget, path, self.png_scale)
        except OSError as e:
            self.window.show_banner(tr("Could not save the picture: {error}", error=e))
            return False
        self.window.statusBar().showMessage(tr("saved {path} ({scale}x)", path=path,
                                               scale=self.png_scale), 5000)
        return True

    def ask_save_window_png(self) -> None:
        path = self._ask_path(tr("Save window as PNG"), "visualcnn.png",
                              tr("PNG images (*.png)"))
        if path:
            self._save_png(self.window, path)

    def panel_docks(self) -> dict[str, QDockWidget]:
        """Every visible dock by its title: the panels, focus and classroom docks."""
        docks = [*self.window.docks.values(), *self.docks]
        return {d.windowTitle(): d for d in docks if d.isVisible()}

    def ask_save_panel_png(self) -> None:
        docks = self.panel_docks()
        title, ok = QInputDialog.getItem(self.window, tr("Save panel as PNG"), tr("Panel:"),
                                         list(docks), 0, False)
        if ok and title in docks:
            self.ask_save_dock_png(docks[title])

    def ask_save_dock_png(self, dock: QDockWidget) -> None:
        name = dock.objectName().removeprefix("dock_") or "panel"
        path = self._ask_path(tr("Save {panel} as PNG", panel=dock.windowTitle()),
                              f"{name}.png", tr("PNG images (*.png)"))
        if path:
            self._save_png(dock, path)

    def set_recording(self, on: bool) -> None:
        if on:
            self.recorder.start()
            self.recorder.capture()  # the picture as it is when recording starts
            self.window.statusBar().showMessage(tr("recording a GIF frame for every step "
                                                   "shown (a few a second while running)"), 5000)
        else:
            self.recorder.stop()

    def capture(self) -> None:
        """A frame for the step just shown, while recording (paced while running); at the
        frame limit, or when a frame could not be encoded, the recording stops and says so."""
        recorder = self.recorder
        if recorder.recording and not recorder.capture(self.window.loop.running):
            self.window.actions["record_gif"].setChecked(False)
            if recorder.error is not None:
                self.window.show_banner(tr("GIF recording stopped, a frame could not be "
                                           "encoded: {error}", error=recorder.error))
            else:
                self.window.statusBar().showMessage(
                    tr("GIF recording stopped: frame limit reached; save it with File > Save "
                       "GIF"), 8000)

    def ask_save_gif(self) -> None:
        if not self.recorder.frames:
            self.window.show_banner(tr("Nothing recorded yet: turn on File > Record GIF "
                                       "(Ctrl+Shift+G) and take some steps"))
            return
        path = self._ask_path(tr("Save GIF"), "visualcnn.gif", tr("GIF animations (*.gif)"))
        if path:
            self.save_gif(path)

    def save_gif(self, path) -> bool:
        """Write the recording to ``path``. The worker has encoded all but the last frame
        already, so this takes about as long as one frame; a wait cursor shows meanwhile."""
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        start = time.perf_counter()
        try:
            self.recorder.save(path)
        except (OSError, ValueError) as e:
            self.window.show_banner(tr("Could not save the GIF: {error}", error=e))
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.window.statusBar().showMessage(
            ntr("saved {n} frame to {path} in {seconds:.1f} s",
                "saved {n} frames to {path} in {seconds:.1f} s", self.recorder.frames,
                path=path, seconds=time.perf_counter() - start), 8000)
        return True
