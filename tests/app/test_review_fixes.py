"""Cases found in review: grids that end in empty tiles, fixed scale after a reset, clicks on
a pool's dropped rows, and test-set views that belong to one network only."""

import numpy as np

from visualcnn.app.views.panels import DensePanel, PoolPanel


def test_filters_that_do_not_fill_a_grid_still_show_their_pool_winners(make_window):
    window = make_window("conv5x3-pool2-dense10")  # five maps on a 2 x 3 grid
    window.step()
    pool = next(p for p in window.panels if isinstance(p, PoolPanel))
    mask = window.last_trace.layer("pool1").extras["argmax_mask"][0]
    m = pool.inputs
    marked = pool.winners.marked()
    for f in range(5):
        r, c = divmod(f, m.cols)
        tile = marked[r * (m.h + 1):r * (m.h + 1) + m.h, c * (m.w + 1):c * (m.w + 1) + m.w]
        np.testing.assert_array_equal(tile, mask[f])


def test_fixed_scale_waits_for_weights_that_are_not_all_zero(window):
    window.scale_box.setCurrentIndex(window.scale_box.findData("fixed"))
    window.reset()  # the output layer is zero again: nothing to fix the levels on
    for _ in range(20):
        window.step()
    dense = next(p for p in window.panels if isinstance(p, DensePanel))
    w = np.abs(window.last_trace.layer("dense1").params["W"]).max()
    assert dense.weights.levels[1] > 1e-6
    assert dense.weights.levels[1] <= 10 * w


def test_a_click_on_a_row_the_pool_drops_selects_nothing(make_window):
    window = make_window("conv8x3-relu-pool2-conv16x3-relu-pool2-dense10")
    window.step()
    inspector = window.debugger.inspector
    pool2 = next(p for p in window.panels if isinstance(p, PoolPanel) and p.name == "pool2")
    m = pool2.inputs  # 11 x 11 maps into 5 x 5 windows: row and column 10 are dropped
    x = m.image_x + (m.w - 1 + 0.5) * m.cell
    y = m.image_y + (m.h - 1 + 0.5) * m.cell
    assert inspector.selection_at(pool2, x, y) is None
    inside = inspector.selection_at(pool2, m.image_x + 0.5 * m.cell, m.image_y + 0.5 * m.cell)
    assert inside is not None and inside.what == "pool"


def test_reset_forgets_the_test_predictions_of_the_old_weights(window):
    window.step()
    window.evaluate_test()
    assert window.session.test_predictions is not None
    window.reset()
    assert window.session.test_predictions is None
    assert window.session.fully_tested_at is None


def test_replay_and_dry_run_use_the_sample_on_screen_even_when_it_is_not_a_training_one(
        window):
    sample = np.zeros((1, 28, 28))
    sample[0, 8:20, 12:16] = 1.0  # a bar, as if drawn
    shown = window.session.try_sample(sample, 1, "drawn, target 1")
    window.show_trace(shown)
    window.actions["dry_run"].trigger()
    np.testing.assert_array_equal(window.last_trace.input[0], sample)
    step = window.session.net.step
    window.actions["replay"].trigger()
    assert window.session.net.step == step + 1
    np.testing.assert_array_equal(window.last_trace.input[0], sample)
    assert window.last_trace.label == 1
