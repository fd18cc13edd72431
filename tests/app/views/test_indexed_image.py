"""A mosaic's image is painted through one QImage over a colour buffer rewritten in place: a
QImage made for every new image left memory behind in PyQt at every frame of a Run."""

import numpy as np
from PyQt6.QtGui import QImage, QPainter

from visualcnn.app.views.board import IndexedImage, argb_table


def painted(item: IndexedImage, shape) -> np.ndarray:
    """The item painted at 1:1 into a fresh ARGB image, as (h, w) uint32 words."""
    height, width = shape
    target = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    target.fill(0)
    painter = QPainter(target)
    item.paint(painter)
    painter.end()
    bits = target.constBits()
    bits.setsize(target.sizeInBytes())
    words = np.frombuffer(bits, np.uint32).reshape(height, target.bytesPerLine() // 4)
    return words[:, :width].copy()  # a copy: the image goes with this function


def test_new_images_of_one_shape_reuse_one_qimage_and_paint_their_own_colours(qapp):
    rng = np.random.default_rng(0)
    lut = rng.integers(0, 256, (256, 3)).astype(np.uint8)
    table = argb_table(lut)
    item = IndexedImage(rng.integers(0, 256, (7, 11)).astype(np.uint8), lut)
    item.render()
    first = item.qimage
    for _ in range(50):
        indices = rng.integers(0, 256, (7, 11)).astype(np.uint8)
        item.set_indices(indices)
        item.render()
        assert item.qimage is first
        np.testing.assert_array_equal(painted(item, indices.shape), table[indices])
    # A new shape gets a QImage of its own size.
    wider = rng.integers(0, 256, (7, 13)).astype(np.uint8)
    item.set_indices(wider)
    item.render()
    assert (item.qimage.width(), item.qimage.height()) == (13, 7)
    np.testing.assert_array_equal(painted(item, wider.shape), table[wider])
