"""``visualcnn gif``: a run recorded offscreen as a GIF of the whole window."""

import numpy as np
from PyQt6.QtGui import QImageReader

from tests.app.conftest import make_dataset
from visualcnn.app.classroom.images import qimage_to_array
from visualcnn.app.recording import MAX_FRAMES, frame_steps, record_gif
from visualcnn.nn import Network


def read_back(path):
    reader = QImageReader(str(path))
    images, delays = [], []
    while reader.canRead():
        image = reader.read()
        if image.isNull():
            break
        images.append(qimage_to_array(image))
        delays.append(reader.nextImageDelay())
    return images, delays


def test_frames_at_the_start_every_few_steps_and_at_the_end():
    assert frame_steps(6, 2) == [0, 2, 4, 6]
    assert frame_steps(7, 3) == [0, 3, 6, 7]
    assert frame_steps(3) == [0, 1, 2, 3]
    many = frame_steps(1000)
    assert len(many) <= MAX_FRAMES and many[0] == 0 and many[-1] == 1000


def test_a_run_is_recorded_at_the_size_asked_for(tmp_path, qapp, settings_dir):
    net = Network.from_arch("conv8x3-pool2-dense10")
    path = record_gif(tmp_path / "run.gif", make_dataset(), net, steps=6, size=(800, 500),
                      every=2, delay_ms=300)
    assert path == tmp_path / "run.gif"
    images, delays = read_back(path)
    assert len(images) == 4 and all(im.shape == (500, 800, 3) for im in images)
    assert delays == [300] * 4
    assert net.step == 6
    assert np.abs(images[0].astype(int) - images[-1]).max() > 50  # the panels changed
    assert [p.name for p in tmp_path.iterdir()] == ["run.gif"]


def test_presenter_mode_draws_larger_text(tmp_path, qapp, settings_dir):
    plain = record_gif(tmp_path / "plain.gif", make_dataset(), Network.from_arch(
        "conv8x3-pool2-dense10"), steps=1, size=(1280, 720))
    large = record_gif(tmp_path / "presenter.gif", make_dataset(), Network.from_arch(
        "conv8x3-pool2-dense10"), steps=1, size=(1280, 720), presenter=True)
    first_plain, first_large = read_back(plain)[0][0], read_back(large)[0][0]
    assert first_plain.shape == first_large.shape == (720, 1280, 3)
    assert np.abs(first_plain.astype(int) - first_large).mean() > 5
