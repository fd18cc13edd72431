"""Mini-batch steps: ``Network.train_step(x (B, C, H, W), B labels)``.

A batch step equals the plain-loop reference run on the same batch, its parameter gradients
are the mean of the samples' own, finite differences of the batch's mean loss agree with
backprop for every kind of layer, and PyTorch agrees with a batch of 8 trained by Adam. A
batch of one is bit for bit the single-sample step. ``trace.sample(i)`` is sample i's view.
"""

import copy
import dataclasses

import numpy as np
import pytest

from tests.nn.test_new_layers import torch_model
from visualcnn.common.errors import UserError
from visualcnn.nn import Network
from visualcnn.nn.gradcheck import relative_error
from visualcnn.nn.network import MAX_BATCH
from visualcnn.nn.reference import ReferenceNetwork

# Every architecture token of the grammar appears in one of these: conv with padding and
# stride, max-pool, avgpool, relu, sigmoid, tanh, lrelu, dense.
ARCHS = [
    ("conv4x3p1s2-relu-pool2-dense10", (1, 10, 10)),
    ("conv3x3p1-lrelu-avgpool2-dense8-tanh-dense10", (2, 9, 9)),
    ("conv3x3s2-sigmoid-conv2x2p1-tanh-dense6-relu-dense10", (1, 11, 11)),
]


def batch_of(input_shape, b, seed=0, classes=10):
    rng = np.random.default_rng(seed)
    return rng.random((b, *input_shape)), rng.integers(0, classes, b)


def trained_net(arch, input_shape, steps=3, **settings):
    """A network a few single steps in, so that no layer is at its starting zeros."""
    net = Network.from_arch(arch, input_shape=input_shape, seed=1, **settings)
    x, y = batch_of(input_shape, steps, seed=9)
    for i in range(steps):
        net.train_step(x[i], int(y[i]), 0.05)
    return net


def assert_close(a, b, tol=1e-12):
    assert np.max(np.abs(np.asarray(a) - np.asarray(b))) <= tol


@pytest.mark.parametrize("arch, input_shape", ARCHS)
def test_a_batch_step_equals_the_loop_reference_on_the_batch(arch, input_shape):
    net = trained_net(arch, input_shape, optimizer="momentum")
    reference = ReferenceNetwork(net)
    x, y = batch_of(input_shape, 5)
    for _ in range(2):  # the second step starts from the first one's weights and velocity
        trace = net.train_step(x, y, 0.05)
        expected = reference.train_step(x, y, 0.05)
        assert trace.loss == pytest.approx(expected.loss, abs=1e-12)
        assert_close(trace.batch_probs, expected.probs)
        assert_close(trace.dinput, expected.dinput)
        for lt in trace.layers:
            for key, g in lt.grads.items():
                assert_close(g, expected.grads[lt.name][key])
                assert_close(lt.updates[key], expected.updates[lt.name][key])
            assert_close(lt.out, expected.outs[lt.name])
    for layer, key, value in net.parameters():
        assert_close(value, reference.params[layer.name][key])


@pytest.mark.parametrize("arch, input_shape", ARCHS)
def test_batch_gradients_are_the_mean_of_the_samples_own(arch, input_shape):
    net = trained_net(arch, input_shape)
    x, y = batch_of(input_shape, 4)
    batch = net.forward_backward(x, y)
    alone = [net.forward_backward(x[i], int(y[i])) for i in range(4)]
    assert batch.loss == pytest.approx(np.mean([t.loss for t in alone]), abs=1e-12)
    np.testing.assert_allclose(batch.losses, [t.loss for t in alone], rtol=0, atol=1e-12)
    for lt in batch.layers:
        for key, g in lt.grads.items():
            assert_close(g, np.mean([t.layer(lt.name).grads[key] for t in alone], axis=0))
    for i, own in enumerate(alone):
        view = batch.sample(i)
        # Each sample's share of the mean loss: 1/B of its own gradient.
        assert_close(view.dinput, own.dinput / 4)
        assert view.loss == pytest.approx(own.loss, abs=1e-12)
        assert view.prediction == own.prediction and view.label == own.label
        assert_close(view.probs, own.probs)
        assert_close(view.logits, own.logits)


def batch_loss(net, x, y) -> float:
    return net.forward_backward(x, y).loss


def numeric_gradient(net, x, y, array, index, eps=1e-5) -> float:
    # 1e-5 rather than 1e-6: the round-off of a loss near 2 divided by a smaller nudge
    # would be a tenth of a millionth of the small gradients of some tensors.
    old = array[index]
    array[index] = old + eps
    up = batch_loss(net, x, y)
    array[index] = old - eps
    down = batch_loss(net, x, y)
    array[index] = old
    return (up - down) / (2 * eps)


@pytest.mark.parametrize("arch, input_shape", ARCHS)
def test_finite_differences_of_the_batch_mean_loss_agree_with_backprop(arch, input_shape):
    net = trained_net(arch, input_shape)
    x, y = batch_of(input_shape, 4, seed=3)
    trace = net.forward_backward(x, y)
    rng = np.random.default_rng(0)
    tensors = [(f"{layer.name}/{key}", value, trace.layer(layer.name).grads[key])
               for layer, key, value in list(net.parameters())]
    tensors.append(("input", x, trace.dinput))
    errors = {}
    for name, value, grad in tensors:
        chosen = [np.unravel_index(f, value.shape)
                  for f in rng.choice(value.size, min(value.size, 16), replace=False)]
        numeric = np.array([numeric_gradient(net, x, y, value, i) for i in chosen])
        backprop = np.array([grad[i] for i in chosen])
        # Relative to the tensor's scale, as the suite's checks measure (gradcheck).
        errors[name] = relative_error(backprop, numeric).max()
        assert np.abs(backprop).max() > 0
    assert max(errors.values()) < 1e-7, errors


def test_a_batch_of_8_trained_by_adam_equals_pytorch():
    arch, shape = "conv4x3p1s2-lrelu-avgpool2-conv3x3p1-tanh-pool2-dense8-sigmoid-dense10", \
        (2, 13, 13)
    net = trained_net(arch, shape, optimizer="adam", weight_decay=1e-3)
    net.reset()  # Adam from its first step, as torch.optim.Adam starts
    torch, modules = torch_model(net)
    nn = torch.nn
    model = nn.Sequential(*modules)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-3)
    for step in range(3):
        x, y = batch_of(shape, 8, seed=step)
        trace = net.train_step(x, y, 0.01)
        optimiser.zero_grad()
        logits = model(torch.from_numpy(x))
        loss = nn.functional.cross_entropy(logits, torch.from_numpy(y))
        loss.backward()
        optimiser.step()
        assert trace.loss == pytest.approx(loss.item(), rel=1e-12)
        per_sample = nn.functional.cross_entropy(logits, torch.from_numpy(y), reduction="none")
        np.testing.assert_allclose(trace.losses, per_sample.detach().numpy(), rtol=1e-12)
    for m, layer in zip(modules, net.layers, strict=True):
        if layer.params:
            np.testing.assert_allclose(layer.params["W"], m.weight.detach().numpy(),
                                       rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(layer.params["b"], m.bias.detach().numpy(),
                                       rtol=1e-9, atol=1e-12)


def every_array(trace):
    yield from (trace.probs, trace.logits, trace.labels, trace.predictions, trace.losses,
                trace.batch_probs)
    for lt in trace.layers:
        yield from (lt.x, lt.out, lt.dx, lt.dout)
        for group in (lt.params, lt.grads, lt.updates, lt.extras):
            yield from group.values()


@pytest.mark.parametrize("arch, input_shape", ARCHS)
def test_a_batch_of_one_is_the_single_sample_step_bit_for_bit(arch, input_shape):
    net = trained_net(arch, input_shape, optimizer="adam")
    twin = copy.deepcopy(net)
    x, y = batch_of(input_shape, 1)
    for _ in range(2):
        single = net.train_step(x[0], int(y[0]), 0.01)
        batch = twin.train_step(x, y, 0.01)
        assert batch.batch == single.batch == 1
        assert batch.loss == single.loss and batch.label == single.label
        for a, b in zip(every_array(single), every_array(batch), strict=True):
            assert np.array_equal(a, b)
    for (_, _, a), (_, _, b) in zip(net.parameters(), twin.parameters(), strict=True):
        assert np.array_equal(a, b)


def test_a_single_step_records_its_one_sample_in_the_batch_fields():
    net = trained_net(*ARCHS[0])
    x, y = batch_of(ARCHS[0][1], 1)
    trace = net.train_step(x[0], int(y[0]), 0.01)
    assert trace.batch == 1 and trace.focus == 0
    assert trace.labels.tolist() == [trace.label]
    assert trace.predictions.tolist() == [trace.prediction]
    assert trace.losses.tolist() == [trace.loss]
    assert trace.sample(0) is trace
    assert trace.accuracy == (1.0 if trace.correct else 0.0)


def test_sample_views_slice_every_per_sample_array_and_keep_the_batch_parameters():
    arch, shape = "conv4x3p1s2-relu-pool2-conv3x3p1-lrelu-avgpool2-dense8-sigmoid-dense10", \
        (1, 14, 14)
    net = trained_net(arch, shape)
    x, y = batch_of(shape, 6)
    trace = net.train_step(x, y, 0.05)
    assert trace.batch == 6 and trace.labels.tolist() == y.tolist()
    assert trace.accuracy == np.mean(trace.predictions == y)
    for i in range(6):
        view = trace.sample(i)
        assert view.focus == i and view.batch == 6
        assert np.array_equal(view.input, x[i:i + 1])
        assert view.label == y[i] and view.loss == trace.losses[i]
        assert view.prediction == trace.predictions[i] == np.argmax(view.probs)
        for lt, whole in zip(view.layers, trace.layers, strict=True):
            for a, b in ((lt.x, whole.x), (lt.out, whole.out), (lt.dx, whole.dx),
                         (lt.dout, whole.dout)):
                assert np.array_equal(a, b[i:i + 1])
            for key, extra in lt.extras.items():
                if whole.extras[key].shape == whole.x.shape:  # per unit: the sample's part
                    assert np.array_equal(extra, whole.extras[key][i:i + 1])
                else:  # the layer's own ([P, S] of a convolution): not a sample's
                    assert extra is whole.extras[key]
            assert lt.grads is whole.grads and lt.params is whole.params
            assert lt.updates is whole.updates
    assert trace.layer("conv1").extras["padding_stride"].tolist() == [1, 2]
    assert trace.sample(3).layer("conv1").extras["padding_stride"].tolist() == [1, 2]
    assert trace.sample(3).layer("relu1").extras["relu_mask"].shape[0] == 1
    with pytest.raises(IndexError):
        trace.sample(6)


def test_batch_traces_and_their_sample_views_are_read_only():
    net = trained_net(*ARCHS[1])
    x, y = batch_of(ARCHS[1][1], 3)
    trace = net.train_step(x, y, 0.05)
    for t in (trace, trace.sample(2)):
        for a in every_array(t):
            assert not a.flags.writeable
            with pytest.raises(ValueError):
                a[(0,) * a.ndim] = 1
        with pytest.raises(dataclasses.FrozenInstanceError):
            t.loss = 0.0
    # The caller's arrays stay the caller's: neither frozen nor kept.
    assert x.flags.writeable and y.flags.writeable
    x[0] = 7.0
    assert not np.array_equal(trace.input[0], x[0])


def test_phases_walk_a_batch_to_the_step_train_step_makes():
    net = trained_net(*ARCHS[2])
    twin = copy.deepcopy(net)
    x, y = batch_of(ARCHS[2][1], 4)
    events = list(net.phases(x, y, 0.05))
    assert [e.phase for e in events][-1] == "update"
    walked, stepped = events[-1].trace, twin.train_step(x, y, 0.05)
    assert walked.batch == 4 and walked.loss == stepped.loss
    for a, b in zip(every_array(walked), every_array(stepped), strict=True):
        assert np.array_equal(a, b)
    before_loss = events[0].trace
    assert before_loss.predictions is None and before_loss.losses is None
    assert before_loss.sample(1).input.shape == (1, *ARCHS[2][1])


@pytest.mark.parametrize("x_shape, y, words", [
    ((3, 1, 10, 10), [1, 2], "a batch of 2 labels takes samples of shape (2, 1, 10, 10)"),
    ((2, 1, 10, 10), [1, 10], "labels must be ints in 0..9"),
    ((2, 1, 10, 10), [1.0, 2.0], "labels must be ints in 0..9"),
    ((2, 1, 10, 10), [[1, 2]], "a batch takes 1 to 64 labels"),
    ((MAX_BATCH + 1, 1, 10, 10), list(range(10)) * 6 + [0] * 5, "a batch takes 1 to 64"),
    ((2, 1, 10, 10), [], "a batch takes 1 to 64 labels"),
    ((2, 1, 10, 10), 3, "a sample must have shape (1, 10, 10)"),
    ((1, 10, 10), "3", "label must be an int in 0..9, got '3'"),
    ((1, 10, 10), True, "label must be an int in 0..9, got True"),
])
def test_a_bad_batch_is_refused_in_one_line(x_shape, y, words):
    net = Network.from_arch(ARCHS[0][0], input_shape=(1, 10, 10))
    before = [v.copy() for _, _, v in net.parameters()]
    with pytest.raises(UserError, match=None) as caught:
        net.train_step(np.zeros(x_shape), y, 0.01)
    assert words in str(caught.value) and "\n" not in str(caught.value)
    assert all(np.array_equal(a, v) for a, (_, _, v) in zip(before, net.parameters(),
                                                             strict=True))
    assert net.step == 0
