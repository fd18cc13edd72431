"""The in-memory dataset every loader returns, and the checks the loaders share."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from visualcnn.common.errors import DataError
from visualcnn.common.i18n import tr
from visualcnn.data.pixels import Pixels, to_unit_floats

CLASSES = 10


# eq=False: the generated __eq__/__hash__ would compare arrays element-wise and fail.
@dataclass(frozen=True, eq=False)
class Dataset:
    """Images and labels for training and testing, ready for the network.

    ``x_train`` reads as float32 ``(N, C, H, W)`` with values in [0, 1]: a float32 array, or
    (what the loaders give for 8-bit images) ``Pixels``, which keeps the bytes and converts
    the samples an index selects. ``y_train`` is int64 ``(N,)`` with values in
    ``0 .. classes-1``; ``x_test`` and ``y_test`` likewise with ``M`` samples and the same
    ``(C, H, W)``. MNIST-like data has ``C == 1``. ``class_names`` has one name per class
    (the digits unless given), ``classes_from`` says where they came from ("" for the digits).
    Colour images have ``C == 3`` (red, green, blue). ``note`` is one line on what the loader
    chose or converted ("" when nothing), for the command line and the window to repeat.
    """

    name: str
    x_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    x_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    classes: int = CLASSES
    class_names: tuple[str, ...] = field(default=(), repr=False)
    classes_from: str = field(default="", repr=False)
    # What the loader did that a user should know (the batches read, images converted).
    note: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        # Code elsewhere builds Datasets too (tests, synthetic data); a wrong dtype or shape
        # would otherwise surface far away, deep inside a layer's forward pass.
        for split, x, y in (("train", self.x_train, self.y_train),
                            ("test", self.x_test, self.y_test)):
            if not isinstance(x, (np.ndarray, Pixels)) or x.dtype != np.float32 or x.ndim != 4:
                raise ValueError(f"x_{split} must be float32 (N, C, H, W), got {x.dtype} "
                                 f"{x.shape}")
            if y.dtype != np.int64 or y.shape != x.shape[:1]:
                raise ValueError(f"y_{split} must be int64 of shape {x.shape[:1]}, got {y.dtype} "
                                 f"{y.shape}")
        if self.x_test.shape[1:] != self.x_train.shape[1:]:
            raise ValueError(f"x_test samples are {self.x_test.shape[1:]}, "
                             f"x_train samples are {self.x_train.shape[1:]}")
        names = tuple(self.class_names) or tuple(str(c) for c in range(self.classes))
        if len(names) != self.classes or not all(isinstance(n, str) and n for n in names):
            raise ValueError(f"class_names must be {self.classes} non-empty strings, got "
                             f"{self.class_names!r}")
        object.__setattr__(self, "class_names", names)  # frozen: set once, here

    def class_name(self, label: int) -> str:
        """The name of class ``label``."""
        return self.class_names[int(label)]

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of one sample."""
        channels, height, width = self.x_train.shape[1:]
        return int(channels), int(height), int(width)


def scale_pixels(pixels: np.ndarray) -> Pixels | np.ndarray:
    """``(N, H, W)`` pixels in 0..255 (any real dtype) as images ``(N, 1, H, W)`` in [0, 1].

    Whole numbers (uint8 files, and text files of integers) are kept as bytes in ``Pixels``,
    converted to float32 when read; anything else (a CSV with 12.5 in it) becomes a float32
    array now. Either way a pixel reads as ``float32(v) / 255``. The caller has already
    checked the range.
    """
    if pixels.dtype != np.uint8 and (pixels.dtype.kind in "iu"
                                     or np.array_equal(pixels, np.floor(pixels))):
        pixels = pixels.astype(np.uint8)
    if pixels.dtype == np.uint8:
        return Pixels(pixels)
    scaled = to_unit_floats(pixels)
    return scaled.reshape(pixels.shape[0], 1, *pixels.shape[1:])


def check_labels(labels: np.ndarray, source: str, first_line: int | None = None,
                 classes: int = CLASSES) -> np.ndarray:
    """Return ``(N,)`` labels as int64, or raise DataError naming the first one not in
    ``0 .. classes-1`` (0..9 unless told otherwise).

    Float labels are accepted when they are whole numbers (a CSV may write ``3.0``). The bad
    label is located by index, or by line number when ``first_line`` (the file line of
    ``labels[0]``) is given.
    """
    if labels.dtype.kind not in "iuf":
        raise DataError(tr("{source}: labels have dtype {dtype}, expected integers",
                           source=source, dtype=labels.dtype))
    valid = (labels >= 0) & (labels < classes)
    if labels.dtype.kind == "f":
        valid &= labels == np.floor(labels)
    if not valid.all():
        index = int(np.argmin(valid))
        if first_line is not None:
            raise DataError(tr("{source}: label {label:g} at line {line} is not an integer "
                               "0-{last}", source=source, label=labels[index],
                               line=first_line + index, last=classes - 1))
        raise DataError(tr("{source}: label {label:g} at index {index} is not an integer "
                           "0-{last}", source=source, label=labels[index], index=index,
                           last=classes - 1))
    return labels.astype(np.int64)
