"""Where the files the app ships are: a wheel carries the repository's ``resources/`` as
``visualcnn/resources/``; a source checkout or an editable install has it beside the package.
The installed copy comes first."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_candidates(name: str) -> tuple[Path, Path]:
    """The two places ``resources/<name>`` may be, the package's first."""
    # The package as loaded (always, before any of its modules): tests move it with
    # ``visualcnn.__file__``, and importing it here would import the engine into common/.
    package = Path(sys.modules["visualcnn"].__file__).parent
    return package / "resources" / name, package.parent / "resources" / name


def resource(name: str) -> Path | None:
    """``resources/<name>`` (a file or a folder) where it is, None when it is in neither."""
    return next((path for path in resource_candidates(name) if path.exists()), None)
