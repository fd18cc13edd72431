"""Images kept as the bytes they were stored in, handed out as floats in [0, 1].

Full Fashion-MNIST is 70,000 images of 28 x 28: 55 MB as bytes, 220 MB as float32. The
network wants floats one sample (a step) or one batch (an evaluation) at a time, so a split
keeps its bytes and converts only what is asked for.

    >>> pixels = Pixels(np.array([[[0, 51], [255, 102]]], np.uint8))   # one 2 x 2 image
    >>> pixels.shape, pixels.dtype
    ((1, 1, 2, 2), dtype('float32'))
    >>> pixels[0]
    array([[[0. , 0.2],
            [1. , 0.4]]], dtype=float32)
"""

from __future__ import annotations

import numpy as np

FLOAT = np.dtype(np.float32)


def to_unit_floats(raw: np.ndarray) -> np.ndarray:
    """Bytes 0..255 (or whole numbers in that range) -> float32 in [0, 1].

    The one conversion every loader uses: ``float32(v) / float32(255)``. Dividing (rather than
    multiplying by 1/255) maps 255 to exactly 1.0; doing it per sample or per batch gives the
    same bits as doing it for the whole split at once.
    """
    scaled = np.asarray(raw).astype(np.float32)
    scaled /= np.float32(255)
    return scaled


class Pixels:
    """A split's images ``(N, C, H, W)`` held as uint8, read like a float32 array in [0, 1].

    Indexing (an int, a slice, an index or boolean array, a tuple of them) converts just the
    images selected and returns a new float32 array; ``len``, ``shape``, ``ndim``, ``dtype``
    (float32, what indexing returns) and ``size`` read as an array's would. ``np.asarray``
    converts every image at once: use it for small splits and tests only.
    """

    def __init__(self, raw: np.ndarray):
        raw = np.asarray(raw)
        if raw.dtype != np.uint8:
            raise ValueError(f"Pixels hold uint8, got {raw.dtype}")
        if raw.ndim == 3:  # (N, H, W): one channel
            raw = raw.reshape(raw.shape[0], 1, *raw.shape[1:])
        if raw.ndim != 4:
            raise ValueError(f"Pixels are (N, C, H, W) or (N, H, W), got shape {raw.shape}")
        self.raw = raw

    @property
    def shape(self) -> tuple[int, ...]:
        return self.raw.shape

    @property
    def ndim(self) -> int:
        return 4

    @property
    def size(self) -> int:
        return self.raw.size

    @property
    def dtype(self) -> np.dtype:
        return FLOAT

    @property
    def nbytes(self) -> int:
        """The bytes held (one per pixel), not those of the converted floats."""
        return self.raw.nbytes

    def __len__(self) -> int:
        return self.raw.shape[0]

    def __getitem__(self, key) -> np.ndarray:
        floats = to_unit_floats(self.raw[key])
        return floats[()] if floats.ndim == 0 else floats  # one pixel: a scalar, as NumPy's

    def __iter__(self):
        for image in self.raw:
            yield to_unit_floats(image)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        floats = to_unit_floats(self.raw)
        return floats if dtype is None else floats.astype(dtype, copy=False)

    # The conversion keeps the order of values, so extremes come from the bytes, for free.
    def min(self) -> np.float32:
        return to_unit_floats(self.raw.min())[()]

    def max(self) -> np.float32:
        return to_unit_floats(self.raw.max())[()]

    def __repr__(self) -> str:
        return f"Pixels(shape={self.shape}, stored as uint8)"
