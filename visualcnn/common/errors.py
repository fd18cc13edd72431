"""Errors a user can cause and fix: each carries one line that names the problem.

The command line prints ``str(error)`` to stderr and exits with status 2; the app shows it in
the window. Anything that is not a ``UserError`` is a bug and keeps its traceback.
"""


class UserError(ValueError):
    """Base class for bad input: a path, an architecture string, a number, a file's content."""


class ArchError(UserError):
    """An architecture string that cannot be parsed or whose shapes do not fit the input."""


class DataError(UserError):
    """A dataset file that is missing, damaged or not in the expected format."""


class CheckpointError(UserError):
    """A checkpoint file that is missing, damaged or not a visualcnn checkpoint."""
