"""Datasets written in their users' formats, for the tests: CIFAR-10's binary batches (the
bytes as the format describes them) and image folders (PNG and JPEG files from Pillow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

CIFAR_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck")


def cifar_records(images: np.ndarray, labels) -> bytes:
    """uint8 images (N, 3, 32, 32) and labels as CIFAR-10 records: a label byte, then the
    red, green and blue planes, each row by row."""
    rows = [bytes([int(label)]) + image.astype(np.uint8).tobytes()
            for image, label in zip(images, labels, strict=True)]
    return b"".join(rows)


def random_cifar(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8),
            rng.integers(0, 10, n).astype(np.int64))


def write_cifar_folder(folder: Path, batches=(1, 2), per_batch: int = 6, test: int = 5,
                       meta: bool = True) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A small cifar-10-batches-bin: ``data_batch_<i>.bin`` for each i in ``batches``,
    ``test_batch.bin`` (unless ``test`` is 0) and ``batches.meta.txt`` with CIFAR-10's names
    (and the blank lines the real file ends with). Returns each file's images and labels."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    names = [f"data_batch_{i}.bin" for i in batches] + (["test_batch.bin"] if test else [])
    for k, name in enumerate(names):
        images, labels = random_cifar(test if name == "test_batch.bin" else per_batch, seed=k)
        (folder / name).write_bytes(cifar_records(images, labels))
        written[name] = (images, labels)
    if meta:
        (folder / "batches.meta.txt").write_text("\n".join(CIFAR_NAMES) + "\n\n\n")
    return written


def square_image(colour, size=(8, 8), square=4, at=(2, 2)) -> np.ndarray:
    """A black (H, W, 3) picture with a ``square`` of ``colour`` at ``at`` (row, col)."""
    image = np.zeros((*size, 3), dtype=np.uint8)
    image[at[0]:at[0] + square, at[1]:at[1] + square] = colour
    return image


def save_image(path: Path, pixels: np.ndarray, mode: str | None = None) -> Path:
    """Write ``pixels`` (H, W) or (H, W, 3) with Pillow, in the format the name says."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(pixels)
    if mode is not None:
        image = image.convert(mode)
    image.save(path)
    return path


COLOURS = {"blue": (0, 0, 255), "green": (0, 255, 0), "red": (255, 0, 0)}


def write_colour_squares(folder: Path, train: int = 30, test: int = 10, size=(12, 12),
                         seed: int = 0) -> Path:
    """An easy colour task: a red, green or blue square on black at a random place, the class
    its colour, ``train`` and ``test`` PNGs per class."""
    rng = np.random.default_rng(seed)
    for split, count in (("train", train), ("test", test)):
        for name, colour in COLOURS.items():
            for i in range(count):
                side = int(rng.integers(3, 6))
                at = tuple(int(v) for v in rng.integers(0, size[0] - side, 2))
                save_image(folder / split / name / f"{i}.png",
                           square_image(colour, size, side, at))
    return folder
