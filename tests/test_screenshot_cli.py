"""`visualcnn screenshot` in presenter mode, in the dark theme, on the data given with --data
(read by the same loader as the app's --data); a bad value is one line and exit status 2."""

import numpy as np
import pytest
from PIL import Image

from visualcnn import cli
from visualcnn.app.classroom import exports


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def drawn(monkeypatch):
    """What the window showed when the PNG was written: presenter mode on, the theme, the
    dataset's name."""
    seen = {}
    real = exports.save_png

    def save_and_note(window, path, *args, **kwargs):
        seen.update(presenter=window.classroom.presenter.on, theme=window.classroom.theme.name,
                    data=window.session.dataset.name, curves=window.docks["curves"].isVisible())
        return real(window, path, *args, **kwargs)

    monkeypatch.setattr(exports, "save_png", save_and_note)
    return seen


def write_npz(path, n=30, seed=0):
    rng = np.random.default_rng(seed)
    np.savez(path, x_train=rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, n), x_test=rng.integers(0, 256, (10, 28, 28),
                                                                  dtype=np.uint8),
             y_test=rng.integers(0, 10, 10))
    return path


def mean_lightness(path) -> float:
    return float(np.asarray(Image.open(path).convert("L"), dtype=float).mean())


def test_presenter_dark_and_data(capsys, tmp_path, drawn):
    data = write_npz(tmp_path / "mine.npz")
    out = tmp_path / "dark.png"
    code, printed, err = run(capsys, "screenshot", "--out", str(out), "--steps", "2",
                             "--size", "1280x720", "--presenter", "--theme", "dark",
                             "--data", str(data))
    assert code == 0, err
    assert printed.strip() == str(out) and out.exists()
    assert drawn == {"presenter": True, "theme": "dark", "data": "mine.npz", "curves": False}
    light = tmp_path / "light.png"
    code, _, err = run(capsys, "screenshot", "--out", str(light), "--steps", "2",
                       "--size", "1280x720", "--data", str(data))
    assert code == 0, err
    assert drawn == {"presenter": False, "theme": "light", "data": "mine.npz", "curves": True}
    assert mean_lightness(out) < mean_lightness(light) - 60


@pytest.mark.parametrize("argv, words", [
    (["--data", "no/such/folder"], ["no/such/folder"]),
    (["--theme", "purple"], ["--theme", "purple"]),
    (["--presenter=yes"], ["--presenter"]),
])
def test_bad_values_are_one_line_and_exit_2(capsys, tmp_path, argv, words):
    out = tmp_path / "x.png"
    code, printed, err = run(capsys, "screenshot", "--out", str(out), "--steps", "0", *argv)
    assert code == 2 and printed == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in lines[0]
    assert not out.exists()


def test_a_damaged_data_file_is_named_in_one_line(capsys, tmp_path):
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"not an npz")
    code, _, err = run(capsys, "screenshot", "--out", str(tmp_path / "x.png"), "--data",
                       str(bad))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "broken.npz" in err


def test_a_lesson_card_in_chinese_after_some_phases(capsys, tmp_path, monkeypatch):
    seen = {}
    real = exports.save_png

    def save_and_note(window, path, *args, **kwargs):
        from tests.i18n.visible import untranslated

        seen.update(lesson=window.lessons.lesson.name, index=window.lessons.index,
                    english=untranslated(window.lessons.dock), menu=window.menu("Run").title(),
                    step=window.session.net.step)
        return real(window, path, *args, **kwargs)

    monkeypatch.setattr(exports, "save_png", save_and_note)
    out = tmp_path / "lesson.png"
    code, _, err = run(capsys, "screenshot", "--out", str(out), "--steps", "0", "--size",
                       "1280x720", "--language", "zh_CN", "--lesson", "one-sample", "--card",
                       "2", "--phases", "5")
    assert code == 0, err
    assert Image.open(out).size == (1280, 720)
    assert seen["lesson"] == "one-sample" and seen["index"] == 1
    assert seen["english"] == [] and seen["menu"] == "运行(&R)"
    assert seen["step"] == 0  # five phases of the first sample: its update not yet made


def test_an_unknown_lesson_is_one_line_and_no_picture(capsys, tmp_path):
    out = tmp_path / "lesson.png"
    code, _, err = run(capsys, "screenshot", "--out", str(out), "--lesson", "no-such-lesson")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "no-such-lesson" in err
    assert not out.exists()
