"""Inspect a ReLU unit and an input pixel: the numbers add up to the trace's, by click too."""

import math

import numpy as np
import pytest

from visualcnn.app.debug.explanations import fmt
from visualcnn.app.views.panels import ConvPanel, InputPanel, ReluPanel
from visualcnn.common.errors import UserError
from visualcnn.nn import DEEPER_ARCH, Network
from visualcnn.nn.explain import explain_input_pixel, explain_relu_unit

from .test_inspector import click_pixel, panel, stepped


def trace_of(arch, steps=3, seed=2):
    net = Network.from_arch(arch, seed=seed)
    rng = np.random.default_rng(seed)
    for label in range(steps):
        x = rng.random((1, 28, 28))
        x[:, :, :4] = 0.0
        t = net.train_step(x, label, 0.05)
    return t


@pytest.fixture(scope="module")
def deep():
    return trace_of(DEEPER_ARCH)


def test_relu_unit_passes_or_blocks_and_lets_through_upstream_times_gate(deep):
    lt = deep.layer("relu1")
    mask = lt.extras["relu_mask"][0]
    blocked = tuple(int(v) for v in np.argwhere(~mask)[0])
    passed = tuple(int(v) for v in np.argwhere(mask & (lt.dout[0] != 0))[0])
    for index in (blocked, passed):
        e = explain_relu_unit(deep, "relu1", *index)
        assert e.input == lt.x[(0, *index)]
        assert e.passed == bool(mask[index]) == (e.input > 0)
        assert e.output == lt.out[(0, *index)] == max(e.input, 0.0)
        assert e.upstream == lt.dout[(0, *index)]
        assert e.gradient == lt.dx[(0, *index)] == e.upstream * e.gate
    assert explain_relu_unit(deep, "relu1", *blocked).gradient == 0.0
    assert explain_relu_unit(deep, "relu1", *passed).gradient != 0.0


def test_relu_after_a_dense_layer_takes_one_index():
    t = trace_of("dense16-relu-dense10")
    e = explain_relu_unit(t, "relu1", 5)
    assert e.output == t.layer("relu1").out[0, 5]
    assert e.gradient == t.layer("relu1").dx[0, 5]


@pytest.mark.parametrize("pixel", [(0, 0, 0), (0, 27, 27), (0, 13, 5), (0, 1, 26), (0, 10, 3)])
def test_pixel_gradient_is_the_sum_of_its_readers_contributions(deep, pixel):
    c, i, j = pixel
    e = explain_input_pixel(deep, c, i, j)
    conv = deep.layer("conv1")
    W, dout = conv.params["W"], conv.dout[0]
    # Every first-layer unit whose 3x3 window covers the pixel, once, and no other.
    expected = {(f, p, q) for f in range(8) for p in range(26) for q in range(26)
                if p <= i < p + 3 and q <= j < q + 3}
    assert {tuple(int(v) for v in r) for r in e.readers} == expected
    assert len(e.readers) == len(expected)
    for (f, p, q), (a, b), w, d in zip(e.readers, e.offsets, e.weights, e.douts, strict=True):
        assert (a, b) == (i - p, j - q)
        assert w == W[f, c, a, b] and d == dout[f, p, q]
    assert e.value == deep.input[0, c, i, j]
    assert e.gradient == deep.dinput[0, c, i, j]
    assert math.isclose(e.total, e.gradient, rel_tol=1e-10, abs_tol=1e-15)


def test_pixel_read_by_a_dense_first_layer():
    t = trace_of("mlp")
    e = explain_input_pixel(t, 0, 14, 9)
    dense = t.layer("dense1")
    assert len(e.readers) == 64
    np.testing.assert_array_equal(e.weights, dense.params["W"][:, 14 * 28 + 9])
    assert math.isclose(e.total, t.dinput[0, 0, 14, 9], rel_tol=1e-10, abs_tol=1e-15)


def test_out_of_range_units_are_one_line_errors(deep):
    with pytest.raises(UserError, match="out of range"):
        explain_relu_unit(deep, "relu1", 8, 0, 0)
    with pytest.raises(UserError, match="out of range"):
        explain_input_pixel(deep, 0, 28, 0)
    with pytest.raises(UserError, match="out of range"):
        explain_input_pixel(deep, 0, -1, 0)


# ------------------------------------------------------------------------ in the window
def test_click_on_a_relu_unit_explains_its_gate(make_window, qtbot):
    window = make_window(arch=DEEPER_ARCH)
    trace = stepped(window, 3)
    relu = next(p for p in window.panels if isinstance(p, ReluPanel) and p.name == "relu1")
    lt = trace.layer("relu1")
    mask = lt.extras["relu_mask"][0]
    for mosaic in (relu.out, relu.mask):
        for passes in (False, True):
            c, i, j = (int(v) for v in np.argwhere(mask == passes)[-1])
            click_pixel(qtbot, mosaic, c, i, j)
            inspector = window.debugger.inspector
            e = inspector.explanation
            assert e.index == (c, i, j) and e.passed is passes
            assert e.gradient == lt.dx[0, c, i, j]
            text = inspector.text.text()
            assert ("passed" if passes else "blocked") in text
            assert fmt(e.upstream * e.gate) in text
            assert len(inspector.outlines()) == 2


def test_click_on_an_input_pixel_lists_its_readers_and_their_sum(window, qtbot):
    trace = stepped(window, 3)
    inp = panel(window, InputPanel)
    c, i, j = 0, 14, 13
    click_pixel(qtbot, inp.gradient, 0, i, j)
    inspector = window.debugger.inspector
    e = inspector.explanation
    assert e.index == (c, i, j)
    assert e.gradient == trace.dinput[0, c, i, j]
    assert math.isclose(e.total, e.gradient, rel_tol=1e-10, abs_tol=1e-15)
    assert len(e.readers) == 8 * 9
    text = inspector.text.text()
    assert "read by 72 units of conv1" in text and fmt(e.total) in text
    # The pixel on the sample and its gradient, and the 3x3 block of readers on the maps.
    conv = panel(window, ConvPanel)
    rects = [item.rect() for item in inspector.outlines()]
    block = conv.maps.pixel_rect(0, (i - 2, i + 1), (j - 2, j + 1))
    assert any(r == block for r in rects)
    assert len(rects) == 2 + 4
    # It follows the next step.
    window.actions["step"].trigger()
    assert inspector.explanation.gradient == window.last_trace.dinput[0, c, i, j]


def test_pixel_gradient_is_not_yet_computed_in_the_forward_phase(window, qtbot):
    stepped(window, 2)
    window.actions["step_phase"].trigger()  # forward conv1 of the next sample
    inp = panel(window, InputPanel)
    click_pixel(qtbot, inp.sample, 0, 5, 6)
    inspector = window.debugger.inspector
    e = inspector.explanation
    assert e.index == (0, 5, 6) and e.douts is None and e.gradient is None
    assert "not yet computed" in inspector.text.text()
    assert len(e.readers) == 8 * 9  # who reads it is known from the forward pass
