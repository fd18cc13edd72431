"""The in-memory dataset every loader returns, and the checks the loaders share."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from visualcnn.common.errors import DataError

CLASSES = 10


# eq=False: the generated __eq__/__hash__ would compare arrays element-wise and fail.
@dataclass(frozen=True, eq=False)
class Dataset:
    """Images and labels for training and testing, ready for the network.

    ``x_train`` is float32 ``(N, C, H, W)`` with values in [0, 1], ``y_train`` int64 ``(N,)``
    with values in ``0 .. classes-1``; ``x_test`` and ``y_test`` likewise with ``M`` samples
    and the same ``(C, H, W)``. MNIST-like data has ``C == 1``.
    """

    name: str
    x_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    x_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    classes: int = CLASSES

    def __post_init__(self) -> None:
        # Code elsewhere builds Datasets too (tests, synthetic data); a wrong dtype or shape
        # would otherwise surface far away, deep inside a layer's forward pass.
        for split, x, y in (("train", self.x_train, self.y_train),
                            ("test", self.x_test, self.y_test)):
            if x.dtype != np.float32 or x.ndim != 4:
                raise ValueError(f"x_{split} must be float32 (N, C, H, W), got {x.dtype} "
                                 f"{x.shape}")
            if y.dtype != np.int64 or y.shape != x.shape[:1]:
                raise ValueError(f"y_{split} must be int64 of shape {x.shape[:1]}, got {y.dtype} "
                                 f"{y.shape}")
        if self.x_test.shape[1:] != self.x_train.shape[1:]:
            raise ValueError(f"x_test samples are {self.x_test.shape[1:]}, "
                             f"x_train samples are {self.x_train.shape[1:]}")

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of one sample."""
        channels, height, width = self.x_train.shape[1:]
        return int(channels), int(height), int(width)


def scale_pixels(pixels: np.ndarray) -> np.ndarray:
    """Turn ``(N, H, W)`` pixels in 0..255 (any real dtype) into float32 ``(N, 1, H, W)`` in [0, 1].

    The caller has already checked the range.
    """
    scaled = pixels.astype(np.float32)
    # Dividing (rather than multiplying by 1/255) maps 255 to exactly 1.0.
    scaled /= np.float32(255)
    return scaled.reshape(pixels.shape[0], 1, *pixels.shape[1:])


def check_labels(labels: np.ndarray, source: str, first_line: int | None = None) -> np.ndarray:
    """Return ``(N,)`` labels as int64, or raise DataError naming the first one not in 0..9.

    Float labels are accepted when they are whole numbers (a CSV may write ``3.0``). The bad
    label is located by index, or by line number when ``first_line`` (the file line of
    ``labels[0]``) is given.
    """
    if labels.dtype.kind not in "iuf":
        raise DataError(f"{source}: labels have dtype {labels.dtype}, expected integers")
    valid = (labels >= 0) & (labels < CLASSES)
    if labels.dtype.kind == "f":
        valid &= labels == np.floor(labels)
    if not valid.all():
        index = int(np.argmin(valid))
        where = f"line {first_line + index}" if first_line is not None else f"index {index}"
        raise DataError(f"{source}: label {labels[index]:g} at {where} is not an integer "
                        f"0-{CLASSES - 1}")
    return labels.astype(np.int64)
