"""Phase stepping in the window, through the Step phase action and its keys."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from visualcnn.app.views.output import OutputPanel
from visualcnn.app.views.panels import ConvPanel, InputPanel
from visualcnn.nn import Network

DEEPER = "conv8x3-relu-pool2-conv16x3-relu-pool2-dense10"


def phase_names(net):
    names = [layer.name for layer in net.layers]
    return ([f"forward {n}" for n in names] + ["loss"]
            + [f"backward {n}" for n in reversed(names)] + ["update"])


@pytest.mark.parametrize("arch", ["conv8x3-pool2-dense10", DEEPER])
def test_down_walks_every_phase_and_the_status_line_names_it(make_window, qtbot, arch):
    window = make_window(arch)
    qtbot.waitUntil(window.isActiveWindow)  # keys reach shortcuts of the active window only
    window.actions["step"].trigger()
    net = window.session.net
    twin = Network.from_arch(arch)
    s = window.session
    twin.train_step(s.dataset.x_train[s.sample_index], int(s.dataset.y_train[s.sample_index]),
                    s.lr)
    sample = s.next_sample_index
    seen = []
    for _ in phase_names(net):
        qtbot.keyClick(window, Qt.Key.Key_Down)
        seen.append(window.debugger.phase_text)
        assert window.status.text().startswith(f"phase: {seen[-1]}")
    assert seen == phase_names(net)
    assert net.step == 2 and s.sample_index == sample
    expected = twin.train_step(s.dataset.x_train[sample], int(s.dataset.y_train[sample]), s.lr)
    for lay in net.layers:
        for k, v in lay.params.items():
            np.testing.assert_array_equal(v, twin.layers[[t.name for t in twin.layers]
                                                         .index(lay.name)].params[k])
    assert window.last_trace.loss == expected.loss


def test_period_also_steps_a_phase(window, qtbot):
    qtbot.keyClick(window, Qt.Key.Key_Period)
    assert window.debugger.phase_text == "forward conv1"


def test_panels_not_reached_show_not_yet_computed_never_stale_numbers(window, qtbot):
    for _ in range(2):
        window.actions["step"].trigger()  # the panels hold a whole step's numbers
    view = window.debugger
    conv = next(p for p in window.panels if isinstance(p, ConvPanel))
    window.actions["step_phase"].trigger()  # forward conv1
    trace = view.trace
    np.testing.assert_array_equal(conv.maps.raw.reshape(trace.layer("conv1").out[0].shape),
                                  trace.layer("conv1").out[0])
    for mosaic in (conv.grad_maps, conv.grad_weights):
        assert np.isnan(mosaic.raw).all()
        assert view.phase_view.not_computed_label(mosaic).isVisible()
    assert not view.phase_view.not_computed_label(conv.maps).isVisible()
    assert "nan" not in conv.biases.item.text()
    caption = next(p for p in window.panels if isinstance(p, InputPanel)).caption
    assert "prediction: not yet computed" in caption.item.text()
    # The current layer's dock is marked; the others are not.
    assert window.docks["conv1"].windowTitle().startswith("▶ FORWARD")
    assert not window.docks["pool1"].windowTitle().startswith("▶")
    output = next(p for p in window.panels if isinstance(p, OutputPanel))
    assert all(note.isVisible() for note in output.not_computed_notes)
    for _ in range(3):
        window.actions["step_phase"].trigger()  # pool1, flatten1, dense1
    window.actions["step_phase"].trigger()  # loss
    assert window.debugger.phase_text == "loss"
    assert window.docks["output"].windowTitle().startswith("▶ LOSS")
    assert not any(note.isVisible() for note in output.not_computed_notes)
    np.testing.assert_array_equal(output.prob_bars.opts["height"], view.trace.probs)
    assert np.isnan(conv.grad_maps.raw).all()
    window.actions["step_phase"].trigger()  # backward dense1
    assert window.docks["dense1"].windowTitle().startswith("▶ BACKWARD")


def test_update_phase_shows_before_update_and_after(window, qtbot):
    window.actions["step"].trigger()
    for _ in range(10):
        window.actions["step_phase"].trigger()
    assert window.debugger.phase_text == "update"
    dock = window.debugger.update_dock
    qtbot.waitUntil(dock.isVisible)
    trace = window.last_trace
    assert trace.applied
    view = next(v for v in window.debugger.update_view.views if v.name == "conv1")
    lt = trace.layer("conv1")
    W, U = lt.params["W"], lt.updates["W"]
    np.testing.assert_array_equal(view.before.raw.reshape(W[:, 0].shape), W[:, 0])
    np.testing.assert_array_equal(view.update.raw.reshape(U[:, 0].shape), U[:, 0])
    np.testing.assert_array_equal(view.after.raw.reshape(W[:, 0].shape), W[:, 0] + U[:, 0])
    np.testing.assert_array_equal(window.session.net.layers[0].params["W"], W + U)
    np.testing.assert_allclose(U, -trace.lr * lt.grads["W"], rtol=0, atol=0)
    assert window.docks["conv1"].windowTitle().startswith("▶ UPDATE")


def test_right_finishes_the_walk_from_any_phase(window, qtbot):
    window.actions["step"].trigger()
    sample = window.session.next_sample_index
    for _ in range(6):  # into the backward pass
        qtbot.keyClick(window, Qt.Key.Key_Down)
    assert window.debugger.phase_text.startswith("backward")
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert window.session.net.step == 2 and window.session.sample_index == sample
    assert window.last_trace.applied and window.debugger.phase_text == ""
    assert not window.docks["dense1"].windowTitle().startswith("▶")
    assert not window.status.text().startswith("phase:")
    qtbot.keyClick(window, Qt.Key.Key_Down)  # the next walk starts on the next sample
    assert window.debugger.phase_text == "forward conv1"
    assert window.session.net.step == 2


def test_run_abandons_a_walk(window, qtbot):
    qtbot.keyClick(window, Qt.Key.Key_Down)
    window.actions["run"].trigger()
    qtbot.waitUntil(lambda: window.session.net.step >= 2)
    window.actions["run"].trigger()
    assert not window.debugger.debugger.walking and window.debugger.phase_text == ""
    assert not window.docks["conv1"].windowTitle().startswith("▶")


def test_debug_menu_and_view_menu_hold_every_action_and_dock(window):
    debug = window.debugger.menu
    entries = set(debug.actions())
    for name in ("step_phase", "step_back", "replay", "dry_run", "gradcheck"):
        assert window.actions[name] in entries
    view_entries = set(window.view_menu.actions())
    for dock in window.debugger.debug_docks:
        assert dock.toggleViewAction() in view_entries
        dock.toggleViewAction().trigger()
        assert dock.isVisible()
        dock.toggleViewAction().trigger()
        assert not dock.isVisible()
    keys = [k.toString() for k in window.actions["step_phase"].shortcuts()]
    assert keys == ["Down", "."]
    assert window.actions["step_back"].shortcut().toString() == "Left"


def test_update_view_is_blank_until_the_update_phase(window, qtbot):
    window.actions["step"].trigger()
    window.debugger.update_dock.show()
    window.actions["step_phase"].trigger()  # forward conv1 of the next sample
    view = window.debugger.update_view.views[0]
    assert np.isnan(view.update.raw).all() and np.isnan(view.after.raw).all()
    assert "not yet computed" in window.debugger.update_view.caption.text()
