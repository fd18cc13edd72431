"""The small MNIST subset that ships with visualcnn, so the app works without a download.

``resources/mnist_5k.npz`` holds 4,000 training and 1,000 test images, 400 and 100 per digit;
``resources/README.md`` says where they come from and how
``resources/scripts/make_bundled_mnist.py`` made the file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from visualcnn.common.errors import DataError
from visualcnn.common.i18n import N_, tr
from visualcnn.common.resources import resource_candidates
from visualcnn.data.dataset import Dataset
from visualcnn.data.loaders import load_keras_npz

BUNDLED_FILE = "mnist_5k.npz"
# The data's name, English wherever it is compared; the window shows it through i18n.lookup.
BUNDLED_NAME = N_("bundled MNIST subset")


def bundled_path() -> Path:
    """Return where the bundled npz is: inside the installed package, else in the source tree.

    A wheel carries the repository's ``resources/`` as ``visualcnn/resources/``; a source
    checkout or editable install has it next to the ``visualcnn`` package.
    """
    candidates = resource_candidates(BUNDLED_FILE)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise DataError(tr("bundled dataset not found at {first} or {second}; the installation "
                       "is incomplete", first=candidates[0], second=candidates[1]))


def load_bundled() -> Dataset:
    """Load the bundled subset: float32 x_train (4000, 1, 28, 28), x_test (1000, 1, 28, 28)."""
    return dataclasses.replace(load_keras_npz(bundled_path()), name=BUNDLED_NAME)
