"""The inspector's text: a selected unit's arithmetic from the trace on screen, as HTML.

``explain(trace, selection)`` runs the ``visualcnn.nn.explain`` function of the unit's kind
(conv output, kernel weight, pooled unit, dense output, softmax) and turns its result into the
rich text the inspector shows: patch, kernel and products as sign-coloured grids, the largest
terms of a sum as a table, and the total next to the value the forward pass stored.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np

from visualcnn.app.views.activation_panels import FORMULAS
from visualcnn.app.views.colormaps import DIVERGING
from visualcnn.common.errors import UserError
from visualcnn.nn.explain import (
    conv_geometry,
    explain_activation_unit,
    explain_avgpool_unit,
    explain_conv_unit,
    explain_dense_unit,
    explain_input_pixel,
    explain_kernel_weight,
    explain_pool_unit,
    explain_relu_unit,
    explain_softmax,
)


@dataclass(frozen=True)
class Selection:
    """What was clicked: ``what`` is "conv", "weight", "pool", "avgpool", "dense",
    "softmax", "relu", "activation" (sigmoid, tanh, leaky ReLU) or "pixel" (of the input;
    ``layer`` None)."""

    what: str
    layer: str | None
    index: tuple[int, ...]


class NotYet(Exception):
    """The selected unit's values are not computed yet in this phase."""


def fmt(v: float) -> str:
    """Numbers in the inspector: four significant digits, signed."""
    if not math.isfinite(v):
        return str(v)
    return f"{v:.4g}"


def short(v: float) -> str:
    """Numbers in the grids: three significant digits, no sign on zero."""
    if v == 0:
        return "0"
    return f"{v:.3g}" if math.isfinite(v) else str(v)


def _cell_colour(v: float, scale: float) -> str:
    """A pale diverging background for a table cell (white at zero)."""
    if not math.isfinite(v) or scale <= 0:
        return "#ffffff"
    t = 0.5 + 0.5 * max(-1.0, min(1.0, v / scale))
    c = DIVERGING.map(0.5 + (t - 0.5) * 0.8, mode="qcolor")
    return c.name()


PADDING_CELL = "#d0d0d0"  # a zero of a convolution's padding, outside the input


def html_grid(a: np.ndarray, title: str, mark: tuple[int, int] | None = None,
              padding: np.ndarray | None = None) -> str:
    """A 2-D array as an HTML table with its numbers on sign-coloured cells; the cells
    where ``padding`` is True (zeros outside the input) grey and in italics."""
    scale = float(np.max(np.abs(a), initial=0.0, where=np.isfinite(a)))
    rows = []
    for i, row in enumerate(a):
        cells = []
        for j, v in enumerate(row):
            style = ' style="font-weight:bold; color:#b000b0"' if mark == (i, j) else ""
            colour = _cell_colour(float(v), scale)
            text = short(float(v))
            if padding is not None and padding[i, j]:
                colour, text = PADDING_CELL, f"<i>{text}</i>"
            cells.append(f'<td align="right" bgcolor="{colour}"{style}>{text}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return ('<table cellspacing="0" cellpadding="2" border="1" '
            'style="border-color:#999; font-size:8pt">'
            f'<tr><td colspan="{a.shape[1]}" align="center"><b>{title}</b></td></tr>'
            + "".join(rows) + "</table>")


def side_by_side(*parts: str) -> str:
    cells = "".join(f'<td valign="middle">{p}</td>' for p in parts)
    return f'<table cellspacing="2"><tr>{cells}</tr></table>'


def explain(trace, sel: Selection) -> tuple[object | None, str]:
    """The explanation of unit ``sel`` in ``trace`` (None when the phase on screen has not
    computed it) and the HTML that spells it out."""
    try:
        return _EXPLAINERS[sel.what](trace, sel)
    except NotYet as e:
        return None, f"<p><b>{e}</b>: not yet computed in this phase.</p>"
    except UserError as e:  # a unit the engine does not explain (an input read by a pool)
        return None, f"<p>{html.escape(str(e))}</p>"


def conv_unit(trace, sel: Selection) -> tuple[object, str]:
    """A conv output unit, ``sel.index`` = (filter, y, x): patch × kernel + bias."""
    f, i, j = sel.index
    if trace.layer(sel.layer).out is None:
        raise NotYet(f"{sel.layer} output")
    e = explain_conv_unit(trace, sel.layer, f, i, j)
    height, width = trace.layer(sel.layer).x.shape[2:]
    padding = _outside(e.rows, height)[:, None] | _outside(e.cols, width)[None, :]
    parts = [f"<h3>{sel.layer} · filter {f} · output at (y {i}, x {j})</h3>",
             "<p>out = Σ<sub>c,a,b</sub> patch[c,a,b] × kernel[c,a,b] + b</p>",
             _window_place(e, padding)]
    sums = []
    channels = e.patch.shape[0]
    for ch in range(channels):
        if channels > 1:
            parts.append(f"<p><b>input channel {ch}</b> (Σ products "
                         f"{fmt(float(e.products[ch].sum()))})</p>")
        # Two rows: three grids side by side do not fit a dock beside the panels.
        parts.append(side_by_side(html_grid(e.patch[ch], "patch", padding=padding), "<b>×</b>",
                                  html_grid(e.kernel[ch], "kernel")))
        parts.append(side_by_side("<b>=</b>", html_grid(e.products[ch], "products")))
        sums.append(float(e.products[ch].sum()))
    total_products = float(e.products.sum())
    by_channel = (" = " + " + ".join(fmt(s) for s in sums)) if len(sums) > 1 else ""
    parts.append(
        f"<p style='font-size:11pt'>Σ products{by_channel} = <b>{fmt(total_products)}</b>"
        f"<br>+ bias {fmt(e.bias)}<br>= <b>{fmt(e.total)}</b> "
        f"&nbsp; (the forward pass stored {fmt(e.output)}"
        f"{', equal' if math.isclose(e.total, e.output, rel_tol=1e-9, abs_tol=1e-12) else ''})"
        "</p>")
    if e.gradient is not None:
        parts.append(f"<p>dL/d(out) at this unit: {fmt(e.gradient)}</p>")
    parts.append(f"<p><span style='color:#c8a000'>■</span> receptive field rows "
                 f"{e.rows[0]}–{e.rows[1] - 1}, columns {e.cols[0]}–{e.cols[1] - 1} "
                 f"of the layer's input</p>")
    return e, "".join(parts)


def _outside(span: tuple[int, int], size: int) -> np.ndarray:
    """For each row (or column) of window ``span`` = [start, stop): whether it lies outside
    an input ``size`` long, in the padding."""
    at = np.arange(span[0], span[1])
    return (at < 0) | (at >= size)


def _window_place(e, padding: np.ndarray) -> str:
    """Where a convolution's window sits on its input, in the input's coordinates, and what
    its grey cells are when it reaches into the padding."""
    (i, j), (top, left) = e.position, (e.rows[0], e.cols[0])
    stride, pad = e.stride, e.padding
    how = ""
    if stride != 1 or pad:
        how = (f" = (y {i} × {stride} − {pad}, x {j} × {stride} − {pad}): stride {stride}, "
               f"padding {pad}")
    grey = (f"; the {int(padding.sum())} grey cells of each channel lie in the padding and are "
            "zeros" if padding.any() else "")
    return f"<p>window's top-left at input (y {top}, x {left}){how}{grey}</p>"


def kernel_weight(trace, sel: Selection) -> tuple[object | None, str]:
    """A kernel weight, ``sel.index`` = (filter, channel, a, b): its value, dL/dW as a sum
    of terms over output positions, and the update. Before the backward pass reaches the
    layer only the value (the explanation is None)."""
    f, c, a, b = sel.index
    lt = trace.layer(sel.layer)
    w = float(lt.params["W"][f, c, a, b])
    head = (f"<h3>{sel.layer} · weight W[filter {f}, channel {c}, {a}, {b}] = {fmt(w)}</h3>")
    if lt.dout is None:
        return None, head + "<p>dL/dW: not yet computed (the backward pass has not reached " \
            f"{sel.layer}).</p>"
    e = explain_kernel_weight(trace, sel.layer, f, c, a, b, top=6)
    pad, stride = conv_geometry(lt)
    at_p, at_q = _read_at("p", "a", pad, stride), _read_at("q", "b", pad, stride)
    rows = "".join(f"<tr><td>({p}, {q})</td><td align='right'>{fmt(d)}</td>"
                   f"<td align='right'>{fmt(x)}</td><td align='right'><b>{fmt(t)}</b></td>"
                   "</tr>" for (p, q), d, x, t in e.largest)
    table = ("<table cellspacing='0' cellpadding='3' border='1'><tr><th>position (p, q)"
             f"</th><th>dL/dout[p,q]</th><th>x[{at_p}, {at_q}]</th><th>term</th></tr>"
             f"{rows}</table>")
    update = ""
    if lt.updates:
        u = float(lt.updates["W"][f, c, a, b])
        plain = math.isclose(u, -trace.lr * e.gradient, rel_tol=1e-12, abs_tol=1e-300)
        # Momentum, Adam and weight decay apply a change of their own making.
        rule = (f"−lr × dL/dW = −{trace.lr:g} × {fmt(e.gradient)} = " if plain
                else "by the optimiser's rule, ")
        update = f"<p>update {rule}{fmt(u)}; weight after = {fmt(w + u)}</p>"
    padding = (f"; x is 0 where the index falls in the padding ({pad} on every side)"
               if pad else "")
    return e, (head + f"<p>dL/dW = Σ<sub>p,q</sub> dL/dout[f,p,q] × x[c, {at_p}, {at_q}] "
               f"over {e.terms.size} output positions{padding}</p>"
               f"<p>largest terms:</p>{table}"
               f"<p style='font-size:11pt'>Σ of all {e.terms.size} terms = "
               f"<b>{fmt(e.total)}</b> &nbsp; (backprop's dL/dW: {fmt(e.gradient)})</p>"
               + _batch_share(trace) + update)


def _batch_share(trace) -> str:
    """Why a batch's dL/dW is not the sum over one sample's positions."""
    if trace.batch <= 1:
        return ""
    return (f"<p>A batch of {trace.batch}: these terms are sample {trace.focus + 1}'s share "
            f"(dL/dout is 1/{trace.batch} of its own); backprop's dL/dW adds up the shares of "
            f"all {trace.batch} samples, the batch's mean gradient.</p>")


def _read_at(out: str, offset: str, pad: int, stride: int) -> str:
    """The input index output position ``out`` reads at kernel offset ``offset``: "p+a",
    or "2p+a−1" with stride 2 and padding 1."""
    return f"{stride if stride != 1 else ''}{out}+{offset}" + (f"−{pad}" if pad else "")


def pool_unit(trace, sel: Selection) -> tuple[object, str]:
    """A pooled unit, ``sel.index`` = (channel, y, x): its window, the winner, and where
    its gradient goes."""
    ch, i, j = sel.index
    if trace.layer(sel.layer).out is None:
        raise NotYet(f"{sel.layer} output")
    e = explain_pool_unit(trace, sel.layer, ch, i, j)
    wi, wj = e.winner[0] - e.rows[0], e.winner[1] - e.cols[0]
    if e.gradient is None:
        where = "<p>dL/d(pooled): not yet computed.</p>"
    else:
        k = e.window.shape[0]
        where = (f"<p>dL/d(pooled) = {fmt(e.gradient)} goes back to the winner "
                 f"(y {e.winner[0]}, x {e.winner[1]}) of the pool's input alone; the other "
                 f"{k * k - 1} positions of the window get 0.</p>")
    return e, (f"<h3>{sel.layer} · channel {ch} · pooled unit (y {i}, x {j})</h3>"
               + side_by_side(html_grid(e.window, "window", mark=(wi, wj)))
               + f"<p>max = <b>{fmt(e.output)}</b>, won by window position ({wi}, {wj}) = "
               f"input (y {e.winner[0]}, x {e.winner[1]}) <span style='color:#e000e0'>■"
               "</span> (ties go to the first maximum)</p>" + where)


def dense_unit(trace, sel: Selection) -> tuple[object, str]:
    """A dense output unit, ``sel.index`` = (m,): the largest terms of W[m] · x + b[m]."""
    (m,) = sel.index
    if trace.layer(sel.layer).out is None:
        raise NotYet(f"{sel.layer} output")
    e = explain_dense_unit(trace, sel.layer, m, top=6)
    rows = "".join(f"<tr><td>{d}</td><td align='right'>{fmt(w)}</td>"
                   f"<td align='right'>{fmt(x)}</td><td align='right'><b>{fmt(t)}</b></td>"
                   "</tr>" for d, w, x, t in e.largest)
    grad = "" if e.gradient is None else f"<p>dL/d(out) = {fmt(e.gradient)}</p>"
    return e, (f"<h3>{sel.layer} · unit {m}</h3><p>out[m] = Σ<sub>d</sub> W[m,d] × x[d] + b[m]"
               f" over {e.terms.size} inputs</p><p>largest terms:</p>"
               "<table cellspacing='0' cellpadding='3' border='1'><tr><th>d</th><th>W[m,d]</th>"
               f"<th>x[d]</th><th>term</th></tr>{rows}</table>"
               f"<p style='font-size:11pt'>Σ terms {fmt(float(e.terms.sum()))} + b "
               f"{fmt(e.bias)} = <b>{fmt(e.total)}</b> &nbsp; (forward pass: {fmt(e.output)})"
               f"</p>{grad}")


def softmax(trace, sel: Selection) -> tuple[object, str]:
    """Softmax and cross-entropy over every class, ``sel.index`` = (the class clicked,)."""
    (chosen,) = sel.index
    if trace.probs is None:
        raise NotYet("the probabilities")
    e = explain_softmax(trace)
    rows = []
    for m in range(len(e.logits)):
        style = " style='background:#fff3b0'" if m == chosen else ""
        label = " (y)" if m == e.label else ""
        rows.append(f"<tr{style}><td>{m}{label}</td><td align='right'>{short(e.logits[m])}"
                    f"</td><td align='right'>{short(e.exps[m])}</td><td align='right'>"
                    f"<b>{short(e.probs[m])}</b></td><td align='right'>"
                    f"{short(e.dlogits[m])}</td></tr>")
    return e, ("<h3>softmax and cross-entropy</h3>"
               "<p>p<sub>m</sub> = exp(z<sub>m</sub> − max z) / Σ<sub>k</sub> exp(z<sub>k</sub>"
               f" − max z), max z = {fmt(float(e.logits.max()))}<br>L = −log p<sub>y</sub>;"
               " &nbsp; dL/dz = p − y (y: one-hot label)</p>"
               "<table cellspacing='0' cellpadding='2' border='1'><tr><th>class</th>"
               "<th>logit z</th><th>exp(z−max)</th><th>p</th><th>p − y</th></tr>"
               + "".join(rows) + "</table>"
               f"<p>Σ exp = {fmt(e.total)}<br>p<sub>{chosen}</sub> = "
               f"{fmt(e.exps[chosen])} / {fmt(e.total)} = <b>{fmt(e.probs[chosen])}</b>"
               f"<br>loss = −log p<sub>{e.label}</sub> = −log {fmt(e.probs[e.label])} = "
               f"<b>{fmt(e.loss)}</b></p>")


def relu_unit(trace, sel: Selection) -> tuple[object, str]:
    """A ReLU unit, ``sel.index`` = (channel, y, x) or (d,): its input, whether it passed,
    and the gradient it let through, dL/dout x gate."""
    if trace.layer(sel.layer).out is None:
        raise NotYet(f"{sel.layer} output")
    e = explain_relu_unit(trace, sel.layer, *sel.index)
    where = (f"channel {e.index[0]} · unit (y {e.index[1]}, x {e.index[2]})"
             if len(e.index) == 3 else f"unit {e.index[0]}")
    verdict = ("<b>passed</b> (input &gt; 0, gate 1)" if e.passed
               else "<b>blocked</b> (input ≤ 0, gate 0)")
    if e.upstream is None:
        grad = "<p>dL/d(out): not yet computed (the backward pass has not reached it).</p>"
    else:
        grad = (f"<p style='font-size:11pt'>gradient let through = dL/d(out) × gate = "
                f"{fmt(e.upstream)} × {e.gate:g} = <b>{fmt(e.upstream * e.gate)}</b>"
                f" &nbsp; (backprop's dL/d(input): {fmt(e.gradient)})</p>")
    return e, (f"<h3>{sel.layer} · {where}</h3><p>out = max(input, 0)</p>"
               f"<p style='font-size:11pt'>input {fmt(e.input)} → {verdict} → out = "
               f"<b>{fmt(e.output)}</b></p>" + grad)


def _unit_words(index: tuple[int, ...]) -> str:
    """"channel 2 · unit (y 3, x 4)" on maps, "unit 7" on a vector."""
    if len(index) == 3:
        return f"channel {index[0]} · unit (y {index[1]}, x {index[2]})"
    return f"unit {index[0]}"


def _local_derivative_sum(kind: str, e) -> str:
    """The local derivative worked out from the unit's own numbers."""
    if kind == "sigmoid":
        return f"out × (1 − out) = {fmt(e.output)} × (1 − {fmt(e.output)})"
    if kind == "tanh":
        return f"1 − out² = 1 − {fmt(e.output)}²"
    return f"input {'&gt; 0 → 1' if e.input > 0 else '≤ 0 → 0.01'}"


def activation_unit(trace, sel: Selection) -> tuple[object, str]:
    """A sigmoid, tanh or leaky ReLU unit, ``sel.index`` = (channel, y, x) or (d,): its
    input and output, its local derivative, and the gradient it passes back,
    dL/d(out) x the local derivative."""
    lt = trace.layer(sel.layer)
    if lt.out is None:
        raise NotYet(f"{sel.layer} output")
    e = explain_activation_unit(trace, sel.layer, *sel.index)
    label, formula, derivative, most = FORMULAS[e.kind]
    local = e.local_derivative
    parts = [f"<h3>{sel.layer} · {_unit_words(e.index)}</h3><p>{label}: out = {formula}</p>",
             f"<p style='font-size:11pt'>input {fmt(e.input)} → out = <b>{fmt(e.output)}</b>"
             "</p>",
             f"<p>local derivative d(out)/d(in) = {derivative}<br>= "
             f"{_local_derivative_sum(e.kind, e)} = <b>{fmt(local)}</b> (at most {most:g})"
             "</p>"]
    if e.kind == "sigmoid":
        parts.append("<p>At most 0.25: a gradient leaves a sigmoid at most a quarter as large "
                     "as it came, which is why deep sigmoid nets fade.</p>")
    if e.upstream is None:
        parts.append("<p>dL/d(out): not yet computed (the backward pass has not reached it)."
                     "</p>")
    else:
        parts.append(f"<p style='font-size:11pt'>dL/d(in) = dL/d(out) × local derivative = "
                     f"{fmt(e.upstream)} × {fmt(local)} = <b>{fmt(e.product)}</b>"
                     f" &nbsp; (backprop's dL/d(input): {fmt(e.gradient)})</p>")
    return e, "".join(parts)


def avgpool_unit(trace, sel: Selection) -> tuple[object, str]:
    """An average-pooled unit, ``sel.index`` = (channel, y, x): its window, the mean, and
    the equal share of its gradient every member of the window gets."""
    ch, i, j = sel.index
    if trace.layer(sel.layer).out is None:
        raise NotYet(f"{sel.layer} output")
    e = explain_avgpool_unit(trace, sel.layer, ch, i, j)
    members = e.window.size
    if e.gradient is None:
        where = "<p>dL/d(pooled): not yet computed.</p>"
    else:
        where = (f"<p style='font-size:11pt'>dL/d(pooled) = {fmt(e.gradient)} is shared "
                 f"evenly: each of the {members} members of the window gets 1/{members} of "
                 f"it, {fmt(e.gradient)} / {members} = <b>{fmt(e.share)}</b> "
                 "(no winner, unlike max-pool)</p>")
    return e, (f"<h3>{sel.layer} · channel {ch} · pooled unit (y {i}, x {j})</h3>"
               + side_by_side(html_grid(e.window, "window"))
               + f"<p style='font-size:11pt'>mean = Σ window / {members} = "
               f"{fmt(float(e.window.sum()))} / {members} = <b>{fmt(e.total)}"
               f"</b> &nbsp; (the forward pass stored {fmt(e.output)})</p>"
               f"<p><span style='color:#c8a000'>■</span> window rows {e.rows[0]}–"
               f"{e.rows[1] - 1}, columns {e.cols[0]}–{e.cols[1] - 1} of the pool's input</p>"
               + where)


def input_pixel(trace, sel: Selection) -> tuple[object, str]:
    """An input pixel, ``sel.index`` = (channel, y, x): every unit of the first layer that
    reads it, and dL/d(pixel) as the sum of their contributions."""
    e = explain_input_pixel(trace, *sel.index)
    c, i, j = e.index
    conv = e.offsets[0, 0] >= 0
    head = (f"<h3>input · channel {c} · pixel (y {i}, x {j}) = {fmt(e.value)}</h3>"
            f"<p>read by {len(e.readers)} units of {e.layer}"
            + (" (each filter, at every window that covers the pixel)" if conv else "")
            + "</p>")
    if e.douts is None:
        return e, head + (f"<p>dL/d(pixel): not yet computed (the backward pass has not "
                          f"reached {e.layer}).</p>")
    rows = []
    for r in e.largest(6):
        f, p, q = (int(v) for v in e.readers[r])
        unit = f"f {f}, (y {p}, x {q})" if conv else f"unit {f}"
        weight = (f"W[{f},{c},{e.offsets[r, 0]},{e.offsets[r, 1]}]" if conv else "W")
        rows.append(f"<tr><td>{unit}</td><td align='right'>{fmt(e.douts[r])}</td>"
                    f"<td>{weight} = {fmt(e.weights[r])}</td>"
                    f"<td align='right'><b>{fmt(e.terms[r])}</b></td></tr>")
    same = math.isclose(e.total, e.gradient, rel_tol=1e-9, abs_tol=1e-15)
    # The sum first: it is the point, and the table below it may need scrolling.
    return e, (head + "<p>dL/d(pixel) = Σ<sub>readers</sub> dL/d(unit) × the weight it "
               "reads the pixel through</p>"
               f"<p style='font-size:11pt'>Σ of all {len(e.readers)} terms = "
               f"<b>{fmt(e.total)}</b> &nbsp; (backprop's dL/d(input): {fmt(e.gradient)}"
               f"{', equal' if same else ''})</p><p>largest contributions:</p>"
               "<table cellspacing='0' cellpadding='3' border='1'><tr><th>reader</th>"
               f"<th>dL/d(unit)</th><th>weight</th><th>term</th></tr>{''.join(rows)}</table>")


_EXPLAINERS = {"conv": conv_unit, "weight": kernel_weight, "pool": pool_unit,
               "avgpool": avgpool_unit, "dense": dense_unit, "softmax": softmax,
               "relu": relu_unit, "activation": activation_unit, "pixel": input_pixel}
