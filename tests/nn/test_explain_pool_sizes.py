"""A pool that does not tile its input (26 rows, 7 x 7 windows: 3 windows, 5 rows unread):
the inspector's explanation still reads the layer's own window size, not input // output."""

import numpy as np
import pytest

from visualcnn.nn import Network
from visualcnn.nn.explain import explain_avgpool_unit, explain_pool_unit


def trained(arch):
    net = Network.from_arch(arch, seed=0)
    rng = np.random.default_rng(0)
    for label in range(3):
        trace = net.train_step(rng.random((1, 28, 28)), label, 0.01)
    return trace


@pytest.mark.parametrize("i, j", [(0, 0), (2, 1), (2, 2)])
def test_max_pool_unit_of_a_pool_that_leaves_rows_unread(i, j):
    trace = trained("conv8x3-pool7-dense10")
    unit = explain_pool_unit(trace, "pool1", 3, i, j)
    assert unit.rows == (7 * i, 7 * i + 7) and unit.cols == (7 * j, 7 * j + 7)
    assert unit.window.shape == (7, 7)
    x = trace.layer("pool1").x[0, 3]
    assert unit.output == x[7 * i:7 * i + 7, 7 * j:7 * j + 7].max() == unit.window.max()
    wi, wj = unit.winner
    assert x[wi, wj] == unit.output


def test_average_pool_unit_of_a_pool_that_leaves_rows_unread():
    trace = trained("conv8x3-avgpool7-dense10")
    unit = explain_avgpool_unit(trace, "avgpool1", 1, 2, 2)
    x = trace.layer("avgpool1").x[0, 1]
    assert unit.window.shape == (7, 7)
    np.testing.assert_array_equal(unit.window, x[14:21, 14:21])
    assert unit.output == pytest.approx(unit.window.mean(), rel=1e-12)
