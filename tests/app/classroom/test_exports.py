"""Exports: the window or one panel as a PNG for a slide, a run recorded as an animated GIF."""

import numpy as np
import pytest
from PyQt6.QtCore import QEventLoop, Qt, QTimer
from PyQt6.QtGui import QImage, QImageReader
from PyQt6.QtWidgets import QFileDialog, QInputDialog

from visualcnn.app.classroom.images import qimage_to_array
from visualcnn.app.run_loop import MAX_SPEED


def save_to(monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))


def strong_edges_per_row(rgb: np.ndarray) -> float:
    """Jumps of more than 96 grey levels between neighbours, per row: text and lines drawn
    at a resolution keep about as many per row as at 1x; an image scaled up smoothly loses
    nearly all of them."""
    grey = rgb.astype(float).mean(axis=2)
    return float((np.abs(np.diff(grey, axis=1)) > 96).sum() / grey.shape[0])


def detail_inside_blocks(rgb: np.ndarray) -> float:
    """How much 2 x 2 blocks vary inside: 0 for a picture whose pixels were only doubled."""
    h, w = rgb.shape[0] // 2, rgb.shape[1] // 2
    x = rgb[:2 * h, :2 * w].astype(float)
    mean = x.reshape(h, 2, w, 2, -1).mean(axis=(1, 3))
    return float(np.abs(x - np.repeat(np.repeat(mean, 2, axis=0), 2, axis=1)).mean())


def assert_sharp_double(image: QImage, one_x: QImage) -> None:
    two, one = qimage_to_array(image), qimage_to_array(one_x)
    assert two.shape[:2] == (2 * one.shape[0], 2 * one.shape[1])
    assert detail_inside_blocks(two) > 0.5                  # drawn at 2x, not pixels doubled
    assert strong_edges_per_row(two) >= 0.9 * strong_edges_per_row(one)   # and not blurred
    # The same picture: brought back to 1x it is close to the window's own pixels.
    h, w = one.shape[:2]
    down = two.astype(float).reshape(h, 2, w, 2, 3).mean(axis=(1, 3))
    assert np.abs(down - one).mean() < 8


def test_save_window_as_png_at_twice_the_window_size_and_sharp(window, tmp_path, monkeypatch,
                                                               qtbot):
    out = tmp_path / "out"
    out.mkdir()
    path = out / "window.png"
    save_to(monkeypatch, path)
    qtbot.keyClick(window, Qt.Key.Key_P,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (2 * window.width(), 2 * window.height())
    grabbed = window.grab().toImage()
    grabbed.setDevicePixelRatio(1.0)
    assert_sharp_double(image, grabbed.scaled(window.width(), window.height()))
    assert [p.name for p in out.iterdir()] == ["window.png"]  # no temporary file left


def test_save_one_panel_as_png_at_twice_its_size(window, tmp_path, monkeypatch):
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
    assert (image.width(), image.height()) == (2 * dock.width(), 2 * dock.height())
    assert_sharp_double(image, dock.grab().toImage().scaled(dock.width(), dock.height()))


def png_scale_menu(window):
    file_menu = window.menu("File")
    return next(a.menu() for a in file_menu.actions()
                if a.menu() is not None and a.menu().title().replace("&", "") == "PNG scale")


def test_the_png_scale_is_chosen_in_the_file_menu_and_kept(make_window, tmp_path, monkeypatch):
    window = make_window()
    menu = png_scale_menu(window)
    scales = {a.data(): a for a in menu.actions()}
    assert set(scales) == {1, 2, 3, 4} and scales[2].isChecked()
    scales[3].trigger()
    path = tmp_path / "three.png"
    save_to(monkeypatch, path)
    window.actions["save_window_png"].trigger()
    image = QImage(str(path))
    assert (image.width(), image.height()) == (3 * window.width(), 3 * window.height())
    window.close()
    again = make_window()  # the same settings folder
    assert {a.data(): a.isChecked() for a in png_scale_menu(again).actions()}[3]


def test_unwritable_png_shows_an_error(window, tmp_path, monkeypatch):
    save_to(monkeypatch, tmp_path / "missing" / "window.png")
    window.actions["save_window_png"].trigger()
    assert window.banner_bar.isVisible() and "Could not save" in window.banner.text()


def read_gif(path):
    reader = QImageReader(str(path))
    count, images, delays = reader.imageCount(), [], []
    while reader.canRead():
        image = reader.read()
        if image.isNull():
            break
        images.append(qimage_to_array(image))
        delays.append(reader.nextImageDelay())
    return count, images, delays, reader.loopCount()


def test_record_steps_then_save_a_gif_of_the_whole_window(window, tmp_path, monkeypatch,
                                                          qtbot):
    record = window.actions["record_gif"]
    qtbot.keyClick(window, Qt.Key.Key_G,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert record.isChecked()
    for _ in range(3):
        window.actions["step"].trigger()
    record.trigger()  # stop
    shown = qimage_to_array(window.grab().toImage())  # the last step, as on screen
    window.actions["step"].trigger()  # not recorded
    path = tmp_path / "run.gif"
    save_to(monkeypatch, path)
    window.actions["save_gif"].trigger()
    count, images, delays, loops = read_gif(path)
    assert count == len(images) == 4  # the picture at the start and one per step
    for image in images:
        assert image.shape == (window.height(), window.width(), 3)  # the window's full size
    assert window.classroom.exports.recorder.frames == 4
    assert loops in (-1, 0)  # forever (Qt says -1; older versions 0)
    assert all(80 <= d <= 2000 for d in delays)
    # A good palette: the last frame is the window as it was shown, within a grey level or
    # two on average, and text stays text (few pixels off by much).
    error = np.abs(images[-1].astype(int) - shown).max(axis=2)
    assert error.mean() < 2 and (error > 40).mean() < 0.002
    # Frames differ where the steps changed the panels.
    assert np.abs(images[0].astype(int) - images[3]).max() > 50
    assert "4 frames" in window.statusBar().currentMessage()


def test_save_gif_with_nothing_recorded_says_so(window):
    window.actions["save_gif"].trigger()
    assert "Nothing recorded" in window.banner.text()


def test_recording_makes_a_frame_per_phase_when_stepping_by_phase(window):
    if "step_phase" not in window.actions:
        pytest.skip("phase stepping is not in this build")
    window.actions["record_gif"].trigger()
    recorder = window.classroom.exports.recorder
    start = recorder.frames
    for _ in range(3):
        window.actions["step_phase"].trigger()
    assert recorder.frames == start + 3
    window.actions["record_gif"].trigger()


def test_recording_stops_itself_at_the_frame_limit(window, monkeypatch):
    import visualcnn.app.classroom.exports as exports

    monkeypatch.setattr(exports, "MAX_GIF_FRAMES", 3)
    window.actions["record_gif"].trigger()
    for _ in range(4):
        window.actions["step"].trigger()
    assert not window.actions["record_gif"].isChecked()
    assert window.classroom.exports.recorder.frames == 3


def test_while_running_frames_are_recorded_only_as_often_as_the_window_can_spare(
        window, monkeypatch, tmp_path):
    """Drawing the window into a frame costs about as much as drawing the panels, and Run
    shows frames as fast as it can draw them: grabbing every one on the spot (and converting
    it there) made each frame cost double and more, and the window crawled. While running,
    recording may take a quarter of the time: here, on a clock where drawing a frame and
    grabbing one take 40 ms each, it takes every third or fourth frame."""
    import visualcnn.app.classroom.exports as exports

    recorder = window.classroom.exports.recorder
    now = [0.0]
    recorder.clock = lambda: now[0]
    grab = exports.render_image

    def grab_in_40_ms(widget, scale=1.0):
        now[0] += 0.040
        return grab(widget, scale)

    monkeypatch.setattr(exports, "render_image", grab_in_40_ms, raising=False)
    window.actions["record_gif"].trigger()  # the picture at the start
    window.loop.start()  # Run is on; its own timer never fires here: no event loop turns
    for _ in range(20):
        now[0] += 0.040  # a frame drawn
        window.show_trace(window.session.step())
        recorder.wait()  # the worker keeps up, as it does at a few frames a second
    window.loop.stop()
    window.actions["record_gif"].trigger()
    path = tmp_path / "run.gif"
    save_to(monkeypatch, path)
    window.actions["save_gif"].trigger()
    count, images, delays, _ = read_gif(path)
    assert 1 + 4 <= count == len(images) <= 1 + 20 // 2
    # Each frame lasts as long as it was on screen: about 160 ms, on the same clock.
    assert all(120 <= d <= 200 for d in delays[1:-1])


def run_for(window, ms: int) -> tuple[int, int]:
    """Run at full speed for ``ms`` of a plain event loop (qtbot.wait sleeps between its
    turns, which would slow the run loop down by itself): (steps, frames drawn)."""
    loop = window.loop
    loop.set_speed(MAX_SPEED)
    loop.frames = 0
    start = window.session.net.step
    events = QEventLoop()
    QTimer.singleShot(ms, events.quit)
    loop.start()
    events.exec()
    loop.stop()
    return window.session.net.step - start, loop.frames


def test_recording_a_run_at_full_speed_gives_a_gif_of_the_frames_it_took(window, tmp_path,
                                                                        monkeypatch):
    window.actions["record_gif"].trigger()
    _, frames_shown = run_for(window, 1500)
    window.actions["record_gif"].trigger()
    recorder = window.classroom.exports.recorder
    assert 2 <= recorder.frames <= frames_shown + 1
    path = tmp_path / "run.gif"
    save_to(monkeypatch, path)
    window.actions["save_gif"].trigger()
    count, images, _, _ = read_gif(path)
    assert count == len(images) == recorder.frames
    assert images[0].shape == (window.height(), window.width(), 3)


def test_a_frame_that_cannot_be_encoded_stops_the_recording_and_says_so(window, tmp_path,
                                                                        monkeypatch):
    import visualcnn.app.classroom.gif_writer as gif_writer

    def disk_full(self, frame, at_s):
        raise OSError("No space left on device")

    window.actions["record_gif"].trigger()
    monkeypatch.setattr(gif_writer.GifStream, "add", disk_full)
    for _ in range(4):
        window.actions["step"].trigger()
    assert not window.actions["record_gif"].isChecked()
    assert "could not be encoded" in window.banner.text() and "No space" in window.banner.text()
    save_to(monkeypatch, tmp_path / "run.gif")
    window.actions["save_gif"].trigger()
    assert "Could not save the GIF" in window.banner.text()
    assert not (tmp_path / "run.gif").exists()
