"""Pictures for slides: a widget saved as a PNG, and a run recorded as an animated GIF.

Files are written atomically (a temporary file in the same folder, then renamed), so a
failed save never leaves half a picture behind. The GIF encoder is ``visualcnn.common.gif``.
``Exports(window, docks)`` adds the export actions to the File menu and "Save this panel as
PNG..." to each panel dock's context menu, and records a frame for every step shown.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QObject, Qt
from PyQt6.QtGui import QGuiApplication
from PyQt6.QtWidgets import QDockWidget, QFileDialog, QInputDialog, QMenu

from visualcnn.app.classroom.images import qimage_to_array
from visualcnn.common.files import atomic_write
from visualcnn.common.gif import save_gif

GIF_SCALE = 0.5          # frames are the window at half size: legible, and quick to encode
MAX_GIF_FRAMES = 400     # recording stops by itself after this many frames...
MAX_GIF_BYTES = 120e6    # ...or when the frames held would take more memory than this
MIN_DELAY_MS, MAX_DELAY_MS = 80, 2000  # a frame lasts as long as it was on screen, clipped


def save_png(widget, path) -> Path:
    """Render ``widget`` (a window, a dock) and write it to ``path`` as a PNG, atomically."""
    path = Path(path)
    image = widget.grab().toImage()
    with atomic_write(path) as tmp:
        if not image.save(str(tmp), "PNG"):
            raise OSError(f"could not write {path}")
    return path


class GifRecorder(QObject):
    """Grabs ``widget`` into frames while ``recording``: call ``capture()`` for every step (or
    phase) shown. Frames are RGB arrays scaled by ``GIF_SCALE`` to the first frame's size."""

    def __init__(self, widget, parent=None):
        super().__init__(parent)
        self.widget = widget
        self.recording = False
        self.frames: list[np.ndarray] = []
        self.delays_ms: list[int] = []
        self._size = None
        self._last = 0.0

    def start(self) -> None:
        self.frames, self.delays_ms, self._size = [], [], None
        self.recording = True
        self._last = time.perf_counter()

    def stop(self) -> None:
        self.recording = False
        self._close_last_delay()

    def _close_last_delay(self) -> None:
        if self.delays_ms:
            elapsed = (time.perf_counter() - self._last) * 1000
            self.delays_ms[-1] = int(np.clip(elapsed, MIN_DELAY_MS, MAX_DELAY_MS))

    def capture(self) -> bool:
        """Add the widget as it looks now; False (and stops) once the frame limit is hit."""
        if not self.recording:
            return False
        held = len(self.frames) * (self.frames[0].nbytes if self.frames else 0)
        if len(self.frames) >= MAX_GIF_FRAMES or held >= MAX_GIF_BYTES:
            self.stop()
            return False
        self._close_last_delay()
        image = self.widget.grab().toImage()
        if self._size is None:
            self._size = (max(1, round(image.width() * GIF_SCALE)),
                          max(1, round(image.height() * GIF_SCALE)))
        image = image.scaled(*self._size, Qt.AspectRatioMode.IgnoreAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
        self.frames.append(qimage_to_array(image))
        self.delays_ms.append(500)  # until the next frame says how long this one showed
        self._last = time.perf_counter()
        return True

    def save(self, path) -> Path:
        """Write the frames so far as a looping GIF (raises ValueError with none)."""
        if not self.frames:
            raise ValueError("nothing recorded yet: turn on Record GIF and take some steps")
        if self.recording:
            self._close_last_delay()
        return save_gif(path, self.frames, self.delays_ms)


class Exports(QObject):
    """The export feature of ``window``: PNGs of the window or of a dock, and the GIF
    ``recorder``. Its File menu entries go before ``file_at``; ``docks`` are the docks other
    than the panels' that "Save panel as PNG" offers (focus, drawing, model, test set)."""

    def __init__(self, window, docks: list[QDockWidget], file_at=None, parent=None):
        super().__init__(parent)
        self.window = window
        self.docks = list(docks)
        self.recorder = GifRecorder(window, self)
        a = window.actions
        file_menu = window.menu("File")
        if file_menu is not None:
            file_menu.insertSeparator(file_at)
            file_menu.insertActions(file_at, [a["save_window_png"], a["save_panel_png"],
                                              a["record_gif"], a["save_gif"]])
        a["save_window_png"].triggered.connect(self.ask_save_window_png)
        a["save_panel_png"].triggered.connect(self.ask_save_panel_png)
        a["record_gif"].toggled.connect(self.set_recording)
        a["save_gif"].triggered.connect(self.ask_save_gif)

    def add_dock_menus(self) -> None:
        """Add "Save this panel as PNG..." to the context menu of every panel dock (after a
        rebuild, of the new ones)."""
        for dock in self.window.docks.values():
            dock.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            dock.customContextMenuRequested.connect(
                lambda pos, d=dock: self._dock_menu(d, pos))

    def _dock_menu(self, dock: QDockWidget, pos) -> None:
        menu = QMenu(dock)
        menu.addAction("Save this panel as PNG...", lambda: self.ask_save_dock_png(dock))
        menu.popup(dock.mapToGlobal(pos))

    def _ask_path(self, title: str, name: str, pattern: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.window, title, name, pattern)
        return path

    def _save_png(self, widget, path) -> bool:
        try:
            save_png(widget, path)
        except OSError as e:
            self.window.show_banner(f"Could not save the picture: {e}")
            return False
        self.window.statusBar().showMessage(f"saved {path}", 5000)
        return True

    def ask_save_window_png(self) -> None:
        path = self._ask_path("Save window as PNG", "visualcnn.png", "PNG images (*.png)")
        if path:
            self._save_png(self.window, path)

    def panel_docks(self) -> dict[str, QDockWidget]:
        """Every visible dock by its title: the panels, focus and classroom docks."""
        docks = [*self.window.docks.values(), *self.docks]
        return {d.windowTitle(): d for d in docks if d.isVisible()}

    def ask_save_panel_png(self) -> None:
        docks = self.panel_docks()
        title, ok = QInputDialog.getItem(self.window, "Save panel as PNG", "Panel:",
                                         list(docks), 0, False)
        if ok and title in docks:
            self.ask_save_dock_png(docks[title])

    def ask_save_dock_png(self, dock: QDockWidget) -> None:
        name = dock.objectName().removeprefix("dock_") or "panel"
        path = self._ask_path(f"Save {dock.windowTitle()} as PNG", f"{name}.png",
                              "PNG images (*.png)")
        if path:
            self._save_png(dock, path)

    def set_recording(self, on: bool) -> None:
        if on:
            self.recorder.start()
            self.recorder.capture()  # the picture as it is when recording starts
            self.window.statusBar().showMessage("recording a GIF frame for every step shown",
                                                5000)
        else:
            self.recorder.stop()

    def capture(self) -> None:
        """A frame for the step just shown, while recording; at the frame limit the recording
        stops and says so."""
        if self.recorder.recording and not self.recorder.capture():
            self.window.actions["record_gif"].setChecked(False)
            self.window.statusBar().showMessage(
                "GIF recording stopped: frame limit reached; save it with File > Save GIF",
                8000)

    def ask_save_gif(self) -> None:
        if not self.recorder.frames:
            self.window.show_banner("Nothing recorded yet: turn on File > Record GIF "
                                    "(Ctrl+Shift+G) and take some steps")
            return
        path = self._ask_path("Save GIF", "visualcnn.gif", "GIF animations (*.gif)")
        if path:
            self.save_gif(path)

    def save_gif(self, path) -> bool:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        start = time.perf_counter()
        try:
            self.recorder.save(path)
        except (OSError, ValueError) as e:
            self.window.show_banner(f"Could not save the GIF: {e}")
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.window.statusBar().showMessage(
            f"saved {len(self.recorder.frames)} frames to {path} in "
            f"{time.perf_counter() - start:.1f} s", 8000)
        return True
