"""CIFAR-10's binary version read from the bytes the format describes; its damaged files and
its pickled Python version refused with one line naming the file."""

from __future__ import annotations

import re
import tarfile

import numpy as np
import pytest

from tests.data.image_files import CIFAR_NAMES, cifar_records, random_cifar, write_cifar_folder
from visualcnn.common.errors import DataError
from visualcnn.data import load_dataset


def one_line_error(path, problem):
    return pytest.raises(DataError, match=rf"\A{re.escape(str(path))}: {problem}[^\n]*\Z")


def test_batches_read_as_colour_images_in_order_with_the_meta_names(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    written = write_cifar_folder(folder, batches=(1, 2, 3))
    data = load_dataset(folder)
    train = [written[f"data_batch_{i}.bin"] for i in (1, 2, 3)]
    expected = np.concatenate([x for x, _ in train]).astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(np.asarray(data.x_train), expected)
    np.testing.assert_array_equal(data.y_train, np.concatenate([y for _, y in train]))
    x_test, y_test = written["test_batch.bin"]
    np.testing.assert_array_equal(np.asarray(data.x_test), x_test.astype(np.float32) / 255)
    np.testing.assert_array_equal(data.y_test, y_test)
    assert data.input_shape == (3, 32, 32) and data.classes == 10
    assert data.class_names == CIFAR_NAMES
    assert data.x_train.raw.dtype == np.uint8  # kept as bytes
    assert "data_batch_1-3" in data.name and "data_batch_1-3" in data.note
    assert "2 of the 5 training batches not present" in data.note


def test_the_record_layout_is_label_then_red_green_blue_planes_row_by_row(tmp_path):
    image = np.zeros((1, 3, 32, 32), dtype=np.uint8)
    image[0, 0, 0, 1] = 200   # red, row 0, column 1
    image[0, 2, 5, 0] = 99    # blue, row 5, column 0
    record = cifar_records(image, [7])
    assert record[0] == 7 and record[1 + 1] == 200 and record[1 + 2048 + 5 * 32] == 99
    (tmp_path / "data_batch_1.bin").write_bytes(record)
    (tmp_path / "test_batch.bin").write_bytes(record)
    data = load_dataset(tmp_path)
    assert data.y_train.tolist() == [7]
    assert data.x_train[0, 0, 0, 1] == np.float32(200) / 255
    assert data.x_train[0, 2, 5, 0] == np.float32(99) / 255
    assert data.class_names == tuple(str(c) for c in range(10))  # no batches.meta.txt


def test_batches_that_are_present_are_used_in_order(tmp_path):
    written = write_cifar_folder(tmp_path, batches=(4, 2))
    data = load_dataset(tmp_path)
    expected = np.concatenate([written["data_batch_2.bin"][1], written["data_batch_4.bin"][1]])
    np.testing.assert_array_equal(data.y_train, expected)
    assert "data_batch_2, 4" in data.name


@pytest.mark.parametrize("name", ["data_batch_1.bin", "test_batch.bin", "batches.meta.txt"])
def test_any_file_of_the_folder_stands_for_the_folder(tmp_path, name):
    write_cifar_folder(tmp_path)
    assert load_dataset(tmp_path / name).input_shape == (3, 32, 32)


def test_a_truncated_batch_is_refused_naming_the_file(tmp_path):
    write_cifar_folder(tmp_path)
    bad = tmp_path / "data_batch_2.bin"
    bad.write_bytes(bad.read_bytes()[:-10])
    with one_line_error(bad, re.escape("18,428 bytes is not a whole number of 3,073-byte "
                                       "CIFAR-10 records")):
        load_dataset(tmp_path)


def test_an_empty_batch_is_refused(tmp_path):
    write_cifar_folder(tmp_path)
    (tmp_path / "test_batch.bin").write_bytes(b"")
    with one_line_error(tmp_path / "test_batch.bin", "file is empty"):
        load_dataset(tmp_path)


def test_a_label_above_nine_is_refused_naming_the_file_and_record(tmp_path):
    write_cifar_folder(tmp_path)
    images, labels = random_cifar(3, seed=5)
    labels[2] = 10
    bad = tmp_path / "data_batch_1.bin"
    bad.write_bytes(cifar_records(images, labels))
    with one_line_error(bad, "label 10 at index 2 is not an integer 0-9"):
        load_dataset(tmp_path)


def test_a_missing_test_batch_is_refused(tmp_path):
    write_cifar_folder(tmp_path, test=0)
    with one_line_error(tmp_path / "test_batch.bin", "missing"):
        load_dataset(tmp_path)


def test_a_meta_file_with_the_wrong_number_of_names_is_refused(tmp_path):
    write_cifar_folder(tmp_path)
    (tmp_path / "batches.meta.txt").write_text("cat\n\ndog\n")
    with one_line_error(tmp_path / "batches.meta.txt", "2 class names, CIFAR-10 has 10"):
        load_dataset(tmp_path)


def test_blank_lines_in_the_meta_file_are_ignored(tmp_path):
    write_cifar_folder(tmp_path)
    (tmp_path / "batches.meta.txt").write_text("\n\n".join(CIFAR_NAMES) + "\n\n")
    assert load_dataset(tmp_path).class_names == CIFAR_NAMES


PICKLED_LINE = ("CIFAR-10's Python version is pickled, and visualcnn never unpickles a file "
                r"\(unpickling can run any code\); download the CIFAR-10 binary version "
                r"\(cifar-10-binary.tar.gz")


class Trap:
    """Unpickling this would write a file: any unpickling shows."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("given", ["folder", "batch", "meta", "archive"])
def test_the_pickled_python_version_is_refused_and_never_unpickled(tmp_path, given):
    import pickle

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    marker = tmp_path / "unpickled"
    for name in ("data_batch_1", "test_batch", "batches.meta"):
        (folder / name).write_bytes(pickle.dumps(Trap(marker)))
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    path = {"folder": folder, "batch": folder / "data_batch_1", "meta": folder / "batches.meta",
            "archive": archive}[given]
    shown = folder / "data_batch_1" if given == "folder" else path
    with one_line_error(shown, PICKLED_LINE):
        load_dataset(path)
    assert not marker.exists()


def test_the_binary_archive_asks_to_be_extracted(tmp_path):
    archive = tmp_path / "cifar-10-binary.tar.gz"
    archive.write_bytes(b"\x1f\x8b")
    with one_line_error(archive, re.escape("extract the archive first")):
        load_dataset(archive)


def test_a_folder_with_no_dataset_lists_the_accepted_formats(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match="no dataset in this folder; expected .*CIFAR-10's "
                                        "binary version.*image folder"):
        load_dataset(tmp_path)
