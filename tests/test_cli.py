"""The `visualcnn` command: results, JSON output, and one-line errors with exit status 2."""

import argparse
import json
import subprocess
import sys

import numpy as np
import pytest

from tests.checkpoint_files import read_back_every_field
from visualcnn import cli
from visualcnn.common import files
from visualcnn.nn import Network, layers
from visualcnn.nn.network import MAX_SEED


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

    def fake_run_app(data, net, lr=None, seed=0, layers=None):
        seen.update(arch=net.arch, lr=lr, n=len(data.y_train))
        return 0

    monkeypatch.setattr(launch, "run_app", fake_run_app)
    code, _, err = run(capsys, "--arch", "deeper", "--lr", "0.05", "--seed", "3")
    assert code == 0, err
    assert seen["arch"] == "conv8x3-relu-pool2-conv16x3-relu-pool2-dense10"
    assert seen["lr"] == 0.05 and seen["n"] == 4000


# ------------------------------------------------------------- numbers and their ranges
def never_runs(args):
    raise AssertionError(f"{args.command or 'the app'} ran: the parser let a bad number by")


# Every number flag of every command (None: the app), each just outside its range and
# with values that are no usable number at all.
OUT_OF_RANGE = [
    (None, "--seed", ["-1", str(MAX_SEED + 1), "18446744073709551616", "1.5"]),
    (None, "--lr", ["0", "1.5", "nan", "inf", "-inf"]),
    ("train", "--seed", ["-1", str(MAX_SEED + 1), "18446744073709551616"]),
    ("train", "--lr", ["1e-6", "2", "nan"]),
    ("train", "--epochs", ["0", "-3", "1001", "1e9", "nan", "9" * 5000]),
    (None, "--batch", ["0", "65", "2.5"]),
    ("train", "--batch", ["0", "-1", "65", "x"]),
    ("screenshot", "--batch", ["0", "65"]),
    ("gradcheck", "--seed", ["-1", str(MAX_SEED + 1)]),
    ("bench", "--seconds", ["-1", "0", "0.4", "601", "nan", "inf", "-inf", "x", "9" * 5000]),
    ("bench", "--long", ["0", "0.5", "86401", "nan", "inf", "x"]),
    ("bench", "--steps", ["0", "-1", "10000001", "2.5"]),
    ("gradcheck", "--steps", ["-1", "100001", "2.5"]),
    ("screenshot", "--seed", ["-1", str(MAX_SEED + 1)]),
    ("screenshot", "--lr", ["0", "inf"]),
    ("screenshot", "--steps", ["-1", "100001", "1000000000", "2.5"]),
    ("screenshot", "--card", ["0", "101", "1.5"]),
    ("screenshot", "--phases", ["-1", "1001", "x"]),
    ("screenshot", "--size", ["319x240", "7681x4320", "0x0", "-1366x768", "nanxnan"]),
    ("gif", "--seed", ["-1", str(MAX_SEED + 1)]),
    ("gif", "--lr", ["0", "nan"]),
    ("gif", "--steps", ["0", "-1", "100001", "2.5"]),
    ("gif", "--size", ["319x240", "7681x4320"]),
    *[(command, "--weight-decay", ["-1e-4", "1.5", "nan", "x"])
      for command in (None, "train", "gradcheck", "screenshot", "gif")],
    *[(command, "--momentum", ["-0.1", "1", "inf"])
      for command in (None, "train", "gradcheck", "screenshot", "gif")],
]
REQUIRED = {"screenshot": ["--out", "x.png"], "bench": ["--gui"],
            "gif": ["--out", "x.gif", "--steps", "1"]}


def number_options(parser):
    """(command, flag, action) for every option that takes a number, the app's included."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command, p in [(None, parser), *sub.choices.items()]:
        for action in p._actions:
            number = action.type in (int, float) or hasattr(action.type, "range_text")
            if number and action.option_strings:
                yield command, action.option_strings[0], action


def test_every_number_option_states_its_range_and_is_tested_out_of_range():
    tested = {(command, flag) for command, flag, _ in OUT_OF_RANGE}
    options = list(number_options(cli.build_parser()))
    assert {(command, flag) for command, flag, _ in options} == tested
    for command, flag, action in options:
        assert action.type.range_text in action.help, (command, flag)


@pytest.mark.parametrize("command, flag, value", [
    (command, flag, value) for command, flag, values in OUT_OF_RANGE for value in values])
def test_out_of_range_numbers_are_refused_at_parse_time(capsys, monkeypatch, command, flag,
                                                        value):
    monkeypatch.setattr(cli, "COMMANDS", dict.fromkeys(cli.COMMANDS, never_runs))
    argv = [*([command] if command else []), *REQUIRED.get(command, []), f"{flag}={value}"]
    code, out, err = run(capsys, *argv)
    assert_one_line_error(code, err, flag)
    assert out == "" and len(err) < 300


@pytest.mark.parametrize("argv", [
    ["--seed", str(MAX_SEED)], ["train", "--epochs", "1000"],
    ["bench", "--gui", "--seconds", "600"],
    ["bench", "--gui", "--seconds", "0.5"], ["screenshot", "--out", "a.PNG", "--steps", "100000"],
    ["screenshot", "--out", "a.png", "--steps", "0", "--size", "7680x4320"],
    ["train", "--lr", "1e-5", "--seed", "0"],
])
def test_numbers_at_the_ends_of_their_ranges_are_accepted(argv):
    cli.parse_args(argv)


def test_help_states_the_seed_range(capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["train", "--help"])
    assert "9223372036854775807" in " ".join(capsys.readouterr().out.split())


def test_a_huge_seed_is_refused_before_training(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(cli, "_load_data", never_runs)
    code, _, err = run(capsys, "train", "--seed", "18446744073709551616", "--epochs", "1",
                       "--save", str(tmp_path / "s.npz"))
    assert_one_line_error(code, err, "--seed", "9223372036854775807")
    assert list(tmp_path.iterdir()) == []


# -------------------------------------------------------------- flags that did nothing
@pytest.fixture(scope="module")
def good_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "good.npz"
    Network.from_arch("conv8x3-pool2-dense10", seed=4).save(path, lr=0.05)
    return path


@pytest.fixture
def fake_app(monkeypatch):
    from visualcnn.app import launch

    seen = {}

    def fake_run_app(data, net, lr=None, seed=0, layers=None):
        seen.update(arch=net.arch, lr=lr, seed=seed, net_seed=net.seed)
        return 0

    monkeypatch.setattr(launch, "run_app", fake_run_app)
    return seen


@pytest.mark.parametrize("extra, words", [
    (["--arch", "nonsense"], ["--arch", "nonsense", "conv8x3-pool2-dense10"]),
    (["--arch", "deeper"], ["--arch", "deeper"]),
    (["--seed", "5"], ["--seed", "5", "4"]),
])
def test_app_refuses_arch_or_seed_that_disagree_with_the_checkpoint(
        capsys, fake_app, good_checkpoint, extra, words):
    code, _, err = run(capsys, "--checkpoint", str(good_checkpoint), *extra)
    assert_one_line_error(code, err, str(good_checkpoint), *words)
    assert fake_app == {}


def test_app_opens_a_checkpoint_with_arch_and_seed_that_agree(capsys, fake_app,
                                                               good_checkpoint):
    code, _, err = run(capsys, "--checkpoint", str(good_checkpoint), "--arch", "article",
                       "--seed", "4")
    assert code == 0, err
    assert fake_app == {"arch": "conv8x3-pool2-dense10", "lr": 0.05, "seed": 4, "net_seed": 4}


def test_app_uses_the_checkpoints_seed_when_none_is_given(capsys, fake_app, good_checkpoint):
    code, _, err = run(capsys, "--checkpoint", str(good_checkpoint))
    assert code == 0, err
    assert fake_app["seed"] == 4


@pytest.mark.parametrize("argv, words", [
    (["--arch", "deeper", "train"], ["--arch", "train"]),
    (["--checkpoint", "x.npz", "train"], ["--checkpoint", "train"]),
    (["--seed", "3", "gradcheck"], ["--seed", "gradcheck"]),
    (["--lr", "0.1", "screenshot", "--out", "a.png"], ["--lr", "screenshot"]),
    (["--data", "bundled", "bench"], ["--data", "bench"]),
    (["bench", "--seconds", "3"], ["--seconds", "--gui"]),
    (["bench", "--data", "bundled"], ["--data", "--gui"]),
])
def test_app_options_before_a_command_are_refused(capsys, monkeypatch, argv, words):
    monkeypatch.setattr(cli, "COMMANDS", dict.fromkeys(cli.COMMANDS, never_runs))
    code, _, err = run(capsys, *argv)
    assert_one_line_error(code, err, *words)


@pytest.mark.parametrize("argv, words", [
    (["train", "--arch", ""], ["--arch", "empty architecture"]),
    (["train", "--arch", "   "], ["--arch", "empty architecture"]),
    (["--arch", ""], ["--arch", "empty architecture"]),
    (["train", "--save", ""], ["--save", "empty"]),
    (["train", "--data", ""], ["--data", "empty"]),
    (["screenshot", "--out", "x.jpg"], ["--out", "x.jpg", ".png"]),
    (["screenshot", "--out", "x"], ["--out", ".png"]),
    (["screenshot", "--out", ""], ["--out", ".png"]),
])
def test_empty_or_unusable_values_are_refused_at_parse_time(capsys, monkeypatch, argv, words):
    monkeypatch.setattr(cli, "COMMANDS", dict.fromkeys(cli.COMMANDS, never_runs))
    code, out, err = run(capsys, *argv)
    assert_one_line_error(code, err, *words)


# ------------------------------------------------------------------ checkpoints and saves
def test_eval_refuses_a_checkpoint_with_nan_weights(capsys, tmp_path, good_checkpoint):
    fields = read_back_every_field(good_checkpoint)
    fields["param/conv1/W"][0, 0, 1, 1] = np.nan
    path = tmp_path / "nan.npz"
    np.savez(path, **fields)
    code, out, err = run(capsys, "eval", "--checkpoint", str(path))
    assert_one_line_error(code, err, str(path), "conv1/W holds NaN or infinite values")
    assert out == ""


def test_app_refuses_a_stored_learning_rate_out_of_range_naming_the_file(capsys, fake_app,
                                                                         tmp_path):
    path = tmp_path / "fast.npz"
    Network.from_arch("conv8x3-pool2-dense10").save(path, lr=5.0)
    code, _, err = run(capsys, "--checkpoint", str(path))
    assert_one_line_error(code, err, str(path), "learning rate")
    assert fake_app == {}
    code, _, err = run(capsys, "--checkpoint", str(path), "--lr", "0.1")  # --lr replaces it
    assert code == 0, err
    assert fake_app["lr"] == 0.1


def test_a_save_folder_that_refuses_files_is_found_before_the_data_is_loaded(
        capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(cli, "_load_data", never_runs)
    real = files.tempfile.mkstemp

    def refuse_here(*args, dir=None, **kwargs):
        if str(dir) == str(tmp_path):
            raise PermissionError(13, "Permission denied", f"{dir}/.net.npz.abcdefgh.tmp")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse_here)
    code, _, err = run(capsys, "train", "--save", str(tmp_path / "net.npz"))
    assert_one_line_error(code, err, str(tmp_path / "net.npz"), "Permission denied")
    assert ".tmp" not in err


@pytest.mark.parametrize("command", [["train", "--save"], ["screenshot", "--out"]])
def test_an_output_that_is_a_folder_is_refused_before_the_data_is_loaded(
        capsys, monkeypatch, tmp_path, command):
    monkeypatch.setattr(cli, "_load_data", never_runs)
    folder = tmp_path / "out.png"
    folder.mkdir()
    code, _, err = run(capsys, *command, str(folder))
    assert_one_line_error(code, err, str(folder), "is a folder")


def test_screenshot_refuses_a_missing_folder_before_loading_data(capsys, monkeypatch,
                                                                 tmp_path):
    monkeypatch.setattr(cli, "_load_data", never_runs)
    code, _, err = run(capsys, "screenshot", "--out", str(tmp_path / "no" / "x.png"))
    assert_one_line_error(code, err, "does not exist")


def test_a_long_architecture_string_gives_a_short_error_line(capsys):
    code, _, err = run(capsys, "train", "--arch", "conv1x1-" * 1250 + "blob")
    assert_one_line_error(code, err, "...")
    assert len(err) < 400


# ------------------------------------------------------------------------ tiny data
def tiny_csv(folder):
    rows = ["label," + ",".join(f"p{i}" for i in range(16))]
    rng = np.random.default_rng(0)
    rows += [",".join(map(str, [i % 10, *rng.integers(0, 256, 16)])) for i in range(40)]
    path = folder / "tiny.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_train_on_a_pipe_writes_a_short_progress_report(capsys, tmp_path):
    data = tiny_csv(tmp_path)
    code, out, err = run(capsys, "train", "--data", str(data), "--arch", "dense10",
                         "--epochs", "300")
    assert code == 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "loss" in lines[0] and "300 epochs" in lines[0]


def test_train_on_a_terminal_draws_one_bar(capsys, monkeypatch, tmp_path):
    data = tiny_csv(tmp_path)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, out, err = run(capsys, "train", "--data", str(data), "--arch", "dense10",
                         "--epochs", "20")
    assert code == 0, err
    assert err.count("\n") <= 2 and "\r" in err
    assert "600/600" in err  # 30 training samples x 20 epochs, the bar full at the end


@pytest.mark.parametrize("name", ["train-images-idx3-ubyte", "t10k-labels.idx1-ubyte.gz"])
def test_data_may_name_a_file_of_an_idx_folder(capsys, tmp_path, name):
    from tests.data.test_loaders import make_idx_folder

    dotted, gz = ".idx" in name, name.endswith(".gz")
    paths = make_idx_folder(tmp_path / "digits", ".gz" if gz else "", dotted)
    picked = next(p for p in paths.values() if p.name == name)
    code, out, err = run(capsys, "train", "--data", str(picked), "--arch", "dense10",
                         "--epochs", "1", "--json")
    assert code == 0, err
    assert json.loads(out)["data"] == "digits"


def test_gif_records_a_run_of_the_window(tmp_path, capsys):
    from PIL import Image

    out = tmp_path / "run.gif"
    code, printed, err = run(capsys, "gif", "--steps", "2", "--size", "640x560",
                             "--out", str(out))
    assert code == 0, err
    assert printed.strip() == str(out)
    with Image.open(out) as gif:
        assert gif.n_frames == 3  # before the first step and after each
        assert gif.size[0] == 640


@pytest.mark.parametrize("argv, words", [
    (["gif", "--steps", "2", "--out", "run.png"], "ending in .gif"),
    (["gif", "--out", "run.gif"], "--steps"),
    (["gif", "--steps", "2", "--out", "/no/such/folder/run.gif"], "does not exist"),
])
def test_gif_refuses_bad_arguments_before_training(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1
