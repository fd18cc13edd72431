"""The GIF encoder: Qt's own GIF reader must read back every frame, its size and colours."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PyQt6.QtGui import QImageReader  # noqa: E402

from visualcnn.common.gif import build_palette, encode_gif, lzw_compress, save_gif  # noqa: E402


def read_back(path):
    reader = QImageReader(str(path))
    reader.setAutoDetectImageFormat(True)
    frames, delays = [], []
    count = reader.imageCount()
    while reader.canRead():
        image = reader.read()
        if image.isNull():
            break
        frames.append(image)
        delays.append(reader.nextImageDelay())
    return count, frames, delays, reader


def rgb(image, x, y):
    return np.array(image.pixelColor(x, y).getRgb()[:3])


@pytest.fixture
def frames():
    """Four 90 x 60 frames: a gradient background and a red square that moves."""
    y, x = np.mgrid[0:60, 0:90]
    base = np.stack([x * 2, y * 3, np.full_like(x, 120)], axis=-1).astype(np.uint8)
    out = []
    for k in range(4):
        f = base.copy()
        f[10:30, 10 + 15 * k:30 + 15 * k] = (230, 20, 20)
        out.append(f)
    return out


def test_qt_reads_every_frame_with_its_size_colour_and_delay(frames, tmp_path, qapp):
    path = save_gif(tmp_path / "run.gif", frames, [100, 200, 300, 400])
    assert path.read_bytes()[:6] == b"GIF89a" and b"NETSCAPE2.0" in path.read_bytes()
    count, images, delays, reader = read_back(path)
    assert count == 4 and len(images) == 4
    for k, image in enumerate(images):
        assert (image.width(), image.height()) == (90, 60)
        # The moving square and a background pixel, within the 5-bit palette's error.
        assert np.abs(rgb(image, 20 + 15 * k, 20) - (230, 20, 20)).max() <= 8
        assert np.abs(rgb(image, 80, 50) - frames[k][50, 80]).max() <= 12
        # Where the square was one frame earlier, the background shows again.
        if k:
            assert np.abs(rgb(image, 11 + 15 * (k - 1), 12)
                          - frames[k][12, 11 + 15 * (k - 1)]).max() <= 12
    assert delays[:3] == [100, 200, 300]
    assert reader.loopCount() in (-1, 0)   # Qt reports "forever" as -1 (older: 0)
    assert not [p for p in tmp_path.iterdir() if p.name != "run.gif"]  # no temp file left
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # as any new file, not 0600


def test_a_long_noisy_frame_goes_through_clear_codes_exactly(tmp_path, qapp):
    colours = np.array([[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 0, 255]], np.uint8)
    rng = np.random.default_rng(3)
    index = rng.integers(0, 4, size=(150, 170))
    frame = colours[index]  # 25 500 pixels of noise: the 4096-code table fills many times
    path = save_gif(tmp_path / "noise.gif", [frame, frame], 50)
    _, images, _, _ = read_back(path)
    assert len(images) == 2
    got = np.array([[images[0].pixelColor(x, y).getRgb()[:3] for x in range(170)]
                    for y in range(0, 150, 7)])
    np.testing.assert_array_equal(got, frame[::7])


def test_palette_has_at_most_256_colours_and_keeps_a_few_exactly():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, size=(40, 40, 3), dtype=np.uint8)
    palette, lut = build_palette([frame])
    assert len(palette) <= 256 and lut.max() < len(palette)
    few = np.array([[[8, 16, 24], [200, 100, 40]]], np.uint8)
    palette, lut = build_palette([few])
    assert sorted(map(tuple, palette)) == [(8, 16, 24), (200, 100, 40)]


def test_lzw_output_grows_with_content_and_bad_input_is_refused():
    flat = lzw_compress(bytes(10_000), 8)
    noisy = lzw_compress(np.random.default_rng(1).integers(0, 256, 10_000, np.uint8).tobytes(),
                         8)
    assert len(flat) < 200 < len(noisy)
    assert lzw_compress(b"", 2)  # clear and end codes only
    with pytest.raises(ValueError, match="at least one frame"):
        encode_gif([])
    with pytest.raises(ValueError, match="every frame"):
        encode_gif([np.zeros((4, 4, 3), np.uint8), np.zeros((5, 4, 3), np.uint8)])
