"""Datasets for visualcnn: the bundled MNIST subset, the common MNIST-like file formats,
CIFAR-10's binary version and folders of image files.

``load_dataset`` is the entry point; every loader returns a ``Dataset`` whose images read as
float32 ``(N, C, H, W)`` in [0, 1] (8-bit images are kept as bytes, see ``Pixels``), with int64
labels and a name per class, and refuses a bad file with a one-line DataError.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from visualcnn.common.errors import DataError
from visualcnn.common.i18n import tr
from visualcnn.data.bundled import bundled_path, load_bundled
from visualcnn.data.cifar import (
    BINARY_ARCHIVE,
    cifar_folder_of,
    is_cifar_folder,
    load_cifar_folder,
    pickled_cifar,
    refuse_pickled,
)
from visualcnn.data.classes import CLASSES_FILE, check_count, names_beside, parse_names
from visualcnn.data.dataset import Dataset
from visualcnn.data.image_folder import is_image_folder, load_image_folder, parse_image_size
from visualcnn.data.loaders import (
    IDX_FILES,
    idx_file_in,
    idx_folder_of,
    load_idx_folder,
    load_kaggle_csv,
    load_keras_npz,
)
from visualcnn.data.pixels import Pixels

__all__ = [
    "CLASSES_FILE",
    "Dataset",
    "Pixels",
    "bundled_path",
    "idx_folder_of",
    "load_cifar_folder",
    "load_image_folder",
    "load_bundled",
    "load_dataset",
    "load_idx_folder",
    "load_kaggle_csv",
    "load_keras_npz",
    "parse_image_size",
]


def accepted() -> str:
    """What a dataset path may name, for the messages that refuse one."""
    return tr("'bundled', a folder of MNIST's four IDX files (or one of them), a Keras-style "
              ".npz, a Kaggle .csv/.csv.gz, a folder of CIFAR-10's binary version "
              "(data_batch_*.bin and test_batch.bin), or an image folder with train/<class>/ "
              "and test/<class>/ subfolders of .png/.jpg images")


def load_dataset(spec: str | os.PathLike, classes: str | None = None,
                 image_size: tuple[int, int] | None = None) -> Dataset:
    """Load the dataset ``spec`` names, with its class names.

    ``"bundled"`` is the bundled subset (write ``./bundled`` for a file of that name). Any other
    value is a path: a folder of IDX files or one of its four files (which stands for the
    folder), a Keras-style ``.npz``, a Kaggle ``.csv`` / ``.csv.gz``, a folder of CIFAR-10's
    binary version or one of its files, or an image folder (``train/<class>/*.png`` and
    ``test/<class>/*.png``), told apart by the names. CIFAR-10's pickled Python version is
    refused, never unpickled.

    ``classes`` names the classes: names separated by commas, or a text file with one name per
    line. Without it, a ``classes.txt`` beside the data does, else the names the data carries
    (CIFAR-10's batches.meta.txt, an image folder's class folders, Fashion-MNIST's or KMNIST's
    when their files are recognised), else the numbers (see ``visualcnn.data.classes``).
    A wrong number of names is a DataError naming the source and both counts.

    ``image_size`` (height, width) resizes an image folder's images; other data has one size
    already, and giving one is refused.
    """
    given = parse_names(classes) if classes is not None else None
    dataset = _load_images(spec, image_size)
    path = None if spec == "bundled" else Path(spec)
    names = given or (names_beside(path) if path is not None else None)
    if names is None:
        return dataset
    check_count(names, dataset.classes)
    return dataclasses.replace(dataset, class_names=names.names, classes_from=names.source)


def _load_images(spec: str | os.PathLike, image_size: tuple[int, int] | None) -> Dataset:
    if spec == "bundled":
        _no_resizing(tr("the bundled data"), image_size)
        return load_bundled()
    if not str(spec).strip():
        raise DataError(tr("empty dataset path: expected {accepted}", accepted=accepted()))
    path = Path(spec)
    if not path.exists():
        raise DataError(tr("{path}: no such file or folder", path=path))
    folder = path if path.is_dir() else cifar_folder_of(path)
    if folder is not None and is_image_folder(folder):
        return load_image_folder(folder, image_size)
    _no_resizing(path, image_size)
    if folder is not None and is_cifar_folder(folder):
        return load_cifar_folder(folder)
    pickled = pickled_cifar(path)
    if pickled is not None:
        raise refuse_pickled(pickled)
    if path.is_dir():
        if not any(idx_file_in(path, name) for name in IDX_FILES):
            raise DataError(tr("{path}: no dataset in this folder; expected {accepted}",
                               path=path, accepted=accepted()))
        return load_idx_folder(path)
    folder = idx_folder_of(path)
    if folder is not None:
        return load_idx_folder(folder)
    name = path.name.lower()
    if name.endswith(".npz"):
        return load_keras_npz(path)
    if name.endswith((".csv", ".csv.gz")):
        return load_kaggle_csv(path)
    if name == BINARY_ARCHIVE:
        raise DataError(tr("{path}: extract the archive first (tar xzf {name}) and give the "
                           "folder cifar-10-batches-bin", path=path, name=path.name))
    raise DataError(tr("{path}: unknown dataset format; expected {accepted}", path=path,
                       accepted=accepted()))


def _no_resizing(what, image_size) -> None:
    if image_size is not None:
        raise DataError(tr("{what}: --image-size only resizes an image folder's images "
                           "(train/<class>/*.png); this data has one size already", what=what))
