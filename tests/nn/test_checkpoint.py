"""Checkpoints: an exact round trip, an atomic write, and one clear error for every bad file."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from visualcnn.common.errors import CheckpointError, UserError
from visualcnn.nn import DEEPER_ARCH, DEFAULT_ARCH, Network
from visualcnn.nn.network import CHECKPOINT_FORMAT, CHECKPOINT_VERSION


def trained(arch=DEFAULT_ARCH, momentum=0.9, steps=3, **kw):
    net = Network.from_arch(arch, seed=7, momentum=momentum, **kw)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        net.train_step(rng.random(net.input_shape), int(rng.integers(10)), 0.05)
    return net


def npz_items(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


@pytest.mark.parametrize("arch, input_shape, momentum", [
    (DEFAULT_ARCH, (1, 28, 28), 0.9),
    (DEEPER_ARCH, (1, 28, 28), 0.0),
    ("conv3x3-relu-pool2-dense7-relu-dense10", (3, 9, 9), 0.5),
])
def test_round_trip_restores_everything(tmp_path, arch, input_shape, momentum):
    net = trained(arch, momentum, input_shape=input_shape)
    path = tmp_path / "net.npz"
    net.save(path, lr=0.05)
    back = Network.load(path)
    assert (back.arch, back.input_shape, back.classes, back.momentum, back.step) == \
        (net.arch, net.input_shape, net.classes, net.momentum, 3)
    assert back.saved_lr == 0.05
    state, back_state = net.get_state(), back.get_state()
    assert state.keys() == back_state.keys()
    for k in state:
        np.testing.assert_array_equal(back_state[k], state[k], err_msg=k)
        assert back_state[k].dtype == np.float64
    if momentum:
        assert any(np.abs(v).max() > 0 for k, v in back_state.items() if k.startswith("velocity"))
    # The restored network carries on exactly as the original would.
    x = np.random.default_rng(1).random(input_shape)
    t1, t2 = net.train_step(x, 3, 0.05), back.train_step(x, 3, 0.05)
    assert t1.loss == t2.loss and t1.step == t2.step == 4
    for (_, _, a), (_, _, b) in zip(net.parameters(), back.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_no_learning_rate_round_trips_as_none(tmp_path):
    net = trained()
    net.save(tmp_path / "a.npz")
    assert Network.load(tmp_path / "a.npz").saved_lr is None


def test_save_overwrites_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "net.npz"
    trained(steps=1).save(path)
    trained(steps=2).save(path, lr=0.1)
    assert Network.load(path).step == 2
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]


def test_failed_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "net.npz"
    trained(steps=1).save(path, lr=0.01)
    good = path.read_bytes()

    def savez_that_dies_midway(file, **arrays):
        file.write(b"PK\x03\x04 half a zip")  # some bytes reach the disk, then the crash
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", savez_that_dies_midway)
    with pytest.raises(OSError, match="disk full"):
        trained(steps=5).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]
    assert Network.load(path).step == 1


def test_interrupted_save_keeps_the_old_file(tmp_path, monkeypatch):
    """Even a KeyboardInterrupt (not an Exception) must not leave a half-written file behind."""
    path = tmp_path / "net.npz"
    trained(steps=1).save(path)
    good = path.read_bytes()

    def interrupted(file, **arrays):
        file.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        trained(steps=2).save(path)
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["net.npz"]


# ------------------------------------------------------------------------ bad files
def valid_meta(net):
    return {"format": np.array(CHECKPOINT_FORMAT), "version": np.array(CHECKPOINT_VERSION),
            "arch": np.array(net.arch), "input_shape": np.array(net.input_shape),
            "classes": np.array(10), "seed": np.array(0), "momentum": np.array(0.0),
            "step": np.array(0), "lr": np.array(np.nan)}


class Bomb:
    """Unpickling this object would record that it happened: the loader must never do it."""

    exploded = False

    def __reduce__(self):
        return (_explode, ())


def _explode():
    Bomb.exploded = True
    return "boom"


def make_bad(kind, tmp_path):
    path = tmp_path / f"{kind}.npz"
    net = Network.from_arch(DEFAULT_ARCH)
    good = {**valid_meta(net), **net.get_state()}
    if kind == "missing":
        pass
    elif kind == "directory":
        path.mkdir()
    elif kind == "not_zip":
        path.write_text("this is not a checkpoint\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        net.save(path)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "no_marker":
        np.savez(path, **{k: v for k, v in good.items() if k != "format"})
    elif kind == "wrong_marker":
        np.savez(path, **{**good, "format": np.array("some-other-format")})
    elif kind == "plain_npz":
        np.savez(path, a=np.zeros(3))
    elif kind == "future_version":
        np.savez(path, **{**good, "version": np.array(CHECKPOINT_VERSION + 1)})
    elif kind == "object_array":
        np.savez(path, **{**good, "param/conv1/W": np.array([Bomb()], dtype=object)})
    elif kind == "object_array_extra":
        np.savez(path, **good, note=np.array([Bomb(), 1], dtype=object))
    elif kind == "wrong_shape":
        np.savez(path, **{**good, "param/dense1/W": np.zeros((10, 1351))})
    elif kind == "wrong_velocity_shape":
        np.savez(path, **{**good, "velocity/conv1/W": np.zeros((8, 1, 2, 2))})
    elif kind == "missing_param":
        np.savez(path, **{k: v for k, v in good.items() if k != "param/conv1/b"})
    elif kind == "bad_arch":
        np.savez(path, **{**good, "arch": np.array("conv8x3-frob-dense10")})
    elif kind == "zip_of_text":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("format.npy", "not an npy header")
        path.write_bytes(buf.getvalue())
    else:
        raise AssertionError(kind)
    return path


BAD_KINDS = ["missing", "directory", "not_zip", "empty", "truncated", "no_marker",
             "wrong_marker", "plain_npz", "future_version", "object_array",
             "object_array_extra", "wrong_shape", "wrong_velocity_shape", "missing_param",
             "bad_arch", "zip_of_text"]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_file_raises_one_line_checkpoint_error(kind, tmp_path):
    Bomb.exploded = False
    path = make_bad(kind, tmp_path)
    with pytest.raises(CheckpointError) as info:
        Network.load(path)
    message = str(info.value)
    assert "\n" not in message and message
    assert str(path.name) in message  # the user learns which file it was
    assert isinstance(info.value, UserError)
    assert not Bomb.exploded  # nothing was unpickled


def test_the_bomb_would_go_off_if_unpickled(tmp_path):
    """Guard for the test above: unpickling the saved object array really does set the flag."""
    Bomb.exploded = False
    path = make_bad("object_array", tmp_path)
    with np.load(path, allow_pickle=True) as z:
        z["param/conv1/W"]
    assert Bomb.exploded


@pytest.mark.parametrize("key, value", [
    ("classes", np.array("ten")),
    ("input_shape", np.array(5)),
    ("lr", np.array("fast")),
    ("version", np.array([1, 1])),
])
def test_damaged_metadata_value_raises_checkpoint_error(tmp_path, key, value):
    net = Network.from_arch(DEFAULT_ARCH)
    path = tmp_path / "meta.npz"
    np.savez(path, **{**valid_meta(net), **net.get_state(), key: value})
    with pytest.raises(CheckpointError):
        Network.load(path)


def test_saved_file_is_a_plain_npz_without_objects(tmp_path):
    path = tmp_path / "net.npz"
    trained().save(path, lr=0.2)
    items = npz_items(path)  # np.load refuses object arrays by default
    assert str(items["format"]) == CHECKPOINT_FORMAT
    assert all(a.dtype != object for a in items.values())


def test_saving_into_a_missing_folder_is_a_one_line_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        trained(steps=1).save(tmp_path / "no" / "such" / "net.npz")
    assert list(tmp_path.iterdir()) == []


def test_a_text_file_is_not_taken_for_a_pickle(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("garbage\n")
    with pytest.raises(CheckpointError) as caught:
        Network.load(path)
    assert "not a zip archive" in str(caught.value)
    assert "pickle" not in str(caught.value)


def test_a_negative_step_count_is_a_damaged_checkpoint(tmp_path):
    path = tmp_path / "net.npz"
    trained(steps=1).save(path)
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    data["step"] = np.array(-3)
    np.savez(path, **data)
    with pytest.raises(CheckpointError, match="negative"):
        Network.load(path)
