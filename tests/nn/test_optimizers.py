"""Initialisers, optimisers and weight decay: against hand formulas, against the loop reference,
against torch.optim when torch is importable, and the two lessons the constant and zero
initialisers teach."""

import math

import numpy as np
import pytest

from visualcnn.common.errors import UserError
from visualcnn.data import load_dataset
from visualcnn.nn import Network
from visualcnn.nn.init import CONSTANT_WEIGHT, INITIALISERS, UNIFORM_LIMIT
from visualcnn.nn.reference import ReferenceNetwork

DEFAULT = "conv8x3-pool2-dense10"
DEEPER = "conv4x3-relu-pool2-conv6x3-relu-pool2-dense12-relu-dense10"
SMALL = "conv3x3-relu-pool2-dense6-relu-dense10"


@pytest.fixture(scope="module")
def digits():
    return load_dataset("bundled")


def samples(n, shape=(1, 28, 28), seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.random(shape), int(rng.integers(10))) for _ in range(n)]


# ------------------------------------------------------------------ hand formulas
def test_adam_follows_the_hand_formula_with_bias_correction_and_weight_decay():
    lr, wd, b1, b2, eps = 0.01, 0.05, 0.9, 0.999, 1e-8
    net = Network.from_arch(DEFAULT, seed=2, optimizer="adam", weight_decay=wd)
    m = {(lay.name, k): np.zeros_like(p) for lay, k, p in net.parameters()}
    v = {key: np.zeros_like(a) for key, a in m.items()}
    for t, (x, y) in enumerate(samples(4), start=1):
        trace = net.train_step(x, y, lr)
        for lt in trace.layers:
            for k, p in lt.params.items():
                key = (lt.name, k)
                g = lt.grads[k] + wd * p
                m[key] = b1 * m[key] + (1 - b1) * g
                v[key] = b2 * v[key] + (1 - b2) * g * g
                m_hat, v_hat = m[key] / (1 - b1 ** t), v[key] / (1 - b2 ** t)
                expected = -lr * m_hat / (np.sqrt(v_hat) + eps)
                np.testing.assert_allclose(lt.updates[k], expected, rtol=1e-12, atol=1e-300)
                moments = lt.moments[k]
                assert moments.t == t
                np.testing.assert_allclose(moments.m_hat, m_hat, rtol=1e-12, atol=1e-300)
                np.testing.assert_allclose(moments.sqrt_v_hat, np.sqrt(v_hat), rtol=1e-12,
                                           atol=1e-300)
    after = {(lay.name, k): p for lay, k, p in net.parameters()}
    for lt in trace.layers:
        for k, p in lt.params.items():
            np.testing.assert_array_equal(after[(lt.name, k)], p + lt.updates[k])
    assert net.step == 4


def test_the_first_adam_step_moves_each_weight_by_lr_times_the_gradients_sign():
    net = Network.from_arch(DEFAULT, seed=0, optimizer="adam")
    (x, y), = samples(1)
    lt = net.train_step(x, y, 0.001).layer("dense1")
    g, u = lt.grads["b"], lt.updates["b"]
    np.testing.assert_allclose(u, -0.001 * np.sign(g) * np.abs(g) / (np.abs(g) + 1e-8),
                               rtol=1e-12)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_weight_decay_adds_decay_times_the_weight_to_the_gradient(momentum):
    lr, wd = 0.02, 0.1
    net = Network.from_arch(DEFAULT, seed=3, momentum=momentum, weight_decay=wd)
    velocity = {(lay.name, k): np.zeros_like(p) for lay, k, p in net.parameters()}
    for x, y in samples(3):
        trace = net.train_step(x, y, lr)
        for lt in trace.layers:
            for k, p in lt.params.items():
                g = lt.grads[k] + wd * p
                velocity[(lt.name, k)] = momentum * velocity[(lt.name, k)] - lr * g
                np.testing.assert_allclose(lt.updates[k], velocity[(lt.name, k)],
                                           rtol=1e-13, atol=1e-300)
    assert net.optimizer == ("momentum" if momentum else "sgd")
    assert not net.plain_sgd


def test_sgd_and_momentum_without_decay_stay_as_they_were():
    net = Network.from_arch(DEFAULT, seed=1)
    assert (net.optimizer, net.momentum, net.weight_decay, net.init) == ("sgd", 0.0, 0.0, "he")
    assert net.plain_sgd
    assert Network.from_arch(DEFAULT, momentum=0.5).optimizer == "momentum"
    assert Network.from_arch(DEFAULT, optimizer="momentum").momentum == 0.9
    (x, y), = samples(1)
    lt = net.train_step(x, y, 0.1).layer("conv1")
    np.testing.assert_array_equal(lt.updates["W"], lt.grads["W"] * -0.1)
    assert dict(lt.moments) == {}


@pytest.mark.parametrize("kwargs, words", [
    (dict(optimizer="rmsprop"), ["unknown optimiser 'rmsprop'", "sgd, momentum, adam"]),
    (dict(optimizer="adam", momentum=0.9), ["momentum 0.9 does not apply to adam"]),
    (dict(weight_decay=-1e-4), ["weight decay must be between 0 and 1"]),
    (dict(init="kaiming"), ["unknown initialiser 'kaiming'",
                            "he, xavier, uniform, constant, zeros"]),
])
def test_bad_optimiser_settings_are_refused_in_one_line(kwargs, words):
    with pytest.raises(UserError) as caught:
        Network.from_arch(DEFAULT, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    for w in words:
        assert w in message


# ------------------------------------------------------------------ the loop reference
@pytest.mark.parametrize("kwargs", [
    dict(optimizer="adam"), dict(optimizer="adam", weight_decay=0.01),
    dict(optimizer="sgd", weight_decay=0.05), dict(momentum=0.8, weight_decay=0.05),
])
def test_engine_equals_the_loop_reference_step_after_step(kwargs):
    net = Network.from_arch(SMALL, input_shape=(1, 9, 9), seed=4, **kwargs)
    ref = ReferenceNetwork(net)
    for x, y in samples(6, shape=(1, 9, 9), seed=5):
        trace = net.train_step(x, y, 0.01)
        step = ref.train_step(x, y, 0.01)
        assert math.isclose(trace.loss, step.loss, rel_tol=1e-12)
        for lt in trace.layers:
            for k in lt.params:
                np.testing.assert_allclose(lt.updates[k], step.updates[lt.name][k],
                                           rtol=1e-9, atol=1e-15)
    for layer, k, p in net.parameters():
        np.testing.assert_allclose(p, ref.params[layer.name][k], rtol=1e-10, atol=1e-14)
        if net.optimizer == "adam":
            np.testing.assert_allclose(net.adam_m[(layer.name, k)],
                                       ref.adam_m[layer.name][k], rtol=1e-9, atol=1e-15)
            np.testing.assert_allclose(net.adam_v[(layer.name, k)],
                                       ref.adam_v[layer.name][k], rtol=1e-9, atol=1e-18)


# -------------------------------------------------------------------------- torch.optim
@pytest.mark.parametrize("name, kwargs", [
    ("adam", dict(weight_decay=0.0)), ("adam", dict(weight_decay=1e-2)),
    ("sgd", dict(weight_decay=1e-2)), ("sgd", dict(momentum=0.9, weight_decay=1e-2)),
])
def test_updates_equal_torch_optim_fed_the_same_gradients(name, kwargs):
    torch = pytest.importorskip("torch")
    lr = 0.003
    net = Network.from_arch(DEEPER, seed=6, optimizer=name, **kwargs)
    tensors = [torch.tensor(p.copy(), dtype=torch.float64, requires_grad=True)
               for _, _, p in net.parameters()]
    opt = (torch.optim.Adam(tensors, lr=lr, betas=(0.9, 0.999), eps=1e-8, **kwargs)
           if name == "adam" else torch.optim.SGD(tensors, lr=lr, **kwargs))
    for x, y in samples(25, seed=7):
        trace = net.train_step(x, y, lr)
        grads = [lt.grads[k] for lt in trace.layers for k in lt.params]
        for t, g in zip(tensors, grads, strict=True):
            t.grad = torch.tensor(np.array(g), dtype=torch.float64)
        opt.step()
        for t, (_, _, p) in zip(tensors, net.parameters(), strict=True):
            np.testing.assert_allclose(t.detach().numpy(), p, rtol=1e-10, atol=1e-13)


# -------------------------------------------------------------------------- initialisers
def test_he_draws_the_same_numbers_as_before_and_zeroes_the_output_layer():
    net = Network.from_arch(DEFAULT, seed=11)
    rng = np.random.default_rng(11)
    expected = rng.standard_normal((8, 1, 3, 3)) * np.sqrt(2.0 / 9)
    np.testing.assert_array_equal(net.layers[0].params["W"], expected)
    assert not net.layers[-1].params["W"].any()
    assert np.array_equal(Network.from_arch(DEFAULT, seed=11, init="he").layers[0].params["W"],
                          expected)


def test_xavier_and_uniform_draw_within_their_ranges_output_layer_included():
    xavier = Network.from_arch(DEEPER, seed=0, init="xavier")
    for _layer, k, p in xavier.parameters():
        if k == "W":
            shape = p.shape
            rf = int(np.prod(shape[2:]))
            limit = math.sqrt(6.0 / (shape[1] * rf + shape[0] * rf))
            assert np.abs(p).max() <= limit and np.abs(p).max() > 0.8 * limit
        else:
            assert not p.any()
    uniform = Network.from_arch(DEEPER, seed=0, init="uniform")
    for _, k, p in uniform.parameters():
        if k == "W":
            assert np.abs(p).max() <= UNIFORM_LIMIT and np.abs(p).max() > 0.9 * UNIFORM_LIMIT
    # Seeded: the same seed, the same weights; another seed, others.
    again = Network.from_arch(DEEPER, seed=0, init="xavier")
    other = Network.from_arch(DEEPER, seed=1, init="xavier")
    assert np.array_equal(again.layers[0].params["W"], xavier.layers[0].params["W"])
    assert not np.array_equal(other.layers[0].params["W"], xavier.layers[0].params["W"])


def test_every_initialiser_trains_without_error():
    for init in INITIALISERS:
        net = Network.from_arch(DEFAULT, seed=0, init=init, optimizer="adam")
        for x, y in samples(3):
            assert np.isfinite(net.train_step(x, y, 0.001).loss)


def _filters_identical(W, tolerance=1e-12):
    spread = np.abs(W - W[:1]).max()
    return spread <= tolerance * max(np.abs(W).max(), 1e-300)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_constant_init_keeps_identical_filters_identical_after_50_steps(digits, optimizer):
    net = Network.from_arch(DEEPER, seed=0, init="constant", optimizer=optimizer)
    assert np.all(net.layers[0].params["W"] == CONSTANT_WEIGHT)
    start = {(lay.name, k): p for lay, k, p in net.parameters()}
    lr = 0.001 if optimizer == "adam" else 0.05
    for i in range(50):
        net.train_step(digits.x_train[i], int(digits.y_train[i]), lr)
    for layer, k, p in net.parameters():
        if layer is net.layers[-1]:
            continue  # the classes' gradients differ: the output layer's rows part at once
        assert not np.array_equal(p, start[(layer.name, k)]), f"{layer.name}/{k} never moved"
        assert _filters_identical(p), f"{layer.name}/{k}: its filters/units drifted apart"


def test_zeros_init_nothing_upstream_of_the_all_zero_layers_learns(digits):
    net = Network.from_arch(DEEPER, seed=0, init="zeros", optimizer="adam")
    for i in range(50):
        trace = net.train_step(digits.x_train[i], int(digits.y_train[i]), 0.01)
        for lt in trace.layers:
            for k, g in lt.grads.items():
                if (lt.name, k) != ("dense2", "b"):
                    assert not g.any(), f"step {i + 1}: {lt.name}/{k} has a gradient"
    for layer, k, p in net.parameters():
        assert p.any() == ((layer.name, k) == ("dense2", "b")), f"{layer.name}/{k}"


def test_adam_traces_keep_their_moments_and_a_phase_walk_ends_as_train_step_does():
    stepped = Network.from_arch(DEFAULT, seed=8, optimizer="adam", weight_decay=0.01)
    walked = Network.from_arch(DEFAULT, seed=8, optimizer="adam", weight_decay=0.01)
    traces = []
    for x, y in samples(3, seed=9):
        trace = stepped.train_step(x, y, 0.002)
        events = list(walked.phases(x, y, 0.002))
        assert events[-1].phase == "update"
        assert all(not lt.moments for e in events[:-1] for lt in e.trace.layers)
        for la, lb in zip(trace.layers, events[-1].trace.layers, strict=True):
            for k in la.moments:
                assert np.array_equal(la.updates[k], lb.updates[k])
                assert np.array_equal(la.moments[k].m, lb.moments[k].m)
                assert np.array_equal(la.moments[k].v, lb.moments[k].v)
        traces.append(trace)
    first = traces[0].layer("dense1").moments["W"]
    kept = first.m.copy(), first.v.copy()
    with pytest.raises(ValueError):
        first.m[0, 0] = 1.0  # read-only: the network's next step makes new arrays
    for x, y in samples(3, seed=10):
        stepped.train_step(x, y, 0.002)
    assert first.t == 1
    assert np.array_equal(first.m, kept[0]) and np.array_equal(first.v, kept[1])
