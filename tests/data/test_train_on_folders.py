"""`visualcnn train --data DIR` learns from CIFAR-10's binary version and from an image folder,
resizing the architecture's last dense layer to the data's classes (and saying so)."""

from __future__ import annotations

import json

import numpy as np

from tests.data.image_files import cifar_records, save_image, write_colour_squares
from visualcnn.cli import main


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_train_learns_colour_squares_from_an_image_folder(tmp_path, capsys):
    folder = write_colour_squares(tmp_path / "squares", train=30, test=10)
    code, out, err = run(["train", "--data", str(folder), "--epochs", "4", "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert result["arch"] == "conv8x3-pool2-dense3"
    assert "dense10 -> dense3 for 3 classes" in err
    assert result["steps"] == 360
    assert result["test_accuracy"] > 0.8  # chance is 1/3


def write_colour_coded_cifar(folder, per_class_train=24, per_class_test=6, seed=0):
    """CIFAR-10 records whose class is the image's colour (a noisy colour per class)."""
    rng = np.random.default_rng(seed)
    colours = rng.integers(30, 226, (10, 3))
    folder.mkdir()
    for name, per_class in (("data_batch_1.bin", per_class_train),
                            ("test_batch.bin", per_class_test)):
        labels = np.repeat(np.arange(10), per_class)
        rng.shuffle(labels)
        noise = rng.integers(-30, 31, (len(labels), 3, 32, 32))
        images = np.clip(colours[labels][:, :, None, None] + noise, 0, 255).astype(np.uint8)
        (folder / name).write_bytes(cifar_records(images, labels))
    return folder


def test_train_learns_from_a_cifar_binary_folder(tmp_path, capsys):
    folder = write_colour_coded_cifar(tmp_path / "cifar-10-batches-bin")
    code, out, err = run(["train", "--data", str(folder), "--epochs", "5", "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert result["arch"] == "conv8x3-pool2-dense10"
    assert "data_batch_1" in result["data"]
    assert "training on data_batch_1 (240 images)" in err
    assert result["test_accuracy"] > 0.5  # chance is 1/10


def test_a_typed_architecture_must_already_fit_the_classes(tmp_path, capsys):
    folder = write_colour_squares(tmp_path / "squares", train=2, test=1)
    code, _, err = run(["train", "--data", str(folder), "--arch", "conv4x3-dense10"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "must have 3 units, one per class" in err


def test_images_of_two_sizes_are_refused_until_an_image_size_is_given(tmp_path, capsys):
    folder = write_colour_squares(tmp_path / "squares", train=3, test=1, size=(12, 12))
    save_image(folder / "train" / "red" / "big.png", np.zeros((20, 16, 3), np.uint8))
    code, _, err = run(["train", "--data", str(folder), "--epochs", "1"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "big.png is 20x16" in err and "--image-size HxW" in err
    code, out, err = run(["train", "--data", str(folder), "--epochs", "1", "--image-size",
                          "10x10", "--json"], capsys)
    assert code == 0 and "images resized to 10x10" in err


def test_a_bad_image_size_is_one_line(capsys):
    code, _, err = run(["train", "--image-size", "10by10"], capsys)
    assert code == 2 and err.count("\n") == 1 and "expected HEIGHTxWIDTH" in err
    code, _, err = run(["--image-size", "8x8", "train"], capsys)
    assert code == 2 and "--image-size before the command 'train'" in err
