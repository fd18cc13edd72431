"""Tests for the Dataset container itself."""

import dataclasses

import numpy as np
import pytest

from visualcnn.data import Dataset


def make(train=(5, 1, 3, 4), test=(2, 1, 3, 4), **replace) -> Dataset:
    arrays = {"x_train": np.zeros(train, np.float32), "y_train": np.zeros(train[0], np.int64),
              "x_test": np.zeros(test, np.float32), "y_test": np.zeros(test[0], np.int64)}
    return Dataset("toy", **{**arrays, **replace})


def test_input_shape_is_one_sample_as_plain_ints():
    shape = make(train=(5, 3, 8, 6), test=(2, 3, 8, 6)).input_shape
    assert shape == (3, 8, 6)
    assert all(type(size) is int for size in shape)


def test_classes_default_to_ten():
    assert make().classes == 10


def test_dataset_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        make().name = "other"


def test_repr_leaves_out_the_arrays():
    assert repr(make()) == "Dataset(name='toy', classes=10)"


def test_datasets_compare_and_hash_by_identity():
    # Field-wise equality would compare arrays and raise "truth value ... is ambiguous".
    first, second = make(), make()
    assert first != second
    assert len({first, first, second}) == 2


@pytest.mark.parametrize(("replace", "message"), [
    ({"x_train": np.zeros((5, 1, 3, 4), np.float64)}, r"x_train must be float32 \(N, C, H, W\)"),
    ({"x_test": np.zeros((2, 3, 4), np.float32)}, r"x_test must be float32 \(N, C, H, W\)"),
    ({"y_train": np.zeros(5, np.int32)}, r"y_train must be int64 of shape \(5,\)"),
    ({"y_test": np.zeros(3, np.int64)}, r"y_test must be int64 of shape \(2,\)"),
    ({"x_test": np.zeros((2, 1, 4, 3), np.float32)}, "x_test samples are"),
])
def test_inconsistent_arrays_are_a_programming_error(replace, message):
    with pytest.raises(ValueError, match=message):
        make(**replace)
