"""The curves after a long run: what each curve is handed depends on the plot's width, not on
the steps; the whole run or its last steps; a chosen smoothing; legends beside the data."""

import numpy as np
import pytest

from tests.app.views.screen import at_size
from visualcnn.app.views.curve_drawing import pixel_columns
from visualcnn.training.history import History


def long_run(history: History, steps: int, seed: int = 0, after: int = 0) -> np.ndarray:
    """``steps`` steps of a decaying, noisy loss recorded as a session does, from step
    ``after + 1``; the losses."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    loss = (0.08 + 2.2 * np.exp(-t / 3000)) * rng.exponential(1.0, steps)
    correct = rng.random(steps) < np.exp(-loss)
    layers = len(history.layer_names)
    grad = np.exp(rng.normal(-1, 0.5, (steps, layers)))
    ratio = np.exp(rng.normal(-7, 0.5, (steps, layers)))
    for i in range(steps):
        history.record(after + i + 1, float(loss[i]), bool(correct[i]), grad[i].tolist(),
                       ratio[i].tolist())
        if (after + i + 1) % 500 == 0:
            history.record_test(after + i + 1, 0.9, 0.3)
    return loss


def curve_items(curves):
    return [curves.loss_step, curves.loss_avg, curves.train_accuracy, curves.test_accuracy,
            *curves.grad_norm, *curves.update_ratio]


@pytest.fixture
def long_window(window):
    at_size(window, 1280, 720)
    long_run(window.session.history, 200_000)
    window.curves_panel.show_history(window.session.history)  # the window's refresh
    return window


@pytest.mark.parametrize("shown", ["whole run", "last 10,000"])
def test_each_curve_gets_points_by_the_plot_width_not_by_the_steps(long_window, shown):
    curves = long_window.curves_panel
    curves.range_box.setCurrentText(shown)
    curves.show_history(long_window.session.history)
    for plot, items in ((curves.loss_plot, [curves.loss_step, curves.loss_avg]),
                        (curves.accuracy_plot, [curves.train_accuracy]),
                        (curves.grad_plot, curves.grad_norm),
                        (curves.ratio_plot, curves.update_ratio)):
        columns = pixel_columns(plot)
        assert columns <= max(60, plot.vb.width() + 1)  # the plot's own width, in pixels
        for item in items:
            x, y = item.getData()
            assert 0 < len(x) <= 2 * columns, item.name()
    # The test evaluations are bounded too (thinned evenly past their capacity).
    assert len(curves.test_accuracy.getData()[0]) <= 1024


def test_the_whole_run_or_its_last_steps(long_window):
    curves, history = long_window.curves_panel, long_window.session.history
    curves.range_box.setCurrentText("whole run")
    x_low, x_high = curves.loss_plot.viewRange()[0]
    steps, _ = curves.loss_avg.getData()
    assert x_low <= 0 and 200_000 <= x_high <= 250_000
    assert steps.min() < 1_000 and steps.max() > 199_000
    curves.range_box.setCurrentText("last 1,000")
    x_low, x_high = curves.loss_plot.viewRange()[0]
    steps, values = curves.loss_step.getData()
    assert 198_900 <= x_low and x_high <= 200_200
    # Only the steps in that range, brought to the plot's width: their band holds every one.
    assert x_low <= steps.min() and steps.max() <= 200_000
    assert len(steps) <= 2 * pixel_columns(curves.loss_plot)
    shown = history.loss[history.steps >= x_low]
    assert values.max() == shown.max() and values.min() == shown.min()


def test_the_smoothing_is_the_moving_average_over_the_chosen_steps(window):
    at_size(window, 1280, 720)
    curves = window.curves_panel
    long_run(window.session.history, 200, seed=1)
    same_data = History(window.session.history.layer_names, window=10)
    long_run(same_data, 200, seed=1)
    curves.smoothing_box.setCurrentText("10 steps")
    steps, average = curves.loss_avg.getData()
    assert pixel_columns(curves.loss_plot) >= 200  # every step its own point
    np.testing.assert_array_equal(steps, np.arange(1, 201))
    np.testing.assert_allclose(average, same_data.loss_avg, rtol=1e-12)
    long_run(window.session.history, 3_000, seed=2, after=200)
    curves.range_box.setCurrentText("last 1,000")
    _, rough = curves.loss_avg.getData()
    curves.smoothing_box.setCurrentText("1,000 steps")
    _, smooth = curves.loss_avg.getData()
    assert np.std(np.diff(smooth)) < np.std(np.diff(rough)) / 5
    # Averaged over the plot's pixel columns rather than step by step: close to the
    # step-by-step average over the same 1,000 steps.
    same_data = History(window.session.history.layer_names, window=1000)
    long_run(same_data, 200, seed=1)
    long_run(same_data, 3_000, seed=2, after=200)
    assert smooth[-1] == pytest.approx(same_data.loss_avg[-1], rel=0.02)


def test_legends_sit_outside_the_plotting_area(long_window):
    curves = long_window.curves_panel
    curves.show_history(long_window.session.history)
    for plot in (curves.loss_plot, curves.accuracy_plot, curves.grad_plot, curves.ratio_plot):
        legend = plot.legend
        assert legend is not None and legend.isVisible() and len(legend.items) >= 2
        area = plot.vb.sceneBoundingRect()
        for sample, label in legend.items:
            for part in (sample, label):
                box = part.sceneBoundingRect()
                assert box.width() > 0 and not box.intersects(area), label.text
        assert legend.sceneBoundingRect().bottom() <= plot.sceneBoundingRect().top() + 1


def test_a_long_run_keeps_the_loss_average_readable(long_window):
    curves = long_window.curves_panel
    curves.range_box.setCurrentText("whole run")
    _, average = curves.loss_avg.getData()
    y_low, y_high = curves.loss_plot.viewRange()[1]
    # Early spikes (a loss of 10 or more in the first steps) do not flatten the rest: the
    # average uses a good part of the plot's height.
    assert np.nanmax(average) >= 0.3 * y_high and y_low <= 0
