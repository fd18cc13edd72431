"""Diff two moments of a run: the weights pinned at one step against those at another."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from visualcnn.nn import DEEPER_ARCH, Network
from visualcnn.nn.diff import diff_params, named_params


def test_diff_params_reports_each_tensors_change_norm_and_top_filters():
    net = Network.from_arch(DEEPER_ARCH, seed=1)
    a = named_params(net)
    b = {k: v.copy() for k, v in a.items()}
    b["conv2/W"][5] += 0.5  # filter 5 moves most
    b["conv2/W"][9, 0, 1, 1] -= 0.25
    b["dense1/b"][3] = 2.0
    diffs = {d.name: d for d in diff_params(a, b)}
    assert list(diffs) == list(a)
    d = diffs["conv2/W"]
    np.testing.assert_array_equal(d.delta, b["conv2/W"] - a["conv2/W"])
    assert d.norm == pytest.approx(np.sqrt(0.25 * 8 * 9 + 0.25 ** 2))
    assert d.relative == pytest.approx(d.norm / np.linalg.norm(a["conv2/W"]))
    assert [i for i, _ in d.moved_most(3)] == [5, 9]  # nothing else moved
    assert d.unit_noun == "filter"
    assert diffs["dense1/b"].moved_most(1) == [(3, 2.0)] and diffs["dense1/b"].unit_noun == "entry"
    assert np.isnan(diffs["dense1/W"].relative)  # the output layer starts at zero
    assert diffs["conv1/W"].norm == 0 and diffs["conv1/W"].moved_most() == []


def test_diff_of_weights_from_another_network_is_a_one_line_error():
    a = named_params(Network.from_arch("conv8x3-pool2-dense10"))
    b = named_params(Network.from_arch("conv4x3-pool2-dense10"))
    with pytest.raises(ValueError, match="conv1/W has shape"):
        diff_params(a, b)
    with pytest.raises(ValueError, match="different tensors"):
        diff_params(a, named_params(Network.from_arch(DEEPER_ARCH)))


def test_diff_over_steps_is_the_sum_of_their_updates():
    net = Network.from_arch(seed=0)
    rng = np.random.default_rng(0)
    net.train_step(rng.random((1, 28, 28)), 1, 0.05)
    pinned = named_params(net)
    updates = []
    for label in (2, 3, 4, 5):
        t = net.train_step(rng.random((1, 28, 28)), label, 0.05)
        updates.append({f"{lt.name}/{k}": u for lt in t.layers for k, u in lt.updates.items()})
    for d in diff_params(pinned, named_params(net)):
        np.testing.assert_allclose(d.delta, sum(u[d.name] for u in updates), rtol=0,
                                   atol=1e-14)


def open_diff(window):
    view = window.debugger.diff_view
    window.reveal(window.debugger.diff_dock)
    return view


def test_pin_then_step_shows_the_change_since_the_pin(window, qtbot):
    for _ in range(3):
        window.actions["step"].trigger()
    view = open_diff(window)
    assert view.diffs is None and "nothing pinned" in view.views[0].numbers.text()
    qtbot.mouseClick(view.pin, Qt.MouseButton.LeftButton)
    pinned = named_params(window.session.net)
    assert view.pinned_step == 3
    for _ in range(4):
        window.actions["step"].trigger()
    now = named_params(window.session.net)
    diffs = {d.name: d for d in view.diffs}
    np.testing.assert_array_equal(diffs["conv1/W"].delta, now["conv1/W"] - pinned["conv1/W"])
    assert "Step 7 − pinned step 3" in view.caption.text()
    conv = next(v for v in view.views if v.name == "conv1")
    np.testing.assert_array_equal(conv.delta.raw.reshape(8, 3, 3),
                                  diffs["conv1/W"].delta[:, 0])
    assert f"|ΔW| {diffs['conv1/W'].norm:.3g}" in conv.numbers.text()
    top = diffs["conv1/W"].moved_most(1)[0][0]
    assert f"filters that moved most:\n {top} (" in conv.numbers.text()


def test_diff_follows_step_back_to_the_pinned_step(window, qtbot):
    for _ in range(2):
        window.actions["step"].trigger()
    view = open_diff(window)
    qtbot.mouseClick(view.pin, Qt.MouseButton.LeftButton)
    for _ in range(3):
        window.actions["step"].trigger()
    assert view.diffs and any(d.norm > 0 for d in view.diffs)
    for _ in range(3):
        window.actions["step_back"].trigger()
    assert window.session.net.step == 2
    assert all(d.norm == 0 for d in view.diffs)
    assert "Step 2 − pinned step 2" in view.caption.text()


def test_compare_two_kept_steps_without_leaving_the_shown_one(window, qtbot):
    view = open_diff(window)
    kept = {}
    for _ in range(10):
        window.actions["step"].trigger()
        kept[window.session.net.step] = named_params(window.session.net)
    assert view.step_a.maximum() == 10 and view.step_b.minimum() == 0
    trace_before = window.session.last_trace
    view.step_a.setValue(3)
    view.step_b.setValue(8)
    qtbot.mouseClick(view.compare, Qt.MouseButton.LeftButton)
    assert window.session.net.step == 10 and window.session.last_trace is trace_before
    diffs = {d.name: d for d in view.diffs}
    for name, d in diffs.items():
        np.testing.assert_array_equal(d.delta, kept[8][name] - kept[3][name])
    assert "Step 8 − step 3 (picked)" in view.caption.text()
    # The pair stays while the window moves on; pinning goes back to following the shown step.
    window.actions["step_back"].trigger()
    assert {d.name: d.norm for d in view.diffs} == {n: d.norm for n, d in diffs.items()}
    qtbot.mouseClick(view.pin, Qt.MouseButton.LeftButton)
    assert view.against is None and "Step 9 − pinned step 9" in view.caption.text()
