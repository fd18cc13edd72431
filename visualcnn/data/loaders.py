"""Readers for the formats MNIST-like data is downloaded in.

- a folder of the four IDX files LeCun published (MNIST, Fashion-MNIST, KMNIST), raw or gzipped;
- Keras' ``mnist.npz``;
- Kaggle's digit-recognizer ``train.csv``, raw or gzipped.

Every problem with a file is raised as a one-line DataError that starts with the file's path.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import zlib
from pathlib import Path

import numpy as np

from visualcnn.common.errors import DataError, UserError
from visualcnn.common.files import MAX_DEFLATE_RATIO, NPZ_ERRORS, brief, check_npz
from visualcnn.common.i18n import tr
from visualcnn.data.classes import digits, recognise_label_files
from visualcnn.data.dataset import CLASSES, Dataset, check_labels, scale_pixels

IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_IDX_UBYTE = 0x08
# Bytes read at a time from an IDX file's data.
_IDX_CHUNK = 1 << 22
_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
# Lines per chunk of the fast CSV parser: big enough to amortise numpy's per-call cost, small
# enough that its index arrays (8 bytes per field) stay a few tens of MB.
_CSV_CHUNK_LINES = 4096


def read_file(path: Path, gzipped: bool) -> bytes:
    """Return the contents of ``path``, gunzipped if ``gzipped``.

    Raises DataError if the file is missing, unreadable, empty or not valid gzip.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise DataError(tr("{path}: no such file", path=path)) from error
    except OSError as error:
        raise DataError(tr("{path}: cannot read ({reason})", path=path,
                           reason=error.strerror)) from error
    if not data:
        raise DataError(tr("{path}: file is empty", path=path))
    if gzipped:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise DataError(tr("{path}: not a valid gzip file ({reason})", path=path,
                               reason=error)) from error
        if not data:
            raise DataError(tr("{path}: file is empty once decompressed", path=path))
    return data


# --- IDX -------------------------------------------------------------------------------------


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """Read an unsigned-byte IDX file with ``ndim`` dimensions; gunzip it if its name ends in .gz.

    Returns a read-only uint8 array: ``(N, rows, cols)`` for an image file (``ndim == 3``),
    ``(N,)`` for a label file (``ndim == 1``). The header is checked against the file's size
    before the data is read, so that a header declaring more than the file can hold (or a
    small gzip file that would unpack to gigabytes) is refused without a large allocation.
    """
    gzipped = path.name.endswith(".gz")
    try:
        size = path.stat().st_size
        with open(path, "rb") as raw:
            if size == 0:
                raise DataError(tr("{path}: file is empty", path=path))
            if not gzipped:
                return _read_idx_stream(path, raw, ndim, size, available=size, gzipped=False)
            with gzip.GzipFile(fileobj=raw) as stream:
                return _read_idx_stream(path, stream, ndim, size,
                                        available=size * MAX_DEFLATE_RATIO, gzipped=True)
    except FileNotFoundError as error:
        raise DataError(tr("{path}: no such file", path=path)) from error
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise DataError(tr("{path}: not a valid gzip file ({reason})", path=path,
                           reason=error)) from error
    except OSError as error:
        raise DataError(tr("{path}: cannot read ({reason})", path=path,
                           reason=error.strerror or error)) from error


def _read_idx_stream(path: Path, stream, ndim: int, size: int, available: int,
                     gzipped: bool) -> np.ndarray:
    """read_idx on an open ``stream`` of the file's (decompressed) bytes. ``available`` bounds
    the bytes the stream can yield: the file's size, or for gzip what it could unpack to."""
    header_size = 4 + 4 * ndim
    header = stream.read(header_size)
    if not header:
        raise DataError(tr("{path}: file is empty once decompressed", path=path))
    if len(header) < 4:
        raise DataError(tr("{path}: truncated: {size} bytes, too short for an IDX file",
                           path=path, size=len(header)))
    magic = int.from_bytes(header[:4], "big")
    if header[0] or header[1] or header[3] != ndim:
        expected = _IDX_UBYTE << 8 | ndim
        raise DataError(
            tr("{path}: wrong magic number 0x{magic:08X}, expected 0x{expected:08X} for an "
               "IDX image file", path=path, magic=magic, expected=expected) if ndim == 3 else
            tr("{path}: wrong magic number 0x{magic:08X}, expected 0x{expected:08X} for an "
               "IDX label file", path=path, magic=magic, expected=expected))
    if header[2] != _IDX_UBYTE:
        raise DataError(tr("{path}: IDX data type 0x{kind:02X} is not supported, only 0x08 "
                           "(unsigned byte)", path=path, kind=header[2]))
    if len(header) < header_size:
        raise DataError(tr("{path}: truncated: the IDX header needs {needed} bytes, the file "
                           "has {size}", path=path, needed=header_size, size=len(header)))
    shape = tuple(int(d) for d in np.frombuffer(header, ">u4", count=ndim, offset=4))
    declared = math.prod(shape)
    dims = "x".join(map(str, shape))
    if declared > available - header_size:
        if gzipped:
            raise DataError(tr("{path}: the header declares {dims} = {declared:,} bytes of "
                               "data, more than a {size:,}-byte gzip file can hold", path=path,
                               dims=dims, declared=declared, size=size))
        raise DataError(tr("{path}: truncated: the header declares {dims} = {declared} bytes "
                           "of data, only {held} follow", path=path, dims=dims,
                           declared=declared, held=size - header_size))
    # One more byte than declared tells whether anything follows. A raw file holds what it
    # declared (checked above); a gzip stream is read in chunks, so that memory follows the
    # data that is really there rather than what the header claims.
    if not gzipped:
        data = stream.read(declared + 1)
    else:
        data = bytearray()
        while len(data) <= declared:
            chunk = stream.read(min(_IDX_CHUNK, declared + 1 - len(data)))
            if not chunk:
                break
            data += chunk
    if len(data) < declared:
        raise DataError(tr("{path}: truncated: the header declares {dims} = {declared} bytes "
                           "of data, only {held} follow", path=path, dims=dims,
                           declared=declared, held=len(data)))
    if len(data) > declared:
        if gzipped:
            raise DataError(tr("{path}: the header declares {dims} = {declared} bytes of data, "
                               "but more follow", path=path, dims=dims, declared=declared))
        raise DataError(tr("{path}: the header declares {dims} = {declared} bytes of data, but "
                           "{held} follow", path=path, dims=dims, declared=declared,
                           held=size - header_size))
    array = np.frombuffer(data, np.uint8).reshape(shape)
    array.flags.writeable = False
    return array


def _idx_file_names(standard_name: str) -> tuple[str, ...]:
    # Besides LeCun's names, many mirrors spell them "train-images.idx3-ubyte"; either may be
    # gzipped. The raw file comes first because it is faster to read.
    dotted = standard_name.replace("-idx", ".idx")
    return standard_name, dotted, f"{standard_name}.gz", f"{dotted}.gz"


def _find_idx_file(folder: Path, standard_name: str) -> Path | None:
    for name in _idx_file_names(standard_name):
        if (folder / name).is_file():
            return folder / name
    return None


def idx_file_in(folder: Path, standard_name: str) -> Path | None:
    """The file of ``folder`` that stands for IDX file ``standard_name`` (raw or gzipped,
    either spelling), or None."""
    return _find_idx_file(folder, standard_name)


def idx_folder_of(path: str | os.PathLike) -> Path | None:
    """The folder ``path`` stands for when it names one of the four IDX files (raw or gzipped,
    LeCun's or the dotted spelling), else None. The name decides, so a file picked in a
    dialog or typed on the command line opens the whole folder."""
    path = Path(path)
    names = {name for standard in IDX_FILES for name in _idx_file_names(standard)}
    return path.parent if path.name in names and not path.is_dir() else None


def _read_idx_split(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(images_path, 3)
    labels = read_idx(labels_path, 1)
    if images.size == 0:
        raise DataError(tr("{path}: no image data (shape {shape})", path=images_path,
                           shape=images.shape))
    if len(labels) != len(images):
        raise DataError(tr("{path}: {labels} labels, but {images_file} holds {images} images",
                           path=labels_path, labels=len(labels), images_file=images_path.name,
                           images=len(images)))
    return scale_pixels(images), check_labels(labels, str(labels_path))


def load_idx_folder(path: str | os.PathLike) -> Dataset:
    """Load a folder holding the four IDX files of MNIST or a look-alike.

    The files are ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each optionally gzipped (``.gz``)
    and optionally spelt with a dot (``train-images.idx3-ubyte``). Images of N samples read
    as float32 ``(N, 1, rows, cols)`` (kept as bytes, see ``Pixels``); the Dataset is named
    after the folder. Gzipped label files that Fashion-MNIST or KMNIST published are
    recognised by their checksums and give their class names (see ``classes``).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(tr("{path}: not a folder", path=folder) if folder.exists() else
                        tr("{path}: no such folder", path=folder))
    found = {name: _find_idx_file(folder, name) for name in IDX_FILES}
    missing = [name for name, file in found.items() if file is None]
    if missing:
        raise DataError(tr("{path}: missing {files} (raw or .gz)", path=folder,
                           files=", ".join(missing)))
    train_images, train_labels, test_images, test_labels = found.values()
    x_train, y_train = _read_idx_split(train_images, train_labels)
    x_test, y_test = _read_idx_split(test_images, test_labels)
    if x_test.shape[2:] != x_train.shape[2:]:
        raise DataError(tr("{path}: images are {size}, but the training images are {train}",
                           path=test_images, size="x".join(map(str, x_test.shape[2:])),
                           train="x".join(map(str, x_train.shape[2:]))))
    names = recognise_label_files([train_labels, test_labels]) or digits(CLASSES)
    return Dataset(folder.resolve().name, x_train, y_train, x_test, y_test,
                   class_names=names.names, classes_from=names.source)


# --- Keras npz -------------------------------------------------------------------------------


def _read_npz_split(path: Path, arrays: dict[str, np.ndarray],
                    split: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
    if x.dtype != np.uint8:
        raise DataError(tr("{path}: x_{split} has dtype {dtype}, expected uint8 pixels 0-255",
                           path=path, split=split, dtype=x.dtype))
    if x.ndim != 3 or x.size == 0:
        raise DataError(tr("{path}: x_{split} has shape {shape}, expected non-empty (N, H, W)",
                           path=path, split=split, shape=x.shape))
    if y.shape != (len(x),):
        raise DataError(tr("{path}: y_{split} has shape {shape}, expected ({count},) to match "
                           "x_{split}", path=path, split=split, shape=y.shape, count=len(x)))
    return scale_pixels(x), check_labels(y, f"{path}: y_{split}")


def load_keras_npz(path: str | os.PathLike) -> Dataset:
    """Load an .npz laid out like Keras' ``mnist.npz``.

    It must hold ``x_train`` uint8 ``(N, H, W)``, ``y_train`` ``(N,)``, ``x_test`` uint8
    ``(M, H, W)`` and ``y_test`` ``(M,)``; images become float32 ``(N, 1, H, W)``. Nothing is
    ever unpickled: an array of Python objects is refused.
    """
    path = Path(path)
    data = read_file(path, gzipped=False)
    try:
        archive = np.load(io.BytesIO(data), allow_pickle=False)
    except NPZ_ERRORS as error:
        raise DataError(tr("{path}: not an .npz archive", path=path)) from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(tr("{path}: a single .npy array, not an .npz archive", path=path))
    with archive:
        check_npz(io.BytesIO(data), path, DataError)
        missing = [key for key in _NPZ_KEYS if key not in archive.files]
        if missing:
            raise DataError(tr("{path}: missing {missing}; expected arrays {expected}",
                               path=path, missing=", ".join(missing),
                               expected=", ".join(_NPZ_KEYS)))
        arrays = {}
        for key in _NPZ_KEYS:
            try:
                arrays[key] = archive[key]
            except NPZ_ERRORS as error:
                raise DataError(tr("{path}: cannot load {key} ({detail})", path=path, key=key,
                                   detail=brief(error))) from error
    x_train, y_train = _read_npz_split(path, arrays, "train")
    x_test, y_test = _read_npz_split(path, arrays, "test")
    if x_test.shape[2:] != x_train.shape[2:]:
        raise DataError(tr("{path}: x_test images are {size}, but x_train images are {train}",
                           path=path, size="x".join(map(str, x_test.shape[2:])),
                           train="x".join(map(str, x_train.shape[2:]))))
    return Dataset(path.name, x_train, y_train, x_test, y_test)


# --- Kaggle CSV ------------------------------------------------------------------------------


def _parse_csv_header(path: Path, header: bytes) -> tuple[int, int]:
    """Return (number of columns, image side) for a ``label,pixel0,...`` header."""
    try:
        text = header.decode("utf-8-sig")  # spreadsheet programs like to prepend a BOM
    except UnicodeDecodeError as error:
        raise DataError(tr("{path}: the first line is not a CSV header", path=path)) from error
    names = [name.strip().strip('"') for name in text.strip().split(",")]
    if names[0] != "label":
        raise DataError(tr("{path}: first column is {name!r}, expected 'label' as in Kaggle's "
                           "train.csv", path=path, name=names[0][:40]))
    pixels = len(names) - 1
    side = math.isqrt(pixels)
    if pixels == 0 or side * side != pixels:
        raise DataError(tr("{path}: the header needs 'label' and a square number of pixel "
                           "columns (785 columns in all for 28x28 images); it has {columns}",
                           path=path, columns=len(names)))
    return len(names), side


def _parse_small_integers(lines: list[bytes], columns: int) -> np.ndarray | None:
    """Parse lines of ``columns`` comma-separated fields of 1-3 digits into int16 (rows, columns).

    This covers Kaggle's files and is several times faster than np.loadtxt. Returns None as
    soon as any field is anything else (a sign, a decimal point, nan, empty, ...), leaving the
    file to the general parser. Every line must already have ``columns`` fields.
    """
    values = np.empty((len(lines), columns), dtype=np.int16)
    for start in range(0, len(lines), _CSV_CHUNK_LINES):
        chunk = b",".join(lines[start:start + _CSV_CHUNK_LINES])
        if chunk.translate(None, b"0123456789,"):
            return None
        chars = np.frombuffer(chunk, dtype=np.uint8)
        ends = np.append(np.flatnonzero(chars == ord(",")), chars.size)
        lengths = np.diff(ends, prepend=-1) - 1
        if lengths.min() < 1 or lengths.max() > 3:
            return None
        digits = chars.astype(np.int16) - ord("0")
        # Units, tens and hundreds sit 1, 2 and 3 bytes before each field's end. For shorter
        # fields those bytes belong to a neighbour (or wrap around), so they are masked out.
        parsed = digits[ends - 1]
        parsed += digits[ends - 2] * (lengths >= 2) * np.int16(10)
        parsed += digits[ends - 3] * (lengths >= 3) * np.int16(100)
        values[start:start + _CSV_CHUNK_LINES] = parsed.reshape(-1, columns)
    return values


def _parse_numbers(path: Path, body: bytes, lines: list[bytes]) -> np.ndarray:
    """Parse anything float() reads (1.5, -3, nan, 1e2) into float64 (rows, columns)."""
    try:
        return np.loadtxt(io.BytesIO(body), delimiter=",", comments=None, dtype=np.float64,
                          ndmin=2)
    except ValueError as error:
        # numpy counts rows from 0 after the header; find the field again to give a file line.
        for index, line in enumerate(lines):
            for column, field in enumerate(line.split(b",")):
                try:
                    float(field)
                except ValueError:
                    raise DataError(tr("{path}: line {line}, column {column}: {field!r} is "
                                       "not a number", path=path, line=index + 2,
                                       column=column + 1,
                                       field=field[:40].decode(errors="replace"))) from error
        raise DataError(f"{path}: {error}") from error  # numpy's own words: no translation


def _stratified_split(labels: np.ndarray, test_fraction: float,
                      seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (train, test) row indices, each in file order.

    Each class sends ``test_fraction`` of its rows (rounded half up), chosen at random, to the
    test set.
    """
    rng = np.random.default_rng(seed)
    is_test = np.zeros(len(labels), dtype=bool)
    for digit in range(CLASSES):
        members = rng.permutation(np.flatnonzero(labels == digit))
        is_test[members[:int(len(members) * test_fraction + 0.5)]] = True
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


def load_kaggle_csv(path: str | os.PathLike, test_fraction: float = 0.2,
                    seed: int = 0) -> Dataset:
    """Load Kaggle's digit-recognizer ``train.csv`` (or ``.csv.gz``) and split off a test set.

    The header is ``label,pixel0,...,pixel783`` (any square number of pixel columns works) and
    each line holds a label 0-9 and the image's pixels 0-255, row by row. Kaggle gives labels
    only for the training file, so a stratified ``test_fraction`` of every class is held out,
    chosen by ``np.random.default_rng(seed)``: the same file and arguments give the same
    split. Images become float32 ``(N, 1, side, side)``.
    """
    if not 0 < test_fraction < 1:
        raise UserError(tr("test_fraction must be between 0 and 1, got {fraction}",
                           fraction=test_fraction))
    path = Path(path)
    data = read_file(path, gzipped=path.name.lower().endswith(".gz"))
    header, _, body = data.partition(b"\n")
    columns, side = _parse_csv_header(path, header)
    body = body.replace(b"\r", b"").rstrip(b"\n")
    if not body:
        raise DataError(tr("{path}: no data lines after the header", path=path))
    lines = body.split(b"\n")
    fields = np.fromiter((line.count(b",") + 1 for line in lines), dtype=np.int64,
                         count=len(lines))
    if (fields != columns).any():
        index = int(np.argmax(fields != columns))
        raise DataError(tr("{path}: line {line} has the wrong number of columns: {count} "
                           "instead of {columns}", path=path, line=index + 2,
                           count=fields[index], columns=columns))
    values = _parse_small_integers(lines, columns)
    if values is None:
        values = _parse_numbers(path, body, lines)
    labels = check_labels(values[:, 0], str(path), first_line=2)
    pixels = values[:, 1:]
    in_range = (pixels >= 0) & (pixels <= 255)  # false for nan as well
    if not in_range.all():
        row, column = np.unravel_index(np.argmin(in_range), in_range.shape)
        raise DataError(tr("{path}: line {line}, column {column}: pixel value {value:g} is "
                           "not in 0-255", path=path, line=row + 2, column=column + 2,
                           value=pixels[row, column]))
    train, test = _stratified_split(labels, test_fraction, seed)
    if not len(train) or not len(test):
        raise DataError(tr("{path}: {lines} lines are too few to split off a test set",
                           path=path, lines=len(labels)))
    images = pixels.reshape(-1, side, side)
    return Dataset(path.name, scale_pixels(images[train]), labels[train],
                   scale_pixels(images[test]), labels[test])
