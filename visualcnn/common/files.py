"""Files are written atomically: into a temporary file beside the target, renamed over it once
complete. A crash or an error mid-write leaves the old file (or none), never half a file.

And .npz archives, ours or a user's, are checked against their size before numpy reads them:
numpy allocates whatever an array's header declares before it reads a byte of data.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from visualcnn.common.errors import UserError
from visualcnn.common.i18n import tr

# tempfile.mkstemp's names: our prefix, 8 characters from this alphabet, our suffix.
_TEMP_NAME = r"\.{name}\.[a-z0-9_]{{8}}\.tmp"


def _naming(error: OSError, path: Path) -> OSError:
    """``error`` with ``path`` as its file: what the user asked to write, not our temporary."""
    return OSError(error.errno, error.strerror or str(error), str(path))


def _make_temporary(path: Path) -> tuple[int, str]:
    """A new private temporary file beside ``path``: (open descriptor, its path)."""
    try:
        return tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise _naming(e, path) from e


def _remove_stale_temporaries(path: Path, older_than_ns: int) -> None:
    """Remove what earlier writes of ``path`` left when killed mid-write: files of our
    temporary pattern for this very target, last modified before this write began. A newer
    one may belong to another writer at work, so it stays."""
    pattern = re.compile(_TEMP_NAME.format(name=re.escape(path.name)))
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        # A leftover that cannot be removed (gone already, not ours to remove) is no error
        # of this write, which has succeeded.
        with contextlib.suppress(OSError):
            if (entry.is_file(follow_symlinks=False)
                    and entry.stat(follow_symlinks=False).st_mtime_ns < older_than_ns):
                os.unlink(entry.path)


@contextlib.contextmanager
def atomic_write(path) -> Iterator[Path]:
    """Yield a temporary path in ``path``'s folder to write to. When the block ends without an
    error, that file replaces ``path``, with the permissions a new file would get (mkstemp
    makes it private), and stale temporaries of ``path`` are removed; when it raises, the
    temporary file is removed. An OSError about the temporary file names ``path`` instead."""
    path = Path(path)
    fd, tmp = _make_temporary(path)
    try:
        began = os.fstat(fd).st_mtime_ns
    finally:
        os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError) and tmp in (e.filename, e.filename2):
            raise _naming(e, path) from e
        raise
    _remove_stale_temporaries(path, began)


def check_writable(path) -> None:
    """Raise unless ``atomic_write(path)`` could write now: the folder must exist and take a
    new file, and ``path`` must not be a folder. A UserError says which; an OSError from the
    folder (no permission, read-only) names ``path``. Leaves nothing behind."""
    path = Path(path)
    if path.is_dir():
        raise UserError(tr("{path}: is a folder", path=path))
    if not path.parent.exists():
        raise UserError(tr("{path}: the folder {folder} does not exist", path=path,
                           folder=path.parent))
    if not path.parent.is_dir():
        raise UserError(tr("{path}: {folder} is not a folder", path=path, folder=path.parent))
    fd, tmp = _make_temporary(path)
    os.close(fd)
    os.unlink(tmp)


# ------------------------------------------------------------------------------ npz files
# Deflate never expands data more than 1032-fold (258 bytes from a 2-bit code, a bound the
# zlib authors give); numpy writes members stored or deflated, nothing else.
MAX_DEFLATE_RATIO = 1032
_NPZ_METHODS = {zipfile.ZIP_STORED: 1, zipfile.ZIP_DEFLATED: MAX_DEFLATE_RATIO}
# What zipfile and numpy raise for a damaged archive or .npy header: a bad zip, a bad
# compressed stream, an encrypted or unsupported member, a header that is not a dict.
NPZ_ERRORS = (ValueError, TypeError, KeyError, OSError, EOFError, RuntimeError,
              NotImplementedError, OverflowError, zipfile.BadZipFile, zlib.error, struct.error)


def brief(error: object, limit: int = 120) -> str:
    """``error``'s message on one line of at most about ``limit`` characters: numpy quotes
    a whole damaged header in its messages, up to 10,000 characters of it."""
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _size_of(source) -> int:
    if isinstance(source, (str, os.PathLike)):
        return os.stat(source).st_size
    size = source.seek(0, os.SEEK_END)
    source.seek(0)
    return size


def check_npz(source, path, error: type[UserError]) -> None:
    """Refuse the .npz ``source`` (a path or a binary file) unless numpy can read it within
    its size: each member's sizes must fit the archive and its compression, and each .npy
    member's header (shape x item size) must equal the bytes that follow it. Only headers
    are read. Raises ``error`` with one line that starts with ``path``; an array of Python
    objects passes here, for ``np.load(..., allow_pickle=False)`` to refuse unread."""
    try:
        size = _size_of(source)
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                _check_member(archive, info, size, path, error)
    except UserError:
        raise
    except NPZ_ERRORS as e:
        raise error(tr("{path}: not a readable .npz archive ({detail})", path=path,
                       detail=brief(e))) from None


def _check_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int, path,
                  error: type[UserError]) -> None:
    name = info.filename
    ratio = _NPZ_METHODS.get(info.compress_type)
    if ratio is None:
        raise error(tr("{path}: {name} uses zip compression method {method}; .npz files are "
                       "stored or deflated", path=path, name=name, method=info.compress_type))
    if info.compress_size > size or info.file_size > info.compress_size * ratio:
        raise error(tr("{path}: {name} claims {claimed:,} bytes, more than the {size:,}-byte "
                       "archive can hold", path=path, name=name, claimed=info.file_size,
                       size=size))
    if not name.endswith(".npy"):
        return  # np.load hands such a member over as its bytes, bounded by the check above
    key = name[:-len(".npy")]
    try:
        with archive.open(info) as f:
            version = np.lib.format.read_magic(f)
            # Format 3.0 differs from 2.0 only in encoding field names as UTF-8 rather than
            # latin-1; read as 2.0, a name may come out garbled but the shape and sizes do not.
            read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                    else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read(f)
            held = info.file_size - f.tell()
    except NPZ_ERRORS as e:
        raise error(tr("{path}: cannot load {key} ({detail})", path=path, key=key,
                       detail=brief(e))) from None
    if any(d < 0 for d in shape):
        raise error(tr("{path}: {key} declares a negative dimension in shape {shape}",
                       path=path, key=key, shape=shape))
    if dtype.hasobject:
        return
    declared = math.prod(shape) * dtype.itemsize
    if declared != held:
        raise error(tr("{path}: {key} declares shape {shape} of {dtype} ({declared:,} bytes), "
                       "but holds {held:,} bytes", path=path, key=key, shape=shape,
                       dtype=dtype, declared=declared, held=held))
