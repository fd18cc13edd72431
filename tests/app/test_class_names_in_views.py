"""Every view that shows a class names it as the data does: the input caption, the output's
bars, the confusion matrix and the gallery of mistakes, the drawing's target, the model dock.

The window's data is a small IDX folder whose label file the checksum table is told is
Fashion-MNIST's, so that the names come the way a user's download brings them.
"""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtGui import QFontMetricsF

from tests.data.test_class_names import idx_bytes, md5_of
from visualcnn.app.views.panels import InputPanel
from visualcnn.data import classes as class_table
from visualcnn.data import load_dataset
from visualcnn.data.classes import FASHION_MNIST


def write_fashion_like(folder, seed=0):
    import gzip

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    files = {"train-images-idx3-ubyte": rng.integers(0, 256, (60, 28, 28), dtype=np.uint8),
             "train-labels-idx1-ubyte": rng.integers(0, 10, 60, dtype=np.uint8),
             "t10k-images-idx3-ubyte": rng.integers(0, 256, (40, 28, 28), dtype=np.uint8),
             "t10k-labels-idx1-ubyte": np.arange(40, dtype=np.uint8) % 10}
    for name, array in files.items():
        (folder / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array), mtime=0))
    return folder


@pytest.fixture
def fashion_folder(tmp_path, monkeypatch):
    folder = write_fashion_like(tmp_path / "fashion")
    table = dict(class_table.PUBLISHED_LABEL_FILES)
    table[md5_of(folder / "train-labels-idx1-ubyte.gz")] = ("Fashion-MNIST", FASHION_MNIST)
    monkeypatch.setattr(class_table, "PUBLISHED_LABEL_FILES", table)
    return folder


@pytest.fixture
def dataset(fashion_folder):
    """The window's data (see tests/app/conftest.py): Fashion-MNIST's names."""
    data = load_dataset(fashion_folder)
    assert data.class_names == FASHION_MNIST
    return data


def caption_of(window) -> str:
    return next(p for p in window.panels if isinstance(p, InputPanel)).caption.item.text()


def test_the_input_caption_and_the_output_bars_use_the_names(window, qapp):
    window.actions["step"].trigger()
    trace = window.last_trace
    names = window.session.dataset.class_names
    caption = caption_of(window)
    assert f"label {names[trace.label]}\n" in caption
    assert f"predicted {names[trace.prediction]} (p " in caption
    axis = window.output_panel.class_axis
    assert axis.names == FASHION_MNIST
    window.grab()  # draws the axis, which finds the names too wide to lie flat
    qapp.processEvents()
    window.grab()
    font = axis.style["tickFont"] or axis.font()
    widest = max(QFontMetricsF(font).horizontalAdvance(name) for name in FASHION_MNIST)
    assert axis.turned and axis.height() >= widest
    # The gradient's chart under it keeps the class numbers.
    grad_ticks = window.output_panel.grad_plot.getAxis("bottom")._tickLevels[0]
    assert [text for _, text in grad_ticks] == [str(c) for c in range(10)]


def test_the_confusion_matrix_and_the_gallery_use_the_names(window, qtbot):
    dock = window.classroom.testset.dock
    dock.show()
    dock.raise_()
    view = window.classroom.testset.view
    window.actions["step"].trigger()
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    m = view.matrix
    assert [m.verticalHeaderItem(r).text() for r in range(10)][:3] == [
        "0 T-shirt/top", "1 Trouser", "2 Pullover"]
    assert m.horizontalHeaderItem(9).text() == "9"
    assert m.horizontalHeaderItem(9).toolTip() == "predicted Ankle boot"
    assert "numbered as the rows" in view.axes.text()
    ds, predicted = window.session.dataset, window.session.test_predictions
    first = int(np.flatnonzero(predicted != ds.y_test)[0])
    true_name, predicted_name = FASHION_MNIST[ds.y_test[first]], FASHION_MNIST[predicted[first]]
    item = view.gallery.item(0)
    assert item.toolTip() == f"test #{first}: true {true_name}, predicted {predicted_name}"
    lines = item.text().split("\n")
    assert lines[0].endswith(true_name) or true_name in lines[0]
    assert predicted_name in lines[-1]
    # Each caption fits under its thumbnail: Qt would cut it with "…" otherwise.
    metrics = view.gallery.fontMetrics()
    assert all(metrics.horizontalAdvance(line) <= view.gallery.gridSize().width()
               for line in lines)
    # A mistake's cell filters the gallery, and says which by name.
    row, column = int(ds.y_test[first]), int(predicted[first])
    m.cellClicked.emit(row, column)
    assert f"true {true_name} predicted as {predicted_name}" in view.gallery_label.text()


def test_the_draw_target_offers_the_classes_by_name(window, qtbot):
    dock = window.classroom.drawing.dock
    dock.show()
    dock.raise_()
    draw = window.classroom.drawing.panel
    assert draw.target.text() == "target none"
    draw.target.setValue(9)
    assert draw.target.text() == "target Ankle boot"
    # Typed by name, as a teacher would.
    draw.target.lineEdit().selectAll()
    qtbot.keyClicks(draw.target, "Dress")
    qtbot.keyClick(draw.target, Qt.Key.Key_Return)
    assert draw.target_label() == 3 and draw.target.text() == "target Dress"
    # The box is wide enough for the longest name.
    metrics = draw.target.fontMetrics()
    assert draw.target.width() > metrics.horizontalAdvance("target T-shirt/top")
    canvas = draw.canvas
    top = canvas.rect().center()
    bottom = top + QPoint(0, min(canvas.width(), canvas.height()) // 3)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=top)
    qtbot.mouseMove(canvas, bottom)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=bottom)
    assert window.last_trace.label == 3
    assert caption_of(window).startswith("sample drawn, target Dress  label Dress")


def test_the_model_dock_lists_the_names_and_where_they_came_from(window):
    text = window.classroom.model_data.panel.classes_label.text()
    assert "T-shirt/top" in text and "Ankle boot" in text
    assert "Fashion-MNIST" in text and "checksum" in text


def test_opening_other_data_renames_every_view(window, fashion_folder, qtbot):
    model = window.classroom.model_data
    draw = window.classroom.drawing.panel
    window.actions["bundled_dataset"].trigger()
    assert window.session.dataset.class_names[9] == "9"
    assert window.output_panel.class_axis.names[9] == "9"
    draw.target.setValue(9)
    assert draw.target.text() == "target 9"
    assert "by number" in model.panel.classes_label.text()
    window.actions["step"].trigger()
    trace = window.last_trace
    assert f"label {trace.label}\n" in caption_of(window)
    (fashion_folder / "classes.txt").write_text(
        "\n".join(f"very long class name number {c}" for c in range(10)), encoding="utf-8")
    assert model.open_dataset(str(fashion_folder))
    assert window.output_panel.class_axis.names[9] == "very long c…"
    assert draw.target.text() == "target very long c…"
    assert str(fashion_folder / "classes.txt") in model.panel.classes_label.text()
    window.actions["step"].trigger()
    assert "label very long c…\n" in caption_of(window)
