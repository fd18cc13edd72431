"""The rewind history's byte budget as the app keeps it: ``debug/history_budget_mb`` in
QSettings (whole MB, default 100), and the check that refuses a network the budget cannot hold
two rewind points of, before the network is built.

Only QtCore: the command line calls ``check_history_budget`` (or ``check_checkpoint``) before
it opens the app.
"""

from __future__ import annotations

from PyQt6.QtCore import QSettings

from visualcnn.training.memory import (
    DEFAULT_BUDGET_MB,
    MAX_BUDGET_MB,
    MIN_BUDGET_MB,
    check_arch_budget,
    check_checkpoint_budget,
)

KEY = "debug/history_budget_mb"
# The names launch.py gives the application, so that QSettings() in the app reads this file.
ORGANIZATION = APPLICATION = "visualcnn"


def user_settings() -> QSettings:
    """The settings the app reads when the command line opens it."""
    return QSettings(ORGANIZATION, APPLICATION)


def budget_mb(store: QSettings) -> int:
    """The stored budget in MB; the default when none (or a value out of range) is stored."""
    mb = store.value(KEY, DEFAULT_BUDGET_MB, type=int)
    return mb if MIN_BUDGET_MB <= mb <= MAX_BUDGET_MB else DEFAULT_BUDGET_MB


def store_budget_mb(store: QSettings, mb: int) -> None:
    store.setValue(KEY, int(mb))
    store.sync()


def check_history_budget(arch: str, input_shape, classes: int, momentum: float = 0.0,
                         store: QSettings | None = None, optimizer: str | None = None) -> int:
    """Raise ArchError (one line naming Debug > Rewind history budget) when the budget in
    ``store`` (default: the user's settings) cannot hold two rewind points of ``arch``.
    Nothing is allocated. Returns the bytes of one rewind point."""
    mb = budget_mb(store if store is not None else user_settings())
    return check_arch_budget(arch, input_shape, classes, mb, momentum, optimizer)


def check_checkpoint(path, store: QSettings | None = None) -> None:
    """``check_history_budget`` for the network in checkpoint ``path``, read from its small
    entries only; a file that cannot be read so passes (opening it says why)."""
    check_checkpoint_budget(path, budget_mb(store if store is not None else user_settings()))
