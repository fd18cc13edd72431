"""Damage for property-based tests of the file readers: random bytes, truncations, flipped and
spliced bytes, and headers that lie (IDX dimensions, .npy headers, zip sizes and methods).

A reader given any of these must load the file or refuse it with a UserError, and finish: see
``load_or_refuse``.
"""

from __future__ import annotations

import contextlib
import io
import signal
import zipfile

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from visualcnn.common.errors import UserError

# Small files and a modest number of examples keep each property to a few seconds; examples
# are timed by ``time_limit`` rather than by hypothesis' deadline, which only reports a slow
# example after it has finished and would never end a hang.
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SECONDS_PER_EXAMPLE = 10

# Numbers that make headers lie: zero, off by one, around 2**31 and 2**32, and huge.
LYING_SIZES = st.one_of(st.integers(0, 300), st.sampled_from([2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1]),
                        st.integers(0, 2 ** 32 - 1))


@contextlib.contextmanager
def time_limit(seconds: float = SECONDS_PER_EXAMPLE):
    """Raise TimeoutError in the block once it has run ``seconds``: a hang fails the test."""
    def on_alarm(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def load_or_refuse(load, *args):
    """Call ``load(*args)``: a result or a UserError passes, anything else fails the test."""
    with time_limit():
        try:
            return load(*args)
        except UserError as error:
            assert str(error) and "\n" not in str(error), repr(error)
            return None


@st.composite
def damaged(draw, original: bytes, header_size: int = 16) -> bytes:
    """``original`` damaged in one of several ways (or replaced by random bytes)."""
    how = draw(st.sampled_from(["random", "truncate", "flip", "splice", "header"]))
    if how == "random":
        return draw(st.binary(max_size=400))
    if how == "truncate":
        return original[:draw(st.integers(0, max(0, len(original) - 1)))]
    data = bytearray(original)
    if how == "flip":
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    elif how == "splice":
        start = draw(st.integers(0, len(data)))
        stop = draw(st.integers(start, min(len(data), start + 64)))
        data[start:stop] = draw(st.binary(max_size=64))
    else:
        start = draw(st.integers(0, max(0, min(len(data), header_size) - 4)))
        data[start:start + 4] = draw(LYING_SIZES).to_bytes(4, draw(st.sampled_from(["big",
                                                                                   "little"])))
    return bytes(data)


@st.composite
def npy_member(draw) -> bytes:
    """An .npy file whose header may lie about its data: dtype, shape and length drawn apart."""
    descr = draw(st.sampled_from(["|u1", "<f8", ">i4", "|b1", "<U3", "|O", "<c16", "|V3",
                                  [("a", "<f4"), ("b", "|u1")], "<M8[s]"]))
    shape = tuple(draw(st.lists(st.one_of(st.integers(0, 5), LYING_SIZES), max_size=3)))
    buf = io.BytesIO()
    header = {"descr": descr, "fortran_order": draw(st.booleans()), "shape": shape}
    writer = draw(st.sampled_from([np.lib.format.write_array_header_1_0,
                                   np.lib.format.write_array_header_2_0]))
    writer(buf, header)
    return buf.getvalue() + draw(st.binary(max_size=120))


# Offsets of the fields a lying zip changes: flags, method, compressed and uncompressed size,
# in a local file header (PK\3\4) and in a central directory record (PK\1\2).
_ZIP_FIELDS = {b"PK\x03\x04": (6, 8, 18, 22), b"PK\x01\x02": (8, 10, 20, 24)}


@st.composite
def lying_npz(draw, members: dict[str, bytes]) -> bytes:
    """An .npz holding ``members``, with some replaced by lying .npy files, or with a zip header
    field (flags, compression method, a size) changed."""
    members = dict(members)
    for name in draw(st.lists(st.sampled_from(sorted(members)), max_size=3, unique=True)):
        members[name] = draw(npy_member())
    buf = io.BytesIO()
    method = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    data = bytearray(buf.getvalue())
    if draw(st.booleans()):
        signature = draw(st.sampled_from(sorted(_ZIP_FIELDS)))
        starts = [i for i in range(len(data)) if data.startswith(signature, i)]
        field = draw(st.integers(0, 3))
        at = draw(st.sampled_from(starts)) + _ZIP_FIELDS[signature][field]
        width = 2 if field < 2 else 4  # flags and method are 2 bytes, the sizes 4
        data[at:at + width] = (draw(LYING_SIZES) % 2 ** (8 * width)).to_bytes(width, "little")
    return bytes(data)
