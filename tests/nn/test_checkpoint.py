"""Checkpoints: an exact round trip, an atomic write, and one clear error for every bad file."""

from __future__ import annotations

import io
import os
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.checkpoint_files import read_back_every_field
from tests.fuzzing import FUZZ, damaged, load_or_refuse, lying_npz
from visualcnn.common.errors import CheckpointError, UserError
from visualcnn.nn import DEEPER_ARCH, DEFAULT_ARCH, Network
from visualcnn.nn.network import CHECKPOINT_FORMAT, CHECKPOINT_VERSION, MAX_SEED


def trained(arch=DEFAULT_ARCH, momentum=0.9, steps=3, **kw):
    net = Network.from_arch(arch, seed=7, momentum=momentum, **kw)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        net.train_step(rng.random(net.input_shape), int(rng.integers(10)), 0.05)
    return net


def npz_items(path):
    return read_back_every_field(path)


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


def test_the_next_save_clears_what_a_killed_save_left(tmp_path):
    path = tmp_path / "net.npz"
    trained(steps=1).save(path)
    left = tmp_path / ".net.npz.q8x_3kd1.tmp"  # as mkstemp names it; the process was killed
    left.write_bytes(b"PK\x03\x04 half a zip")
    then = time.time() - 60
    os.utime(left, (then, then))
    other = tmp_path / ".other.npz.q8x_3kd1.tmp"
    other.write_bytes(b"not ours to remove")
    os.utime(other, (then, then))
    trained(steps=2).save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.npz.q8x_3kd1.tmp", "net.npz"]
    assert Network.load(path).step == 2


# ------------------------------------------------------------------------ bad files
def valid_meta(net):
    return {"format": np.array(CHECKPOINT_FORMAT), "version": np.array(CHECKPOINT_VERSION),
            "arch": np.array(net.arch), "input_shape": np.array(net.input_shape),
            "classes": np.array(10), "seed": np.array(0), "momentum": np.array(0.0),
            "step": np.array(0), "lr": np.array(np.nan), "optimizer": np.array("sgd"),
            "weight_decay": np.array(0.0), "init": np.array("he")}


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
    elif kind == "complex_weights":
        np.savez(path, **{**good, "param/conv1/W": good["param/conv1/W"] + 1j})
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
             "bad_arch", "zip_of_text", "complex_weights"]


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


# ------------------------------------------------------------------------------- seeds
@pytest.mark.parametrize("seed", [0, 2 ** 32, MAX_SEED])
def test_every_allowed_seed_is_stored_as_a_plain_integer(tmp_path, seed):
    path = tmp_path / "net.npz"
    Network.from_arch(DEFAULT_ARCH, seed=seed).save(path, lr=0.01)
    fields = read_back_every_field(path)
    assert fields["seed"].dtype.kind in "iu" and int(fields["seed"]) == seed
    assert Network.load(path).seed == seed


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 2 ** 64])
def test_a_seed_a_checkpoint_cannot_store_is_refused(seed):
    with pytest.raises(UserError, match="seed must be between 0 and"):
        Network.from_arch(DEFAULT_ARCH, seed=seed)


def test_save_refuses_a_seed_set_out_of_range_and_writes_nothing(tmp_path):
    net = Network.from_arch(DEFAULT_ARCH)
    net.seed = 2 ** 64
    with pytest.raises(CheckpointError, match="seed"):
        net.save(tmp_path / "net.npz")
    assert list(tmp_path.iterdir()) == []


def test_a_stored_seed_out_of_range_is_a_damaged_checkpoint(tmp_path):
    net = Network.from_arch(DEFAULT_ARCH)
    path = tmp_path / "net.npz"
    np.savez(path, **{**valid_meta(net), **net.get_state(), "seed": np.array(-5)})
    with pytest.raises(CheckpointError, match="seed"):
        Network.load(path)


# ----------------------------------------------------------------- NaN and inf weights
@pytest.mark.parametrize("key, value, name", [
    ("param/conv1/W", np.nan, "conv1/W"),
    ("param/dense1/b", np.inf, "dense1/b"),
    ("velocity/dense1/W", -np.inf, "velocity of dense1/W"),
])
def test_nan_or_infinite_weights_are_refused_naming_the_tensor(tmp_path, key, value, name):
    net = trained(steps=2)
    path = tmp_path / "net.npz"
    state = net.get_state()
    state[key].flat[3] = value
    np.savez(path, **{**valid_meta(net), **state})
    with pytest.raises(CheckpointError) as caught:
        Network.load(path)
    assert str(caught.value) == f"{path}: {name} holds NaN or infinite values"


def test_an_infinite_learning_rate_is_a_damaged_checkpoint(tmp_path):
    net = Network.from_arch(DEFAULT_ARCH)
    path = tmp_path / "net.npz"
    np.savez(path, **{**valid_meta(net), **net.get_state(), "lr": np.array(np.inf)})
    with pytest.raises(CheckpointError, match="learning rate"):
        Network.load(path)


def test_save_refuses_nan_weights_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "net.npz"
    net = trained(steps=1)
    net.save(path)
    good = path.read_bytes()
    net.layers[0].params["W"] = np.full_like(net.layers[0].params["W"], np.nan)
    with pytest.raises(CheckpointError, match="conv1/W holds NaN or infinite values"):
        net.save(path)
    assert path.read_bytes() == good


# ------------------------------------------------------------ headers against the size
def test_a_member_whose_header_declares_a_huge_array_is_refused_before_reading(tmp_path):
    net = Network.from_arch(DEFAULT_ARCH)
    path = tmp_path / "net.npz"
    np.savez(path, **{**valid_meta(net), **net.get_state()})
    header = io.BytesIO()  # 400 MB declared, none present
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (50_000_000,)})
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("extra.npy", header.getvalue())
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError) as caught:
            Network.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "extra" in str(caught.value) and str(path) in str(caught.value)
    assert peak < 50_000_000


# --------------------------------------------------------------- damaged files at random
def _small_checkpoint() -> tuple[bytes, dict[str, bytes]]:
    """A small trained checkpoint: its bytes, and its members' bytes by name."""
    net = Network.from_arch("conv2x2-relu-pool2-dense10", input_shape=(1, 5, 5), seed=3,
                            momentum=0.5)
    rng = np.random.default_rng(0)
    for _ in range(2):
        net.train_step(rng.random(net.input_shape), int(rng.integers(10)), 0.05)
    buf = io.BytesIO()
    np.savez(buf, **{**valid_meta(net), "momentum": np.array(0.5), "step": np.array(2),
                     **net.get_state()})
    with zipfile.ZipFile(buf) as z:
        members = {name: z.read(name) for name in z.namelist()}
    return buf.getvalue(), members


SMALL_CHECKPOINT, SMALL_MEMBERS = _small_checkpoint()


@FUZZ
@given(data=st.data())
def test_damaged_checkpoints_are_loaded_or_refused(data):
    stored = data.draw(st.one_of(damaged(SMALL_CHECKPOINT, header_size=200),
                                 lying_npz(SMALL_MEMBERS)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "net.npz")
        path.write_bytes(stored)
        net = load_or_refuse(Network.load, path)
    if net is not None:  # what loads is a usable network
        assert all(np.isfinite(v).all() for v in net.get_state().values())
        assert 0 <= net.seed <= MAX_SEED


def test_the_small_checkpoint_loads_as_it_is(tmp_path):
    path = tmp_path / "net.npz"
    path.write_bytes(SMALL_CHECKPOINT)
    assert Network.load(path).step == 2


# ------------------------------------------------------------ optimisers (version 2)
def test_adam_checkpoint_round_trip_keeps_its_moments_and_carries_on_bit_for_bit(tmp_path):
    net = trained(momentum=0.0, steps=5, optimizer="adam", weight_decay=1e-3, init="xavier")
    path = tmp_path / "adam.npz"
    net.save(path, lr=0.001)
    with np.load(path, allow_pickle=False) as z:
        assert int(z["version"]) == 2
        assert (str(z["optimizer"]), float(z["weight_decay"]), str(z["init"])) == \
            ("adam", 1e-3, "xavier")
        assert "adam_m/conv1/W" in z.files and "adam_v/dense1/b" in z.files
    back = Network.load(path)
    assert (back.optimizer, back.weight_decay, back.init, back.step) == \
        ("adam", 1e-3, "xavier", 5)
    for key in net.adam_m:
        np.testing.assert_array_equal(back.adam_m[key], net.adam_m[key])
        np.testing.assert_array_equal(back.adam_v[key], net.adam_v[key])
    rng = np.random.default_rng(3)
    for _ in range(4):  # Adam's step count goes on from 5, as its moments do
        x, y = rng.random(net.input_shape), int(rng.integers(10))
        a, b = net.train_step(x, y, 0.001), back.train_step(x, y, 0.001)
        assert a.loss == b.loss
    for (_, _, p), (_, _, q) in zip(net.parameters(), back.parameters(), strict=True):
        np.testing.assert_array_equal(p, q)


def test_an_adam_checkpoint_without_its_moments_is_refused(tmp_path):
    net = trained(momentum=0.0, optimizer="adam")
    path = tmp_path / "adam.npz"
    net.save(path)
    with np.load(path, allow_pickle=False) as z:
        fields = {k: z[k] for k in z.files if k != "adam_v/conv1/W"}
    np.savez(path, **fields)
    with pytest.raises(CheckpointError, match="adam_v/conv1/W is missing"):
        Network.load(path)


def test_a_version_1_checkpoint_still_loads_as_sgd_with_momentum(tmp_path):
    net = trained(momentum=0.9, steps=3)
    fields = {**valid_meta(net), "version": np.array(1), "momentum": np.array(0.9),
              "step": np.array(3), "seed": np.array(7), **net.get_state()}
    for key in ("optimizer", "weight_decay", "init"):
        del fields[key]  # version 1 had none of these
    path = tmp_path / "v1.npz"
    np.savez(path, **fields)
    back = Network.load(path)
    assert (back.optimizer, back.momentum, back.weight_decay, back.init, back.step) == \
        ("momentum", 0.9, 0.0, "he", 3)
    x = np.random.default_rng(1).random(net.input_shape)
    assert net.train_step(x, 3, 0.05).loss == back.train_step(x, 3, 0.05).loss
