"""Test-set views: confusion matrix and misclassified gallery, refreshed by evaluation; a click
on a thumbnail makes that test image the current sample."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from visualcnn.app.classroom.testset import confusion_matrix


@pytest.fixture
def tests_view(window, qtbot):
    # The Draw tab comes to the front once the window's first events run: raise after them,
    # since a view tabbed behind another is only refreshed when it comes back.
    qtbot.wait(1)
    dock = window.classroom.testset.dock
    dock.show()
    dock.raise_()
    return window.classroom.testset.view


def matrix_counts(view):
    m = view.matrix
    return np.array([[int(m.item(r, c).text()) for c in range(m.columnCount())]
                     for r in range(m.rowCount())])


def test_evaluation_fills_the_matrix_and_the_gallery_of_mistakes(window, tests_view, qtbot):
    assert tests_view.matrix.rowCount() == 0 and "not been evaluated" in tests_view.heading.text()
    for _ in range(5):
        window.actions["step"].trigger()
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    s = window.session
    predictions = s.net.predict(s.dataset.x_test).argmax(axis=1)
    counts = matrix_counts(tests_view)
    np.testing.assert_array_equal(counts, confusion_matrix(s.dataset.y_test, predictions, 10))
    assert counts.sum() == len(s.dataset.y_test)
    assert tests_view.matrix.verticalHeaderItem(2).text() == "true 2"
    assert tests_view.matrix.horizontalHeaderItem(7).text() == "7"
    wrong = np.flatnonzero(predictions != s.dataset.y_test)
    g = tests_view.gallery
    assert g.count() == len(wrong) > 0
    first = int(wrong[0])
    assert g.item(0).text() == f"true {s.dataset.y_test[first]} → pred {predictions[first]}"
    assert f"step 5: {len(predictions) - len(wrong)} of" in tests_view.heading.text()


def test_clicking_a_thumbnail_makes_it_the_current_sample(window, tests_view, qtbot):
    window.actions["evaluate"].trigger()
    g = tests_view.gallery
    item = g.item(1)
    index = item.data(Qt.ItemDataRole.UserRole)
    rect = g.visualItemRect(item)
    qtbot.mouseClick(g.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    trace = window.last_trace
    ds = window.session.dataset
    assert not trace.applied and trace.label == ds.y_test[index]
    np.testing.assert_array_equal(trace.input[0], ds.x_test[index])
    assert trace.prediction == window.session.test_predictions[index] != trace.label
    assert window.panels[0].caption.item.text().startswith(f"sample test #{index}  label")
    assert window.session.net.step == 0


def test_a_matrix_cell_filters_the_gallery(window, tests_view, qtbot):
    window.actions["evaluate"].trigger()
    counts = matrix_counts(tests_view)
    off = np.argwhere((counts > 0) & ~np.eye(10, dtype=bool))[0]
    tests_view.matrix.cellClicked.emit(int(off[0]), int(off[1]))
    assert tests_view.gallery.count() == counts[off[0], off[1]]
    for i in range(tests_view.gallery.count()):
        assert tests_view.gallery.item(i).text() == f"true {off[0]} → pred {off[1]}"
    tests_view.matrix.cellClicked.emit(int(off[0]), int(off[1]))  # again: every mistake
    assert tests_view.gallery.count() == counts.sum() - np.trace(counts)


def test_views_follow_each_evaluation_including_a_run_paused(window, tests_view, qtbot):
    window.actions["evaluate"].trigger()
    first = matrix_counts(tests_view)
    window.session.set_lr(0.5)
    for _ in range(10):
        window.actions["step"].trigger()
    window.actions["evaluate"].trigger()
    assert "step 10:" in tests_view.heading.text()
    second = matrix_counts(tests_view)
    assert not np.array_equal(first, second)
    window.actions["run"].trigger()
    qtbot.waitUntil(lambda: window.session.net.step > 12)
    window.actions["run"].trigger()  # pausing evaluates the test split
    assert f"step {window.session.net.step}:" in tests_view.heading.text()


def test_reset_forgets_the_test_predictions_of_the_old_weights(window):
    window.step()
    window.evaluate_test()
    assert window.session.test_predictions is not None
    window.reset()
    assert window.session.test_predictions is None
    assert window.session.fully_tested_at is None
