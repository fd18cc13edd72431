"""--init, --optimizer, --weight-decay and --momentum on the command line: train learns with
them, the app and the offscreen commands build their network with them, and a checkpoint's
own settings win over options that disagree."""

import json

import pytest

from tests.test_cli import assert_one_line_error, run
from visualcnn.nn import Network


def test_train_with_adam_weight_decay_and_xavier_learns_the_bundled_digits(capsys, tmp_path):
    ckpt = tmp_path / "adam.npz"
    code, out, err = run(capsys, "train", "--optimizer", "adam", "--lr", "0.001",
                         "--weight-decay", "1e-4", "--init", "xavier", "--epochs", "1",
                         "--json", "--save", str(ckpt))
    assert code == 0, err
    result = json.loads(out)
    assert (result["optimizer"], result["weight_decay"], result["init"]) == \
        ("adam", 1e-4, "xavier")
    assert result["test_accuracy"] > 0.85
    net = Network.load(ckpt)
    assert (net.optimizer, net.weight_decay, net.init, net.step) == \
        ("adam", 1e-4, "xavier", 4000)


def test_momentum_alone_means_sgd_with_momentum(capsys, fake_app):
    code, _, err = run(capsys, "--momentum", "0.5")
    assert code == 0, err
    assert (fake_app["net"].optimizer, fake_app["net"].momentum) == ("momentum", 0.5)
    code, _, err = run(capsys, "--optimizer", "momentum")
    assert code == 0, err
    assert fake_app["net"].momentum == 0.9


@pytest.mark.parametrize("argv, words", [
    (["train", "--optimizer", "rmsprop"], ["--optimizer", "rmsprop", "adam"]),
    (["train", "--init", "kaiming"], ["--init", "kaiming", "xavier"]),
    (["train", "--optimizer", "adam", "--momentum", "0.9"], ["momentum 0.9", "adam"]),
    (["--optimizer", "adam", "train"], ["--optimizer", "train"]),
    (["--weight-decay", "0.1", "gradcheck"], ["--weight-decay", "gradcheck"]),
])
def test_bad_training_options_are_one_line_errors(capsys, argv, words):
    code, out, err = run(capsys, *argv)
    assert_one_line_error(code, err, *words)
    assert out == ""


@pytest.fixture
def fake_app(monkeypatch):
    from visualcnn.app import launch

    seen = {}

    def fake_run_app(data, net, lr=None, seed=0, layers=None):
        seen["net"] = net
        return 0

    monkeypatch.setattr(launch, "run_app", fake_run_app)
    return seen


def test_the_app_builds_its_network_with_the_options(capsys, fake_app):
    code, _, err = run(capsys, "--optimizer", "adam", "--weight-decay", "0.001", "--init",
                       "constant")
    assert code == 0, err
    net = fake_app["net"]
    assert (net.optimizer, net.weight_decay, net.init) == ("adam", 0.001, "constant")


def test_the_app_refuses_options_that_disagree_with_a_checkpoint(capsys, fake_app, tmp_path):
    path = tmp_path / "adam.npz"
    Network.from_arch("conv8x3-pool2-dense10", optimizer="adam").save(path, lr=0.001)
    code, _, err = run(capsys, "--checkpoint", str(path), "--optimizer", "sgd")
    assert_one_line_error(code, err, str(path), "adam", "--optimizer")
    assert fake_app == {}
    code, _, err = run(capsys, "--checkpoint", str(path), "--optimizer", "adam")
    assert code == 0, err
    assert fake_app["net"].optimizer == "adam"


def test_gradcheck_trains_its_steps_with_the_chosen_optimiser(capsys):
    code, out, err = run(capsys, "gradcheck", "--optimizer", "adam", "--init", "xavier",
                         "--steps", "5", "--json")
    assert code == 0, err
    assert json.loads(out)["passed"]
