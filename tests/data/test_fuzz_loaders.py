"""Every loader, fed damaged files, loads them or refuses them with a DataError: no other
exception, no hang, no allocation a header asked for but the file cannot hold."""

from __future__ import annotations

import gzip
import io
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.data.test_loaders import (
    IDX_NAMES,
    TEST_X,
    TEST_Y,
    TRAIN_X,
    TRAIN_Y,
    csv_lines,
    idx_bytes,
)
from tests.fuzzing import FUZZ, damaged, load_or_refuse, lying_npz
from visualcnn.data import load_dataset, load_idx_folder, load_kaggle_csv, load_keras_npz

IDX_CONTENT = {"train_images": idx_bytes(TRAIN_X), "train_labels": idx_bytes(TRAIN_Y),
               "test_images": idx_bytes(TEST_X), "test_labels": idx_bytes(TEST_Y)}
NPY_MEMBERS = {}
for _key, _array in {"x_train": TRAIN_X, "y_train": TRAIN_Y, "x_test": TEST_X,
                     "y_test": TEST_Y}.items():
    _buf = io.BytesIO()
    np.save(_buf, _array)
    NPY_MEMBERS[f"{_key}.npy"] = _buf.getvalue()
CSV_TEXT = ("\n".join(csv_lines()[:21]) + "\n").encode()


def _npz_bytes(compressed: bool) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(
        buf, x_train=TRAIN_X, y_train=TRAIN_Y, x_test=TEST_X, y_test=TEST_Y)
    return buf.getvalue()


@FUZZ
@given(key=st.sampled_from(sorted(IDX_CONTENT)), gz=st.booleans(), before=st.booleans(),
       data=st.data())
def test_damaged_idx_files_are_loaded_or_refused(key, gz, before, data):
    """``before``: damage the IDX bytes and then gzip them (a lying header in a valid gzip
    stream); otherwise damage the file as stored."""
    content = IDX_CONTENT[key]
    if gz and before:
        stored = gzip.compress(data.draw(damaged(content)))
    elif gz:
        stored = data.draw(damaged(gzip.compress(content), header_size=32))
    else:
        stored = data.draw(damaged(content))
    with tempfile.TemporaryDirectory() as folder:
        for name, original in IDX_CONTENT.items():
            raw = stored if name == key else original
            if gz and name != key:
                raw = gzip.compress(raw)
            Path(folder, IDX_NAMES[name] + (".gz" if gz else "")).write_bytes(raw)
        load_or_refuse(load_idx_folder, folder)


@FUZZ
@given(compressed=st.booleans(), data=st.data())
def test_damaged_keras_npz_files_are_loaded_or_refused(compressed, data):
    stored = data.draw(st.one_of(damaged(_npz_bytes(compressed), header_size=200),
                                 lying_npz(NPY_MEMBERS)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "mnist.npz")
        path.write_bytes(stored)
        load_or_refuse(load_keras_npz, path)
        load_or_refuse(load_dataset, str(path))


@FUZZ
@given(gz=st.booleans(), data=st.data())
def test_damaged_kaggle_csv_files_are_loaded_or_refused(gz, data):
    stored = data.draw(damaged(gzip.compress(CSV_TEXT) if gz else CSV_TEXT, header_size=120))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "train.csv.gz" if gz else "train.csv")
        path.write_bytes(stored)
        load_or_refuse(load_kaggle_csv, path)
