"""The rewind's per-step logs count their whole capacity in its byte budget, so that
capacity must be in memory from the start: otherwise the process grows as a log fills while
the budget, already counting it, stays the same (a third of the log after each growth)."""

import resource
import sys

import numpy as np
import pytest

from visualcnn.training.breakpoints import PredictionMemory
from visualcnn.training.memory import return_freed_memory
from visualcnn.training.step_log import StepLog

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc/self/statm")


def resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def test_a_step_log_takes_the_memory_it_counts_when_made():
    return_freed_memory()
    before = resident_bytes()
    log = StepLog(0, capacity=400_000)
    grown = resident_bytes() - before
    assert log.nbytes() > 16_000_000
    assert grown > 0.9 * log.nbytes()


def test_the_prediction_log_takes_the_memory_it_counts_when_it_grows():
    class Data:
        y_train = np.zeros(100, np.int64)
        classes = 10

    memory = PredictionMemory()
    step = 1
    while memory.nbytes() < 6_000_000:
        memory.record(Data, step % 100, step % 10, step=step)
        step += 1
    counted = memory.nbytes()
    capacity = (counted - memory.last.nbytes) // 16  # 16 bytes a logged change
    while step <= capacity:  # up to the step that grows the log (or a few steps on: the
        memory.record(Data, step % 100, step % 10, step=step)  # newest wait to be written)
        step += 1
    while memory.nbytes() == counted:
        return_freed_memory()
        before = resident_bytes()
        memory.record(Data, step % 100, step % 10, step=step)
        step += 1
    return_freed_memory()  # the old columns, wherever they were
    grown = resident_bytes() - before
    # The new columns are resident in full: the process grew by the bytes counted.
    assert grown > 0.8 * (memory.nbytes() - counted)
