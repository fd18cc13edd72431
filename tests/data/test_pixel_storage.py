"""8-bit images stay bytes in memory (Pixels) and read as the same float32 values, bit for bit,
as the whole-split conversion the loaders used to make; training on them gives the same run.
"""

from __future__ import annotations

import numpy as np
import pytest

from visualcnn.data import Pixels, load_dataset
from visualcnn.data.dataset import Dataset
from visualcnn.nn import Network
from visualcnn.training.session import Session


def floats_as_before(pixels: np.ndarray) -> np.ndarray:
    """The loaders' conversion as it was: the whole (N, H, W) split to float32 at once."""
    scaled = pixels.astype(np.float32)
    scaled /= np.float32(255)
    return scaled.reshape(pixels.shape[0], 1, *pixels.shape[1:])


def same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype == np.float32 and a.shape == b.shape and \
        np.array_equal(a.view(np.uint32), b.view(np.uint32))


@pytest.fixture
def images():
    rng = np.random.default_rng(7)
    images = rng.integers(0, 256, (300, 9, 7), dtype=np.uint8)
    images.reshape(-1)[:256] = np.arange(256)  # every byte value at least once
    return images


def test_every_byte_value_reads_as_the_old_float_bit_for_bit(images):
    pixels = Pixels(images)
    before = floats_as_before(images)
    assert same_bits(pixels[:], before)
    assert same_bits(np.asarray(pixels), before)
    for i in (0, 5, -1):
        assert same_bits(pixels[i], before[i])
    chosen = np.array([299, 3, 3, 150])
    assert same_bits(pixels[chosen], before[chosen])
    assert same_bits(pixels[10:60:7], before[10:60:7])
    mask = images[:, 0, 0] > 128
    assert same_bits(pixels[mask, 0], before[mask, 0])
    assert pixels[2, 0, 3, 4] == before[2, 0, 3, 4]
    assert all(same_bits(a, b) for a, b in zip(pixels, before, strict=True))


def test_pixels_read_like_the_float_array_they_replace(images):
    pixels = Pixels(images)
    assert len(pixels) == 300 and pixels.shape == (300, 1, 9, 7) and pixels.ndim == 4
    assert pixels.dtype == np.float32 and pixels.size == 300 * 63
    assert pixels.nbytes == 300 * 63  # one byte a pixel, not four
    assert pixels.min() == 0.0 and pixels.max() == 1.0
    with pytest.raises(IndexError):
        pixels[300]


def test_idx_npz_and_whole_number_csv_keep_bytes(tmp_path, images):
    from tests.data.test_class_names import write_idx_folder

    idx = load_dataset(write_idx_folder(tmp_path / "idx"))
    npz_path = tmp_path / "mnist.npz"
    np.savez(npz_path, x_train=images[:200], y_train=np.arange(200) % 10,
             x_test=images[200:], y_test=np.arange(100) % 10)
    npz = load_dataset(npz_path)
    csv_path = tmp_path / "train.csv"
    side = 5
    rows = [["label"] + [f"pixel{i}" for i in range(side * side)]]
    rng = np.random.default_rng(1)
    csv_images = rng.integers(0, 256, (50, side * side))
    rows += [[str(i % 10)] + [str(v) for v in image] for i, image in enumerate(csv_images)]
    csv_path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    csv = load_dataset(csv_path)
    bundled = load_dataset("bundled")
    for data in (idx, npz, csv, bundled):
        for x in (data.x_train, data.x_test):
            assert isinstance(x, Pixels) and x.raw.dtype == np.uint8
    assert same_bits(npz.x_train, floats_as_before(images[:200]))
    assert bundled.x_train.nbytes + bundled.x_test.nbytes == 5000 * 28 * 28


def test_a_csv_with_fractional_pixels_keeps_its_exact_floats(tmp_path):
    path = tmp_path / "train.csv"
    lines = ["label,pixel0,pixel1,pixel2,pixel3"]
    lines += [f"{i % 10},12.5,0,255,{i}" for i in range(40)]
    path.write_text("\n".join(lines) + "\n")
    data = load_dataset(path)
    assert isinstance(data.x_train, np.ndarray) and data.x_train.dtype == np.float32
    assert data.x_train[0, 0, 0, 0] == np.float32(12.5) / np.float32(255)


def test_training_and_evaluating_on_bytes_gives_the_run_of_the_float_arrays():
    bytes_data = load_dataset("bundled")
    float_data = Dataset("floats", np.asarray(bytes_data.x_train), bytes_data.y_train,
                         np.asarray(bytes_data.x_test), bytes_data.y_test)
    assert isinstance(float_data.x_train, np.ndarray)
    runs = []
    for data in (bytes_data, float_data):
        session = Session(data, Network.from_arch("conv4x3-pool2-dense10", seed=2), lr=0.05,
                          seed=2)
        losses = [session.step().loss for _ in range(60)]
        accuracy, loss = session.evaluate_test()
        weights = [p.copy() for layer in session.net.layers for p in layer.params.values()]
        runs.append((losses, accuracy, loss, session.test_predictions, weights))
    (losses_a, acc_a, loss_a, pred_a, w_a), (losses_b, acc_b, loss_b, pred_b, w_b) = runs
    assert losses_a == losses_b and (acc_a, loss_a) == (acc_b, loss_b)
    np.testing.assert_array_equal(pred_a, pred_b)
    assert all(np.array_equal(a, b) for a, b in zip(w_a, w_b, strict=True))


def test_predict_converts_batch_by_batch_never_the_whole_split(monkeypatch):
    data = load_dataset("bundled")
    net = Network.from_arch("conv4x3-pool2-dense10", seed=0)
    expected = net.predict(np.asarray(data.x_test))

    def whole_split(*_args, **_kwargs):
        raise AssertionError("the whole split was converted to floats at once")

    monkeypatch.setattr(Pixels, "__array__", whole_split)
    np.testing.assert_array_equal(net.predict(data.x_test, batch_size=128), expected)
    accuracy, _ = net.evaluate(data.x_test, data.y_test)
    assert accuracy == float((expected.argmax(axis=1) == data.y_test).mean())
