"""The inspector's arithmetic for padded and strided convolutions, average pooling and the
activations: the terms it lists add up to the numbers the trace holds."""

import numpy as np
import pytest

from visualcnn.common.errors import UserError
from visualcnn.nn import Network
from visualcnn.nn.explain import (
    explain_activation_unit,
    explain_avgpool_unit,
    explain_conv_unit,
    explain_input_pixel,
    explain_kernel_weight,
    explain_relu_unit,
)

ARCH = "conv4x3p1s2-lrelu-avgpool2-conv3x2p1-sigmoid-conv2x3p2s3-tanh-relu-dense10"


@pytest.fixture(scope="module")
def trace():
    net = Network.from_arch(ARCH, input_shape=(2, 13, 11), seed=5)
    rng = np.random.default_rng(5)
    for label in (1, 7, 3):  # steps first, so the output layer is no longer all zero
        t = net.train_step(rng.standard_normal((2, 13, 11)), label, 0.1)
    return t


def test_a_padded_strided_conv_unit_reads_its_window_with_the_zeros(trace):
    lt = trace.layer("conv1")
    assert lt.out.shape[1:] == (4, 7, 6)  # (13 + 2 - 3) // 2 + 1, (11 + 2 - 3) // 2 + 1
    e = explain_conv_unit(trace, "conv1", 2, 0, 0)
    assert (e.padding, e.stride) == (1, 2)
    assert e.rows == (-1, 2) and e.cols == (-1, 2)  # the top-left window reaches the border
    assert not e.patch[:, 0, :].any() and not e.patch[:, :, 0].any()  # the padding's zeros
    np.testing.assert_array_equal(e.patch[:, 1:, 1:], lt.x[0, :, 0:2, 0:2])
    assert e.total == pytest.approx(e.output, abs=1e-12)
    for f, i, j in [(0, 3, 2), (3, 6, 5), (1, 6, 0)]:
        e = explain_conv_unit(trace, "conv1", f, i, j)
        assert e.rows == (2 * i - 1, 2 * i + 2) and e.cols == (2 * j - 1, 2 * j + 2)
        assert e.total == pytest.approx(e.output, abs=1e-12)
        assert e.output == lt.out[0, f, i, j] and e.gradient == lt.dout[0, f, i, j]


@pytest.mark.parametrize("layer", ["conv1", "conv2", "conv3"])
def test_kernel_weight_gradient_is_the_sum_of_its_terms_with_padding_and_stride(trace, layer):
    W = trace.layer(layer).params["W"]
    for index in np.ndindex(*W.shape[:2], 1, 1):
        for a, b in [(0, 0), (W.shape[2] - 1, W.shape[3] - 1)]:
            g = explain_kernel_weight(trace, layer, index[0], index[1], a, b)
            assert g.total == pytest.approx(g.gradient, abs=1e-13)
            assert g.terms.shape == trace.layer(layer).dout.shape[2:]


def test_each_input_pixel_is_the_sum_of_its_readers_through_padding_and_stride(trace):
    readers = np.zeros((13, 11), dtype=int)
    for i in range(13):
        for j in range(11):
            e = explain_input_pixel(trace, 1, i, j)
            assert e.total == pytest.approx(e.gradient, abs=1e-13), (i, j)
            readers[i, j] = len(e.readers) // 4
            # Each reader's window covers the pixel at the offset it names.
            f, p, q = e.readers.T
            np.testing.assert_array_equal(e.offsets[:, 0], i + 1 - 2 * p)
            np.testing.assert_array_equal(e.offsets[:, 1], j + 1 - 2 * q)
            assert ((e.offsets >= 0) & (e.offsets < 3)).all()
    # With stride 2 and a 3x3 kernel, even rows are read by two windows, odd ones by one.
    assert readers[0, 0] == 1 and readers[1, 1] == 4 and readers[1, 2] == 2
    assert readers[12, 10] == 1


def test_an_average_pooled_unit_shares_its_gradient_evenly(trace):
    lt = trace.layer("avgpool1")
    for c, i, j in [(0, 0, 0), (3, 2, 2), (1, 1, 0)]:
        e = explain_avgpool_unit(trace, "avgpool1", c, i, j)
        assert e.total == pytest.approx(e.output, abs=1e-14)
        assert e.output == lt.out[0, c, i, j]
        assert e.window.shape == (2, 2)
        assert e.share == pytest.approx(e.gradient / 4)
        r, s = e.rows, e.cols
        np.testing.assert_allclose(lt.dx[0, c, r[0]:r[1], s[0]:s[1]], e.share, rtol=1e-14)
    # The 7x6 input leaves its last row unread: no window, no gradient.
    assert not lt.dx[0, :, 6, :].any()


@pytest.mark.parametrize("layer, index", [("lrelu1", (2, 3, 4)), ("sigmoid1", (1, 2, 2)),
                                          ("tanh1", (0, 1, 1)), ("relu1", (1, 0, 1))])
def test_an_activation_unit_multiplies_the_gradient_by_its_local_derivative(trace, layer,
                                                                               index):
    lt = trace.layer(layer)
    e = explain_activation_unit(trace, layer, *index)
    at = (0, *index)
    assert (e.input, e.output, e.kind) == (lt.x[at], lt.out[at], lt.kind)
    assert e.upstream == lt.dout[at] and e.gradient == lt.dx[at]
    assert e.product == pytest.approx(e.gradient, rel=1e-14, abs=1e-300)
    expected = {"lrelu": 1.0 if e.input > 0 else 0.01,
                "sigmoid": e.output * (1 - e.output),
                "tanh": 1 - e.output ** 2,
                "relu": 1.0 if e.input > 0 else 0.0}[lt.kind]
    assert e.local_derivative == pytest.approx(expected, rel=1e-12)
    if lt.kind == "relu":
        assert explain_relu_unit(trace, layer, *index).gate == e.local_derivative


@pytest.mark.parametrize("call", [
    lambda t: explain_conv_unit(t, "conv1", 0, 7, 0),
    lambda t: explain_avgpool_unit(t, "avgpool1", 4, 0, 0),
    lambda t: explain_avgpool_unit(t, "avgpool1", 0, -1, 0),
    lambda t: explain_activation_unit(t, "sigmoid1", 0, 0, 99),
    lambda t: explain_activation_unit(t, "tanh1", 0, 0),
    lambda t: explain_input_pixel(t, 2, 0, 0),
])
def test_a_unit_out_of_range_is_a_one_line_user_error(trace, call):
    with pytest.raises(UserError) as info:
        call(trace)
    assert "\n" not in str(info.value) and "out of range" in str(info.value)


def test_input_pixel_after_a_first_pool_says_what_it_cannot_list():
    net = Network.from_arch("avgpool2-conv2x3p1-dense10", input_shape=(1, 8, 8))
    t = net.forward_backward(np.ones((1, 8, 8)), 0)
    with pytest.raises(UserError, match="avgpool1, is a avgpool layer"):
        explain_input_pixel(t, 0, 1, 1)


def test_asking_an_activation_of_a_layer_that_is_none_is_refused(trace):
    with pytest.raises(ValueError, match="avgpool1 is a avgpool layer, not an activation"):
        explain_activation_unit(trace, "avgpool1", 0, 0, 0)
