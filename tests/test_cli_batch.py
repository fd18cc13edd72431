"""--batch B on the command line: `train` learns the bundled digits in mini-batches, the app
starts with the batch size given, and a size outside 1..64 is one line before any work."""

import json

import pytest

from tests.test_cli import assert_one_line_error, run


def test_train_in_batches_of_8_with_adam_learns_the_bundled_digits(capsys):
    code, out, err = run(capsys, "train", "--optimizer", "adam", "--lr", "0.001",
                         "--weight-decay", "1e-4", "--batch", "8", "--init", "xavier",
                         "--epochs", "1", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["batch"] == 8
    assert result["steps"] == 500  # 4,000 training images in batches of 8
    assert result["test_accuracy"] > 0.8
    assert "trained 4000 samples in batches of 8 in 1 epoch" in err


def test_train_batch_sizes_that_do_not_divide_the_set_end_each_epoch_on_a_smaller_batch(
        capsys):
    code, out, err = run(capsys, "train", "--batch", "64", "--epochs", "1", "--json")
    assert code == 0, err
    assert json.loads(out)["steps"] == 63  # 62 batches of 64 and one of 32


@pytest.fixture
def app_batch(monkeypatch):
    from visualcnn.app import launch

    seen = {}

    def fake_run_app(data, net, lr=None, seed=0, layers=None, batch=None):
        seen["batch"] = batch
        return 0

    monkeypatch.setattr(launch, "run_app", fake_run_app)
    return seen


def test_the_app_starts_with_the_batch_size_given_else_its_own(capsys, app_batch):
    assert run(capsys, "--batch", "12")[0] == 0
    assert app_batch == {"batch": 12}
    assert run(capsys)[0] == 0
    assert app_batch == {"batch": None}  # the app's own: the last one kept


@pytest.mark.parametrize("argv, words", [
    (["train", "--batch", "0"], ["--batch", "between 1 and 64", "'0'"]),
    (["train", "--batch", "65"], ["--batch", "between 1 and 64", "'65'"]),
    (["train", "--batch", "eight"], ["--batch", "whole number", "'eight'"]),
    (["--batch", "100"], ["--batch", "between 1 and 64"]),
    (["--batch", "8", "train"], ["--batch before the command 'train' would be ignored"]),
])
def test_a_bad_batch_option_is_one_line(capsys, app_batch, argv, words):
    code, _, err = run(capsys, *argv)
    assert_one_line_error(code, err, *words)
    assert app_batch == {}
