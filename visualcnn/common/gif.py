"""An animated GIF encoder in NumPy and plain Python (Qt reads GIFs but cannot write them).

``encode_gif(frames, delays_ms)`` turns RGB frames into GIF89a bytes: one global colour
table of at most 256 colours chosen by popularity over all frames, the NETSCAPE2.0 block
that makes viewers loop, a delay per frame, and LZW compression with variable code sizes.
After the first frame only the rectangle that changed is stored (the rest of the picture
stays, disposal method 1), which is what keeps slides of a training run small and fast.
``save_gif`` writes the bytes atomically. No Qt here, so it can be tested without a display.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from visualcnn.common.files import atomic_write

MAX_CODE = 4095  # LZW codes have at most 12 bits


# ---------------------------------------------------------------------------- palette
def _bins(frame: np.ndarray) -> np.ndarray:
    """15-bit colour bin (5 bits per channel) of every pixel of an (H, W, 3) uint8 frame."""
    q = frame.astype(np.uint16) >> 3
    return (q[..., 0] << 10) | (q[..., 1] << 5) | q[..., 2]


def build_palette(frames: Sequence[np.ndarray], colours: int = 256
                  ) -> tuple[np.ndarray, np.ndarray]:
    """A palette for ``frames`` and the table that maps a 15-bit colour bin to its index.

    The ``colours`` most frequent bins (by pixel count over every frame) become the palette,
    each as the mean colour of its pixels; every other bin maps to the nearest palette
    colour. Returns ``palette`` (K, 3) uint8 with K <= colours and ``lut`` (32768,) uint8.
    """
    counts = np.zeros(1 << 15, dtype=np.int64)
    sums = np.zeros((1 << 15, 3))
    for frame in frames:
        b = _bins(frame).ravel()
        counts += np.bincount(b, minlength=1 << 15)
        flat = frame.reshape(-1, 3)
        for c in range(3):
            sums[:, c] += np.bincount(b, weights=flat[:, c], minlength=1 << 15)
    used = np.flatnonzero(counts)
    chosen = used[np.argsort(counts[used], kind="stable")[::-1][:colours]]
    palette = np.rint(sums[chosen] / counts[chosen, None]).astype(np.uint8)
    # Every bin (its mean colour when used, else its centre) to the nearest palette entry.
    all_bins = np.arange(1 << 15)
    centres = np.stack([(all_bins >> 10) & 31, (all_bins >> 5) & 31, all_bins & 31], axis=1)
    colour_of = centres * 8.0 + 4.0
    colour_of[used] = sums[used] / counts[used, None]
    p = palette.astype(np.float64)
    lut = np.empty(1 << 15, dtype=np.uint8)
    for start in range(0, 1 << 15, 4096):
        c = colour_of[start:start + 4096]
        d = (c * c).sum(1)[:, None] - 2 * c @ p.T + (p * p).sum(1)[None, :]
        lut[start:start + 4096] = d.argmin(axis=1)
    lut[chosen] = np.arange(len(chosen))  # a palette bin is always its own entry
    return palette, lut


def quantise(frame: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> (H, W) uint8 palette indices."""
    return lut[_bins(frame)]


# -------------------------------------------------------------------------------- LZW
def lzw_compress(indices: bytes, min_code_size: int) -> bytes:
    """GIF-flavoured LZW of ``indices`` (each < 2 ** min_code_size), codes packed LSB first.

    Starts with a clear code, grows the code size when the next code no longer fits, emits a
    clear code and starts over when the table reaches 4096 codes, ends with end-of-info.
    """
    clear = 1 << min_code_size
    eoi = clear + 1
    out = bytearray()
    acc, nbits = clear, min_code_size + 1  # the clear code, already in the accumulator
    size = min_code_size + 1
    next_code = eoi + 1
    table: dict[int, int] = {}
    if not indices:
        acc |= eoi << nbits
        nbits += size
    else:
        prefix = indices[0]
        for byte in indices[1:]:
            key = (prefix << 8) | byte
            code = table.get(key)
            if code is not None:
                prefix = code
                continue
            acc |= prefix << nbits
            nbits += size
            while nbits >= 8:
                out.append(acc & 255)
                acc >>= 8
                nbits -= 8
            if next_code >= (1 << size) and size < 12:
                size += 1
            if next_code >= MAX_CODE:
                acc |= clear << nbits
                nbits += size
                table.clear()
                next_code = eoi + 1
                size = min_code_size + 1
            else:
                table[key] = next_code
                next_code += 1
            prefix = byte
        acc |= prefix << nbits
        nbits += size
        if next_code >= (1 << size) and size < 12:
            size += 1
        acc |= eoi << nbits
        nbits += size
    while nbits > 0:
        out.append(acc & 255)
        acc >>= 8
        nbits -= 8
    return bytes(out)


def _sub_blocks(data: bytes) -> bytes:
    parts = [bytes([len(data[i:i + 255])]) + data[i:i + 255] for i in range(0, len(data), 255)]
    return b"".join(parts) + b"\x00"


# ------------------------------------------------------------------------------- GIF
def _changed_rect(previous: np.ndarray, current: np.ndarray) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the pixels that differ; one pixel when none do."""
    diff = previous != current
    rows, cols = np.flatnonzero(diff.any(axis=1)), np.flatnonzero(diff.any(axis=0))
    if len(rows) == 0:
        return 0, 0, 1, 1
    return int(rows[0]), int(cols[0]), int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def encode_gif(frames: Sequence[np.ndarray], delays_ms: int | Sequence[int] = 500,
               loop: int = 0) -> bytes:
    """GIF89a bytes for ``frames``, each (H, W, 3) uint8 of the same size.

    ``delays_ms``: one delay for every frame or one per frame (GIF stores hundredths of a
    second). ``loop``: 0 repeats forever, n plays n + 1 times.
    """
    frames = [np.ascontiguousarray(f, dtype=np.uint8) for f in frames]
    if not frames:
        raise ValueError("a GIF needs at least one frame")
    height, width = frames[0].shape[:2]
    for f in frames:
        if f.shape != (height, width, 3):
            raise ValueError(f"every frame must be ({height}, {width}, 3), got {f.shape}")
    if not (0 < width < 65536 and 0 < height < 65536):
        raise ValueError(f"a GIF frame must be 1 to 65535 pixels wide and high, got "
                         f"{width} x {height}")
    delays = [int(delays_ms)] * len(frames) if np.isscalar(delays_ms) else list(delays_ms)
    if len(delays) != len(frames):
        raise ValueError(f"{len(delays)} delays for {len(frames)} frames")

    palette, lut = build_palette(frames)
    bits = max(1, int(np.ceil(np.log2(max(2, len(palette))))))
    table = np.zeros((1 << bits, 3), dtype=np.uint8)
    table[:len(palette)] = palette
    min_code_size = max(2, bits)

    out = bytearray(b"GIF89a")
    out += struct.pack("<HHBBB", width, height, 0x80 | 0x70 | (bits - 1), 0, 0)
    out += table.tobytes()
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", int(loop)) + b"\x00"
    previous = None
    for frame, delay in zip(frames, delays, strict=True):
        indices = quantise(frame, lut)
        if previous is None:
            top, left, h, w = 0, 0, height, width
        else:
            top, left, h, w = _changed_rect(previous, indices)
        previous = indices
        centiseconds = max(0, min(65535, round(delay / 10)))
        # Graphic control: disposal 1 (leave the frame in place), no transparency.
        out += b"\x21\xf9\x04" + struct.pack("<BHBB", 1 << 2, centiseconds, 0, 0)
        out += b"\x2c" + struct.pack("<HHHHB", left, top, w, h, 0)
        rect = np.ascontiguousarray(indices[top:top + h, left:left + w])
        out.append(min_code_size)
        out += _sub_blocks(lzw_compress(rect.tobytes(), min_code_size))
    out += b"\x3b"
    return bytes(out)


def save_gif(path, frames: Sequence[np.ndarray], delays_ms: int | Sequence[int] = 500,
             loop: int = 0) -> Path:
    """Encode ``frames`` and write them to ``path`` atomically (a temporary file, renamed)."""
    path = Path(path)
    data = encode_gif(frames, delays_ms, loop)
    with atomic_write(path) as tmp:
        tmp.write_bytes(data)
    return path
