"""What each label means: the class names a dataset carries.

Fashion-MNIST and KMNIST are published as IDX files named exactly like MNIST's, so their
names cannot tell them apart: their label files' checksums do. Where the names come from, the
first that applies wins:

1. names the user gives (``load_dataset(..., classes=...)``, the command line's ``--classes``):
   names separated by commas, or a text file with one name per line;
2. a ``classes.txt`` beside the data (in an IDX folder, or next to an .npz or .csv file);
3. gzipped IDX label files whose MD5 is one that Fashion-MNIST or KMNIST published;
4. the digits "0" to "9".

Only the gzipped files' checksums are published; a decompressed label file has no published
checksum to compare with, so a folder of raw IDX files gets the digits unless a classes.txt
(or ``--classes``) names them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from visualcnn.common.errors import DataError
from visualcnn.common.i18n import N_, tr

CLASSES_FILE = "classes.txt"
GIVEN = "names given"  # the source of names typed rather than read from a file
# A names file is a few hundred bytes; anything far bigger is not one.
MAX_NAMES_FILE_BYTES = 64 * 1024

DIGITS = tuple(str(digit) for digit in range(10))
# The known datasets' class names stay English in the data and in checkpoints; marked here so
# that the window shows them in its language (through i18n.lookup).
# The label order of github.com/zalandoresearch/fashion-mnist, README, "Labels".
FASHION_MNIST = (N_("T-shirt/top"), N_("Trouser"), N_("Pullover"), N_("Dress"), N_("Coat"),
                 N_("Sandal"), N_("Shirt"), N_("Sneaker"), N_("Bag"), N_("Ankle boot"))
# KMNIST's classes are one hiragana per row of the syllabary (github.com/rois-codh/kmnist,
# kmnist_classmap.csv): お き す つ な は ま や れ を, U+304A ... U+3092. They are named by
# their romanisation, which every font can draw; many fonts have no kana. The Chinese window
# shows the kana themselves: the CJK fonts it needs have them.
KMNIST = (N_("o"), N_("ki"), N_("su"), N_("tsu"), N_("na"), N_("ha"), N_("ma"), N_("ya"),
          N_("re"), N_("wo"))
# CIFAR-10's classes as its batches.meta.txt lists them (www.cs.toronto.edu/~kriz/cifar.html):
# the data carries them; these are for the window to show them in its language.
CIFAR_10 = (N_("airplane"), N_("automobile"), N_("bird"), N_("cat"), N_("deer"), N_("dog"),
            N_("frog"), N_("horse"), N_("ship"), N_("truck"))

# MD5 of the gzipped label files as their publishers distribute them.
# Fashion-MNIST: the README of github.com/zalandoresearch/fashion-mnist, "Get the Data".
# KMNIST: its README gives no checksums; these are the ones torchvision checks its downloads
# from codh.rois.ac.jp against (github.com/pytorch/vision, torchvision/datasets/mnist.py,
# class KMNIST). The images files' checksums are not needed: the labels say what a class is.
PUBLISHED_LABEL_FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "25c81989df183df01b3e8a0aad5dffbe": ("Fashion-MNIST", FASHION_MNIST),  # train-labels
    "bb300cfdad3c16e7a12a480ee83cd310": ("Fashion-MNIST", FASHION_MNIST),  # t10k-labels
    "e144d726b3acfaa3e44228e80efcd344": ("KMNIST", KMNIST),                # train-labels
    "7320c461ea6c1c855c0b718fb2a4b134": ("KMNIST", KMNIST),                # t10k-labels
}


@dataclass(frozen=True)
class ClassNames:
    """``names``, one per class, and where they came from (``source``, for a person)."""

    names: tuple[str, ...]
    source: str


def digits(classes: int) -> ClassNames:
    """The default: each class named by its number."""
    return ClassNames(tuple(str(c) for c in range(classes)), "")


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def recognise_label_files(paths: list[Path]) -> ClassNames | None:
    """The names of a published dataset whose gzipped label files these are, or None.

    Each ``.gz`` among ``paths`` is looked up by its MD5; a file that is not gzipped has no
    published checksum and says nothing. Recognised when at least one file is known and every
    known one belongs to the same dataset.
    """
    found = set()
    for path in paths:
        if path.name.endswith(".gz"):
            try:
                known = PUBLISHED_LABEL_FILES.get(_md5(path))
            except OSError:
                known = None  # the loader reports an unreadable file; here it only is unknown
            if known is not None:
                found.add(known)
    if len(found) != 1:
        return None
    title, names = found.pop()
    return ClassNames(names, tr("{dataset}, recognised by its label files' published checksums",
                                dataset=title))


def _checked(names: list[str], source: str, item: str) -> tuple[str, ...]:
    """``names`` stripped; refuses an empty name or one given twice, saying where: in
    ``source``, at ``item`` ("line", "name") number i."""
    names = [name.strip() for name in names]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if not name:
            raise DataError(
                tr("{source}: line {number} is empty: every class needs a name",
                   source=source, number=i + 1) if item == "line" else
                tr("{source}: name {number} is empty: every class needs a name",
                   source=source, number=i + 1))
        if name in seen:
            raise DataError(
                tr("{source}: line {number}: {name!r} names two classes (also line {first})",
                   source=source, number=i + 1, name=name, first=seen[name] + 1)
                if item == "line" else
                tr("{source}: name {number}: {name!r} names two classes (also name {first})",
                   source=source, number=i + 1, name=name, first=seen[name] + 1))
        seen[name] = i
    return tuple(names)


def read_names_file(path: str | Path, skip_blank: bool = False) -> ClassNames:
    """Class names from a UTF-8 text file, one per line (blank lines at the end ignored, and
    every blank line with ``skip_blank``, as CIFAR-10's batches.meta.txt needs)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_NAMES_FILE_BYTES:
            raise DataError(tr("{path}: {size:,} bytes is too big for a file of class names "
                               "(one name per line)", path=path, size=path.stat().st_size))
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as error:
        raise DataError(tr("{path}: no such file", path=path)) from error
    except IsADirectoryError as error:
        raise DataError(tr("{path}: a folder, not a file of class names", path=path)) from error
    except OSError as error:
        raise DataError(tr("{path}: cannot read ({reason})", path=path,
                           reason=error.strerror or error)) from error
    except UnicodeDecodeError as error:
        raise DataError(tr("{path}: not UTF-8 text ({reason} at byte {byte})", path=path,
                           reason=error.reason, byte=error.start)) from error
    lines = text.splitlines()
    if skip_blank:
        lines = [line for line in lines if line.strip()]
    while lines and not lines[-1].strip():
        lines.pop()
    return ClassNames(_checked(lines, str(path), "line"), str(path))


def parse_names(text: str) -> ClassNames:
    """Names a user typed: separated by commas (``"cat,dog,bird"``), or the path of a text
    file with one name per line. A value with no comma must be a file."""
    if "," in text:
        shown = text if len(text) <= 40 else f"{text[:37]}..."
        names = _checked(text.split(","), tr("class names {names!r}", names=shown), "name")
        return ClassNames(names, GIVEN)
    if Path(text).is_file():
        return read_names_file(text)
    raise DataError(tr("class names {names!r}: no such file; give a text file with one name "
                       "per line, or the names separated by commas", names=text))


def names_beside(data_path: Path) -> ClassNames | None:
    """The ``classes.txt`` in an IDX folder, or next to a data file, read; None if there is
    none."""
    folder = data_path if data_path.is_dir() else data_path.parent
    path = folder / CLASSES_FILE
    return read_names_file(path) if path.is_file() else None


def check_count(names: ClassNames, classes: int) -> ClassNames:
    """``names`` if there is one per class, else a one-line DataError with both counts."""
    count = len(names.names)
    if count != classes:
        if names.source == GIVEN:
            raise DataError(tr("{count} class names given, but the data has {classes} classes "
                               "(one name per class, in label order)", count=count,
                               classes=classes))
        raise DataError(tr("{source}: {count} class names, but the data has {classes} classes "
                           "(one name per class, in label order)", source=names.source,
                           count=count, classes=classes))
    return names
