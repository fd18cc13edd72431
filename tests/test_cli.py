"""The `visualcnn` command: results, JSON output, and one-line errors with exit status 2."""

import json
import subprocess
import sys

import pytest

from visualcnn import cli
from visualcnn.nn import layers


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *words):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for w in words:
        assert w in lines[0]


@pytest.mark.parametrize("argv, words", [
    (["train", "--arch", "conv8x3-blob-dense10"], ["'blob'"]),
    (["train", "--arch", "conv8x30-dense10"], ["conv8x30", "28x28"]),
    (["train", "--arch", "conv8x3-pool2-dense7"], ["dense7", "10"]),
    (["train", "--data", "/no/such/file.npz"], ["/no/such/file.npz"]),
    (["train", "--lr", "abc"], ["abc"]),
    (["train", "--lr", "-1"], ["-1"]),
    (["train", "--lr", "2"], ["between 1e-05 and 1"]),
    (["train", "--save", "/no/such/folder/net.npz"], ["/no/such/folder", "does not exist"]),
    (["train", "--epochs", "0"], ["0"]),
    (["train", "--seed", "x"], ["x"]),
    (["eval", "--checkpoint", "/no/such.npz"], ["/no/such.npz"]),
    (["screenshot", "--out", "x.png", "--size", "big"], ["big"]),
    (["frobnicate"], ["frobnicate"]),
])
def test_user_errors_print_one_line_and_exit_2(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert_one_line_error(code, err, *words)
    assert out == ""


def test_app_refuses_a_bad_architecture_before_starting_qt(capsys):
    code, _, err = run(capsys, "--arch", "pool40-dense10")
    assert_one_line_error(code, err, "pool40")


def test_train_json_reports_the_result(capsys, tmp_path):
    ckpt = tmp_path / "net.npz"
    code, out, err = run(capsys, "train", "--epochs", "1", "--json", "--save", str(ckpt))
    assert code == 0, err
    result = json.loads(out)
    assert result["steps"] == 4000
    assert result["arch"] == "conv8x3-pool2-dense10"
    assert 0.8 < result["test_accuracy"] <= 1.0
    assert result["test_loss"] > 0 and result["seconds"] > 0
    assert "loss" in err  # the progress line goes to stderr

    code, out, err = run(capsys, "eval", "--checkpoint", str(ckpt), "--json")
    assert code == 0, err
    evaluated = json.loads(out)
    assert evaluated["test_accuracy"] == result["test_accuracy"]
    assert evaluated["steps"] == 4000


def test_eval_refuses_a_damaged_checkpoint(capsys, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a zip file")
    code, _, err = run(capsys, "eval", "--checkpoint", str(bad))
    assert_one_line_error(code, err, str(bad))


def test_the_loss_blowing_up_is_a_clear_error(capsys):
    code, _, err = run(capsys, "train", "--epochs", "1", "--lr", "1")
    assert_one_line_error(code, err, "lower the learning rate")


@pytest.mark.slow
@pytest.mark.parametrize("arch, target", [
    ("conv8x3-pool2-dense10", 0.90),
    ("conv8x3-relu-pool2-conv16x3-relu-pool2-dense10", 0.95),
])
def test_three_epochs_reach_the_target_accuracy(capsys, arch, target):
    code, out, err = run(capsys, "train", "--arch", arch, "--epochs", "3", "--seed", "0",
                         "--json")
    assert code == 0, err
    assert json.loads(out)["test_accuracy"] >= target


def test_gradcheck_passes_on_the_engine(capsys):
    code, out, err = run(capsys, "gradcheck", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["passed"] is True
    assert set(result["max_relative_error"]) == {"conv1/W", "conv1/b", "dense1/W", "dense1/b",
                                                 "input"}
    assert max(result["max_relative_error"].values()) < 1e-6


def test_gradcheck_fails_on_a_broken_backward_pass(capsys, monkeypatch):
    honest = layers.Dense.backward

    def off_by_a_bit(self, dout):
        dx = honest(self, dout)
        self.grads["W"] = self.grads["W"] * 1.01
        return dx

    monkeypatch.setattr(layers.Dense, "backward", off_by_a_bit)
    code, out, _ = run(capsys, "gradcheck")
    assert code == 1
    assert "FAIL" in out and "dense1/W" in out


def test_python_dash_m_shows_help():
    done = subprocess.run([sys.executable, "-m", "visualcnn", "--help"], capture_output=True,
                          text=True, check=True)
    for command in ("train", "eval", "gradcheck", "bench", "screenshot"):
        assert command in done.stdout


def test_no_command_opens_the_app_with_the_chosen_model(capsys, monkeypatch):
    from visualcnn.app import launch

    seen = {}

    def fake_run_app(data, net, lr=None, seed=0):
        seen.update(arch=net.arch, lr=lr, n=len(data.y_train))
        return 0

    monkeypatch.setattr(launch, "run_app", fake_run_app)
    code, _, err = run(capsys, "--arch", "deeper", "--lr", "0.05", "--seed", "3")
    assert code == 0, err
    assert seen["arch"] == "conv8x3-relu-pool2-conv16x3-relu-pool2-dense10"
    assert seen["lr"] == 0.05 and seen["n"] == 4000
