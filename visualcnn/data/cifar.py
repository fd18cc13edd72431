"""CIFAR-10's binary version: colour images of 32 x 32 in ten classes.

The folder ``cifar-10-batches-bin`` (from ``cifar-10-binary.tar.gz``) holds
``data_batch_1.bin`` ... ``data_batch_5.bin``, ``test_batch.bin`` and ``batches.meta.txt``.
Each batch is a run of 3,073-byte records: a label byte 0-9, then the 1,024 red, 1,024 green
and 1,024 blue bytes of the image, each channel row by row. That is already the network's
``(C, H, W)`` order, so a batch becomes uint8 ``(N, 3, 32, 32)`` by a reshape.

CIFAR-10's Python version stores the same images pickled. Unpickling runs whatever code the
file names, so it is refused with a line that says where the binary version is.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from visualcnn.common.errors import DataError
from visualcnn.common.i18n import tr
from visualcnn.data.classes import ClassNames, digits, read_names_file
from visualcnn.data.dataset import Dataset, check_labels
from visualcnn.data.pixels import Pixels

SIDE = 32
CHANNELS = 3
RECORD_BYTES = 1 + CHANNELS * SIDE * SIDE  # 3,073
CLASSES = 10
TRAIN_BATCHES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_BATCH = "test_batch.bin"
META_FILE = "batches.meta.txt"
BINARY_FILES = (*TRAIN_BATCHES, TEST_BATCH, META_FILE)
# What the Python version is made of: the pickled batches and their archive.
PICKLED_FILES = (*(name.removesuffix(".bin") for name in TRAIN_BATCHES), "test_batch",
                 "batches.meta")
PYTHON_ARCHIVE = "cifar-10-python.tar.gz"
BINARY_ARCHIVE = "cifar-10-binary.tar.gz"


def is_cifar_folder(folder: Path) -> bool:
    """The folder holds any batch of the binary version."""
    return any((folder / name).is_file() for name in (*TRAIN_BATCHES, TEST_BATCH))


def cifar_folder_of(path: Path) -> Path | None:
    """The folder ``path`` stands for when it names a file of the binary version (a batch or
    the class names), else None: a file picked in a dialog opens the whole folder."""
    return path.parent if path.name in BINARY_FILES and path.is_file() else None


def pickled_cifar(path: Path) -> Path | None:
    """The file that shows ``path`` is (or holds) CIFAR-10's Python version, else None."""
    if path.name in (*PICKLED_FILES, PYTHON_ARCHIVE) and path.is_file():
        return path
    if path.is_dir():
        for name in (*PICKLED_FILES, PYTHON_ARCHIVE):
            if (path / name).is_file():
                return path / name
    return None


def refuse_pickled(found: Path) -> DataError:
    return DataError(tr("{path}: CIFAR-10's Python version is pickled, and visualcnn never "
                        "unpickles a file (unpickling can run any code); download the CIFAR-10 "
                        "binary version ({archive} from https://www.cs.toronto.edu/~kriz/"
                        "cifar.html), extract it and give its folder cifar-10-batches-bin",
                        path=found, archive=BINARY_ARCHIVE))


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One batch file: uint8 images ``(N, 3, 32, 32)`` and int64 labels ``(N,)``.

    Refused, naming the file: an empty file, a size that is not a whole number of records
    (a truncated download), a label above 9.
    """
    try:
        size = path.stat().st_size
        if size == 0:
            raise DataError(tr("{path}: file is empty", path=path))
        if size % RECORD_BYTES:
            raise DataError(tr("{path}: {size:,} bytes is not a whole number of {record:,}-byte "
                               "CIFAR-10 records ({records:,} records and {over:,} bytes "
                               "over): truncated or not a batch", path=path, size=size,
                               record=RECORD_BYTES, records=size // RECORD_BYTES,
                               over=size % RECORD_BYTES))
        records = np.fromfile(path, dtype=np.uint8).reshape(-1, RECORD_BYTES)
    except FileNotFoundError as error:
        raise DataError(tr("{path}: no such file", path=path)) from error
    except OSError as error:
        raise DataError(tr("{path}: cannot read ({reason})", path=path,
                           reason=error.strerror or error)) from error
    labels = check_labels(records[:, 0], str(path), classes=CLASSES)
    images = records[:, 1:].reshape(-1, CHANNELS, SIDE, SIDE)
    return images, labels


def _read_split(paths: list[Path]) -> tuple[Pixels, np.ndarray]:
    """The batches ``paths`` one after another. Each is copied into one array made for all of
    them and then let go, so that memory peaks at the split plus one batch, not twice it."""
    sizes = []
    for path in paths:
        try:
            sizes.append(path.stat().st_size // RECORD_BYTES)
        except OSError as error:
            raise DataError(tr("{path}: cannot read ({reason})", path=path,
                               reason=error.strerror or error)) from error
    images = np.empty((sum(sizes), CHANNELS, SIDE, SIDE), dtype=np.uint8)
    labels = np.empty(sum(sizes), dtype=np.int64)
    start = 0
    for path in paths:
        batch_images, batch_labels = read_batch(path)
        end = start + len(batch_labels)
        if end > len(labels):  # the file grew while being read
            raise DataError(tr("{path}: changed while it was being read", path=path))
        images[start:end], labels[start:end] = batch_images, batch_labels
        start = end
    return Pixels(images[:start]), labels[:start]


def _batches_text(numbers: list[int]) -> str:
    """[1, 2, 3] -> "data_batch_1-3"; [1, 4] -> "data_batch_1, 4"."""
    if numbers == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 1:
        return f"data_batch_{numbers[0]}-{numbers[-1]}"
    return "data_batch_" + ", ".join(map(str, numbers))


def load_cifar_folder(path: str | os.PathLike) -> Dataset:
    """Load CIFAR-10's binary version from its folder.

    Whichever of ``data_batch_1.bin`` ... ``data_batch_5.bin`` are present make the training
    split, in that order (the Dataset's name and note say which); ``test_batch.bin`` is the
    test split and must be there. Class names come from ``batches.meta.txt`` (one a line,
    blank lines ignored), numbers when it is missing. Images read as float32
    ``(N, 3, 32, 32)`` in [0, 1], kept as bytes (see ``Pixels``).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(tr("{path}: not a folder", path=folder) if folder.exists() else
                        tr("{path}: no such folder", path=folder))
    found = pickled_cifar(folder)
    if found is not None and not is_cifar_folder(folder):
        raise refuse_pickled(found)
    test_path = folder / TEST_BATCH
    if not test_path.is_file():
        raise DataError(tr("{path}: missing; CIFAR-10's binary version needs its test batch "
                           "beside the data_batch_*.bin files", path=test_path))
    numbers = [i for i, name in enumerate(TRAIN_BATCHES, 1) if (folder / name).is_file()]
    if not numbers:
        raise DataError(tr("{path}: no training batch: expected data_batch_1.bin ... "
                           "data_batch_5.bin beside test_batch.bin", path=folder))
    x_train, y_train = _read_split([folder / TRAIN_BATCHES[i - 1] for i in numbers])
    x_test, y_test = _read_split([test_path])
    names = _class_names(folder / META_FILE)
    used = _batches_text(numbers)
    note = tr("training on {batches} ({images:,} images), testing on test_batch",
              batches=used, images=len(y_train))
    if len(numbers) < len(TRAIN_BATCHES):
        note += tr("; {absent} of the 5 training batches not present",
                   absent=len(TRAIN_BATCHES) - len(numbers))
    return Dataset(f"{folder.resolve().name} ({used})", x_train, y_train, x_test, y_test,
                   classes=CLASSES, class_names=names.names, classes_from=names.source,
                   note=note)


def _class_names(path: Path) -> ClassNames:
    if not path.is_file():
        return digits(CLASSES)
    names = read_names_file(path, skip_blank=True)
    if len(names.names) != CLASSES:
        raise DataError(tr("{path}: {count} class names, CIFAR-10 has {classes} (one a line)",
                           path=path, count=len(names.names), classes=CLASSES))
    return names
