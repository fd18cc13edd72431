"""The inspector's arithmetic: the terms it lists add up to the numbers the trace holds."""

import numpy as np
import pytest

from visualcnn.nn import DEEPER_ARCH, Network
from visualcnn.nn.explain import (
    explain_conv_unit,
    explain_dense_unit,
    explain_kernel_weight,
    explain_pool_unit,
    explain_softmax,
)


@pytest.fixture(scope="module")
def trace():
    net = Network.from_arch(DEEPER_ARCH, seed=4)
    rng = np.random.default_rng(4)
    for label in (1, 7):  # a step first, so the output layer is no longer all zero
        t = net.train_step(rng.random((1, 28, 28)), label, 0.05)
    return t


@pytest.mark.parametrize("layer, f, i, j", [("conv1", 0, 0, 0), ("conv1", 5, 25, 3),
                                            ("conv2", 15, 10, 10), ("conv2", 2, 4, 7)])
def test_conv_unit_products_sum_to_the_output(trace, layer, f, i, j):
    e = explain_conv_unit(trace, layer, f, i, j)
    lt = trace.layer(layer)
    k = lt.params["W"].shape[-1]
    assert e.patch.shape == (lt.x.shape[1], k, k)
    np.testing.assert_array_equal(e.patch, lt.x[0, :, i:i + k, j:j + k])
    np.testing.assert_array_equal(e.kernel, lt.params["W"][f])
    assert e.total == pytest.approx(e.output, abs=1e-12)
    assert e.output == lt.out[0, f, i, j]
    assert e.gradient == lt.dout[0, f, i, j]
    assert e.rows == (i, i + k) and e.cols == (j, j + k)


@pytest.mark.parametrize("index", [(0, 0, 0, 0), (3, 0, 2, 1), (7, 0, 1, 2)])
def test_kernel_weight_gradient_is_the_sum_of_its_terms(trace, index):
    g = explain_kernel_weight(trace, "conv1", *index, top=4)
    assert g.total == pytest.approx(g.gradient, abs=1e-12)
    assert g.gradient == trace.layer("conv1").grads["W"][index]
    magnitudes = [abs(t[3]) for t in g.largest]
    assert magnitudes == sorted(magnitudes, reverse=True)
    assert magnitudes[0] == np.abs(g.terms).max()


def test_pool_unit_names_the_winner_and_where_its_gradient_goes(trace):
    lt = trace.layer("pool1")
    for c, i, j in [(0, 0, 0), (3, 6, 9), (7, 12, 12)]:
        p = explain_pool_unit(trace, "pool1", c, i, j)
        assert p.output == p.window.max() == lt.out[0, c, i, j]
        assert lt.x[0, c, p.winner[0], p.winner[1]] == p.output
        assert lt.dx[0, c, p.winner[0], p.winner[1]] == p.gradient
        r, s = p.rows, p.cols
        window_grad = lt.dx[0, c, r[0]:r[1], s[0]:s[1]]
        assert np.count_nonzero(window_grad) <= 1  # only the winner receives gradient


def test_dense_unit_terms_sum_to_the_logit(trace):
    for m in range(10):
        d = explain_dense_unit(trace, "dense1", m)
        assert d.total == pytest.approx(d.output, abs=1e-12)
        assert d.output == trace.logits[m]


def test_softmax_spelled_out(trace):
    s = explain_softmax(trace)
    np.testing.assert_allclose(s.exps / s.total, trace.probs, rtol=1e-14)
    assert s.loss == pytest.approx(-np.log(trace.probs[trace.label]))
    expected = np.array(trace.probs)
    expected[trace.label] -= 1
    np.testing.assert_array_equal(s.dlogits, expected)
    np.testing.assert_allclose(s.dlogits, trace.layer("dense1").dout[0], rtol=1e-14)


def test_asking_a_layer_of_the_wrong_kind_is_refused(trace):
    with pytest.raises(ValueError, match="pool1 is a pool layer"):
        explain_conv_unit(trace, "pool1", 0, 0, 0)
