"""An animated GIF written frame by frame as a recording goes, with Pillow.

``GifStream`` takes frames as they come (``add``), each with the time it was taken, and
encodes each one into a temporary file once the next one says how long it was on screen, so
that a recording holds two frames and a colour table in memory whatever its length, and
``save`` only has the last frame left to encode. Pillow does the encoding (its GIF writer's
header and frame functions, one frame at a time); NumPy the palette mapping. No Qt, so a
worker thread may run it.

The palette: the first frame's 256 colours by median cut. The window's colours are few (the
colour maps' colour bars are on screen from the first frame on, the rest is text, lines and
flat panels), so every later frame is mapped to it exactly, colour by colour, the nearest
entry for each colour met; a frame that the palette fits badly (the theme changed) starts a
new palette, carried as that frame's local colour table. After the first frame only the
rectangle that changed is stored, drawn over the last frame (disposal 1).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
from PIL import GifImagePlugin, Image

from visualcnn.common.files import atomic_write
from visualcnn.common.i18n import tr

MIN_DELAY_MS, MAX_DELAY_MS = 80, 2000  # a frame lasts as long as it was on screen, clipped
MAX_PALETTE_ERROR = 3.0  # mean grey levels off, sampled, before a frame gets its own palette


def rgb_to_packed(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> (H, W) uint32 0xffRRGGBB."""
    c = rgb.astype(np.uint32)
    return 0xFF000000 | (c[..., 0] << 16) | (c[..., 1] << 8) | c[..., 2]


def packed_to_rgb(packed: np.ndarray) -> np.ndarray:
    """(..., ) uint32 0x..RRGGBB -> (..., 3) uint8."""
    p = np.asarray(packed, dtype=np.uint32)
    return np.stack([(p >> 16) & 255, (p >> 8) & 255, p & 255], axis=-1).astype(np.uint8)


class _Frame:
    """A frame mapped to its palette, waiting to be written: indices (H, W) uint8."""

    def __init__(self, indices: np.ndarray, palette: int, at_s: float):
        self.indices, self.palette, self.at_s = indices, palette, at_s


class GifStream:
    """An animated GIF in the making, looping forever. Not thread-safe: one thread at a time
    (the recorder's worker) calls ``add`` and ``save``; ``frames`` and ``nbytes`` may be
    read from anywhere."""

    def __init__(self):
        self.size: tuple[int, int] | None = None  # (width, height) of the first frame
        self.frames = 0        # frames added
        self.nbytes = 0        # bytes written so far
        self._file = None      # the GIF so far, without its last frame and trailer
        self._palettes: list[np.ndarray] = []  # (K, 3) uint8, the first one global
        # Colour 0xRRGGBB -> 1 + its index in the last palette, 0 for a colour not met yet.
        self._lut: np.ndarray | None = None
        self._pending: _Frame | None = None    # the last frame, its delay not known yet
        self._written: _Frame | None = None    # the frame before it, as the viewer shows it
        self._colours: np.ndarray | None = None  # the last frame's colours (H, W)

    # ------------------------------------------------------------------------ frames
    def add(self, frame: np.ndarray, at_s: float) -> None:
        """Add ``frame``, (H, W) uint32 0xffRRGGBB or (H, W, 3) uint8 RGB, taken at time
        ``at_s`` (seconds, any origin). A frame of another size than the first is scaled to
        it. The frame before it is encoded now: its delay is the time between the two."""
        packed = rgb_to_packed(frame) if frame.ndim == 3 else np.asarray(frame, np.uint32)
        h, w = packed.shape
        if self.size is None:
            self.size = (w, h)
        elif (w, h) != self.size:
            scaled = Image.fromarray(packed_to_rgb(packed)).resize(self.size, Image.Resampling.BOX)
            packed = rgb_to_packed(np.asarray(scaled))
        colours = packed & 0xFFFFFF
        if not self._palettes:
            self._new_palette(colours)
        last = self._pending
        if last is not None and last.palette == len(self._palettes) - 1:
            # Only what changed since the last frame is looked up: most of a window stays.
            changed = colours != self._colours
            indices = last.indices.copy()
            indices[changed] = self._map(colours[changed])
        else:
            indices = self._map(colours)
        if self._misfit(colours, indices):
            self._new_palette(colours)
            indices = self._map(colours)
        self._colours = colours
        frame = _Frame(indices, len(self._palettes) - 1, at_s)
        if self._pending is not None:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix="visualcnn-gif-")
                self._file.write(self._header())
            self._write(self._file, self._pending, at_s)
            self.nbytes = self._file.tell()
        self._pending = frame
        self.frames += 1

    def save(self, path, end_s: float) -> Path:
        """Write the GIF so far to ``path``, atomically; the last frame lasts until ``end_s``.
        Frames may still be added afterwards. Raises ValueError with no frame yet."""
        if self._pending is None:
            raise ValueError(tr("no frames: record at least one before saving"))
        path = Path(path)
        with atomic_write(path) as tmp, open(tmp, "wb") as out:
            if self._file is not None:
                self._file.seek(0)
                shutil.copyfileobj(self._file, out)
                self._file.seek(0, 2)
            else:
                out.write(self._header())
            self._write(out, self._pending, end_s, keep=False)
            out.write(b";")
        return path

    def close(self) -> None:
        """Free the temporary file and the colour table."""
        if self._file is not None:
            self._file.close()
        self._file = self._lut = self._pending = self._written = self._colours = None

    # ----------------------------------------------------------------------- palette
    def _new_palette(self, colours: np.ndarray) -> None:
        """A palette of at most 256 colours for this frame (median cut of every other pixel
        each way: as good as of all of them here, at a sixth of the time), from now on."""
        image = Image.fromarray(packed_to_rgb(colours[::2, ::2]))
        quantised = image.quantize(256, method=Image.Quantize.MEDIANCUT,
                                   dither=Image.Dither.NONE)
        used = max(1, int(np.asarray(quantised).max()) + 1)
        rgb = np.array(quantised.getpalette()[:3 * used], dtype=np.uint8).reshape(-1, 3)
        self._palettes.append(rgb)
        # Zeros cost no memory until written: pages of the table fill as colours come.
        self._lut = np.zeros(1 << 24, dtype=np.uint16)

    def _map(self, colours: np.ndarray) -> np.ndarray:
        """Each colour's palette index: exact colours from the table, the nearest entry for
        each colour not met before (added to the table)."""
        lut = self._lut
        found = lut[colours]
        new = np.unique(colours[found == 0])
        if new.size:
            palette = self._palettes[-1].astype(np.int32)
            rgb = packed_to_rgb(new).astype(np.int32)
            for i in range(0, len(new), 4096):
                d = ((rgb[i:i + 4096, None, :] - palette[None]) ** 2).sum(axis=2)
                lut[new[i:i + 4096]] = d.argmin(axis=1) + 1
            found = lut[colours]
        return (found - 1).astype(np.uint8)

    def _misfit(self, colours: np.ndarray, indices: np.ndarray) -> bool:
        """Whether the palette fits this frame badly, judged on every 4th pixel each way."""
        sample = (slice(None, None, 4), slice(None, None, 4))
        got = self._palettes[-1][indices[sample]].astype(np.int32)
        want = packed_to_rgb(colours[sample]).astype(np.int32)
        return float(np.abs(got - want).mean()) > MAX_PALETTE_ERROR

    # ----------------------------------------------------------------------- writing
    def _header(self) -> bytes:
        """The GIF's header: size, the first palette as the global one, loop forever."""
        screen = Image.new("P", self.size)
        screen.putpalette(self._palettes[0].tobytes())
        parts, _ = GifImagePlugin.getheader(screen, info={"loop": 0})
        return b"".join(parts)

    def _image(self, indices: np.ndarray, palette: int) -> Image.Image:
        h, w = indices.shape
        image = Image.frombytes("P", (w, h), np.ascontiguousarray(indices).tobytes())
        image.putpalette(self._palettes[palette].tobytes())
        return image

    def _write(self, out, frame: _Frame, end_s: float, keep: bool = True) -> None:
        """Encode ``frame`` to ``out``, lasting until ``end_s``: the rectangle that changed
        since the frame written before it (all of it after a new palette). ``keep``: it is
        now the frame before the next one (False for the last frame of a save)."""
        before = self._written
        box = (0, 0, *self.size)
        if before is not None and before.palette == frame.palette:
            changed = before.indices != frame.indices
            rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
            if rows.size == 0:  # nothing changed: one pixel, so that the frame keeps its time
                rows = cols = np.array([0])
            box = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
        # GIF counts in hundredths of a second.
        delay = 10 * round(np.clip((end_s - frame.at_s) * 1000, MIN_DELAY_MS, MAX_DELAY_MS) / 10)
        part = frame.indices[box[1]:box[3], box[0]:box[2]]
        params = {"duration": delay, "disposal": 1,
                  "include_color_table": frame.palette != 0}
        for chunk in GifImagePlugin.getdata(self._image(part, frame.palette), offset=box[:2],
                                            **params):
            out.write(chunk)
        if keep:
            self._written = frame
