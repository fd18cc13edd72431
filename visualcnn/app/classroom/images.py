"""QImage to NumPy and back, for the canvas, the test-set thumbnails and the GIF frames."""

from __future__ import annotations

import numpy as np
from PyQt6.QtGui import QImage


def qimage_to_array(image: QImage) -> np.ndarray:
    """(H, W, 3) uint8 RGB copy of ``image`` (any format)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w = rgb.height(), rgb.width()
    ptr = rgb.constBits()
    ptr.setsize(rgb.sizeInBytes())
    rows = np.frombuffer(ptr, dtype=np.uint8).reshape(h, rgb.bytesPerLine())
    return rows[:, :3 * w].reshape(h, w, 3).copy()


def array_to_qimage(a: np.ndarray) -> QImage:
    """A QImage that owns a copy of ``a``: (H, W) grey in [0, 1] or (H, W, 3) uint8 RGB."""
    if a.ndim == 2:
        grey = np.ascontiguousarray(np.clip(a * 255 + 0.5, 0, 255).astype(np.uint8))
        h, w = grey.shape
        return QImage(grey.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    rgb = np.ascontiguousarray(a, dtype=np.uint8)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
