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
from visualcnn.common import i18n
from visualcnn.common.errors import UserError
from visualcnn.common.i18n import tr
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
        return None, tr("<p><b>{what}</b>: not yet computed in this phase.</p>", what=e)
    except UserError as e:  # a unit the engine does not explain (an input read by a pool)
        return None, f"<p>{html.escape(str(e))}</p>"


def _not_yet_output(trace, layer: str) -> None:
    """NotYet when ``layer``'s output is not computed in the phase on screen."""
    if trace.layer(layer).out is None:
        raise NotYet(tr("{layer} output", layer=layer))


def _equal(same: bool) -> str:
    """", equal" after a recomputed total that matches the stored value."""
    return tr(", equal") if same else ""


def conv_unit(trace, sel: Selection) -> tuple[object, str]:
    """A conv output unit, ``sel.index`` = (filter, y, x): patch × kernel + bias."""
    f, i, j = sel.index
    _not_yet_output(trace, sel.layer)
    e = explain_conv_unit(trace, sel.layer, f, i, j)
    height, width = trace.layer(sel.layer).x.shape[2:]
    padding = _outside(e.rows, height)[:, None] | _outside(e.cols, width)[None, :]
    parts = [tr("<h3>{layer} · filter {filter} · output at (y {y}, x {x})</h3>",
                layer=sel.layer, filter=f, y=i, x=j),
             tr("<p>out = Σ<sub>c,a,b</sub> patch[c,a,b] × kernel[c,a,b] + b</p>"),
             _window_place(e, padding)]
    sums = []
    channels = e.patch.shape[0]
    for ch in range(channels):
        if channels > 1:
            parts.append(tr("<p><b>input channel {channel}</b> (Σ products {sum})</p>",
                            channel=ch, sum=fmt(float(e.products[ch].sum()))))
        # Two rows: three grids side by side do not fit a dock beside the panels.
        parts.append(side_by_side(html_grid(e.patch[ch], tr("patch"), padding=padding),
                                  "<b>×</b>", html_grid(e.kernel[ch], tr("kernel"))))
        parts.append(side_by_side("<b>=</b>", html_grid(e.products[ch], tr("products"))))
        sums.append(float(e.products[ch].sum()))
    total_products = float(e.products.sum())
    by_channel = (" = " + " + ".join(fmt(s) for s in sums)) if len(sums) > 1 else ""
    same = math.isclose(e.total, e.output, rel_tol=1e-9, abs_tol=1e-12)
    parts.append(tr("<p style='font-size:11pt'>Σ products{by_channel} = <b>{products}</b>"
                    "<br>+ bias {bias}<br>= <b>{total}</b> &nbsp; (the forward pass stored "
                    "{output}{equal})</p>", by_channel=by_channel, products=fmt(total_products),
                    bias=fmt(e.bias), total=fmt(e.total), output=fmt(e.output),
                    equal=_equal(same)))
    if e.gradient is not None:
        parts.append(tr("<p>dL/d(out) at this unit: {gradient}</p>", gradient=fmt(e.gradient)))
    parts.append(tr("<p><span style='color:#c8a000'>■</span> receptive field rows "
                    "{top}–{bottom}, columns {left}–{right} of the layer's input</p>",
                    top=e.rows[0], bottom=e.rows[1] - 1, left=e.cols[0], right=e.cols[1] - 1))
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
        how = tr(" = (y {i} × {stride} − {pad}, x {j} × {stride} − {pad}): stride {stride}, "
                 "padding {pad}", i=i, j=j, stride=stride, pad=pad)
    grey = (tr("; the {count} grey cells of each channel lie in the padding and are zeros",
               count=int(padding.sum())) if padding.any() else "")
    return tr("<p>window's top-left at input (y {top}, x {left}){how}{grey}</p>",
              top=top, left=left, how=how, grey=grey)


def kernel_weight(trace, sel: Selection) -> tuple[object | None, str]:
    """A kernel weight, ``sel.index`` = (filter, channel, a, b): its value, dL/dW as a sum
    of terms over output positions, and the update. Before the backward pass reaches the
    layer only the value (the explanation is None)."""
    f, c, a, b = sel.index
    lt = trace.layer(sel.layer)
    w = float(lt.params["W"][f, c, a, b])
    head = tr("<h3>{layer} · weight W[filter {filter}, channel {channel}, {a}, {b}] = "
              "{weight}</h3>", layer=sel.layer, filter=f, channel=c, a=a, b=b, weight=fmt(w))
    if lt.dout is None:
        return None, head + tr("<p>dL/dW: not yet computed (the backward pass has not reached "
                               "{layer}).</p>", layer=sel.layer)
    e = explain_kernel_weight(trace, sel.layer, f, c, a, b, top=6)
    pad, stride = conv_geometry(lt)
    at_p, at_q = _read_at("p", "a", pad, stride), _read_at("q", "b", pad, stride)
    rows = "".join(f"<tr><td>({p}, {q})</td><td align='right'>{fmt(d)}</td>"
                   f"<td align='right'>{fmt(x)}</td><td align='right'><b>{fmt(t)}</b></td>"
                   "</tr>" for (p, q), d, x, t in e.largest)
    table = (tr("<table cellspacing='0' cellpadding='3' border='1'><tr><th>position (p, q)"
                "</th><th>dL/dout[p,q]</th><th>x[{at_p}, {at_q}]</th><th>term</th></tr>",
                at_p=at_p, at_q=at_q) + f"{rows}</table>")
    update = ""
    if lt.updates:
        u = float(lt.updates["W"][f, c, a, b])
        plain = math.isclose(u, -trace.lr * e.gradient, rel_tol=1e-12, abs_tol=1e-300)
        # Momentum, Adam and weight decay apply a change of their own making.
        rule = (f"−lr × dL/dW = −{trace.lr:g} × {fmt(e.gradient)} = " if plain
                else tr("by the optimiser's rule, "))
        update = tr("<p>update {rule}{update}; weight after = {after}</p>",
                    rule=rule, update=fmt(u), after=fmt(w + u))
    padding = (tr("; x is 0 where the index falls in the padding ({pad} on every side)",
                  pad=pad) if pad else "")
    return e, (head + tr("<p>dL/dW = Σ<sub>p,q</sub> dL/dout[f,p,q] × x[c, {at_p}, {at_q}] "
                         "over {count} output positions{padding}</p>",
                         at_p=at_p, at_q=at_q, count=e.terms.size, padding=padding)
               + tr("<p>largest terms:</p>") + table
               + tr("<p style='font-size:11pt'>Σ of all {count} terms = <b>{total}</b> &nbsp; "
                    "(backprop's dL/dW: {gradient})</p>", count=e.terms.size,
                    total=fmt(e.total), gradient=fmt(e.gradient))
               + _batch_share(trace) + update)


def _batch_share(trace) -> str:
    """Why a batch's dL/dW is not the sum over one sample's positions."""
    if trace.batch <= 1:
        return ""
    return tr("<p>A batch of {batch}: these terms are sample {sample}'s share (dL/dout is "
              "1/{batch} of its own); backprop's dL/dW adds up the shares of all {batch} "
              "samples, the batch's mean gradient.</p>", batch=trace.batch,
              sample=trace.focus + 1)


def _read_at(out: str, offset: str, pad: int, stride: int) -> str:
    """The input index output position ``out`` reads at kernel offset ``offset``: "p+a",
    or "2p+a−1" with stride 2 and padding 1."""
    return f"{stride if stride != 1 else ''}{out}+{offset}" + (f"−{pad}" if pad else "")


def _pooled_head(layer: str, ch: int, i: int, j: int) -> str:
    return tr("<h3>{layer} · channel {channel} · pooled unit (y {y}, x {x})</h3>",
              layer=layer, channel=ch, y=i, x=j)


def pool_unit(trace, sel: Selection) -> tuple[object, str]:
    """A pooled unit, ``sel.index`` = (channel, y, x): its window, the winner, and where
    its gradient goes."""
    ch, i, j = sel.index
    _not_yet_output(trace, sel.layer)
    e = explain_pool_unit(trace, sel.layer, ch, i, j)
    wi, wj = e.winner[0] - e.rows[0], e.winner[1] - e.cols[0]
    if e.gradient is None:
        where = tr("<p>dL/d(pooled): not yet computed.</p>")
    else:
        k = e.window.shape[0]
        where = tr("<p>dL/d(pooled) = {gradient} goes back to the winner (y {y}, x {x}) of "
                   "the pool's input alone; the other {others} positions of the window get "
                   "0.</p>", gradient=fmt(e.gradient), y=e.winner[0], x=e.winner[1],
                   others=k * k - 1)
    return e, (_pooled_head(sel.layer, ch, i, j)
               + side_by_side(html_grid(e.window, tr("window"), mark=(wi, wj)))
               + tr("<p>max = <b>{output}</b>, won by window position ({wi}, {wj}) = input "
                    "(y {y}, x {x}) <span style='color:#e000e0'>■</span> (ties go to the "
                    "first maximum)</p>", output=fmt(e.output), wi=wi, wj=wj,
                    y=e.winner[0], x=e.winner[1])
               + where)


def dense_unit(trace, sel: Selection) -> tuple[object, str]:
    """A dense output unit, ``sel.index`` = (m,): the largest terms of W[m] · x + b[m]."""
    (m,) = sel.index
    _not_yet_output(trace, sel.layer)
    e = explain_dense_unit(trace, sel.layer, m, top=6)
    rows = "".join(f"<tr><td>{d}</td><td align='right'>{fmt(w)}</td>"
                   f"<td align='right'>{fmt(x)}</td><td align='right'><b>{fmt(t)}</b></td>"
                   "</tr>" for d, w, x, t in e.largest)
    grad = "" if e.gradient is None else tr("<p>dL/d(out) = {gradient}</p>",
                                            gradient=fmt(e.gradient))
    return e, (tr("<h3>{layer} · unit {unit}</h3><p>out[m] = Σ<sub>d</sub> W[m,d] × x[d] + "
                  "b[m] over {count} inputs</p>", layer=sel.layer, unit=m, count=e.terms.size)
               + tr("<p>largest terms:</p>")
               + tr("<table cellspacing='0' cellpadding='3' border='1'><tr><th>d</th>"
                    "<th>W[m,d]</th><th>x[d]</th><th>term</th></tr>")
               + f"{rows}</table>"
               + tr("<p style='font-size:11pt'>Σ terms {sum} + b {bias} = <b>{total}</b> "
                    "&nbsp; (forward pass: {output})</p>", sum=fmt(float(e.terms.sum())),
                    bias=fmt(e.bias), total=fmt(e.total), output=fmt(e.output))
               + grad)


def softmax(trace, sel: Selection) -> tuple[object, str]:
    """Softmax and cross-entropy over every class, ``sel.index`` = (the class clicked,)."""
    (chosen,) = sel.index
    if trace.probs is None:
        raise NotYet(tr("the probabilities"))
    e = explain_softmax(trace)
    rows = []
    for m in range(len(e.logits)):
        style = " style='background:#fff3b0'" if m == chosen else ""
        label = " (y)" if m == e.label else ""
        rows.append(f"<tr{style}><td>{m}{label}</td><td align='right'>{short(e.logits[m])}"
                    f"</td><td align='right'>{short(e.exps[m])}</td><td align='right'>"
                    f"<b>{short(e.probs[m])}</b></td><td align='right'>"
                    f"{short(e.dlogits[m])}</td></tr>")
    return e, (tr("<h3>softmax and cross-entropy</h3>"
                  "<p>p<sub>m</sub> = exp(z<sub>m</sub> − max z) / Σ<sub>k</sub> exp(z<sub>k"
                  "</sub> − max z), max z = {max_z}<br>L = −log p<sub>y</sub>; &nbsp; dL/dz = "
                  "p − y (y: one-hot label)</p>", max_z=fmt(float(e.logits.max())))
               + tr("<table cellspacing='0' cellpadding='2' border='1'><tr><th>class</th>"
                    "<th>logit z</th><th>exp(z−max)</th><th>p</th><th>p − y</th></tr>")
               + "".join(rows) + "</table>"
               + tr("<p>Σ exp = {total}<br>p<sub>{chosen}</sub> = {exp} / {total} = "
                    "<b>{p}</b><br>loss = −log p<sub>{label}</sub> = −log {p_label} = "
                    "<b>{loss}</b></p>", total=fmt(e.total), chosen=chosen,
                    exp=fmt(e.exps[chosen]), p=fmt(e.probs[chosen]), label=e.label,
                    p_label=fmt(e.probs[e.label]), loss=fmt(e.loss)))


def _not_reached_out() -> str:
    return tr("<p>dL/d(out): not yet computed (the backward pass has not reached it).</p>")


def relu_unit(trace, sel: Selection) -> tuple[object, str]:
    """A ReLU unit, ``sel.index`` = (channel, y, x) or (d,): its input, whether it passed,
    and the gradient it let through, dL/dout x gate."""
    _not_yet_output(trace, sel.layer)
    e = explain_relu_unit(trace, sel.layer, *sel.index)
    verdict = (tr("<b>passed</b> (input &gt; 0, gate 1)") if e.passed
               else tr("<b>blocked</b> (input ≤ 0, gate 0)"))
    if e.upstream is None:
        grad = _not_reached_out()
    else:
        grad = tr("<p style='font-size:11pt'>gradient let through = dL/d(out) × gate = "
                  "{upstream} × {gate:g} = <b>{through}</b> &nbsp; (backprop's dL/d(input): "
                  "{gradient})</p>", upstream=fmt(e.upstream), gate=e.gate,
                  through=fmt(e.upstream * e.gate), gradient=fmt(e.gradient))
    return e, (f"<h3>{sel.layer} · {_unit_words(e.index)}</h3>"
               + tr("<p>out = max(input, 0)</p>")
               + tr("<p style='font-size:11pt'>input {input} → {verdict} → out = "
                    "<b>{output}</b></p>", input=fmt(e.input), verdict=verdict,
                    output=fmt(e.output))
               + grad)


def _unit_words(index: tuple[int, ...]) -> str:
    """"channel 2 · unit (y 3, x 4)" on maps, "unit 7" on a vector."""
    if len(index) == 3:
        return tr("channel {channel} · unit (y {y}, x {x})",
                  channel=index[0], y=index[1], x=index[2])
    return tr("unit {unit}", unit=index[0])


def _local_derivative_sum(kind: str, e) -> str:
    """The local derivative worked out from the unit's own numbers."""
    if kind == "sigmoid":
        return tr("out × (1 − out) = {out} × (1 − {out})", out=fmt(e.output))
    if kind == "tanh":
        return tr("1 − out² = 1 − {out}²", out=fmt(e.output))
    return tr("input &gt; 0 → 1") if e.input > 0 else tr("input ≤ 0 → 0.01")


def activation_unit(trace, sel: Selection) -> tuple[object, str]:
    """A sigmoid, tanh or leaky ReLU unit, ``sel.index`` = (channel, y, x) or (d,): its
    input and output, its local derivative, and the gradient it passes back,
    dL/d(out) x the local derivative."""
    _not_yet_output(trace, sel.layer)
    e = explain_activation_unit(trace, sel.layer, *sel.index)
    # The panels' table of formulas is defined before a language is chosen.
    label, formula, derivative, most = (
        i18n.lookup(v) if isinstance(v, str) else v for v in FORMULAS[e.kind])
    local = e.local_derivative
    parts = [f"<h3>{sel.layer} · {_unit_words(e.index)}</h3>",
             tr("<p>{name}: out = {formula}</p>", name=label, formula=formula),
             tr("<p style='font-size:11pt'>input {input} → out = <b>{output}</b></p>",
                input=fmt(e.input), output=fmt(e.output)),
             tr("<p>local derivative d(out)/d(in) = {derivative}<br>= {worked} = "
                "<b>{local}</b> (at most {most:g})</p>", derivative=derivative,
                worked=_local_derivative_sum(e.kind, e), local=fmt(local), most=most)]
    if e.kind == "sigmoid":
        parts.append(tr("<p>At most 0.25: a gradient leaves a sigmoid at most a quarter as "
                        "large as it came, which is why deep sigmoid nets fade.</p>"))
    if e.upstream is None:
        parts.append(_not_reached_out())
    else:
        parts.append(tr("<p style='font-size:11pt'>dL/d(in) = dL/d(out) × local derivative = "
                        "{upstream} × {local} = <b>{product}</b> &nbsp; (backprop's "
                        "dL/d(input): {gradient})</p>", upstream=fmt(e.upstream),
                        local=fmt(local), product=fmt(e.product), gradient=fmt(e.gradient)))
    return e, "".join(parts)


def avgpool_unit(trace, sel: Selection) -> tuple[object, str]:
    """An average-pooled unit, ``sel.index`` = (channel, y, x): its window, the mean, and
    the equal share of its gradient every member of the window gets."""
    ch, i, j = sel.index
    _not_yet_output(trace, sel.layer)
    e = explain_avgpool_unit(trace, sel.layer, ch, i, j)
    members = e.window.size
    if e.gradient is None:
        where = tr("<p>dL/d(pooled): not yet computed.</p>")
    else:
        where = tr("<p style='font-size:11pt'>dL/d(pooled) = {gradient} is shared evenly: "
                   "each of the {members} members of the window gets 1/{members} of it, "
                   "{gradient} / {members} = <b>{share}</b> (no winner, unlike max-pool)</p>",
                   gradient=fmt(e.gradient), members=members, share=fmt(e.share))
    return e, (_pooled_head(sel.layer, ch, i, j)
               + side_by_side(html_grid(e.window, tr("window")))
               + tr("<p style='font-size:11pt'>mean = Σ window / {members} = {sum} / "
                    "{members} = <b>{total}</b> &nbsp; (the forward pass stored {output})</p>",
                    members=members, sum=fmt(float(e.window.sum())), total=fmt(e.total),
                    output=fmt(e.output))
               + tr("<p><span style='color:#c8a000'>■</span> window rows {top}–{bottom}, "
                    "columns {left}–{right} of the pool's input</p>", top=e.rows[0],
                    bottom=e.rows[1] - 1, left=e.cols[0], right=e.cols[1] - 1)
               + where)


def input_pixel(trace, sel: Selection) -> tuple[object, str]:
    """An input pixel, ``sel.index`` = (channel, y, x): every unit of the first layer that
    reads it, and dL/d(pixel) as the sum of their contributions."""
    e = explain_input_pixel(trace, *sel.index)
    c, i, j = e.index
    conv = e.offsets[0, 0] >= 0
    head = (tr("<h3>input · channel {channel} · pixel (y {y}, x {x}) = {value}</h3>",
               channel=c, y=i, x=j, value=fmt(e.value))
            + tr("<p>read by {count} units of {layer}{how}</p>", count=len(e.readers),
                 layer=e.layer, how=tr(" (each filter, at every window that covers the "
                                       "pixel)") if conv else ""))
    if e.douts is None:
        return e, head + tr("<p>dL/d(pixel): not yet computed (the backward pass has not "
                            "reached {layer}).</p>", layer=e.layer)
    rows = []
    for r in e.largest(6):
        f, p, q = (int(v) for v in e.readers[r])
        unit = f"f {f}, (y {p}, x {q})" if conv else tr("unit {unit}", unit=f)
        weight = (f"W[{f},{c},{e.offsets[r, 0]},{e.offsets[r, 1]}]" if conv else "W")
        rows.append(f"<tr><td>{unit}</td><td align='right'>{fmt(e.douts[r])}</td>"
                    f"<td>{weight} = {fmt(e.weights[r])}</td>"
                    f"<td align='right'><b>{fmt(e.terms[r])}</b></td></tr>")
    same = math.isclose(e.total, e.gradient, rel_tol=1e-9, abs_tol=1e-15)
    # The sum first: it is the point, and the table below it may need scrolling.
    return e, (head + tr("<p>dL/d(pixel) = Σ<sub>readers</sub> dL/d(unit) × the weight it "
                         "reads the pixel through</p>")
               + tr("<p style='font-size:11pt'>Σ of all {count} terms = <b>{total}</b> &nbsp; "
                    "(backprop's dL/d(input): {gradient}{equal})</p>", count=len(e.readers),
                    total=fmt(e.total), gradient=fmt(e.gradient), equal=_equal(same))
               + tr("<p>largest contributions:</p>")
               + tr("<table cellspacing='0' cellpadding='3' border='1'><tr><th>reader</th>"
                    "<th>dL/d(unit)</th><th>weight</th><th>term</th></tr>")
               + "".join(rows) + "</table>")


_EXPLAINERS = {"conv": conv_unit, "weight": kernel_weight, "pool": pool_unit,
               "avgpool": avgpool_unit, "dense": dense_unit, "softmax": softmax,
               "relu": relu_unit, "activation": activation_unit, "pixel": input_pixel}
