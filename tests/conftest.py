"""Checks that hold for the whole suite."""

from __future__ import annotations

import pytest

from tests.checkpoint_files import read_back_every_field
from visualcnn.nn.network import Network


@pytest.fixture(autouse=True)
def every_saved_checkpoint_reads_back_without_pickle(monkeypatch):
    """Whatever a test saves through ``Network.save`` (the command line, the app, a session)
    must read back field by field with ``allow_pickle=False``, as every reader of it does."""
    save = Network.save

    def save_and_read_back(net, path, *args, **kwargs):
        save(net, path, *args, **kwargs)
        read_back_every_field(path)

    monkeypatch.setattr(Network, "save", save_and_read_back)
