"""Architecture strings: tokens joined by ``-``, e.g. ``conv8x3p1s2-relu-pool2-dense10``.

The grammar, token by token (numbers are ASCII digits, at most 5 of them):

``conv<F>x<K>[p<P>][s<S>]``
    F filters of K x K over every input channel, zero padding P (default 0, less than K) on
    every side, stride S (default 1, at least 1); the suffixes in that order. The output is
    floor((H + 2P - K) / S) + 1 high (PyTorch's rule), and as wide by the same rule; the
    kernel must fit the padded input.
``pool<K>`` (or ``maxpool<K>``)
    K x K max-pool with stride K; ties go to the first maximum in row-major order.
``avgpool<K>``
    K x K average pool with stride K.
``relu``, ``sigmoid``, ``tanh``, ``lrelu``
    elementwise activations; ``lrelu`` is leaky ReLU with slope 0.01 below zero.
``dense<N>``
    N fully connected units.

Flatten is implied before the first dense; the last token is a dense layer with one unit per
class. A stride or pool that does not tile its input leaves its last rows or columns unread:
that is allowed, and ``LayerSpec.unread`` and ``unread_note`` say how many.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from visualcnn.common.errors import ArchError
from visualcnn.common.i18n import N_, ntr, tr

DEFAULT_ARCH = "conv8x3-pool2-dense10"
DEEPER_ARCH = "conv8x3-relu-pool2-conv16x3-relu-pool2-dense10"
# A preset's name is also what a user types for it (canonical_arch); the window shows it in
# its language, through i18n.lookup.
PRESETS = {
    N_("article"): DEFAULT_ARCH,
    N_("deeper"): DEEPER_ARCH,
    N_("article+relu"): "conv8x3-relu-pool2-dense10",
    N_("mlp"): "dense64-relu-dense10",
    N_("colour"): "conv16x3p1-relu-pool2-conv32x3p1-relu-pool2-dense10",
    N_("sigmoid deep"): ("conv8x3p1-sigmoid-conv8x3p1-sigmoid-conv8x3p1-sigmoid-pool2-dense32-"
                         "sigmoid-dense10"),
}

# ASCII digits, at most 5 of them: int() of thousands of digits (or of other scripts' digits)
# would fail or hang outside our error handling.
_TOKEN = re.compile(
    r"conv(?P<filters>[0-9]{1,5})x(?P<kernel>[0-9]{1,5})"
    r"(?:p(?P<padding>[0-9]{1,5}))?(?:s(?P<stride>[0-9]{1,5}))?"
    r"|(?P<activation>relu|sigmoid|tanh|lrelu)"
    r"|(?P<pool>maxpool|avgpool|pool)(?P<size>[0-9]{1,5})"
    r"|dense(?P<units>[0-9]{1,5})")
TOKENS_HELP = ("conv<F>x<K>[p<P>][s<S>], pool<K>, avgpool<K>, relu, sigmoid, tanh, lrelu, "
               "dense<N>")
# The kinds of layer without parameters that keep their input's shape.
ACTIVATIONS = ("relu", "sigmoid", "tanh", "lrelu")
# Far above anything useful here (the presets have about 14 thousand), far below what would
# exhaust memory: refused before any array is allocated.
MAX_PARAMETERS = 50_000_000


@dataclass(frozen=True)
class LayerSpec:
    """One layer of a parsed architecture; ``shape_in``/``shape_out`` are per sample.

    ``padding`` and ``stride`` are a convolution's (a pool's stride is its ``kernel``).
    ``unread`` is (rows, columns) of the input that no window reads: a stride or a pool that
    does not tile the input drops its last ones (padding never counts)."""

    kind: str
    name: str
    shape_in: tuple[int, ...]
    shape_out: tuple[int, ...]
    filters: int = 0
    kernel: int = 0
    units: int = 0
    padding: int = 0
    stride: int = 1
    unread: tuple[int, int] = (0, 0)


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


def output_size(size: int, kernel: int, padding: int = 0, stride: int = 1) -> int:
    """Windows along one axis: floor((size + 2 padding - kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def unread_count(size: int, kernel: int, padding: int = 0, stride: int = 1) -> int:
    """How many of the ``size`` input rows (or columns) no window reads: those past the last
    window, and with a stride larger than the kernel the gaps between windows."""
    windows = output_size(size, kernel, padding, stride)
    if kernel >= stride:  # windows touch or overlap: only the end can be left out
        last_read = (windows - 1) * stride + kernel  # padded rows 0 .. last_read - 1
        return max(0, padding + size - last_read)
    read = 0
    for start in range(0, windows * stride, stride):
        # Rows of the real input (padded rows padding .. padding + size - 1) this window reads.
        read += max(0, min(start + kernel, padding + size) - max(start, padding))
    return size - read


def parameter_count(specs) -> int:
    """Parameters of parsed layers: weights and biases of every conv and dense layer."""
    return sum(sp.filters * (sp.shape_in[0] * sp.kernel ** 2 + 1) if sp.kind == "conv" else
               sp.units * (sp.shape_in[0] + 1) if sp.kind == "dense" else 0 for sp in specs)


def unread_note(specs) -> list[str]:
    """One line per layer that leaves input rows or columns unread, e.g. "conv1 leaves 1 row
    and 1 column of its 28x28 input unread"."""
    notes = []
    for sp in specs:
        rows, cols = sp.unread
        row_text = ntr("{n} row", "{n} rows", rows)
        column_text = ntr("{n} column", "{n} columns", cols)
        shape = _fmt(sp.shape_in[1:])
        if rows and cols:
            notes.append(tr("{layer} leaves {rows} and {columns} of its {shape} input unread",
                            layer=sp.name, rows=row_text, columns=column_text, shape=shape))
        elif rows or cols:
            notes.append(tr("{layer} leaves {part} of its {shape} input unread", layer=sp.name,
                            part=row_text if rows else column_text, shape=shape))
    return notes


def _windowed(pos: int, tok: str, shape, what: str, k: int, p: int = 0, s: int = 1):
    """(output height, output width, unread (rows, cols)) of K x K windows over ``shape``,
    or an ArchError naming the token and the shapes. ``what`` is "kernel" or "pool"."""
    pool = what == "pool"
    if len(shape) != 3:
        raise ArchError(
            tr("token {pos} {token!r}: a pool cannot follow a dense layer", pos=pos, token=tok)
            if pool else
            tr("token {pos} {token!r}: a kernel cannot follow a dense layer", pos=pos, token=tok))
    c, h, w = shape
    if k < 1:
        raise ArchError(
            tr("token {pos} {token!r}: the pool size must be at least 1", pos=pos, token=tok)
            if pool else
            tr("token {pos} {token!r}: the kernel size must be at least 1", pos=pos, token=tok))
    if p >= k:
        raise ArchError(tr("token {pos} {token!r}: padding {padding} must be less than the "
                           "kernel size {kernel} (a window of only padding reads nothing)",
                           pos=pos, token=tok, padding=p, kernel=k))
    if s < 1:
        raise ArchError(tr("token {pos} {token!r}: the stride must be at least 1", pos=pos,
                           token=tok))
    if k > h + 2 * p or k > w + 2 * p:
        fields = dict(pos=pos, token=tok, size=k, shape=_fmt(shape))
        if pool:
            raise ArchError(tr("token {pos} {token!r}: a {size}x{size} pool does not fit a "
                               "{shape} input", **fields))
        if p:
            raise ArchError(tr("token {pos} {token!r}: a {size}x{size} kernel does not fit a "
                               "{shape} input (padded by {padding} to {height}x{width})",
                               padding=p, height=h + 2 * p, width=w + 2 * p, **fields))
        raise ArchError(tr("token {pos} {token!r}: a {size}x{size} kernel does not fit a "
                           "{shape} input", **fields))
    return (output_size(h, k, p, s), output_size(w, k, p, s),
            (unread_count(h, k, p, s), unread_count(w, k, p, s)))


def parse_arch(arch: str, input_shape=(1, 28, 28), classes: int = 10) -> list[LayerSpec]:
    """Parse and shape-check ``arch`` for inputs of ``input_shape`` (C, H, W).

    Returns one ``LayerSpec`` per layer, with the implied flatten made explicit. Raises
    ``ArchError`` with one line naming the token and the shapes when it cannot work.
    """
    if not isinstance(arch, str) or not arch.strip():
        raise ArchError(tr("empty architecture: expected tokens like {example}",
                           example=DEFAULT_ARCH))
    tokens = arch.strip().lower().split("-")
    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ArchError(tr("input shape must be (channels, height, width), got {shape}",
                           shape=input_shape))
    counts: dict[str, int] = {}
    specs: list[LayerSpec] = []

    def add(kind, shape_out, **kw):
        counts[kind] = counts.get(kind, 0) + 1
        specs.append(LayerSpec(kind, f"{kind}{counts[kind]}", shape, tuple(shape_out), **kw))
        return tuple(shape_out)

    for pos, tok in enumerate(tokens, 1):
        m = _TOKEN.fullmatch(tok)
        if not m:
            raise ArchError(tr("token {pos} {token} of {arch} is not one of {tokens} "
                               "(numbers of at most 5 digits)", pos=pos, token=_quote(tok),
                               arch=_quote(arch), tokens=TOKENS_HELP))
        if m.group("filters") is not None:
            f, k = int(m.group("filters")), int(m.group("kernel"))
            p = int(m.group("padding") or 0)
            s = int(m.group("stride") or 1)
            if f < 1:
                raise ArchError(tr("token {pos} {token!r}: a convolution needs at least 1 "
                                   "filter", pos=pos, token=tok))
            ho, wo, unread = _windowed(pos, tok, shape, "kernel", k, p, s)
            shape = add("conv", (f, ho, wo), filters=f, kernel=k, padding=p, stride=s,
                        unread=unread)
        elif m.group("activation") is not None:
            shape = add(m.group("activation"), shape)
        elif m.group("pool") is not None:
            k = int(m.group("size"))
            kind = "avgpool" if m.group("pool") == "avgpool" else "pool"
            ho, wo, unread = _windowed(pos, tok, shape, "pool", k, 0, max(k, 1))
            shape = add(kind, (shape[0], ho, wo), kernel=k, unread=unread)
        else:
            units = int(m.group("units"))
            if units < 1:
                raise ArchError(tr("token {pos} {token!r}: a dense layer needs at least 1 "
                                   "unit", pos=pos, token=tok))
            if len(shape) != 1:
                shape = add("flatten", (math.prod(shape),))
            shape = add("dense", (units,), units=units)
    total = parameter_count(specs)
    if total > MAX_PARAMETERS:
        raise ArchError(tr("{arch} has {total:,} parameters; the limit is {limit:,}",
                           arch=_quote(arch), total=total, limit=MAX_PARAMETERS))
    if not specs or specs[-1].kind != "dense":
        raise ArchError(tr("{arch} must end with dense{classes} (one unit per class)",
                           arch=_quote(arch), classes=classes))
    if specs[-1].units != classes:
        raise ArchError(tr("last token 'dense{units}' of {arch} must have {classes} units, "
                           "one per class", units=specs[-1].units, arch=_quote(arch),
                           classes=classes))
    return specs


def canonical_arch(arch: str) -> str:
    """The architecture string as stored: lower case, no surrounding space; presets resolved."""
    a = arch.strip().lower()
    return PRESETS.get(a, a)


def arch_for_classes(arch: str, classes: int) -> str:
    """``arch`` with its last dense layer resized to ``classes`` units (one per class)."""
    return re.sub(r"dense[0-9]+$", f"dense{classes}", canonical_arch(arch))
