"""Tests for the bundled MNIST subset and for finding it."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

import visualcnn
from visualcnn.common.errors import DataError
from visualcnn.data import bundled_path, load_bundled, load_dataset

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundled():
    return load_bundled()


def test_bundled_set_has_400_and_100_images_of_each_digit(bundled):
    assert bundled.name == "bundled MNIST subset"
    assert bundled.x_train.shape == (4000, 1, 28, 28)
    assert bundled.x_test.shape == (1000, 1, 28, 28)
    assert bundled.input_shape == (1, 28, 28)
    assert np.bincount(bundled.y_train).tolist() == [400] * 10
    assert np.bincount(bundled.y_test).tolist() == [100] * 10


def test_bundled_images_are_float32_spanning_0_to_1(bundled):
    for images in (bundled.x_train, bundled.x_test):
        assert images.dtype == np.float32
        assert images.min() == 0.0 and images.max() == 1.0
    assert bundled.y_train.dtype == bundled.y_test.dtype == np.int64


def test_no_bundled_image_is_in_both_sets_or_twice_in_one(bundled):
    train = {image.tobytes() for image in bundled.x_train}
    test = {image.tobytes() for image in bundled.x_test}
    assert len(train) == 4000 and len(test) == 1000
    assert not train & test


def test_bundled_digits_are_interleaved(bundled):
    # Shuffled, neighbours differ about 9 times in 10; sorted by digit, only 9 times in all.
    for labels in (bundled.y_train, bundled.y_test):
        assert np.count_nonzero(np.diff(labels)) > 0.8 * len(labels)


def test_bundled_file_holds_the_documented_uint8_arrays():
    with np.load(bundled_path(), allow_pickle=False) as archive:
        shapes = {key: (archive[key].dtype, archive[key].shape) for key in archive.files}
    assert shapes == {"x_train": (np.uint8, (4000, 28, 28)), "y_train": (np.uint8, (4000,)),
                      "x_test": (np.uint8, (1000, 28, 28)), "y_test": (np.uint8, (1000,))}


def test_readme_records_the_bundled_file_size_and_sha256():
    content = bundled_path().read_bytes()
    readme = (REPO / "resources" / "README.md").read_text()
    assert hashlib.sha256(content).hexdigest() in readme
    assert f"{len(content):,} bytes" in readme


def test_load_dataset_bundled_is_the_bundled_set(bundled):
    dataset = load_dataset("bundled")
    assert dataset.name == bundled.name
    np.testing.assert_array_equal(dataset.x_test, bundled.x_test)
    np.testing.assert_array_equal(dataset.y_train, bundled.y_train)


def test_source_checkout_finds_the_repository_resources():
    assert bundled_path() == REPO / "resources" / "mnist_5k.npz"


@pytest.fixture
def fake_install(tmp_path, monkeypatch):
    """A site-packages/visualcnn layout with no data yet; returns both places data may be."""
    package = tmp_path / "site-packages" / "visualcnn"
    monkeypatch.setattr(visualcnn, "__file__", str(package / "__init__.py"))
    return (package / "resources" / "mnist_5k.npz",
            package.parent / "resources" / "mnist_5k.npz")


def put(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"npz")


def test_data_inside_the_package_comes_first(fake_install):
    in_package, beside_package = fake_install
    put(in_package)
    put(beside_package)
    assert bundled_path() == in_package


def test_data_beside_the_package_is_the_fallback(fake_install):
    _, beside_package = fake_install
    put(beside_package)
    assert bundled_path() == beside_package


def test_missing_bundled_data_names_both_places(fake_install):
    in_package, beside_package = fake_install
    with pytest.raises(DataError) as raised:
        bundled_path()
    message = str(raised.value)
    assert str(in_package) in message and str(beside_package) in message
    assert "\n" not in message
