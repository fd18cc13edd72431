"""Architecture strings: tokens joined by ``-``, e.g. ``conv8x3-relu-pool2-dense10``.

``conv<F>x<K>`` F filters of K x K; ``relu``; ``pool<K>`` K x K max-pool, stride K; ``dense<N>``
N units. Flatten is implied before the first dense; the last token is a dense layer with one
unit per class.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from visualcnn.common.errors import ArchError

DEFAULT_ARCH = "conv8x3-pool2-dense10"
DEEPER_ARCH = "conv8x3-relu-pool2-conv16x3-relu-pool2-dense10"
PRESETS = {
    "article": DEFAULT_ARCH,
    "deeper": DEEPER_ARCH,
    "article+relu": "conv8x3-relu-pool2-dense10",
    "mlp": "dense64-relu-dense10",
}

# ASCII digits, at most 5 of them: int() of thousands of digits (or of other scripts' digits)
# would fail or hang outside our error handling.
_TOKEN = re.compile(r"conv([0-9]{1,5})x([0-9]{1,5})|relu|pool([0-9]{1,5})|dense([0-9]{1,5})")
# Far above anything useful here (the presets have about 14 thousand), far below what would
# exhaust memory: refused before any array is allocated.
MAX_PARAMETERS = 50_000_000


@dataclass(frozen=True)
class LayerSpec:
    """One layer of a parsed architecture; ``shape_in``/``shape_out`` are per sample."""

    kind: str
    name: str
    shape_in: tuple[int, ...]
    shape_out: tuple[int, ...]
    filters: int = 0
    kernel: int = 0
    units: int = 0


def _fmt(shape):
    return "x".join(str(s) for s in shape)


# A message quotes at most this many characters of what the user typed: a pasted or
# generated string of thousands of characters must still give a one-line message.
QUOTE_LIMIT = 60


def _quote(text: str) -> str:
    """``text`` quoted for a message: cut to QUOTE_LIMIT characters, with '...' after it."""
    if len(text) <= QUOTE_LIMIT:
        return repr(text)
    return f"{text[:QUOTE_LIMIT - 3]!r}..."


def parse_arch(arch: str, input_shape=(1, 28, 28), classes: int = 10) -> list[LayerSpec]:
    """Parse and shape-check ``arch`` for inputs of ``input_shape`` (C, H, W).

    Returns one ``LayerSpec`` per layer, with the implied flatten made explicit. Raises
    ``ArchError`` with one line naming the token and the shapes when it cannot work.
    """
    if not isinstance(arch, str) or not arch.strip():
        raise ArchError("empty architecture: expected tokens like conv8x3-pool2-dense10")
    tokens = arch.strip().lower().split("-")
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ArchError(f"input shape must be (channels, height, width), got {input_shape}")
    counts: dict[str, int] = {}
    specs: list[LayerSpec] = []

    def add(kind, shape_out, **kw):
        counts[kind] = counts.get(kind, 0) + 1
        specs.append(LayerSpec(kind, f"{kind}{counts[kind]}", shape, tuple(shape_out), **kw))
        return tuple(shape_out)

    for pos, tok in enumerate(tokens, 1):
        m = _TOKEN.fullmatch(tok)
        if not m:
            raise ArchError(f"token {pos} {_quote(tok)} of {_quote(arch)} is not one of "
                            "conv<F>x<K>, relu, pool<K>, dense<N> (numbers of at most 5 digits)")
        if tok.startswith("conv"):
            f, k = int(m.group(1)), int(m.group(2))
            if len(shape) != 3:
                raise ArchError(f"token {pos} {tok!r}: a convolution cannot follow a dense layer")
            if f < 1 or k < 1:
                raise ArchError(f"token {pos} {tok!r}: filters and kernel size must be at least 1")
            c, h, w = shape
            if k > h or k > w:
                raise ArchError(f"token {pos} {tok!r}: a {k}x{k} kernel does not fit a "
                                f"{_fmt(shape)} input")
            shape = add("conv", (f, h - k + 1, w - k + 1), filters=f, kernel=k)
        elif tok == "relu":
            shape = add("relu", shape)
        elif tok.startswith("pool"):
            k = int(m.group(3))
            if len(shape) != 3:
                raise ArchError(f"token {pos} {tok!r}: a pool cannot follow a dense layer")
            c, h, w = shape
            if k < 1 or k > h or k > w:
                raise ArchError(f"token {pos} {tok!r}: a {k}x{k} pool does not fit a "
                                f"{_fmt(shape)} input")
            shape = add("pool", (c, h // k, w // k), kernel=k)
        else:
            units = int(m.group(4))
            if units < 1:
                raise ArchError(f"token {pos} {tok!r}: a dense layer needs at least 1 unit")
            if len(shape) != 1:
                shape = add("flatten", (math.prod(shape),))
            shape = add("dense", (units,), units=units)
    total = sum(sp.filters * (sp.shape_in[0] * sp.kernel ** 2 + 1) if sp.kind == "conv" else
                sp.units * (sp.shape_in[0] + 1) if sp.kind == "dense" else 0 for sp in specs)
    if total > MAX_PARAMETERS:
        raise ArchError(f"{_quote(arch)} has {total:,} parameters; the limit is "
                        f"{MAX_PARAMETERS:,}")
    if not specs or specs[-1].kind != "dense":
        raise ArchError(f"{_quote(arch)} must end with dense{classes} (one unit per class)")
    if specs[-1].units != classes:
        raise ArchError(f"last token 'dense{specs[-1].units}' of {_quote(arch)} must have "
                        f"{classes} units, one per class")
    return specs


def canonical_arch(arch: str) -> str:
    """The architecture string as stored: lower case, no surrounding space; presets resolved."""
    a = arch.strip().lower()
    return PRESETS.get(a, a)
