"""The "true" / "pred" labels over the probability bars stay inside their chart, whichever
bar they mark, in a narrow Output dock."""

from __future__ import annotations

import dataclasses

import pytest
from PyQt6.QtCore import Qt


@pytest.mark.parametrize("label", range(10))
def test_the_true_equals_pred_label_stays_inside_the_chart(window, qtbot, label):
    window.resize(1024, 768)
    window.resizeDocks([window.docks["output"]], [190], Qt.Orientation.Horizontal)
    qtbot.wait(50)
    out = window.output_panel
    # The sample shown as if it were of class ``label`` and predicted so: the widest label,
    # "true = pred", over bar ``label``.
    trace = dataclasses.replace(window.session.preview(), label=label, prediction=label)
    out.show_trace(trace, None)
    qtbot.wait(20)
    mark = out.true_mark
    assert mark.toPlainText() == "true = pred"
    box = mark.mapRectToScene(mark.boundingRect())
    view = out.prob_plot.vb.sceneBoundingRect()
    assert box.left() >= view.left() - 1 and box.right() <= view.right() + 1, (label, box, view)


@pytest.mark.parametrize("height", [170, 230, 300, 400])
def test_a_mark_over_a_certain_prediction_is_not_cut_off_in_a_short_chart(window, qtbot,
                                                                          height):
    import numpy as np

    window.resize(1280, 720)
    window.resizeDocks([window.docks["output"]], [height], Qt.Orientation.Vertical)
    qtbot.wait(50)
    out = window.output_panel
    trace = window.session.preview()
    certain = np.zeros_like(trace.probs)
    certain[3] = 1.0
    out.show_trace(dataclasses.replace(trace, label=3, prediction=3, probs=certain), None)
    qtbot.wait(20)
    box = out.true_mark.mapRectToScene(out.true_mark.boundingRect())
    view = out.prob_plot.vb.sceneBoundingRect()
    assert box.top() >= view.top() - 1, (height, box, view)


def test_the_probability_axis_labels_no_value_above_one(window, qtbot):
    from PyQt6.QtGui import QPainter, QPixmap

    out = window.output_panel
    axis = out.prob_plot.getAxis("left")
    tops = []
    for height in range(200, 330, 10):  # short charts make the most room above 1
        window.resizeDocks([window.docks["output"]], [height], Qt.Orientation.Vertical)
        qtbot.wait(30)
        out.show_trace(window.session.preview(), None)
        tops.append(out.prob_plot.vb.viewRange()[1][1])
        canvas = QPixmap(200, 400)
        painter = QPainter(canvas)
        try:
            _axis, _ticks, texts = axis.generateDrawSpecs(painter)  # what the axis draws
        finally:
            painter.end()
        labels = [float(text) for _rect, _flags, text in texts]
        assert labels and max(labels) <= 1.0, (height, tops[-1], labels)
    assert max(tops) >= 1.5  # some chart was short enough to need that much room
