"""The vectorised engine equals the plain-loop reference, op by op and step by step."""

from __future__ import annotations

import numpy as np
import pytest

from visualcnn.nn import DEEPER_ARCH, DEFAULT_ARCH, Network
from visualcnn.nn import reference as ref
from visualcnn.nn.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU, softmax_cross_entropy


def same(a, b):
    # Summation order differs between the loops and a matmul; beyond that they must agree.
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


CONV_SHAPES = [(1, 1, 6, 6, 2, 3), (2, 3, 7, 5, 4, 2), (3, 2, 8, 8, 5, 3), (2, 1, 4, 4, 3, 4)]


@pytest.mark.parametrize("n, c, h, w, f, k", CONV_SHAPES)
def test_conv_equals_loop_reference(n, c, h, w, f, k):
    rng = np.random.default_rng(n * 100 + c * 10 + k)
    layer = Conv2D("conv1", (c, h, w), f, k, rng)
    layer.params["b"] = rng.standard_normal(f)
    x = rng.standard_normal((n, c, h, w))
    out = layer.forward(x)
    same(out, ref.conv_forward(x, layer.params["W"], layer.params["b"]))
    same(layer.infer(x), out)  # the prediction path computes the same map
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    rdx, rdW, rdb = ref.conv_backward(dout, x, layer.params["W"])
    same(dx, rdx)
    same(layer.grads["W"], rdW)
    same(layer.grads["b"], rdb)


POOL_SHAPES = [(1, 1, 4, 4, 2), (2, 3, 7, 7, 2), (3, 2, 7, 7, 3), (2, 4, 6, 9, 4), (1, 2, 5, 3, 3)]


@pytest.mark.parametrize("n, c, h, w, k", POOL_SHAPES)
def test_maxpool_equals_loop_reference(n, c, h, w, k):
    rng = np.random.default_rng(h * 10 + k)
    layer = MaxPool2D("pool1", (c, h, w), k)
    x = rng.standard_normal((n, c, h, w))
    out = layer.forward(x)
    rout, rmask = ref.maxpool_forward(x, k)
    np.testing.assert_array_equal(out, rout)
    np.testing.assert_array_equal(layer.extras["argmax_mask"], rmask)
    np.testing.assert_array_equal(layer.infer(x), rout)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_array_equal(layer.backward(dout), ref.maxpool_backward(dout, x, k))


def test_maxpool_ties_go_to_the_first_maximum():
    """Equal values in a window: the first one in row-major order wins, in forward (mask),
    in backward (where the gradient goes) and in the reference alike."""
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, :2, :2] = [[1.0, 3.0], [3.0, 3.0]]   # tie of three: (0, 1) is first
    x[0, 0, :2, 2:] = [[2.0, 2.0], [2.0, 2.0]]   # all equal: (0, 2) is first
    x[0, 0, 2:, :2] = [[0.0, -1.0], [5.0, 5.0]]  # tie on the bottom row: (3, 0) is first
    x[0, 0, 2:, 2:] = [[-4.0, -4.0], [-4.0, -7.0]]  # negative tie: (2, 2) is first
    expected = np.zeros((4, 4), dtype=bool)
    for r, c in [(0, 1), (0, 2), (3, 0), (2, 2)]:
        expected[r, c] = True
    layer = MaxPool2D("pool1", (1, 4, 4), 2)
    out = layer.forward(x)
    np.testing.assert_array_equal(out[0, 0], [[3.0, 2.0], [5.0, -4.0]])
    np.testing.assert_array_equal(layer.extras["argmax_mask"][0, 0], expected)
    dx = layer.backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]))
    want = np.zeros((4, 4))
    want[0, 1], want[0, 2], want[3, 0], want[2, 2] = 10.0, 20.0, 30.0, 40.0
    np.testing.assert_array_equal(dx[0, 0], want)
    _, rmask = ref.maxpool_forward(x, 2)
    np.testing.assert_array_equal(rmask[0, 0], expected)
    np.testing.assert_array_equal(ref.maxpool_backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]),
                                                       x, 2)[0, 0], want)


@pytest.mark.parametrize("n, c, h, w, k", [(1, 8, 26, 26, 2), (5, 3, 9, 10, 3), (2, 2, 8, 8, 4)])
def test_maxpool_of_many_ties_equals_loop_reference(n, c, h, w, k):
    """Small whole numbers tie in most windows, at every place in them (the last included):
    the winner is the first maximum, batch or single sample, as the loops find it."""
    rng = np.random.default_rng(k)
    x = rng.integers(-2, 3, size=(n, c, h, w)).astype(np.float64)
    layer = MaxPool2D("pool1", (c, h, w), k)
    out = layer.forward(x)
    rout, rmask = ref.maxpool_forward(x, k)
    np.testing.assert_array_equal(out, rout)
    np.testing.assert_array_equal(layer.extras["argmax_mask"], rmask)
    dout = rng.standard_normal(out.shape)
    np.testing.assert_array_equal(layer.backward(dout), ref.maxpool_backward(dout, x, k))


def test_maxpool_of_infinities_and_nan():
    """Infinities are values like any other; a window holding a NaN gives NaN and its first
    NaN wins, so that the NaN shows where it came from and its gradient goes there."""
    inf, nan = np.inf, np.nan
    x = np.zeros((1, 1, 4, 6))
    x[0, 0, :2, :2] = [[-inf, -inf], [-inf, -inf]]  # all -inf: (0, 0)
    x[0, 0, :2, 2:4] = [[1.0, inf], [inf, 2.0]]     # a tie of +inf: (0, 3)
    x[0, 0, :2, 4:] = [[1.0, 2.0], [nan, nan]]      # first NaN: (1, 4)
    x[0, 0, 2:, :2] = [[nan, 5.0], [6.0, 7.0]]      # a NaN first: (2, 0)
    x[0, 0, 2:, 2:4] = [[3.0, -1.0], [3.0, 0.0]]    # an ordinary tie beside them: (2, 2)
    x[0, 0, 2:, 4:] = [[-inf, inf], [0.0, 1.0]]     # -inf and +inf together: (2, 5)
    layer = MaxPool2D("pool1", (1, 4, 6), 2)
    out = layer.forward(x)
    np.testing.assert_array_equal(out[0, 0], [[-inf, inf, nan], [nan, 3.0, inf]])
    expected = np.zeros((4, 6), dtype=bool)
    for r, c in [(0, 0), (0, 3), (1, 4), (2, 0), (2, 2), (2, 5)]:
        expected[r, c] = True
    np.testing.assert_array_equal(layer.extras["argmax_mask"][0, 0], expected)


@pytest.mark.parametrize("shape", [(1, 3, 5, 5), (4, 2, 3, 3), (3, 11)])
def test_relu_equals_loop_reference(shape):
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape)
    x.flat[0] = 0.0  # exactly zero is "off": no gradient passes
    layer = ReLU("relu1")
    out = layer.forward(x)
    rout, rmask = ref.relu_forward(x)
    np.testing.assert_array_equal(out, rout)
    np.testing.assert_array_equal(layer.extras["relu_mask"], rmask)
    assert not rmask.flat[0]
    dout = rng.standard_normal(shape)
    np.testing.assert_array_equal(layer.backward(dout), ref.relu_backward(dout, x))


def test_flatten_equals_loop_reference():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 4, 5))
    layer = Flatten("flatten1")
    out = layer.forward(x)
    np.testing.assert_array_equal(out, ref.flatten_forward(x))
    assert out[1, (1 * 4 + 2) * 5 + 3] == x[1, 1, 2, 3]  # C-order, as documented
    dout = rng.standard_normal(out.shape)
    np.testing.assert_array_equal(layer.backward(dout), ref.flatten_backward(dout, x.shape))


@pytest.mark.parametrize("n, d, m", [(1, 1352, 10), (5, 17, 4), (3, 8, 1)])
def test_dense_equals_loop_reference(n, d, m):
    rng = np.random.default_rng(d)
    layer = Dense("dense1", d, m, rng)
    layer.params["b"] = rng.standard_normal(m)
    x = rng.standard_normal((n, d))
    out = layer.forward(x)
    same(out, ref.dense_forward(x, layer.params["W"], layer.params["b"]))
    dout = rng.standard_normal((n, m))
    dx = layer.backward(dout)
    rdx, rdW, rdb = ref.dense_backward(dout, x, layer.params["W"])
    same(dx, rdx)
    same(layer.grads["W"], rdW)
    same(layer.grads["b"], rdb)


@pytest.mark.parametrize("n", [1, 4])
def test_softmax_cross_entropy_equals_loop_reference(n):
    rng = np.random.default_rng(n)
    logits = rng.standard_normal((n, 10)) * 5
    y = rng.integers(10, size=n)
    loss, probs, d = softmax_cross_entropy(logits, y)
    rloss, rprobs, rd = ref.softmax_cross_entropy(logits, y)
    same(loss, rloss)
    same(probs, rprobs)
    same(d, rd)
    same(loss, -np.mean(np.log(probs[np.arange(n), y])))


def test_softmax_cross_entropy_stays_finite_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0]])
    for loss, probs, _ in (softmax_cross_entropy(logits, np.array([2])),
                           ref.softmax_cross_entropy(logits, np.array([2]))):
        assert loss == pytest.approx(2000.0)
        assert np.isfinite(probs).all()


def test_reference_conv_on_a_hand_computed_example():
    """The yardstick itself, checked against numbers worked out by hand."""
    x = np.arange(9.0).reshape(1, 1, 3, 3)       # [[0 1 2] [3 4 5] [6 7 8]]
    W = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])  # top-left minus bottom-right
    out = ref.conv_forward(x, W, np.array([0.5]))
    np.testing.assert_array_equal(out, [[[[-3.5, -3.5], [-3.5, -3.5]]]])
    dx, dW, db = ref.conv_backward(np.ones((1, 1, 2, 2)), x, W)
    np.testing.assert_array_equal(db, [4.0])
    np.testing.assert_array_equal(dW[0, 0], [[0 + 1 + 3 + 4, 1 + 2 + 4 + 5],
                                             [3 + 4 + 6 + 7, 4 + 5 + 7 + 8]])
    np.testing.assert_array_equal(dx[0, 0], [[1, 1, 0], [1, 0, -1], [0, -1, -1]])


ARCH_CASES = [
    (DEFAULT_ARCH, (1, 28, 28), 0.0),
    (DEEPER_ARCH, (1, 28, 28), 0.0),
    ("conv3x3-relu-pool3-dense6-relu-dense10", (2, 10, 10), 0.9),
]


@pytest.mark.parametrize("arch, input_shape, momentum", ARCH_CASES)
def test_train_step_equals_reference_network(arch, input_shape, momentum):
    net = Network.from_arch(arch, input_shape=input_shape, seed=4, momentum=momentum)
    rnet = ref.ReferenceNetwork(net)
    rng = np.random.default_rng(7)
    for _ in range(3):
        x, y, lr = rng.random(input_shape), int(rng.integers(10)), 0.05
        trace = net.train_step(x, y, lr)
        rstep = rnet.train_step(x, y, lr)
        same(trace.loss, rstep.loss)
        same(trace.probs, rstep.probs[0])
        same(trace.dinput, rstep.dinput)
        for lt in trace.layers:
            same(lt.out, rstep.outs[lt.name])
            same(lt.dx, rstep.dxs[lt.name])
            assert set(lt.grads) == set(rstep.grads[lt.name])
            for k, g in lt.grads.items():
                same(g, rstep.grads[lt.name][k])
                same(lt.updates[k], rstep.updates[lt.name][k])
        for layer, k, p in net.parameters():
            same(p, rnet.params[layer.name][k])
    assert rnet.step == net.step == 3
    X = rng.random((3, *input_shape))
    same(net.predict(X), rnet.predict(X))
