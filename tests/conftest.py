"""Checks that hold for the whole suite."""

from __future__ import annotations

import os

# As the app does (visualcnn/__init__.py): one BLAS thread, set before anything loads NumPy.
# Tests that import NumPy first would otherwise step with every core's thread fighting the
# others, several times slower on a loaded 2-core machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest  # noqa: E402

from tests.checkpoint_files import read_back_every_field  # noqa: E402
from visualcnn.nn.network import Network  # noqa: E402


@pytest.fixture(autouse=True)
def english_after_each_test():
    """A test that switches the window to Chinese leaves the next one in English."""
    yield
    from visualcnn.common import i18n

    i18n.set_language(i18n.ENGLISH)


@pytest.fixture(autouse=True)
def every_saved_checkpoint_reads_back_without_pickle(monkeypatch):
    """Whatever a test saves through ``Network.save`` (the command line, the app, a session)
    must read back field by field with ``allow_pickle=False``, as every reader of it does."""
    save = Network.save

    def save_and_read_back(net, path, *args, **kwargs):
        save(net, path, *args, **kwargs)
        read_back_every_field(path)

    monkeypatch.setattr(Network, "save", save_and_read_back)
