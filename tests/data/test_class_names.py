"""Class names come with the data: Fashion-MNIST and KMNIST recognised by their label files'
published checksums, a classes.txt beside the data, names given with --classes, else digits.

The files here are small ones made by each test in the users' formats; the checksum table
gets an entry for the test's own file, so that no real dataset is needed.
"""

from __future__ import annotations

import gzip
import hashlib
import re

import numpy as np
import pytest

from visualcnn.cli import main
from visualcnn.common.errors import DataError
from visualcnn.data import classes as class_table
from visualcnn.data import load_dataset
from visualcnn.data.classes import DIGITS, FASHION_MNIST, KMNIST

RNG = np.random.default_rng(3)
TRAIN_X = RNG.integers(0, 256, (20, 6, 6), dtype=np.uint8)
TRAIN_Y = np.arange(20, dtype=np.uint8) % 10
TEST_X = RNG.integers(0, 256, (10, 6, 6), dtype=np.uint8)
TEST_Y = np.arange(10, dtype=np.uint8)


def idx_bytes(array: np.ndarray) -> bytes:
    shape = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return bytes([0, 0, 8, array.ndim]) + shape + array.tobytes()


def write_idx_folder(folder, gzipped=True, train_y=TRAIN_Y, test_y=TEST_Y):
    """The four IDX files of a tiny dataset, gzipped as they are published or raw."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"train-images-idx3-ubyte": TRAIN_X, "train-labels-idx1-ubyte": train_y,
             "t10k-images-idx3-ubyte": TEST_X, "t10k-labels-idx1-ubyte": test_y}
    for name, array in files.items():
        if gzipped:
            (folder / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array), mtime=0))
        else:
            (folder / name).write_bytes(idx_bytes(array))
    return folder


def md5_of(path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture
def published(monkeypatch):
    """Declare files as published by a dataset: their MD5s join the checksum table."""
    table = dict(class_table.PUBLISHED_LABEL_FILES)
    monkeypatch.setattr(class_table, "PUBLISHED_LABEL_FILES", table)

    def publish(path, title, names):
        table[md5_of(path)] = (title, names)

    return publish


def test_fashion_mnist_is_recognised_by_its_label_files_checksums(tmp_path, published):
    folder = write_idx_folder(tmp_path / "fashion")
    published(folder / "train-labels-idx1-ubyte.gz", "Fashion-MNIST", FASHION_MNIST)
    published(folder / "t10k-labels-idx1-ubyte.gz", "Fashion-MNIST", FASHION_MNIST)
    data = load_dataset(folder)
    assert data.class_names == FASHION_MNIST
    assert data.class_name(9) == "Ankle boot"
    assert "Fashion-MNIST" in data.classes_from and "checksum" in data.classes_from
    # One of the four files stands for its folder, with the same names.
    assert load_dataset(folder / "t10k-images-idx3-ubyte.gz").class_names == FASHION_MNIST


def test_kmnist_is_recognised_from_one_known_label_file(tmp_path, published):
    folder = write_idx_folder(tmp_path / "kmnist")
    published(folder / "train-labels-idx1-ubyte.gz", "KMNIST", KMNIST)
    data = load_dataset(folder)
    assert data.class_names == ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")


def test_same_file_names_with_unknown_checksums_are_digits(tmp_path):
    data = load_dataset(write_idx_folder(tmp_path / "mnist"))
    assert data.class_names == DIGITS and data.classes_from == ""
    assert load_dataset("bundled").class_names == DIGITS


def test_label_files_of_two_different_datasets_are_not_recognised(tmp_path, published):
    folder = write_idx_folder(tmp_path / "mixed")
    published(folder / "train-labels-idx1-ubyte.gz", "Fashion-MNIST", FASHION_MNIST)
    published(folder / "t10k-labels-idx1-ubyte.gz", "KMNIST", KMNIST)
    assert load_dataset(folder).class_names == DIGITS


def test_decompressed_files_are_not_recognised_and_classes_txt_names_them(tmp_path, published):
    # Only the .gz files' checksums are published: the same labels unpacked say nothing.
    packed = write_idx_folder(tmp_path / "packed")
    published(packed / "train-labels-idx1-ubyte.gz", "Fashion-MNIST", FASHION_MNIST)
    raw = write_idx_folder(tmp_path / "raw", gzipped=False)
    assert load_dataset(raw).class_names == DIGITS
    (raw / "classes.txt").write_text("\n".join(FASHION_MNIST) + "\n\n", encoding="utf-8")
    data = load_dataset(raw)
    assert data.class_names == FASHION_MNIST
    assert data.classes_from == str(raw / "classes.txt")


def test_classes_txt_wins_over_a_recognised_dataset(tmp_path, published):
    folder = write_idx_folder(tmp_path / "fashion")
    published(folder / "train-labels-idx1-ubyte.gz", "Fashion-MNIST", FASHION_MNIST)
    mine = [f"item {c}" for c in range(10)]
    (folder / "classes.txt").write_text("\n".join(mine), encoding="utf-8")
    assert load_dataset(folder).class_names == tuple(mine)


def test_classes_txt_beside_an_npz_file(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=TRAIN_X, y_train=TRAIN_Y, x_test=TEST_X, y_test=TEST_Y)
    (tmp_path / "classes.txt").write_text("\ufeff" + "\n".join(FASHION_MNIST),
                                          encoding="utf-8")  # a BOM, as editors write
    assert load_dataset(path).class_names == FASHION_MNIST


def test_a_classes_txt_with_the_wrong_count_is_one_line_naming_file_and_counts(tmp_path):
    folder = write_idx_folder(tmp_path / "data")
    names_file = folder / "classes.txt"
    names_file.write_text("cat\ndog\nbird\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_dataset(folder)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(names_file))
    assert "3 class names" in message and "10 classes" in message


@pytest.mark.parametrize(("content", "expected"), [
    ("a\nb\n\nc\n", "line 3 is empty"),
    ("a\nb\na\n", "line 3: 'a' names two classes (also line 1)"),
    (b"caf\xe9\n", "not UTF-8 text"),
])
def test_a_bad_classes_txt_is_refused_with_the_line(tmp_path, content, expected):
    folder = write_idx_folder(tmp_path / "data")
    if isinstance(content, bytes):
        (folder / "classes.txt").write_bytes(content)
    else:
        (folder / "classes.txt").write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(expected)):
        load_dataset(folder)


def test_names_given_win_over_classes_txt_as_a_list_or_a_file(tmp_path):
    folder = write_idx_folder(tmp_path / "data")
    (folder / "classes.txt").write_text("\n".join(DIGITS), encoding="utf-8")
    given = ",".join(FASHION_MNIST)
    data = load_dataset(folder, classes=given)
    assert data.class_names == FASHION_MNIST
    names_file = tmp_path / "names.txt"
    names_file.write_text("\n".join(KMNIST), encoding="utf-8")
    assert load_dataset(folder, classes=str(names_file)).class_names == KMNIST
    assert load_dataset("bundled", classes=given).class_names == FASHION_MNIST


def test_classes_on_the_command_line_wrong_count_or_missing_file(tmp_path, capsys):
    folder = write_idx_folder(tmp_path / "data")
    assert main(["train", "--data", str(folder), "--classes", "cat,dog,bird",
                 "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "3 class names given, but the data has 10 classes" in err
    assert main(["eval", "--checkpoint", str(tmp_path / "none.npz"), "--data", str(folder),
                 "--classes", str(tmp_path / "missing.txt")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.txt" in err and "no such file" in err
    assert main(["--classes", "a,b", "train"]) == 2
    assert "--classes before the command 'train'" in capsys.readouterr().err


def test_classes_on_the_command_line_reach_the_data(tmp_path, capsys, monkeypatch):
    folder = write_idx_folder(tmp_path / "data")
    names_file = tmp_path / "fashion.txt"
    names_file.write_text("\n".join(FASHION_MNIST), encoding="utf-8")
    seen = {}
    import visualcnn.data as data_package

    load = data_package.load_dataset

    def spy(spec, classes=None, image_size=None):
        seen["data"] = load(spec, classes, image_size)
        return seen["data"]

    monkeypatch.setattr(data_package, "load_dataset", spy)
    assert main(["train", "--data", str(folder), "--classes", str(names_file), "--epochs", "1",
                 "--arch", "conv2x3-dense10", "--json"]) == 0
    assert seen["data"].class_names == FASHION_MNIST
