"""The whole-network check in the Gradient check dock: the table, a row, and the lookup."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from visualcnn.nn import layers
from visualcnn.nn.gradcheck import check_entry


@pytest.fixture
def window(make_window):
    """A small learning rate, as in test_gradcheck: gradients stay measurable."""
    window = make_window(lr=1e-4)
    for _ in range(3):
        window.actions["step"].trigger()
    return window


def whole_tab(window):
    gc = window.debugger.gradcheck
    window.debugger.gradcheck_dock.show()
    gc.tabs.setCurrentWidget(gc.whole)
    return gc.whole


def test_whole_network_table_lists_every_tensor_and_passes(window, qtbot):
    whole = whole_tab(window)
    weights = window.session.net.get_state()
    qtbot.mouseClick(whole.run, Qt.MouseButton.LeftButton)
    report = whole.report
    names = [whole.table.item(r, 0).text() for r in range(whole.table.rowCount())]
    assert names == ["input", "conv1/W", "conv1/b", "conv1/out", "pool1/out", "flatten1/out",
                     "dense1/W", "dense1/b", "dense1/out"]
    assert report.passed and "PASS" in whole.summary.text()
    for row, t in enumerate(report.tensors):
        assert whole.table.item(row, 1).text() == f"{t.max_error:.2e}"
        assert whole.table.item(row, 3).text() == f"{t.kinks:,}"
    for key, value in window.session.net.get_state().items():
        np.testing.assert_array_equal(value, weights[key])  # checked on a copy
    # A row's click looks up its worst entry.
    row = names.index("conv1/W")
    rect = whole.table.visualItemRect(whole.table.item(row, 0))
    qtbot.mouseClick(whole.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    t = report["conv1/W"]
    assert whole.result.index == t.worst_index
    assert whole.result.analytic == t.analytic[t.worst]
    assert f"{whole.result.numeric:.10g}" in whole.entry.text()


def test_look_up_any_entry_by_its_index(window, qtbot):
    whole = whole_tab(window)
    whole.tensor.setCurrentIndex(whole.tensor.findData("conv1/W"))
    whole.index.setText("3, 0, 1, 2")
    qtbot.mouseClick(whole.look, Qt.MouseButton.LeftButton)
    s = window.session
    x, y = s.dataset.x_train[s.sample_index], int(s.dataset.y_train[s.sample_index])
    expected = check_entry(window.session.net, x, y, "conv1/W", (3, 0, 1, 2))
    assert whole.result == expected
    # Checked with the weights now, as Step would see them (the shown trace's are before
    # its update), on the sample shown.
    trace = window.session.net.forward_backward(x, y)
    assert whole.result.analytic == trace.layer("conv1").grads["W"][3, 0, 1, 2]
    assert f"{expected.analytic:.10g}" in whole.entry.text()
    assert f"{expected.numeric:.10g}" in whole.entry.text()
    # A layer's output, by (f, i, j).
    whole.tensor.setCurrentIndex(whole.tensor.findData("conv1/out"))
    whole.index.setText("(2, 20, 5)")
    qtbot.keyClick(whole.index, Qt.Key.Key_Return)
    assert whole.result.analytic == trace.layer("conv1").dout[0, 2, 20, 5]


def test_a_bad_index_says_so_in_one_line(window, qtbot):
    whole = whole_tab(window)
    whole.tensor.setCurrentIndex(whole.tensor.findData("conv1/W"))
    for text, words in [("8, 0, 0, 0", "no entry"), ("1, 2", "no entry"), ("a, b", "whole"),
                        ("", "type an index")]:
        whole.index.setText(text)
        qtbot.mouseClick(whole.look, Qt.MouseButton.LeftButton)
        assert whole.result is None
        assert words in whole.entry.text() and "\n" not in whole.entry.text()


def test_a_broken_backward_fails_the_rows_below_it(window, qtbot, monkeypatch):
    honest = layers.MaxPool2D.backward
    monkeypatch.setattr(layers.MaxPool2D, "backward",
                        lambda self, dout: honest(self, dout) * 1.01)
    whole = whole_tab(window)
    qtbot.mouseClick(whole.run, Qt.MouseButton.LeftButton)
    report = whole.report
    assert not report.passed and "FAIL" in whole.summary.text()
    assert report["conv1/out"].max_error > 1e-6 and report["pool1/out"].max_error < 1e-6
    assert "conv1/out" in whole.summary.text()
