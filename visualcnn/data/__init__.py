"""Datasets for visualcnn: the bundled MNIST subset and the common MNIST-like file formats.

``load_dataset`` is the entry point; every loader returns a ``Dataset`` with float32 images
``(N, C, H, W)`` in [0, 1] and int64 labels, and refuses a bad file with a one-line DataError.
"""

from __future__ import annotations

import os
from pathlib import Path

from visualcnn.common.errors import DataError
from visualcnn.data.bundled import bundled_path, load_bundled
from visualcnn.data.dataset import Dataset
from visualcnn.data.loaders import idx_folder_of, load_idx_folder, load_kaggle_csv, load_keras_npz

__all__ = [
    "Dataset",
    "bundled_path",
    "idx_folder_of",
    "load_bundled",
    "load_dataset",
    "load_idx_folder",
    "load_kaggle_csv",
    "load_keras_npz",
]


def load_dataset(spec: str | os.PathLike) -> Dataset:
    """Load the dataset ``spec`` names.

    ``"bundled"`` is the bundled subset (write ``./bundled`` for a file of that name). Any other
    value is a path: a folder of IDX files or one of its four files (which stands for the
    folder), a Keras-style ``.npz``, or a Kaggle ``.csv`` / ``.csv.gz``, told apart by the name.
    """
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
