"""The curves' history takes its memory when it is made: filling it over a long run does not
grow the process."""

import resource
import sys

import pytest

from visualcnn.training.history import FULL_STEPS, History
from visualcnn.training.memory import return_freed_memory


def resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_filling_the_history_does_not_grow_the_process():
    history = History(["conv1", "dense1"])
    # Folding the oldest half into buckets makes megabytes of temporaries; glibc may keep
    # their freed pages (after earlier tests freed large arrays) until asked, as the run
    # loop asks every few seconds.
    return_freed_memory()
    before = resident_bytes()
    # Past the full-resolution rows, so that the oldest half is aggregated into buckets.
    for step in range(1, FULL_STEPS + 2000):
        history.record(step, 0.5, 1.0, [0.1, 0.2], [1e-3, 2e-3])
    return_freed_memory()
    grown = resident_bytes() - before
    assert history.nbytes() > 5_000_000  # what a lazily committed history would add
    assert grown < history.nbytes() / 5
