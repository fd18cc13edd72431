"""Tests for the IDX, Keras npz and Kaggle CSV readers and for load_dataset's dispatch.

Every test writes its own small files: valid ones must come back exactly, and each kind of
damage must give a one-line DataError that starts with the offending path.
"""

import gzip
import io
import pickle
import re
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from visualcnn.common.errors import DataError, UserError
from visualcnn.data import (
    idx_folder_of,
    load_dataset,
    load_idx_folder,
    load_kaggle_csv,
    load_keras_npz,
)
from visualcnn.data.loaders import read_idx

# Non-square images, so a transposed or mis-shaped read cannot pass.
TRAIN_X = np.random.default_rng(1).integers(0, 256, size=(6, 3, 4), dtype=np.uint8)
TRAIN_X[0, 0, :2] = (0, 255)
TRAIN_Y = np.array([0, 9, 3, 3, 7, 1], dtype=np.uint8)
TEST_X = np.random.default_rng(2).integers(0, 256, size=(4, 3, 4), dtype=np.uint8)
TEST_Y = np.array([2, 5, 8, 0], dtype=np.uint8)


def as_float(images: np.ndarray) -> np.ndarray:
    """What a loader should make of (N, H, W) pixels 0-255: float32 (N, 1, H, W) in [0, 1]."""
    return (images[:, None] / 255).astype(np.float32)


def raises_data_error(path: Path, problem: str):
    """Expect a DataError whose message is the single line '<path>: <problem>...'."""
    return pytest.raises(DataError,
                         match=rf"\A{re.escape(str(path))}: {re.escape(problem)}[^\n]*\Z")


def assert_matches_reference(dataset) -> None:
    np.testing.assert_array_equal(dataset.x_train, as_float(TRAIN_X))
    np.testing.assert_array_equal(dataset.y_train, TRAIN_Y)
    np.testing.assert_array_equal(dataset.x_test, as_float(TEST_X))
    np.testing.assert_array_equal(dataset.y_test, TEST_Y)
    assert dataset.x_train.dtype == dataset.x_test.dtype == np.float32
    assert dataset.y_train.dtype == dataset.y_test.dtype == np.int64
    assert dataset.input_shape == (1, 3, 4)
    assert dataset.classes == 10


# --- IDX -------------------------------------------------------------------------------------

IDX_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def idx_bytes(array: np.ndarray, type_byte: int = 0x08) -> bytes:
    header = bytes([0, 0, type_byte, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + array.tobytes()


def make_idx_folder(folder: Path, suffix: str = "", dotted: bool = False,
                    **replace: bytes | None) -> dict[str, Path]:
    """Write the reference arrays as the four IDX files; ``replace`` swaps a file's content
    (None leaves it out). Names ending in .gz are gzipped. Returns the paths by key."""
    folder.mkdir(exist_ok=True)
    contents = {"train_images": idx_bytes(TRAIN_X), "train_labels": idx_bytes(TRAIN_Y),
                "test_images": idx_bytes(TEST_X), "test_labels": idx_bytes(TEST_Y), **replace}
    paths = {}
    for key, data in contents.items():
        name = IDX_NAMES[key].replace("-idx", ".idx") if dotted else IDX_NAMES[key]
        paths[key] = path = folder / f"{name}{suffix}"
        if data is not None:
            path.write_bytes(gzip.compress(data) if suffix == ".gz" else data)
    return paths


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dotted", [False, True])
def test_idx_folder_round_trips(tmp_path, suffix, dotted):
    make_idx_folder(tmp_path / "digits", suffix, dotted)
    dataset = load_idx_folder(tmp_path / "digits")
    assert dataset.name == "digits"
    assert_matches_reference(dataset)


def test_idx_folder_may_mix_raw_and_gzipped_files(tmp_path):
    paths = make_idx_folder(tmp_path)
    paths["test_images"].unlink()
    make_idx_folder(tmp_path, ".gz", test_images=idx_bytes(TEST_X))
    assert_matches_reference(load_idx_folder(tmp_path))


def test_idx_folder_prefers_the_raw_file_to_the_gzipped_one(tmp_path):
    make_idx_folder(tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"not even gzip")
    assert_matches_reference(load_idx_folder(tmp_path))


def test_idx_folder_must_exist(tmp_path):
    with raises_data_error(tmp_path / "nowhere", "no such folder"):
        load_idx_folder(tmp_path / "nowhere")


def test_idx_folder_must_be_a_folder(tmp_path):
    (tmp_path / "file").write_bytes(b"x")
    with raises_data_error(tmp_path / "file", "not a folder"):
        load_idx_folder(tmp_path / "file")


def test_idx_folder_names_the_missing_file(tmp_path):
    make_idx_folder(tmp_path, test_labels=None)
    with raises_data_error(tmp_path, "missing t10k-labels-idx1-ubyte (raw or .gz)"):
        load_idx_folder(tmp_path)


def test_empty_idx_folder_names_all_four_files(tmp_path):
    with raises_data_error(tmp_path, "missing " + ", ".join(IDX_NAMES.values())):
        load_idx_folder(tmp_path)


@pytest.mark.parametrize(("key", "content", "problem"), [
    ("train_images", b"", "file is empty"),
    ("train_images", idx_bytes(TRAIN_X)[:-1],
     "truncated: the header declares 6x3x4 = 72 bytes of data, only 71 follow"),
    ("train_images", idx_bytes(TRAIN_X) + b"\0",
     "the header declares 6x3x4 = 72 bytes of data, but 73 follow"),
    ("train_labels", idx_bytes(TRAIN_Y)[:6],
     "truncated: the IDX header needs 8 bytes, the file has 6"),
    ("test_labels", b"\0\0", "truncated: 2 bytes, too short for an IDX file"),
    ("train_images", idx_bytes(TRAIN_X[..., None]),
     "wrong magic number 0x00000804, expected 0x00000803 for an IDX image file"),
    ("test_labels", idx_bytes(TEST_X),
     "wrong magic number 0x00000803, expected 0x00000801 for an IDX label file"),
    ("test_images", b"PK\x03\x04" + idx_bytes(TEST_X),
     "wrong magic number 0x504B0304, expected 0x00000803 for an IDX image file"),
    ("train_images", idx_bytes(TRAIN_X.astype(">f4"), type_byte=0x0D),
     "IDX data type 0x0D is not supported, only 0x08 (unsigned byte)"),
    ("train_images", idx_bytes(np.zeros((0, 3, 4), np.uint8)), "no image data (shape (0, 3, 4))"),
    ("train_labels", idx_bytes(TRAIN_Y[:5]),
     "5 labels, but train-images-idx3-ubyte holds 6 images"),
    ("test_labels", idx_bytes(np.array([1, 10, 2, 3], np.uint8)),
     "label 10 at index 1 is not an integer 0-9"),
    ("test_images", idx_bytes(TEST_X[:, :, :3]), "images are 3x3, but the training images are 3x4"),
])
def test_damaged_idx_file_is_refused_naming_it(tmp_path, key, content, problem):
    paths = make_idx_folder(tmp_path, **{key: content})
    with raises_data_error(paths[key], problem):
        load_idx_folder(tmp_path)


def test_gz_idx_file_that_is_not_gzip_is_refused(tmp_path):
    paths = make_idx_folder(tmp_path, ".gz")
    paths["train_labels"].write_bytes(idx_bytes(TRAIN_Y))
    with raises_data_error(paths["train_labels"], "not a valid gzip file"):
        load_idx_folder(tmp_path)


def test_truncated_gzip_idx_file_is_refused(tmp_path):
    paths = make_idx_folder(tmp_path, ".gz")
    paths["test_images"].write_bytes(gzip.compress(idx_bytes(TEST_X))[:-12])
    with raises_data_error(paths["test_images"], "not a valid gzip file"):
        load_idx_folder(tmp_path)


def peak_memory_of(call) -> int:
    """Bytes allocated at the peak of ``call()`` (which must raise DataError)."""
    tracemalloc.start()
    try:
        with pytest.raises(DataError):
            call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_gz_idx_header_is_checked_against_the_file_size_before_decompressing(tmp_path):
    # 64 MB of zeros squeeze into about 64 kB; the header claims far more than that can hold.
    header = bytes([0, 0, 8, 3]) + np.array([2 ** 31, 2 ** 16, 2 ** 16], ">u4").tobytes()
    paths = make_idx_folder(tmp_path, ".gz", train_images=header + bytes(64_000_000))
    with raises_data_error(paths["train_images"], "the header declares 2147483648x65536x65536"):
        load_idx_folder(tmp_path)
    assert peak_memory_of(lambda: load_idx_folder(tmp_path)) < 8_000_000


def test_raw_idx_header_is_checked_against_the_file_size_before_reading(tmp_path):
    header = bytes([0, 0, 8, 3]) + np.array([10 ** 6, 28, 28], ">u4").tobytes()
    paths = make_idx_folder(tmp_path, train_images=header + bytes(40_000_000))
    with raises_data_error(paths["train_images"], "truncated: the header declares 1000000x28x28"):
        load_idx_folder(tmp_path)
    assert peak_memory_of(lambda: load_idx_folder(tmp_path)) < 8_000_000


def test_gz_idx_file_with_bytes_past_the_declared_data_is_refused(tmp_path):
    paths = make_idx_folder(tmp_path, ".gz", train_labels=idx_bytes(TRAIN_Y) + b"\0\0")
    with raises_data_error(paths["train_labels"],
                           "the header declares 6 = 6 bytes of data, but more follow"):
        load_idx_folder(tmp_path)


def test_gz_idx_file_that_is_empty_once_decompressed_is_refused(tmp_path):
    paths = make_idx_folder(tmp_path, ".gz", test_labels=b"")
    with raises_data_error(paths["test_labels"], "file is empty once decompressed"):
        load_idx_folder(tmp_path)


def test_idx_arrays_are_read_only(tmp_path):
    paths = make_idx_folder(tmp_path, ".gz")
    assert not read_idx(paths["train_images"], 3).flags.writeable


# --- Keras npz -------------------------------------------------------------------------------


class UnpickledError(Exception):
    pass


def _refuse_to_be_unpickled():
    raise UnpickledError("the loader unpickled data")


class Booby:
    """Pickles fine; unpickling it raises UnpickledError, which no loader would turn into a
    DataError."""

    def __reduce__(self):
        return _refuse_to_be_unpickled, ()


def write_npz(path: Path, compressed: bool = False, **replace: np.ndarray | None) -> Path:
    """Write the reference arrays as a Keras-style npz; ``replace`` swaps or (None) drops one."""
    contents = {"x_train": TRAIN_X, "y_train": TRAIN_Y, "x_test": TEST_X, "y_test": TEST_Y,
                **replace}
    save = np.savez_compressed if compressed else np.savez
    save(path, **{key: array for key, array in contents.items() if array is not None})
    return path


@pytest.mark.parametrize("compressed", [False, True])
def test_keras_npz_round_trips(tmp_path, compressed):
    dataset = load_keras_npz(write_npz(tmp_path / "mnist.npz", compressed))
    assert dataset.name == "mnist.npz"
    assert_matches_reference(dataset)


def test_keras_npz_accepts_whole_number_float_labels(tmp_path):
    path = write_npz(tmp_path / "mnist.npz", y_test=TEST_Y.astype(np.float64))
    assert_matches_reference(load_keras_npz(path))


@pytest.mark.parametrize(("replace", "problem"), [
    ({"y_test": None}, "missing y_test; expected arrays x_train, y_train, x_test, y_test"),
    ({"x_train": TRAIN_X.reshape(6, 12)},
     "x_train has shape (6, 12), expected non-empty (N, H, W)"),
    ({"x_train": np.zeros((0, 3, 4), np.uint8), "y_train": np.zeros(0, np.uint8)},
     "x_train has shape (0, 3, 4), expected non-empty (N, H, W)"),
    ({"x_test": TEST_X.astype(np.float32)},
     "x_test has dtype float32, expected uint8 pixels 0-255"),
    ({"y_train": TRAIN_Y[:, None]}, "y_train has shape (6, 1), expected (6,) to match x_train"),
    ({"y_test": TEST_Y[:3]}, "y_test has shape (3,), expected (4,) to match x_test"),
    ({"x_test": TEST_X[:, :, :3]}, "x_test images are 3x3, but x_train images are 3x4"),
    ({"y_train": np.array([0, 1, 2, 3, 10, 5])},
     "y_train: label 10 at index 4 is not an integer 0-9"),
    ({"y_train": np.array([0, 1, 2, 3, 4, 2.5])},
     "y_train: label 2.5 at index 5 is not an integer 0-9"),
    ({"y_test": np.array(list("0123"))}, "y_test: labels have dtype <U1, expected integers"),
])
def test_bad_keras_npz_is_refused(tmp_path, replace, problem):
    path = write_npz(tmp_path / "mnist.npz", **replace)
    with raises_data_error(path, problem):
        load_keras_npz(path)


def test_npz_object_array_is_refused_without_unpickling(tmp_path):
    path = write_npz(tmp_path / "mnist.npz", x_train=np.array([Booby()], dtype=object))
    with raises_data_error(path, "cannot load x_train (Object arrays cannot be loaded"):
        load_keras_npz(path)


def test_pickle_named_npz_is_refused_without_unpickling(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(pickle.dumps(Booby()))
    with raises_data_error(path, "not an .npz archive"):
        load_keras_npz(path)


@pytest.mark.parametrize("content", [b"x_train,y_train\n1,2\n", b"PK\x03\x04 cut short"])
def test_file_that_is_not_a_zip_is_refused(tmp_path, content):
    path = tmp_path / "mnist.npz"
    path.write_bytes(content)
    with raises_data_error(path, "not an .npz archive"):
        load_keras_npz(path)


def test_npy_file_is_refused(tmp_path):
    path = tmp_path / "mnist.npz"
    with path.open("wb") as file:  # np.save would otherwise append ".npy" to the name
        np.save(file, TRAIN_X)
    with raises_data_error(path, "a single .npy array, not an .npz archive"):
        load_keras_npz(path)


def npy_header(shape, descr="|u1") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False,
                                               "shape": shape})
    return buf.getvalue()


def test_npz_member_declaring_a_huge_array_is_refused_before_allocating(tmp_path):
    path = write_npz(tmp_path / "mnist.npz", x_train=None)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("x_train.npy", npy_header((10 ** 7, 10 ** 4, 10 ** 3)))
    with raises_data_error(path, "x_train declares shape (10000000, 10000, 1000)"):
        load_keras_npz(path)


def test_npz_member_declaring_more_than_it_holds_is_refused_before_allocating(tmp_path):
    path = write_npz(tmp_path / "mnist.npz", x_test=None)
    with zipfile.ZipFile(path, "a") as z:  # 300 MB declared, 1 kB present
        z.writestr("x_test.npy", npy_header((300_000, 1000, 1)) + bytes(1000))
    with raises_data_error(path, "x_test declares shape (300000, 1000, 1)"):
        load_keras_npz(path)
    assert peak_memory_of(lambda: load_keras_npz(path)) < 30_000_000


def test_corrupted_npz_member_is_refused(tmp_path):
    path = write_npz(tmp_path / "mnist.npz")
    data = bytearray(path.read_bytes())
    # Flip the last pixel of x_train, stored uncompressed, so the member's CRC no longer fits.
    data[data.index(TRAIN_X.tobytes()) + TRAIN_X.size - 1] ^= 0xFF
    path.write_bytes(bytes(data))
    with raises_data_error(path, "cannot load x_train"):
        load_keras_npz(path)


@pytest.mark.parametrize("loader", [load_keras_npz, load_kaggle_csv])
def test_missing_and_empty_files_are_refused(tmp_path, loader):
    suffix = ".npz" if loader is load_keras_npz else ".csv"
    with raises_data_error(tmp_path / f"absent{suffix}", "no such file"):
        loader(tmp_path / f"absent{suffix}")
    (tmp_path / f"empty{suffix}").write_bytes(b"")
    with raises_data_error(tmp_path / f"empty{suffix}", "file is empty"):
        loader(tmp_path / f"empty{suffix}")


# --- Kaggle CSV ------------------------------------------------------------------------------

# 50 rows of 4x4 images, 5 per digit; pixel 0 holds the row number so a sample can be traced
# back to its row.
CSV_LABELS = np.random.default_rng(3).permutation(np.repeat(np.arange(10), 5))
CSV_IMAGES = np.random.default_rng(4).integers(0, 256, size=(50, 4, 4))
CSV_IMAGES[:, 0, 0] = np.arange(50)
CSV_IMAGES[1, 3, 3] = 255
CSV_HEADER = ",".join(["label", *(f"pixel{i}" for i in range(16))])


def csv_lines(labels=CSV_LABELS, images=CSV_IMAGES, number="{}") -> list[str]:
    """The CSV file's lines, header first; ``number`` formats each value."""
    return [CSV_HEADER] + [",".join(number.format(value) for value in [label, *image.ravel()])
                           for label, image in zip(labels, images, strict=True)]


def write_csv(path: Path, lines: list[str], newline: str = "\n") -> Path:
    data = (newline.join(lines) + newline).encode()
    path.write_bytes(gzip.compress(data) if path.name.lower().endswith(".gz") else data)
    return path


def rows_of(x: np.ndarray) -> np.ndarray:
    """The source rows of (N, 1, 4, 4) CSV samples, read from pixel 0."""
    return np.rint(x[:, 0, 0, 0] * 255).astype(int)


def test_kaggle_csv_splits_every_class_and_keeps_rows_whole(tmp_path):
    dataset = load_kaggle_csv(write_csv(tmp_path / "train.csv", csv_lines()))
    assert dataset.name == "train.csv"
    assert dataset.input_shape == (1, 4, 4)
    assert dataset.x_train.dtype == np.float32 and dataset.y_train.dtype == np.int64
    train, test = rows_of(dataset.x_train), rows_of(dataset.x_test)
    # 20% of each digit's 5 rows is 1 row: 10 test rows, one per digit, 40 training rows.
    assert sorted(dataset.y_test) == list(range(10))
    assert np.bincount(dataset.y_train).tolist() == [4] * 10
    assert sorted([*train, *test]) == list(range(50))
    assert list(train) == sorted(train) and list(test) == sorted(test)  # file order
    np.testing.assert_array_equal(dataset.y_train, CSV_LABELS[train])
    np.testing.assert_array_equal(dataset.x_train, as_float(CSV_IMAGES[train]))
    np.testing.assert_array_equal(dataset.x_test, as_float(CSV_IMAGES[test]))


def test_kaggle_csv_split_depends_only_on_the_seed(tmp_path):
    path = write_csv(tmp_path / "train.csv", csv_lines())
    first, again = load_kaggle_csv(path), load_kaggle_csv(path, seed=0)
    other = load_kaggle_csv(path, seed=1)
    np.testing.assert_array_equal(rows_of(first.x_test), rows_of(again.x_test))
    assert set(rows_of(first.x_test)) != set(rows_of(other.x_test))


def test_kaggle_csv_test_fraction_sets_the_test_share(tmp_path):
    dataset = load_kaggle_csv(write_csv(tmp_path / "train.csv", csv_lines()), test_fraction=0.6)
    assert np.bincount(dataset.y_test).tolist() == [3] * 10


@pytest.mark.parametrize("name", ["train.csv.gz", "TRAIN.CSV.GZ"])
def test_gzipped_kaggle_csv_loads_like_the_plain_one(tmp_path, name):
    plain = load_kaggle_csv(write_csv(tmp_path / "train.csv", csv_lines()))
    packed = load_kaggle_csv(write_csv(tmp_path / name, csv_lines()))
    np.testing.assert_array_equal(packed.x_train, plain.x_train)
    np.testing.assert_array_equal(packed.y_test, plain.y_test)


def test_kaggle_csv_tolerates_windows_line_ends_a_bom_and_trailing_blank_lines(tmp_path):
    plain = load_kaggle_csv(write_csv(tmp_path / "train.csv", csv_lines()))
    lines = ["\ufeff" + CSV_HEADER, *csv_lines()[1:], "", ""]
    odd = load_kaggle_csv(write_csv(tmp_path / "odd.csv", lines, newline="\r\n"))
    np.testing.assert_array_equal(odd.x_train, plain.x_train)
    np.testing.assert_array_equal(odd.y_train, plain.y_train)


@settings(max_examples=25, deadline=None)
@given(side=st.integers(1, 5), pixels=st.data(), number=st.sampled_from(["{}.0", "{:.2e}"]))
def test_fast_and_general_csv_parsers_agree(tmp_path_factory, side, pixels, number):
    # Plain integers take the fast parser; the same values written as floats take np.loadtxt.
    images = pixels.draw(arrays(np.int64, (30, side, side), elements=st.integers(0, 255)))
    folder = tmp_path_factory.mktemp("csv")
    header = ",".join(["label", *(f"pixel{i}" for i in range(side * side))])
    labels = np.arange(30) % 10

    def load(fmt):
        rows = [",".join(fmt.format(v) for v in [label, *image.ravel()])
                for label, image in zip(labels, images, strict=True)]
        return load_kaggle_csv(write_csv(folder / "train.csv", [header, *rows]))

    fast, general = load("{}"), load(number)
    np.testing.assert_array_equal(fast.x_train, general.x_train)
    np.testing.assert_array_equal(fast.x_test, general.x_test)
    np.testing.assert_array_equal(fast.y_train, general.y_train)
    np.testing.assert_array_equal(fast.y_test, general.y_test)


def with_field(line: int, column: int, value: str) -> list[str]:
    """The reference CSV lines with field ``column`` of file line ``line`` (both from 1) set."""
    lines = csv_lines()
    fields = lines[line - 1].split(",")
    fields[column - 1] = value
    lines[line - 1] = ",".join(fields)
    return lines


@pytest.mark.parametrize(("lines", "problem"), [
    ([CSV_HEADER], "no data lines after the header"),
    ([CSV_HEADER.replace("label,", ""), *csv_lines()[1:]],
     "first column is 'pixel0', expected 'label'"),
    ([CSV_HEADER.rsplit(",", 1)[0], *csv_lines()[1:]],
     ("the header needs 'label' and a square number of pixel columns (785 columns in all for "
      "28x28 images); it has 16")),
    (["label", "3"], "the header needs 'label' and a square number of pixel columns"),
    ([*csv_lines()[:4], csv_lines()[4].rsplit(",", 1)[0], *csv_lines()[5:]],
     "line 5 has the wrong number of columns: 16 instead of 17"),
    ([*csv_lines()[:7], csv_lines()[7] + ",0"],
     "line 8 has the wrong number of columns: 18 instead of 17"),
    ([*csv_lines(), "", *csv_lines()[1:]],
     "line 52 has the wrong number of columns: 1 instead of 17"),
    (with_field(3, 5, "300"), "line 3, column 5: pixel value 300 is not in 0-255"),
    (with_field(4, 2, "-1"), "line 4, column 2: pixel value -1 is not in 0-255"),
    (with_field(4, 2, "255.5"), "line 4, column 2: pixel value 255.5 is not in 0-255"),
    (with_field(9, 17, "nan"), "line 9, column 17: pixel value nan is not in 0-255"),
    (with_field(2, 3, "inf"), "line 2, column 3: pixel value inf is not in 0-255"),
    (with_field(2, 3, "-inf"), "line 2, column 3: pixel value -inf is not in 0-255"),
    (with_field(6, 1, "10"), "label 10 at line 6 is not an integer 0-9"),
    (with_field(6, 1, "-1"), "label -1 at line 6 is not an integer 0-9"),
    (with_field(7, 1, "2.5"), "label 2.5 at line 7 is not an integer 0-9"),
    (with_field(7, 1, "nan"), "label nan at line 7 is not an integer 0-9"),
    (with_field(3, 4, "abc"), "line 3, column 4: 'abc' is not a number"),
    (with_field(3, 4, ""), "line 3, column 4: '' is not a number"),
    (with_field(3, 4, '"7"'), "line 3, column 4: '\"7\"' is not a number"),
    # float() reads "1_0" but numpy does not; numpy's own message is passed on.
    (with_field(3, 4, "1_0"), "could not convert string '1_0' to float64"),
    (csv_lines()[:3], "2 lines are too few to split off a test set"),
])
def test_bad_kaggle_csv_is_refused(tmp_path, lines, problem):
    path = write_csv(tmp_path / "train.csv", lines)
    with raises_data_error(path, problem):
        load_kaggle_csv(path)


def test_binary_file_named_csv_is_refused(tmp_path):
    path = tmp_path / "train.csv"
    path.write_bytes(b"\xff\xfe\x00binary\n\x01\x02")
    with raises_data_error(path, "the first line is not a CSV header"):
        load_kaggle_csv(path)


def test_csv_gz_that_is_not_gzip_is_refused(tmp_path):
    path = tmp_path / "train.csv.gz"
    path.write_text("\n".join(csv_lines()))
    with raises_data_error(path, "not a valid gzip file"):
        load_kaggle_csv(path)


@pytest.mark.parametrize("fraction", [0, 1, -0.2, 1.5])
def test_test_fraction_must_be_strictly_between_0_and_1(tmp_path, fraction):
    path = write_csv(tmp_path / "train.csv", csv_lines())
    with pytest.raises(UserError, match=r"\Atest_fraction must be between 0 and 1"):
        load_kaggle_csv(path, test_fraction=fraction)


# --- load_dataset ----------------------------------------------------------------------------


def test_load_dataset_dispatches_by_path_type(tmp_path):
    make_idx_folder(tmp_path / "fashion")
    write_npz(tmp_path / "mnist.npz")
    write_csv(tmp_path / "train.csv", csv_lines())
    write_csv(tmp_path / "TRAIN.CSV.GZ", csv_lines())
    assert_matches_reference(load_dataset(tmp_path / "fashion"))
    assert load_dataset(str(tmp_path / "fashion")).name == "fashion"
    assert_matches_reference(load_dataset(tmp_path / "mnist.npz"))
    for name in ("train.csv", "TRAIN.CSV.GZ"):
        dataset = load_dataset(tmp_path / name)
        assert (dataset.name, len(dataset.x_train), len(dataset.x_test)) == (name, 40, 10)


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dotted", [False, True])
@pytest.mark.parametrize("key", list(IDX_NAMES))
def test_load_dataset_takes_any_file_of_an_idx_folder_for_the_folder(tmp_path, suffix, dotted,
                                                                      key):
    paths = make_idx_folder(tmp_path / "fashion", suffix, dotted)
    dataset = load_dataset(str(paths[key]))
    assert dataset.name == "fashion"
    assert_matches_reference(dataset)
    assert idx_folder_of(paths[key]) == tmp_path / "fashion"


def test_only_idx_file_names_stand_for_their_folder(tmp_path):
    make_idx_folder(tmp_path / "fashion")
    other = tmp_path / "fashion" / "notes.gz"
    other.write_bytes(gzip.compress(b"notes"))
    assert idx_folder_of(other) is None
    assert idx_folder_of(tmp_path / "fashion") is None
    with raises_data_error(other, "unknown dataset format"):
        load_dataset(other)


def test_a_file_of_an_idx_folder_with_files_missing_names_the_folder(tmp_path):
    paths = make_idx_folder(tmp_path / "half", train_labels=None)
    with raises_data_error(tmp_path / "half", "missing train-labels-idx1-ubyte"):
        load_dataset(paths["train_images"])


def test_load_dataset_refuses_an_empty_spec():
    with pytest.raises(DataError, match="empty"):
        load_dataset("")


def test_load_dataset_refuses_a_missing_path(tmp_path):
    with raises_data_error(tmp_path / "mnist.npz", "no such file or folder"):
        load_dataset(tmp_path / "mnist.npz")


def test_load_dataset_refuses_an_unknown_file_type(tmp_path):
    path = tmp_path / "mnist.pkl"
    path.write_bytes(b"\x80")
    with raises_data_error(path, "unknown dataset format; expected 'bundled', a folder"):
        load_dataset(path)


def test_only_the_string_bundled_means_the_bundled_set(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with raises_data_error(Path("bundled"), "no such file or folder"):
        load_dataset(Path("bundled"))
    make_idx_folder(tmp_path / "bundled")
    assert load_dataset("./bundled").name == "bundled"
    assert load_dataset("bundled").name == "bundled MNIST subset"
