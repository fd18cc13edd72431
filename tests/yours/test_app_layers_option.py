"""``visualcnn --layers FILE``: a file that cannot be loaded is one line and status 2, before
any window is opened."""

from __future__ import annotations

from visualcnn import cli


def test_a_layers_file_that_does_not_load_is_refused_before_the_window(tmp_path, capsys,
                                                                       monkeypatch):
    opened = []
    monkeypatch.setattr("visualcnn.app.launch.run_app", lambda *a, **k: opened.append(k))
    broken = tmp_path / "mine.py"
    broken.write_text("def conv_forward(x, W, b)\n    return x\n")
    assert cli.main(["--layers", str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "mine.py" in err
    assert cli.main(["--layers", str(tmp_path / "missing.py")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert not opened


def test_a_good_layers_file_reaches_the_window(tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr("visualcnn.app.launch.run_app", lambda *a, **k: opened.append(k) or 0)
    mine = tmp_path / "mine.py"
    mine.write_text("def relu_forward(x):\n    return x * (x > 0)\n")
    assert cli.main(["--layers", str(mine)]) == 0
    assert opened and opened[0]["layers"] == str(mine)
