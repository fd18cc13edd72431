"""The GIF writer (Pillow, frame by frame): Qt's own GIF reader must read back every frame, its
size, colours and delay, and the loop; files are written atomically."""

import os

import numpy as np
import pytest
from PIL import GifImagePlugin
from PyQt6.QtGui import QImageReader

from visualcnn.app.classroom.gif_writer import GifStream
from visualcnn.app.classroom.images import qimage_to_array


def read_back(path):
    reader = QImageReader(str(path))
    count = reader.imageCount()
    frames, delays = [], []
    while reader.canRead():
        image = reader.read()
        if image.isNull():
            break
        frames.append(qimage_to_array(image))
        delays.append(reader.nextImageDelay())
    return count, frames, delays, reader.loopCount()


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


@pytest.fixture
def stream():
    s = GifStream()
    yield s
    s.close()


def write(stream, frames, times, path, end):
    for frame, t in zip(frames, times, strict=True):
        stream.add(frame, t)
    return stream.save(path, end)


def test_qt_reads_every_frame_with_its_size_colours_delay_and_loop(frames, stream, tmp_path,
                                                                   qapp):
    path = write(stream, frames, [0.0, 0.1, 0.3, 0.6], tmp_path / "run.gif", 1.0)
    data = path.read_bytes()
    assert data[:6] == b"GIF89a" and b"NETSCAPE2.0" in data and data[-1:] == b";"
    count, images, delays, loops = read_back(path)
    assert count == len(images) == 4
    assert delays == [100, 200, 300, 400]   # each frame until the next one, the last until end
    assert loops in (-1, 0)                  # forever (Qt says -1; older versions 0)
    for k, image in enumerate(images):
        assert image.shape == (60, 90, 3)
        # Every pixel within a few levels: 256 colours for a gradient of 5400 and the red.
        assert np.abs(image.astype(int) - frames[k]).max() <= 16
        assert np.abs(image.astype(int) - frames[k]).mean() < 2
        np.testing.assert_array_equal(image[20, 20 + 15 * k], (230, 20, 20))


def test_the_file_is_written_atomically_with_the_permissions_of_a_new_file(frames, stream,
                                                                           tmp_path,
                                                                           monkeypatch):
    path = write(stream, frames, [0.0, 0.1, 0.2, 0.3], tmp_path / "run.gif", 0.4)
    assert [p.name for p in tmp_path.iterdir()] == ["run.gif"]  # no temporary file left
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask          # not mkstemp's 0600
    with pytest.raises(OSError):
        stream.save(tmp_path / "missing" / "run.gif", 0.5)
    assert not (tmp_path / "missing").exists()
    path.write_bytes(b"the old file")

    def disk_full(*args, **kwargs):  # the last frame fails, after the others were copied
        raise OSError("disk full")

    monkeypatch.setattr(GifImagePlugin, "getdata", disk_full)
    with pytest.raises(OSError, match="disk full"):
        stream.save(path, 0.5)
    assert path.read_bytes() == b"the old file"
    assert [p.name for p in tmp_path.iterdir()] == ["run.gif"]


def test_saving_with_no_frame_is_refused(stream, tmp_path):
    with pytest.raises(ValueError, match="no frames"):
        stream.save(tmp_path / "run.gif", 1.0)
    assert not (tmp_path / "run.gif").exists()


def test_a_save_in_the_middle_of_a_recording_leaves_it_going_on(frames, stream, tmp_path, qapp):
    stream.add(frames[0], 0.0)
    stream.add(frames[1], 0.5)
    early = stream.save(tmp_path / "early.gif", 1.0)
    stream.add(frames[2], 1.5)
    late = stream.save(tmp_path / "late.gif", 2.0)
    assert read_back(early)[0] == 2
    count, images, delays, _ = read_back(late)
    assert count == 3 and delays == [500, 1000, 500]
    assert np.abs(images[2].astype(int) - frames[2]).max() <= 16


def test_delays_are_clipped_and_an_unchanged_frame_keeps_its_time(frames, stream, tmp_path,
                                                                  qapp):
    path = write(stream, [frames[0], frames[0], frames[1]], [0.0, 0.01, 10.0],
                 tmp_path / "run.gif", 10.5)
    count, images, delays, _ = read_back(path)
    assert count == 3                      # the repeated frame is a frame of its own
    assert delays == [80, 2000, 500]      # 10 ms -> the least, 10 s -> the most
    np.testing.assert_array_equal(images[1], images[0])


def test_few_colours_come_back_exactly_through_a_long_noisy_frame(stream, tmp_path, qapp):
    colours = np.array([[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 0, 255]], np.uint8)
    index = np.random.default_rng(3).integers(0, 4, size=(150, 170))
    frame = colours[index]  # 25 500 pixels of noise: LZW's code table fills many times
    path = write(stream, [frame, frame[::-1].copy()], [0.0, 0.1], tmp_path / "noise.gif", 0.2)
    _, images, _, _ = read_back(path)
    np.testing.assert_array_equal(images[0], frame)
    np.testing.assert_array_equal(images[1], frame[::-1])


def test_a_frame_the_palette_does_not_fit_gets_a_palette_of_its_own(frames, stream, tmp_path,
                                                                   qapp):
    # The light theme's greys, then the dark theme's blues: nothing in common.
    light = np.full((40, 60, 3), 200, np.uint8)
    light[5:15, 5:55] = np.linspace(150, 250, 50, dtype=np.uint8)[None, :, None]
    dark = np.zeros((40, 60, 3), np.uint8)
    dark[..., 2] = np.linspace(20, 120, 60, dtype=np.uint8)[None, :]
    path = write(stream, [light, dark, light], [0.0, 0.1, 0.2], tmp_path / "themes.gif", 0.3)
    _, images, _, _ = read_back(path)
    for image, frame in zip(images, [light, dark, light], strict=True):
        assert np.abs(image.astype(int) - frame).max() <= 4


def test_a_frame_of_another_size_is_scaled_to_the_first(frames, stream, tmp_path, qapp):
    big = np.repeat(np.repeat(frames[1], 2, axis=0), 2, axis=1)  # the window grew
    path = write(stream, [frames[0], big], [0.0, 0.1], tmp_path / "sizes.gif", 0.2)
    _, images, _, _ = read_back(path)
    assert [im.shape for im in images] == [(60, 90, 3), (60, 90, 3)]
    assert np.abs(images[1].astype(int) - frames[1]).mean() < 3


def test_packed_frames_as_qt_draws_them_are_taken_as_they_are(frames, stream, tmp_path, qapp):
    packed = [0xFF000000 | (f[..., 0].astype(np.uint32) << 16)
              | (f[..., 1].astype(np.uint32) << 8) | f[..., 2] for f in frames[:2]]
    path = write(stream, packed, [0.0, 0.1], tmp_path / "packed.gif", 0.2)
    _, images, _, _ = read_back(path)
    assert np.abs(images[1].astype(int) - frames[1]).mean() < 2
