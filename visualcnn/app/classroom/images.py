"""QImage to NumPy and back, for the canvas, the test-set thumbnails and the GIF frames; and a
widget drawn into an image at any scale, for the PNG and GIF exports."""

from __future__ import annotations

import numpy as np
from PyQt6.QtGui import QImage
from PyQt6.QtWidgets import QGraphicsItem, QGraphicsView

NO_CACHE = QGraphicsItem.CacheMode.NoCache


def qimage_to_array(image: QImage) -> np.ndarray:
    """(H, W, 3) uint8 RGB copy of ``image`` (any format)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w = rgb.height(), rgb.width()
    ptr = rgb.constBits()
    ptr.setsize(rgb.sizeInBytes())
    rows = np.frombuffer(ptr, dtype=np.uint8).reshape(h, rgb.bytesPerLine())
    return rows[:, :3 * w].reshape(h, w, 3).copy()


def qimage_to_packed(image: QImage) -> np.ndarray:
    """(H, W) uint32 copy of ``image``, each pixel 0xffRRGGBB (Qt's RGB32, whatever the
    machine's byte order): the cheapest way to hand a picture to another thread."""
    if image.format() != QImage.Format.Format_RGB32:
        image = image.convertToFormat(QImage.Format.Format_RGB32)
    h, w = image.height(), image.width()
    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    rows = np.frombuffer(ptr, dtype=np.uint32).reshape(h, image.bytesPerLine() // 4)
    return rows[:, :w].copy()


def array_to_qimage(a: np.ndarray) -> QImage:
    """A QImage that owns a copy of ``a``: (H, W) grey in [0, 1] or (H, W, 3) uint8 RGB."""
    if a.ndim == 2:
        grey = np.ascontiguousarray(np.clip(a * 255 + 0.5, 0, 255).astype(np.uint8))
        h, w = grey.shape
        return QImage(grey.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    rgb = np.ascontiguousarray(a, dtype=np.uint8)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def render_image(widget, scale: float = 1.0) -> QImage:
    """``widget`` and its children drawn into a new image ``scale`` times its size (in
    device-independent pixels), opaque RGB32.

    At a scale above 1 text, lines and icons are drawn at that resolution, not enlarged:
    the painter of an image with that device pixel ratio draws everything scaled. Graphics
    items that keep a pixmap of themselves (the boards' titles, the plots' axes) are drawn
    afresh for it, then keep their cache again. The image says ``scale`` x 96 dots per inch,
    so that a slide program places it at the widget's size.
    """
    w, h = max(1, round(widget.width() * scale)), max(1, round(widget.height() * scale))
    image = QImage(w, h, QImage.Format.Format_RGB32)
    image.fill(widget.palette().window().color())
    image.setDevicePixelRatio(scale)
    cached = []
    if scale != 1.0:
        views = widget.findChildren(QGraphicsView)
        if isinstance(widget, QGraphicsView):
            views.append(widget)
        for view in views:
            if view.scene() is not None:
                cached += [(item, item.cacheMode()) for item in view.scene().items()
                           if item.cacheMode() != NO_CACHE]
    try:
        for item, _mode in cached:
            item.setCacheMode(NO_CACHE)
        widget.render(image)
    finally:
        for item, mode in cached:
            item.setCacheMode(mode)
    image.setDevicePixelRatio(1.0)
    dots_per_metre = round(scale * 96 / 0.0254)
    image.setDotsPerMeterX(dots_per_metre)
    image.setDotsPerMeterY(dots_per_metre)
    return image

