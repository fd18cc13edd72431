"""Memory the rewind history frees (dropped snapshots) goes back to the system instead of
staying in the process's heap."""

import resource
import sys

import numpy as np
import pytest

from visualcnn.training.memory import return_freed_memory


def resident_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="glibc's heap on Linux")
def test_freed_snapshots_go_back_to_the_system():
    if not return_freed_memory():
        pytest.skip("no malloc_trim in this C library")
    # Snapshot-sized blocks (a dense layer's 10 x 1352 weights), then most of them dropped
    # with a few kept in between, as the rewind history thins its snapshots.
    blocks = [np.ones(13_520) for _ in range(600)]
    kept = blocks[::50]
    del blocks
    before = resident_mb()
    assert return_freed_memory()
    after = resident_mb()
    assert len(kept) == 12
    assert before - after > 30  # most of the ~60 MB freed was still held before
