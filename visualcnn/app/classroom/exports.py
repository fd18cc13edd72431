"""Pictures for slides: a widget saved as a PNG, and a run recorded as an animated GIF.

Files are written atomically (a temporary file in the same folder, then renamed), so a
failed save never leaves half a picture behind. The GIF encoder is ``visualcnn.common.gif``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QObject, Qt

from visualcnn.app.classroom.draw_canvas import qimage_to_array
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
