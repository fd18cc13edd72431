"""Files are written atomically: into a temporary file beside the target, renamed over it once
complete. A crash or an error mid-write leaves the old file (or none), never half a file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_write(path) -> Iterator[Path]:
    """Yield a temporary path in ``path``'s folder to write to. When the block ends without an
    error, that file replaces ``path``, with the permissions a new file would get (mkstemp
    makes it private); when it raises, the temporary file is removed."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
