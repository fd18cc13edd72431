"""Atomic writes name the file the user asked for, clear their own leftovers, and npz archives
are checked against their size before any array in them is allocated."""

from __future__ import annotations

import errno
import io
import os
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

from visualcnn.common import files
from visualcnn.common.errors import DataError, UserError
from visualcnn.common.files import atomic_write, check_npz, check_writable


def test_atomic_write_replaces_the_target(tmp_path):
    path = tmp_path / "a.txt"
    with atomic_write(path) as tmp:
        tmp.write_text("new")
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_a_failed_rename_names_the_target_not_the_temporary(tmp_path, monkeypatch):
    path = tmp_path / "net.npz"

    def refuse(src, dst):
        raise PermissionError(errno.EPERM, "Operation not permitted", src, dst)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError) as caught, atomic_write(path) as tmp:
        tmp.write_bytes(b"x")
    assert caught.value.filename == str(path)
    assert ".tmp" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_temporary_file_that_cannot_be_made_names_the_target(tmp_path, monkeypatch):
    path = tmp_path / "net.npz"

    def refuse(*args, dir=None, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", f"{dir}/.net.npz.abcd1234.tmp")

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError) as caught, atomic_write(path):
        pass
    assert caught.value.filename == str(path)


def test_an_error_about_the_temporary_inside_the_block_names_the_target(tmp_path):
    path = tmp_path / "net.npz"
    with pytest.raises(OSError) as caught, atomic_write(path) as tmp:
        tmp.unlink()
        tmp.read_bytes()
    assert caught.value.filename == str(path)


def test_an_error_that_names_nothing_is_passed_on_unchanged(tmp_path):
    boom = OSError("disk full")
    with pytest.raises(OSError) as caught, atomic_write(tmp_path / "x") as tmp:
        tmp.write_bytes(b"half")
        raise boom
    assert caught.value is boom
    assert list(tmp_path.iterdir()) == []


def _age(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_save_clears_the_stale_temporaries_of_its_target_only(tmp_path):
    stale = [tmp_path / ".net.npz.k3j_9xq2.tmp", tmp_path / ".net.npz.00000000.tmp"]
    kept = [tmp_path / ".other.npz.k3j_9xq2.tmp",   # another target's
            tmp_path / ".net.npz.k3j_9xq2.tmp.bak",  # not the pattern
            tmp_path / ".net.npz.short.tmp",         # not mkstemp's 8 characters
            tmp_path / "net.npz.k3j_9xq2.tmp",       # not hidden
            tmp_path / ".net.npz.fresh123.tmp"]      # newer than the write: someone else's
    for p in stale + kept:
        p.write_bytes(b"left over")
        _age(p, 3600)
    _age(kept[-1], -3600)
    (tmp_path / ".net.npz.dir12345.tmp").mkdir()  # a folder is never ours
    _age(tmp_path / ".net.npz.dir12345.tmp", 3600)
    with atomic_write(tmp_path / "net.npz") as tmp:
        tmp.write_bytes(b"new")
    assert (tmp_path / "net.npz").read_bytes() == b"new"
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in kept)
    assert (tmp_path / ".net.npz.dir12345.tmp").is_dir()


def test_a_failed_save_removes_no_leftovers(tmp_path):
    old = tmp_path / ".net.npz.k3j_9xq2.tmp"
    old.write_bytes(b"left over")
    _age(old, 3600)
    with pytest.raises(RuntimeError), atomic_write(tmp_path / "net.npz"):
        raise RuntimeError("crash")
    assert old.exists()


# ----------------------------------------------------------------------- check_writable
def test_check_writable_accepts_a_new_file_and_leaves_nothing(tmp_path):
    check_writable(tmp_path / "net.npz")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("make, words", [
    (lambda p: p / "no" / "net.npz", ["does not exist"]),
    (lambda p: (p / "f").write_text("") or p / "f" / "net.npz", ["is not a folder"]),
    (lambda p: (p / "d").mkdir() or p / "d", ["is a folder"]),
])
def test_check_writable_refuses_a_place_no_file_can_go(tmp_path, make, words):
    path = make(tmp_path)
    with pytest.raises(UserError) as caught:
        check_writable(path)
    assert str(caught.value).startswith(str(path))
    for w in words:
        assert w in str(caught.value)


def test_check_writable_names_the_target_when_the_folder_refuses(tmp_path, monkeypatch):
    def refuse(*args, dir=None, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", f"{dir}/.x.abcdefgh.tmp")

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError) as caught:
        check_writable(tmp_path / "net.npz")
    assert caught.value.filename == str(tmp_path / "net.npz")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs a user whom file permissions bind")
def test_check_writable_refuses_a_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError):
            check_writable(folder / "net.npz")
    finally:
        folder.chmod(0o700)


# ---------------------------------------------------------------------------- check_npz
def npy_bytes(shape, descr="|u1", data=b"", version=(1, 0)):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False,
                                               "shape": shape}) if version == (1, 0) else \
        np.lib.format.write_array_header_2_0(buf, {"descr": descr, "fortran_order": False,
                                                   "shape": shape})
    return buf.getvalue() + data


def zip_of(members, method=zipfile.ZIP_STORED) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    buf.seek(0)
    return buf


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_check_npz_accepts_what_numpy_writes(method):
    buf = io.BytesIO()
    (np.savez if method == zipfile.ZIP_STORED else np.savez_compressed)(
        buf, a=np.arange(12.0).reshape(3, 4), s=np.array("text"), e=np.zeros((0, 5)),
        f=np.asfortranarray(np.ones((2, 3), ">i4")), r=np.zeros(3, [("x", "<f4"), ("y", "u1")]))
    check_npz(buf, "a.npz", DataError)


def test_check_npz_accepts_version_2_headers():
    check_npz(zip_of({"a.npy": npy_bytes((2, 3), "<f8", bytes(48), (2, 0))}), "a.npz",
              DataError)


@pytest.mark.parametrize("shape, data, words", [
    ((10 ** 7, 10 ** 4, 10 ** 3), b"", ["x", "(10000000, 10000, 1000)", "holds 0 bytes"]),
    ((3, 4), bytes(11), ["x", "12 bytes", "holds 11"]),
    ((3, 4), bytes(13), ["x", "12 bytes", "holds 13"]),
    ((2, -1), bytes(2), ["x", "negative"]),
])
def test_check_npz_refuses_a_header_that_does_not_fit_the_data(shape, data, words):
    with pytest.raises(DataError) as caught:
        check_npz(zip_of({"x.npy": npy_bytes(shape, data=data)}), "d.npz", DataError)
    message = str(caught.value)
    assert message.startswith("d.npz: ") and "\n" not in message
    for w in words:
        assert w in message


def test_check_npz_refuses_a_member_bigger_than_its_compressed_bytes_allow():
    buf = zip_of({"x.npy": npy_bytes((10,), data=bytes(10))})
    data = bytearray(buf.getvalue())
    # The central directory's uncompressed size of the one member: offset 24 in its record.
    at = data.rindex(b"PK\x01\x02") + 24
    data[at:at + 4] = (2 ** 31).to_bytes(4, "little")
    with pytest.raises(DataError, match="more than"):
        check_npz(io.BytesIO(bytes(data)), "d.npz", DataError)


def test_check_npz_refuses_other_compression_methods():
    buf = zip_of({"x.npy": npy_bytes((10,), data=bytes(10))}, zipfile.ZIP_BZIP2)
    with pytest.raises(DataError, match="compression"):
        check_npz(buf, "d.npz", DataError)


def test_check_npz_reads_headers_only():
    """A 60 MB array (compressed to about 60 kB) is checked without being read."""
    buf = io.BytesIO()
    np.savez_compressed(buf, big=np.zeros(60_000_000, np.uint8))
    tracemalloc.start()
    try:
        check_npz(buf, "big.npz", DataError)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04cut"])
def test_check_npz_refuses_what_is_not_a_zip(content):
    with pytest.raises(DataError) as caught:
        check_npz(io.BytesIO(content), "d.npz", DataError)
    assert str(caught.value).startswith("d.npz: ")


def test_check_npz_refuses_a_member_that_is_not_npy():
    with pytest.raises(DataError) as caught:
        check_npz(zip_of({"x.npy": b"not an npy header"}), "d.npz", DataError)
    assert str(caught.value).startswith("d.npz: cannot load x (")
