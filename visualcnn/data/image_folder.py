"""A folder of image files, one folder per class, once for training and once for testing:

    DIR/train/<class>/*.png|jpg|jpeg
    DIR/test/<class>/*.png|jpg|jpeg

the layout torchvision's ``ImageFolder`` reads, once per split. A class is named by its
folder; classes are sorted by name (as ``ImageFolder`` sorts them), and label i is the i-th.
Folders whose names start with a dot (``.ipynb_checkpoints``) are not classes. Images in a
class folder's subfolders belong to that class; files with other extensions are skipped.

Images are grey or colour as they are: when every image is grey (one channel, or three equal
ones) the data has one channel, otherwise three, and grey images are repeated on red, green
and blue. Palette images are converted to RGB, and alpha channels are dropped (not blended
over a background); the Dataset's note says how many. All images must have one size, or be
resized to ``image_size`` (Pillow, bilinear with its antialiasing when shrinking).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from visualcnn.common.errors import DataError
from visualcnn.common.files import brief
from visualcnn.common.i18n import tr
from visualcnn.data.dataset import Dataset
from visualcnn.data.pixels import Pixels

EXTENSIONS = (".png", ".jpg", ".jpeg")
SPLITS = ("train", "test")
# The largest --image-size side, and the largest image decoded: far beyond a network here,
# well below what would exhaust memory (Pillow's own bomb check starts at 89 million pixels).
MAX_SIDE = 1024
MAX_IMAGE_PIXELS = 8192 * 8192
PROGRESS_FROM = 2000  # images in a split, from which a terminal shows a progress bar


def parse_image_size(text: str) -> tuple[int, int]:
    """``"32x24"`` -> (32, 24): height by width, each 1 to MAX_SIDE; else a DataError."""
    parts = text.strip().lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdecimal() and len(p.strip()) <= 5 for p in parts):
        raise DataError(tr("image size {size!r}: expected HEIGHTxWIDTH such as 32x32",
                           size=text[:40]))
    height, width = (int(p) for p in parts)
    if not (1 <= height <= MAX_SIDE and 1 <= width <= MAX_SIDE):
        raise DataError(tr("image size {height}x{width}: each side must be 1 to {limit}",
                           height=height, width=width, limit=MAX_SIDE))
    return height, width


def is_image_folder(folder: Path) -> bool:
    """``folder`` has the ``train`` and ``test`` subfolders of an image folder."""
    return all((folder / split).is_dir() for split in SPLITS)


def _class_folders(split: Path) -> list[Path]:
    """The class folders of one split, sorted by name; refused when there are none."""
    try:
        folders = sorted((p for p in split.iterdir() if p.is_dir() and not p.name.startswith(".")),
                         key=lambda p: p.name)
    except OSError as error:
        raise DataError(tr("{path}: cannot read ({reason})", path=split,
                           reason=error.strerror or error)) from error
    if not folders:
        raise DataError(tr("{path}: no class folders; put each class's images in a folder "
                           "named after the class: {path}/<class>/*.png", path=split))
    return folders


def _image_files(folder: Path) -> list[Path]:
    """Every image file under ``folder`` (its subfolders too), sorted; refused when none."""
    files = sorted(p for p in folder.rglob("*")
                   if p.suffix.lower() in EXTENSIONS and p.is_file())
    if not files:
        raise DataError(tr("{path}: an empty class folder: no {extensions} images",
                           path=folder, extensions=", ".join(EXTENSIONS)))
    return files


@dataclass
class _Conversions:
    """What was done to the images on the way in, counted for the note."""

    colour: int = 0
    grey: int = 0
    alpha_dropped: list[Path] = field(default_factory=list)
    palette: list[Path] = field(default_factory=list)
    other_mode: list[Path] = field(default_factory=list)
    resized: int = 0
    size: tuple[int, int] | None = None   # (height, width) of the first image read
    first: Path | None = None

    def note(self, size: tuple[int, int]) -> str:
        parts = []
        if self.colour and self.grey:
            parts.append(tr("{count:,} grey images repeated on red, green and blue",
                            count=self.grey))
        if self.palette:
            parts.append(tr("{count:,} palette images converted to RGB (e.g. {example})",
                            count=len(self.palette), example=self.palette[0].name))
        if self.alpha_dropped:
            parts.append(tr("{count:,} alpha channels dropped (e.g. {example})",
                            count=len(self.alpha_dropped), example=self.alpha_dropped[0].name))
        if self.other_mode:
            parts.append(tr("{count:,} images converted to RGB from another mode (e.g. "
                            "{example})", count=len(self.other_mode),
                            example=self.other_mode[0].name))
        if self.resized:
            parts.append(tr("{count:,} images resized to {height}x{width}", count=self.resized,
                            height=size[0], width=size[1]))
        return tr("; ").join(parts)


def _decode(path: Path, size: tuple[int, int] | None, seen: _Conversions) -> np.ndarray:
    """One image as uint8 (H, W) when grey, (H, W, 3) when colour, resized to ``size``."""
    from PIL import Image  # only here: every other format loads without it

    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise DataError(tr("{path}: {width}x{height} pixels is too large an image here",
                                   path=path, width=image.width, height=image.height))
            image.load()
            image = _grey_or_rgb(image, path, seen)
            if size is not None and image.size != (size[1], size[0]):
                image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
                seen.resized += 1
            pixels = np.asarray(image, dtype=np.uint8)
    except DataError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise DataError(tr("{path}: not an image that decodes ({detail})", path=path,
                           detail=brief(error))) from error
    if pixels.ndim == 3 and np.array_equal(pixels[..., 0], pixels[..., 1]) and \
            np.array_equal(pixels[..., 0], pixels[..., 2]):
        pixels = pixels[..., 0]  # three equal channels: grey
    if pixels.ndim == 3:
        seen.colour += 1
    else:
        seen.grey += 1
    return pixels


def _grey_or_rgb(image, path: Path, seen: _Conversions):
    """``image`` in mode L (grey) or RGB, counting what had to change."""
    mode = image.mode
    if mode in ("L", "RGB"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode.startswith("I") or mode == "F":
        # 16-bit grey: its top byte, as 8-bit grey would have stored it.
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if mode.startswith("I") else 1.0 if values.max(initial=0) <= 1 else 255.0
        from PIL import Image

        return Image.fromarray(np.clip(np.rint(values * 255.0 / top), 0, 255).astype(np.uint8))
    if mode in ("LA", "La"):
        seen.alpha_dropped.append(path)
        return image.getchannel(0)
    if mode in ("P", "PA"):
        seen.palette.append(path)
        rgba = image.convert("RGBA")
        if np.asarray(rgba)[..., 3].min() < 255:
            seen.alpha_dropped.append(path)
        return rgba.convert("RGB")
    if mode in ("RGBA", "RGBa", "RGBX"):
        if mode != "RGBX":
            seen.alpha_dropped.append(path)
        return image.convert("RGB")
    seen.other_mode.append(path)  # CMYK, YCbCr, LAB, HSV
    return image.convert("RGB")


def _read_split(split: Path, classes: list[str], size: tuple[int, int] | None,
                seen: _Conversions) -> tuple[list[np.ndarray], np.ndarray]:
    files = [(label, _image_files(split / name)) for label, name in enumerate(classes)]
    total = sum(len(paths) for _, paths in files)
    # Thousands of files take seconds: a bar on a terminal, nothing in a log or the window.
    bar = tqdm(total=total, desc=f"reading {split.name}", unit=" images", leave=False,
               file=sys.stderr, disable=total < PROGRESS_FROM or not sys.stderr.isatty())
    try:
        return _decode_all(files, size, seen, bar)
    finally:
        bar.close()


def _decode_all(files, size, seen: _Conversions, bar) -> tuple[list[np.ndarray], np.ndarray]:
    images, labels = [], []
    for label, paths in files:
        for path in paths:
            bar.update()
            pixels = _decode(path, size, seen)
            if seen.size is None:
                seen.size, seen.first = pixels.shape[:2], path
            elif pixels.shape[:2] != seen.size:
                raise DataError(tr(
                    "{path} is {height}x{width} but {first} is {first_height}x{first_width}: "
                    "give one size to resize them all to, --image-size HxW (e.g. --image-size "
                    "{first_height}x{first_width})", path=path, height=pixels.shape[0],
                    width=pixels.shape[1], first=seen.first, first_height=seen.size[0],
                    first_width=seen.size[1]))
            images.append(pixels)
            labels.append(label)
    return images, np.array(labels, dtype=np.int64)


def _stack(images: list[np.ndarray], channels: int) -> Pixels:
    height, width = images[0].shape[:2]
    out = np.empty((len(images), channels, height, width), dtype=np.uint8)
    for i, pixels in enumerate(images):
        out[i] = pixels.transpose(2, 0, 1) if pixels.ndim == 3 else pixels
    return Pixels(out)


def load_image_folder(path: str | os.PathLike,
                      image_size: tuple[int, int] | None = None) -> Dataset:
    """Load ``path/train/<class>/*`` and ``path/test/<class>/*`` (see the module's notes).

    ``image_size`` (height, width) resizes every image; without it all must share a size.
    Images read as float32 ``(N, C, H, W)`` in [0, 1] with C = 1 (all grey) or 3, kept as
    bytes (see ``Pixels``). Refused with a DataError naming the file or folder: a split or a
    class folder missing, a class folder with no images, an image that does not decode,
    fewer than two classes, images of different sizes without ``image_size``.
    """
    folder = Path(path)
    if not is_image_folder(folder):
        missing = [split for split in SPLITS if not (folder / split).is_dir()]
        if len(missing) == 2:
            raise DataError(tr("{path}: no train or test folder; an image folder holds "
                               "train/<class>/*.png and test/<class>/*.png", path=folder))
        raise DataError(tr("{path}: no {missing} folder; an image folder holds "
                           "train/<class>/*.png and test/<class>/*.png", path=folder,
                           missing=missing[0]))
    train_classes = [p.name for p in _class_folders(folder / "train")]
    test_classes = [p.name for p in _class_folders(folder / "test")]
    for split, have, other in (("test", test_classes, train_classes),
                               ("train", train_classes, test_classes)):
        lacking = [name for name in other if name not in have]
        if lacking:
            names = ", ".join(repr(n) for n in lacking[:5]) + (", ..." if len(lacking) > 5 else "")
            raise DataError(
                tr("{path}: no folder for class {names}, which train has; both splits need "
                   "the same class folders", path=folder / split, names=names)
                if split == "test" else
                tr("{path}: no folder for class {names}, which test has; both splits need "
                   "the same class folders", path=folder / split, names=names))
    if len(train_classes) < 2:
        raise DataError(tr("{path}: one class folder ({name!r}); a classifier needs at least "
                           "two", path=folder / "train", name=train_classes[0]))
    seen = _Conversions()
    train_images, y_train = _read_split(folder / "train", train_classes, image_size, seen)
    test_images, y_test = _read_split(folder / "test", train_classes, image_size, seen)
    channels = 3 if seen.colour else 1
    return Dataset(folder.resolve().name, _stack(train_images, channels), y_train,
                   _stack(test_images, channels), y_test, classes=len(train_classes),
                   class_names=tuple(train_classes),
                   classes_from=tr("the class folders' names"),
                   note=seen.note(seen.size))
