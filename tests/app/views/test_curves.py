"""The curves set their own ranges: round numbers that hold every point."""

import numpy as np
import pytest

from visualcnn.app.views.curves import nice_ceiling


@pytest.mark.parametrize("value, expected", [(1, 1), (1.2, 1.5), (300, 300), (301, 400),
                                             (4001, 5000), (7, 8), (0.013, 0.015),
                                             (9000, 10000)])
def test_nice_ceiling(value, expected):
    assert nice_ceiling(value) == pytest.approx(expected)


def test_curves_hold_every_point(window, qtbot):
    for _ in range(37):
        window.step()
    window.evaluate_test()
    curves = window.curves_panel
    x_low, x_high = curves.loss_plot.viewRange()[0]
    assert x_low <= 0 and 37 <= x_high <= 40 * 1.05
    loss = window.session.history.loss
    y_low, y_high = curves.loss_plot.viewRange()[1]
    # The loss axis holds the moving average and nearly every step: a rare spike may go
    # off the top rather than flatten the rest.
    assert y_low <= 0 and np.nanmax(curves.loss_avg.getData()[1]) <= y_high
    assert np.mean(loss <= y_high) >= 0.95
    grad = window.session.history.grad_norm
    positive = grad[grad > 0]
    g_low, g_high = curves.grad_plot.viewRange()[1]  # log10 units on a log axis
    assert g_low <= np.log10(positive.min()) and np.log10(positive.max()) <= g_high


def test_a_refresh_leaves_ranges_it_has_and_restores_a_zoomed_one(window, qtbot):
    for _ in range(30):
        window.step()
    curves = window.curves_panel
    history = window.session.history
    plots = (curves.loss_plot, curves.accuracy_plot, curves.grad_plot, curves.ratio_plot)
    curves.show_history(history)
    shown = [plot.viewRange() for plot in plots]
    told = []
    for plot in plots:
        plot.getViewBox().sigStateChanged.connect(told.append)
    curves.show_history(history)
    assert told == [] and [plot.viewRange() for plot in plots] == shown
    # A student zoomed into the loss and panned the accuracy: the next refresh shows the
    # ranges the curves need again.
    curves.loss_plot.setXRange(5, 9, padding=0)
    curves.accuracy_plot.setXRange(12, 40, padding=0)
    curves.show_history(history)
    assert [plot.viewRange() for plot in plots] == shown


@pytest.mark.parametrize("shown", ["whole run", "last 1,000"])
def test_the_curves_hold_only_the_steps_shown_and_moving_the_axis_reworks_none(
        window, qtbot, monkeypatch, shown):
    import pyqtgraph as pg

    curves = window.curves_panel
    curves.range_box.setCurrentIndex(curves.range_box.findData(shown))
    for _ in range(1_200):
        window.session.step()
    curves.show_history(window.session.history)
    plots = (curves.loss_plot, curves.accuracy_plot, curves.grad_plot, curves.ratio_plot)
    items = [item for plot in plots for item in plot.listDataItems()]
    for plot in plots:
        x_low, x_high = plot.viewRange()[0]
        for item in plot.listDataItems():
            steps = item.getData()[0]
            if steps is not None and len(steps):
                assert x_low <= steps.min() and steps.max() <= x_high
    # A refresh early in a Run moves the steps axis on: pyqtgraph must not work every curve
    # out again for it (it did, after each curve's new data, while they were clipped).
    worked = []
    real = pg.PlotDataItem.updateItems
    monkeypatch.setattr(pg.PlotDataItem, "updateItems",
                        lambda self, *a, **k: (worked.append(self), real(self, *a, **k))[1])
    for plot in plots:
        low, high = plot.viewRange()[0]
        plot.setXRange(low + 100, high + 100, padding=0)
    assert worked == [] and len(items) >= 6
