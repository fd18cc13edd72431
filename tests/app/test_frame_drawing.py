"""What a frame draws: a panel off screen (its dock closed, or tabbed behind another) puts its
drawing off and shows the current step the moment it shows again; a redraw skipped because
nothing changed never leaves a stale picture (step back, scale mode); every tile of a mosaic
is exactly the colours its map alone would get."""

import numpy as np
from PyQt6.QtCore import QEvent, QObject, Qt

from tests.app.panel_checks import panel
from visualcnn.app.run_loop import MAX_SPEED
from visualcnn.app.views.board import Board, on_screen
from visualcnn.app.views.panels import ConvPanel, DensePanel, InputPanel, PoolPanel
from visualcnn.common.numbers import format_number

GAP = 255


def reference_indices(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Colour indices the plain way: scaled to 0..254 between the levels, NaN to the gap."""
    scaled = np.clip((values.astype(np.float64) - low) * (254 / (high - low)), 0, 254)
    out = np.rint(np.nan_to_num(scaled, nan=0.0)).astype(np.uint8)
    out[np.isnan(values)] = GAP
    return out


def layer_levels(maps: np.ndarray, signed: bool) -> tuple[float, float]:
    top = float(np.abs(maps).max()) if signed else float(maps.max())
    top = top if top > 0 else 1e-12
    return (-top, top) if signed else (0.0, top)


def assert_shows(mosaic, maps: np.ndarray) -> None:
    """``mosaic`` draws ``maps`` (n, h, w) at per-layer levels: each tile alone, the gaps
    between tiles in the gap colour, the scale in the bar's label."""
    low, high = layer_levels(maps, mosaic.signed)
    for i, one_map in enumerate(maps):
        r, c = divmod(i, mosaic.cols)
        np.testing.assert_array_equal(mosaic.tile(r, c), reference_indices(one_map, low, high))
    image = mosaic.shown_image()
    for r in range(1, mosaic.rows):  # the row of gap between two rows of tiles
        assert (image[r * (mosaic.h + 1) - 1] == GAP).all()
    label = ("±" if mosaic.signed else "") + format_number(high)
    assert mosaic.top_label.text() == label


def test_every_tile_of_every_mosaic_is_its_own_map_in_the_layer_colours(window):
    for _ in range(3):
        window.actions["step"].trigger()
    trace = window.last_trace
    conv, pool = panel(window, ConvPanel), panel(window, PoolPanel)
    lt, pt = trace.layer("conv1"), trace.layer("pool1")
    assert_shows(panel(window, InputPanel).gradient, trace.dinput[0])
    assert_shows(conv.weights, lt.params["W"][:, 0])
    assert_shows(conv.grad_weights, lt.grads["W"][:, 0])
    assert_shows(conv.maps, lt.out[0])
    assert_shows(conv.grad_maps, lt.dout[0])
    assert_shows(pool.inputs, pt.x[0])
    assert_shows(pool.routed, pt.dx[0])
    assert_shows(pool.pooled, pt.out[0])
    dense = panel(window, DensePanel)
    templates = trace.layer("dense1").params["W"].reshape(10, 8, 13, 13)
    assert_shows(dense.weights, templates.reshape(80, 13, 13))
    # The winners' dots: the middle of each map pixel's 3 x 3 block, nothing else.
    dots = pool.winners.image.image
    mask = pt.extras["argmax_mask"][0]
    assert dots.sum() == mask.sum()
    for i, one_mask in enumerate(mask):
        r, c = divmod(i, pool.inputs.cols)
        h, w = one_mask.shape
        block = dots[3 * r * (h + 1):3 * (r * (h + 1) + h), 3 * c * (w + 1):3 * (c * (w + 1) + w)]
        np.testing.assert_array_equal(block[1::3, 1::3], one_mask)


def test_a_panel_tabbed_behind_another_draws_the_current_step_when_it_comes_to_front(
        window, qtbot):
    conv = panel(window, ConvPanel)
    window.actions["step"].trigger()
    before = conv.maps.shown_image().copy()
    window.tabifyDockWidget(window.docks["conv1"], window.docks["pool1"])
    window.docks["pool1"].raise_()
    qtbot.waitUntil(lambda: not on_screen(window.docks["conv1"]))
    for _ in range(3):
        window.actions["step"].trigger()
    trace = window.last_trace
    # Off screen: the values are taken (hover, inspector), the picture waits.
    np.testing.assert_array_equal(conv.maps.raw.reshape(8, 26, 26), trace.layer("conv1").out[0])
    np.testing.assert_array_equal(conv.maps.shown_image(), before)
    window.docks["conv1"].raise_()
    assert_shows(conv.maps, trace.layer("conv1").out[0])
    assert_shows(conv.grad_weights, trace.layer("conv1").grads["W"][:, 0])


def test_a_closed_panel_draws_the_current_step_when_opened_again(window, qtbot):
    pool = panel(window, PoolPanel)
    window.actions["step"].trigger()
    toggle = window.docks["pool1"].toggleViewAction()  # its entry in the View menu
    toggle.trigger()
    assert not window.docks["pool1"].isVisible()
    for _ in range(2):
        window.actions["step"].trigger()
    toggle.trigger()
    qtbot.waitUntil(lambda: window.docks["pool1"].isVisible())
    pt = window.last_trace.layer("pool1")
    assert_shows(pool.pooled, pt.out[0])
    assert_shows(pool.routed, pt.dx[0])
    assert pool.winners.image.image.sum() == pt.extras["argmax_mask"][0].sum()


def test_step_back_and_a_new_scale_mode_redraw_what_an_unchanged_trace_skips(window, qtbot):
    conv = panel(window, ConvPanel)
    for _ in range(4):
        window.actions["step"].trigger()
    earlier = window.last_trace.layer("conv1").out[0].copy()
    window.actions["step"].trigger()
    window.actions["step_back"].trigger()
    back = window.last_trace.layer("conv1").out[0]
    np.testing.assert_array_equal(back, earlier)
    assert_shows(conv.maps, back)
    # The same trace again, in another scale mode: drawn again with each map's own levels.
    qtbot.keyClick(window, Qt.Key.Key_Right)  # a step, then the mode on the step shown
    box = window.scale_box
    box.setCurrentIndex(box.findData("map"))
    maps = window.last_trace.layer("conv1").out[0]
    for i, one_map in enumerate(maps):
        r, c = divmod(i, conv.maps.cols)
        top = float(np.abs(one_map).max()) or 1.0
        np.testing.assert_array_equal(conv.maps.tile(r, c),
                                      reference_indices(one_map / top, -1.0, 1.0))
    box.setCurrentIndex(box.findData("layer"))
    assert_shows(conv.maps, maps)


def test_the_test_set_behind_another_tab_catches_up_when_it_comes_to_front(window, qtbot):
    qtbot.wait(1)  # the Draw tab comes to the front once the window's first events run
    view, dock = window.classroom.testset.view, window.classroom.testset.dock
    assert window.tabifiedDockWidgets(dock) and not on_screen(view)
    for _ in range(3):
        window.actions["step"].trigger()
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert window.session.test_predictions is not None
    assert "not been evaluated" in view.heading.text()  # behind the Draw tab: not redrawn
    dock.raise_()
    assert f"step {window.session.net.step}:" in view.heading.text()
    assert view.matrix.rowCount() == 10


class PaintCounter(QObject):
    """Counts the paint events of the widgets it watches."""

    def __init__(self, widgets):
        super().__init__()
        self.paints = {id(w): 0 for w in widgets}
        for w in widgets:
            w.installEventFilter(self)

    def eventFilter(self, watched, event):  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint and id(watched) in self.paints:
            self.paints[id(watched)] += 1
        return False


def test_a_frame_of_run_paints_each_board_once(window, qtbot):
    viewports = [b.viewport() for b in window.findChildren(Board) if on_screen(b)]
    assert len(viewports) >= 4
    window.actions["step"].trigger()
    qtbot.wait(50)
    counter = PaintCounter(viewports)
    loop = window.loop
    loop.set_speed(MAX_SPEED)
    frames_before = loop.frames
    loop.start()
    qtbot.waitUntil(lambda: loop.frames - frames_before >= 60, timeout=60000)
    loop.stop()
    qtbot.wait(50)
    frames = loop.frames - frames_before
    # Every frame changes every board once; a second paint of a board in the same frame
    # showed nothing new (at most one more: the window's own repaint at Pause). Fewer is
    # allowed: on a loaded machine Qt merges two frames' updates of a board into one paint
    # (59 paints in 61 frames, once in CI).
    assert all(frames // 2 <= n <= frames + 1 for n in counter.paints.values()), \
        (frames, counter.paints)
