"""Image folders (train/<class>/*, test/<class>/*) made with Pillow: grey and colour, PNG and
JPEG, different sizes; every refusal is one line naming the file or folder."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.data.image_files import save_image, square_image, write_colour_squares
from visualcnn.common.errors import DataError
from visualcnn.data import load_dataset, parse_image_size


def one_line_error(path, problem):
    return pytest.raises(DataError, match=rf"\A{re.escape(str(path))}{problem}[^\n]*\Z")


def grey(value, size=(6, 5)):
    return np.full(size, value, dtype=np.uint8)


def write_grey_folder(folder, classes=("b_cats", "a_dogs", "c_owls"), size=(6, 5)):
    for split in ("train", "test"):
        for k, name in enumerate(classes):
            for i in range(2):
                save_image(folder / split / name / f"{i}.png", grey(40 * k + i, size))
    return folder


def test_grey_pngs_give_one_channel_classes_sorted_by_folder_name(tmp_path):
    data = load_dataset(write_grey_folder(tmp_path))
    assert data.class_names == ("a_dogs", "b_cats", "c_owls")
    assert data.classes == 3 and data.input_shape == (1, 6, 5)
    assert data.classes_from == "the class folders' names"
    # label 0 is a_dogs (the second folder written, pixel values 40 and 41)
    assert data.y_train.tolist() == [0, 0, 1, 1, 2, 2]
    assert data.x_train.raw[:, 0, 0, 0].tolist() == [40, 41, 0, 1, 80, 81]
    assert np.asarray(data.x_test).max() == np.float32(81) / 255
    assert data.note == ""


def test_colour_images_give_three_channels_and_grey_ones_are_repeated(tmp_path):
    red = square_image((255, 0, 0))
    save_image(tmp_path / "train" / "red" / "0.png", red)
    save_image(tmp_path / "train" / "grey" / "0.png", grey(90, (8, 8)))
    save_image(tmp_path / "test" / "red" / "0.jpg", red)
    save_image(tmp_path / "test" / "grey" / "0.jpeg", grey(90, (8, 8)))
    data = load_dataset(tmp_path)
    assert data.input_shape == (3, 8, 8) and data.class_names == ("grey", "red")
    np.testing.assert_array_equal(data.x_train.raw[0], np.full((3, 8, 8), 90))
    np.testing.assert_array_equal(data.x_train.raw[1], red.transpose(2, 0, 1))
    jpeg = data.x_test.raw[1]  # lossy: close to the colours, not equal
    assert jpeg[0, 3, 3] > 200 and jpeg[1, 3, 3] < 60 and jpeg[2, 3, 3] < 60
    assert "grey images repeated on red, green and blue" in data.note


def test_rgba_and_palette_images_are_converted_and_the_note_says_so(tmp_path):
    picture = square_image((0, 255, 0))  # in the web palette Pillow converts to
    save_image(tmp_path / "train" / "a" / "rgba.png", picture, mode="RGBA")
    save_image(tmp_path / "train" / "b" / "palette.png", picture, mode="P")
    save_image(tmp_path / "test" / "a" / "0.png", picture)
    save_image(tmp_path / "test" / "b" / "0.png", picture)
    data = load_dataset(tmp_path)
    for image in data.x_train.raw:
        np.testing.assert_array_equal(image, picture.transpose(2, 0, 1))
    assert "1 palette images converted to RGB (e.g. palette.png)" in data.note
    assert "1 alpha channels dropped (e.g. rgba.png)" in data.note


def test_images_of_different_sizes_need_an_image_size(tmp_path):
    write_grey_folder(tmp_path)
    odd = save_image(tmp_path / "test" / "c_owls" / "9.png", grey(7, (10, 12)))
    with one_line_error(odd, re.escape(" is 10x12 but ") + ".*" + re.escape(
            "is 6x5: give one size to resize them all to, --image-size HxW")):
        load_dataset(tmp_path)
    data = load_dataset(tmp_path, image_size=(4, 3))
    assert data.input_shape == (1, 4, 3)
    assert "images resized to 4x3" in data.note
    assert data.x_test.raw[-1].min() == 7  # the odd one, resized too


def test_an_image_that_does_not_decode_is_refused_naming_it(tmp_path):
    write_grey_folder(tmp_path)
    bad = tmp_path / "train" / "b_cats" / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with one_line_error(bad, ": not an image that decodes"):
        load_dataset(tmp_path)


def test_a_truncated_jpeg_is_refused_naming_it(tmp_path):
    write_grey_folder(tmp_path)
    jpeg = save_image(tmp_path / "test" / "a_dogs" / "t.jpg", grey(50))
    jpeg.write_bytes(jpeg.read_bytes()[:len(jpeg.read_bytes()) // 2])
    with one_line_error(jpeg, ": not an image that decodes"):
        load_dataset(tmp_path)


def test_an_empty_class_folder_is_refused_naming_it(tmp_path):
    write_grey_folder(tmp_path)
    empty = tmp_path / "test" / "d_bats"
    empty.mkdir()
    (tmp_path / "train" / "d_bats").mkdir()
    save_image(tmp_path / "train" / "d_bats" / "0.png", grey(3))
    (empty / "readme.txt").write_text("not an image")
    with one_line_error(empty, ": an empty class folder"):
        load_dataset(tmp_path)


def test_a_class_missing_from_test_is_named(tmp_path):
    write_grey_folder(tmp_path)
    save_image(tmp_path / "train" / "zebra" / "0.png", grey(3))
    with one_line_error(tmp_path / "test", ": no folder for class 'zebra', which train has"):
        load_dataset(tmp_path)


def test_one_class_is_not_enough(tmp_path):
    write_grey_folder(tmp_path, classes=("only",))
    with one_line_error(tmp_path / "train", ": one class folder \\('only'\\)"):
        load_dataset(tmp_path)


def test_images_directly_in_a_split_are_not_classes(tmp_path):
    save_image(tmp_path / "train" / "0.png", grey(3))
    (tmp_path / "test").mkdir()
    with one_line_error(tmp_path / "train", ": no class folders"):
        load_dataset(tmp_path)


def test_image_size_only_applies_to_image_folders(tmp_path):
    with pytest.raises(DataError, match="--image-size only resizes an image folder"):
        load_dataset("bundled", image_size=(28, 28))


@pytest.mark.parametrize(("text", "problem"), [
    ("32", "expected HEIGHTxWIDTH"), ("0x4", "each side must be 1 to 1024"),
    ("4x-4", "expected HEIGHTxWIDTH"), ("2000x3", "each side must be 1 to 1024"),
])
def test_image_size_parsing(text, problem):
    with pytest.raises(DataError, match=problem):
        parse_image_size(text)
    assert parse_image_size(" 24X32 ") == (24, 32)


def test_the_colour_squares_task_loads_as_three_colour_classes(tmp_path):
    data = load_dataset(write_colour_squares(tmp_path, train=4, test=2))
    assert data.class_names == ("blue", "green", "red") and data.input_shape == (3, 12, 12)
    # A blue square has blue pixels and no red ones.
    blue = data.x_train.raw[0]
    assert blue[2].max() == 255 and blue[0].max() == 0
