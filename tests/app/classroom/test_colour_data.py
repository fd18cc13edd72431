"""Colour data opened in the app: a CIFAR-10 folder or an image folder through File > Open
dataset folder, Draw a digit turned off (and saying why) while the data is in colour, and a
damaged folder refused with the current model kept."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFileDialog

from tests.data.image_files import save_image, write_cifar_folder, write_colour_squares


@pytest.fixture
def cifar(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    write_cifar_folder(folder, batches=(1, 2), per_batch=6, test=4)
    return folder


def open_folder(window, monkeypatch, folder):
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    window.actions["open_dataset_folder"].trigger()


def test_open_dataset_folder_opens_cifar_and_names_its_classes(window, monkeypatch, cifar):
    file_menu = [a.menu() for a in window.menuBar().actions() if a.text() == "&File"][0]
    assert window.actions["open_dataset_folder"] in file_menu.actions()
    open_folder(window, monkeypatch, cifar)
    data = window.session.dataset
    assert data.input_shape == (3, 32, 32) and data.class_names[0] == "airplane"
    assert window.session.net.input_shape == (3, 32, 32)
    assert "data_batch_1-2" in window.statusBar().currentMessage()
    label = window.classroom.model_data.panel.dataset_label.text()
    assert "3x32x32" in label and "3 of the 5 training batches not present" in label
    window.actions["step"].trigger()
    assert window.last_trace.input.shape == (1, 3, 32, 32)


def test_an_image_folder_of_three_classes_resizes_the_last_layer(window, monkeypatch, tmp_path):
    folder = write_colour_squares(tmp_path / "squares", train=3, test=1)
    open_folder(window, monkeypatch, folder)
    assert window.session.dataset.class_names == ("blue", "green", "red")
    assert window.session.net.arch == "conv8x3-pool2-dense3"


def test_draw_a_digit_is_off_for_colour_data_and_says_why(window, monkeypatch, cifar, qtbot):
    draw = window.classroom.drawing.panel
    assert window.actions["draw_try"].isEnabled() and draw.canvas.isEnabled()
    open_folder(window, monkeypatch, cifar)
    for name in ("draw_try", "draw_train"):
        action = window.actions[name]
        assert not action.isEnabled()
        assert "Drawing is for grey images" in action.toolTip()
        assert "3 channels (colour)" in action.toolTip()
    assert not draw.canvas.isEnabled() and not draw.try_button.isEnabled()
    assert not draw.train_button.isEnabled()
    assert "Drawing is for grey images" in draw.hint.text()
    # The shortcut does nothing: no drawn sample is run.
    window.actions["step"].trigger()
    before = window.last_trace
    qtbot.keyClick(window, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert window.last_trace is before
    # Grey data again: drawing is back, train still waiting for a target.
    window.actions["bundled_dataset"].trigger()
    assert window.actions["draw_try"].isEnabled() and draw.canvas.isEnabled()
    assert not window.actions["draw_train"].isEnabled()
    assert "Drawing is for grey images" not in window.actions["draw_try"].toolTip()
    assert draw.hint.text().startswith("Draw a digit")


@pytest.mark.parametrize("damage", ["truncated batch", "bad label", "no test batch",
                                    "broken image", "empty class"])
def test_a_damaged_folder_is_refused_and_the_current_model_kept(window, monkeypatch, tmp_path,
                                                               damage):
    if damage in ("broken image", "empty class"):
        folder = write_colour_squares(tmp_path / "squares", train=2, test=1)
        if damage == "broken image":
            bad = folder / "train" / "red" / "1.png"
            bad.write_bytes(b"\x89PNG\r\n\x1a\nbroken")
        else:
            bad = folder / "test" / "green"
            for image in bad.iterdir():
                image.unlink()
    else:
        folder = tmp_path / "cifar-10-batches-bin"
        write_cifar_folder(folder)
        bad = folder / ("test_batch.bin" if damage == "no test batch" else "data_batch_2.bin")
        if damage == "truncated batch":
            bad.write_bytes(bad.read_bytes()[:-1])
        elif damage == "bad label":
            data = bytearray(bad.read_bytes())
            data[3073] = 12
            bad.write_bytes(bytes(data))
        else:
            bad.unlink()
    session = window.session
    window.actions["step"].trigger()
    open_folder(window, monkeypatch, folder)
    assert window.session is session and session.dataset.input_shape == (1, 28, 28)
    text = window.banner.text()
    assert "current model is kept" in text and str(bad) in text
    window.actions["step"].trigger()  # still trains on the old data
    assert window.last_trace.input.shape == (1, 1, 28, 28)


def test_images_of_two_sizes_say_to_give_an_image_size(window, monkeypatch, tmp_path):
    folder = write_colour_squares(tmp_path / "squares", train=2, test=1)
    save_image(folder / "test" / "red" / "wide.png", np.zeros((12, 20, 3), np.uint8))
    open_folder(window, monkeypatch, folder)
    assert "wide.png is 12x20" in window.banner.text()
    assert "--image-size" in window.banner.text()
