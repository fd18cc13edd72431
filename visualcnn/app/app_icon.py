"""The app's own icon, ``resources/icons/visualcnn.svg`` (a 3 x 3 map and the gradient
flowing back around it), found in the source tree or in the installed wheel."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtGui import QIcon

from visualcnn.common.resources import resource

ICON_FILE = "icons/visualcnn.svg"


def icon_path() -> Path | None:
    """Where the icon is: inside the installed package (a wheel carries the repository's
    ``resources/`` as ``visualcnn/resources/``), else next to the package in a source
    checkout or an editable install; None when neither has it."""
    path = resource(ICON_FILE)
    return path if path is not None and path.is_file() else None


def app_icon() -> QIcon:
    """The icon for the application's windows (an empty icon when it is not installed)."""
    path = icon_path()
    return QIcon(str(path)) if path is not None else QIcon()
