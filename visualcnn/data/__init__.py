"""Datasets for visualcnn: the bundled MNIST subset and the common MNIST-like file formats.

``load_dataset`` is the entry point; every loader returns a ``Dataset`` whose images read as
float32 ``(N, C, H, W)`` in [0, 1] (8-bit images are kept as bytes, see ``Pixels``), with int64
labels and a name per class, and refuses a bad file with a one-line DataError.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from visualcnn.common.errors import DataError
from visualcnn.data.bundled import bundled_path, load_bundled
from visualcnn.data.classes import CLASSES_FILE, check_count, names_beside, parse_names
from visualcnn.data.dataset import Dataset
from visualcnn.data.loaders import idx_folder_of, load_idx_folder, load_kaggle_csv, load_keras_npz
from visualcnn.data.pixels import Pixels

__all__ = [
    "CLASSES_FILE",
    "Dataset",
    "Pixels",
    "bundled_path",
    "idx_folder_of",
    "load_bundled",
    "load_dataset",
    "load_idx_folder",
    "load_kaggle_csv",
    "load_keras_npz",
]


def load_dataset(spec: str | os.PathLike, classes: str | None = None) -> Dataset:
    """Load the dataset ``spec`` names, with its class names.

    ``"bundled"`` is the bundled subset (write ``./bundled`` for a file of that name). Any other
    value is a path: a folder of IDX files or one of its four files (which stands for the
    folder), a Keras-style ``.npz``, or a Kaggle ``.csv`` / ``.csv.gz``, told apart by the name.

    ``classes`` names the classes: names separated by commas, or a text file with one name per
    line. Without it, a ``classes.txt`` beside the data does, else Fashion-MNIST's or KMNIST's
    names when their files are recognised, else the digits (see ``visualcnn.data.classes``).
    A wrong number of names is a DataError naming the source and both counts.
    """
    given = parse_names(classes) if classes is not None else None
    dataset = _load_images(spec)
    path = None if spec == "bundled" else Path(spec)
    names = given or (names_beside(path) if path is not None else None)
    if names is None:
        return dataset
    check_count(names, dataset.classes)
    return dataclasses.replace(dataset, class_names=names.names, classes_from=names.source)


def _load_images(spec: str | os.PathLike) -> Dataset:
    if spec == "bundled":
        return load_bundled()
    if not str(spec).strip():
        raise DataError("empty dataset path: expected 'bundled', a folder of IDX files, a .npz "
                        "file or a .csv/.csv.gz file")
    path = Path(spec)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_dir():
        return load_idx_folder(path)
    folder = idx_folder_of(path)
    if folder is not None:
        return load_idx_folder(folder)
    name = path.name.lower()
    if name.endswith(".npz"):
        return load_keras_npz(path)
    if name.endswith((".csv", ".csv.gz")):
        return load_kaggle_csv(path)
    raise DataError(f"{path}: unknown dataset format; expected 'bundled', a folder of IDX files, "
                    "a .npz file or a .csv/.csv.gz file")
