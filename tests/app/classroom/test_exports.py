"""Exports: the window or one panel as a PNG, a run recorded as an animated GIF."""

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QImage, QImageReader
from PyQt6.QtWidgets import QFileDialog, QInputDialog

from visualcnn.app.classroom.exports import GIF_SCALE
from visualcnn.app.classroom.images import qimage_to_array


def save_to(monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))


def test_save_window_as_png(window, tmp_path, monkeypatch, qtbot):
    out = tmp_path / "out"
    out.mkdir()
    path = out / "window.png"
    save_to(monkeypatch, path)
    qtbot.keyClick(window, Qt.Key.Key_P,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    image = QImage(str(path))
    assert not image.isNull()
    ratio = window.devicePixelRatioF()
    assert (image.width(), image.height()) == (round(window.width() * ratio),
                                               round(window.height() * ratio))
    assert [p.name for p in out.iterdir()] == ["window.png"]  # no temporary file left


def test_save_one_panel_as_png(window, tmp_path, monkeypatch):
    path = tmp_path / "input.png"
    save_to(monkeypatch, path)
    asked = {}

    def pick(parent, title, label, items, current, editable):
        asked["items"] = items
        return "Input", True

    monkeypatch.setattr(QInputDialog, "getItem", pick)
    window.actions["save_panel_png"].trigger()
    assert {"Input", "Output", "Curves"} <= set(asked["items"])
    image = QImage(str(path))
    dock = window.docks["input"]
    assert (image.width(), image.height()) == (dock.width(), dock.height())


def test_unwritable_png_shows_an_error(window, tmp_path, monkeypatch):
    save_to(monkeypatch, tmp_path / "missing" / "window.png")
    window.actions["save_window_png"].trigger()
    assert window.banner_bar.isVisible() and "Could not save" in window.banner.text()


def test_record_steps_then_save_a_gif_that_qt_reads_back(window, tmp_path, monkeypatch, qtbot):
    record = window.actions["record_gif"]
    qtbot.keyClick(window, Qt.Key.Key_G,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert record.isChecked()
    for _ in range(3):
        window.actions["step"].trigger()
    record.trigger()  # stop
    window.actions["step"].trigger()  # not recorded
    recorder = window.classroom.exports.recorder
    assert len(recorder.frames) == 4  # the picture at the start and one per step
    path = tmp_path / "run.gif"
    save_to(monkeypatch, path)
    window.actions["save_gif"].trigger()
    reader = QImageReader(str(path))
    assert reader.imageCount() == 4
    height, width = recorder.frames[0].shape[:2]
    assert abs(width - window.width() * GIF_SCALE) <= 1
    images = []
    while reader.canRead():
        image = reader.read()
        if image.isNull():
            break
        images.append(qimage_to_array(image))
    assert len(images) == 4
    for got, frame in zip(images, recorder.frames, strict=True):
        assert got.shape == frame.shape
        # Quantised to 256 colours: close to the grab, not equal.
        assert np.abs(got.astype(int) - frame).mean() < 6
    # Frames differ where the step changed the panels.
    assert np.abs(images[0].astype(int) - images[3]).max() > 50


def test_save_gif_with_nothing_recorded_says_so(window):
    window.actions["save_gif"].trigger()
    assert "Nothing recorded" in window.banner.text()


def test_recording_makes_a_frame_per_phase_when_stepping_by_phase(window):
    if "step_phase" not in window.actions:
        pytest.skip("phase stepping is not in this build")
    window.actions["record_gif"].trigger()
    recorder = window.classroom.exports.recorder
    start = len(recorder.frames)
    for _ in range(3):
        window.actions["step_phase"].trigger()
    assert len(recorder.frames) == start + 3
    window.actions["record_gif"].trigger()


def test_recording_stops_itself_at_the_frame_limit(window, monkeypatch):
    import visualcnn.app.classroom.exports as exports

    monkeypatch.setattr(exports, "MAX_GIF_FRAMES", 3)
    window.actions["record_gif"].trigger()
    for _ in range(4):
        window.actions["step"].trigger()
    assert not window.actions["record_gif"].isChecked()
    assert len(window.classroom.exports.recorder.frames) == 3
