"""The inspector: click a unit of a panel and see the arithmetic that made it, in real numbers.

A click on a feature map, a pooled map, a filter weight, the dense output or the probabilities
selects a unit; the inspector spells out its value from the trace on screen with the
``visualcnn.nn.explain`` functions and outlines its receptive field on the panels. The
selection stays while stepping, so the same unit can be followed from step to step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QPen
from PyQt6.QtWidgets import (
    QDockWidget,
    QGraphicsRectItem,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from visualcnn.app.views.colormaps import DIVERGING
from visualcnn.app.views.panels import ConvPanel, DensePanel, InputPanel, PoolPanel, ReluPanel
from visualcnn.nn.explain import (
    explain_conv_unit,
    explain_dense_unit,
    explain_kernel_weight,
    explain_pool_unit,
    explain_softmax,
)

UNIT_COLOUR = (0, 170, 0)      # the selected unit
FIELD_COLOUR = (255, 200, 0)   # its receptive field / window
WINNER_COLOUR = (230, 0, 230)  # a pool window's winner


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


def html_grid(a: np.ndarray, title: str, mark: tuple[int, int] | None = None) -> str:
    """A 2-D array as an HTML table with its numbers on sign-coloured cells."""
    scale = float(np.max(np.abs(a), initial=0.0, where=np.isfinite(a)))
    rows = []
    for i, row in enumerate(a):
        cells = []
        for j, v in enumerate(row):
            style = ' style="font-weight:bold; color:#b000b0"' if mark == (i, j) else ""
            cells.append(f'<td align="right" bgcolor="{_cell_colour(float(v), scale)}"{style}>'
                         f"{short(float(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return ('<table cellspacing="0" cellpadding="2" border="1" '
            'style="border-color:#999; font-size:8pt">'
            f'<tr><td colspan="{a.shape[1]}" align="center"><b>{title}</b></td></tr>'
            + "".join(rows) + "</table>")


def side_by_side(*parts: str) -> str:
    cells = "".join(f'<td valign="middle">{p}</td>' for p in parts)
    return f'<table cellspacing="2"><tr>{cells}</tr></table>'


@dataclass(frozen=True)
class Selection:
    """What was clicked: ``what`` is "conv", "weight", "pool", "dense" or "softmax"."""

    what: str
    layer: str | None
    index: tuple[int, ...]


class Inspector:
    """The inspector dock's content and the click handling on the window's panels."""

    def __init__(self, window):
        self.window = window
        self.widget = QWidget()
        layout = QVBoxLayout(self.widget)
        layout.setContentsMargins(4, 4, 4, 4)
        self.text = QLabel("Click a unit of a feature map, a pooled map, a filter weight, the "
                           "dense output or a probability bar to see how it was computed.")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.text)
        layout.addWidget(scroll, 3)
        # The terms of a kernel weight's gradient, one per output position, as a picture.
        self.terms_plot = pg.PlotWidget(background="w")
        self.terms_plot.setAspectLocked(True)
        self.terms_plot.invertY(True)
        self.terms_plot.hideAxis("left")
        self.terms_plot.hideAxis("bottom")
        self.terms_plot.setTitle("terms dL/dout · x per output position", size="8pt")
        self.terms_image = pg.ImageItem(axisOrder="row-major")
        self.terms_image.setColorMap(DIVERGING)
        self.terms_plot.addItem(self.terms_image)
        self.terms_plot.setMinimumHeight(120)
        self.terms_plot.hide()
        layout.addWidget(self.terms_plot, 2)
        self.widget.setMinimumWidth(350)
        self.dock: QDockWidget | None = None  # set by whoever puts the widget in a dock
        self.selection: Selection | None = None
        self.explanation = None
        self.trace = None
        self._outlines: list[tuple[object, QGraphicsRectItem]] = []
        self._connected: list = []

    # ------------------------------------------------------------------------ clicks
    def connect_panels(self) -> None:
        """Listen to clicks on the current panels (again after the docks were rebuilt)."""
        self._outlines = []
        for scene, slot in self._connected:
            try:
                scene.sigMouseClicked.disconnect(slot)
            except (TypeError, RuntimeError):
                pass
        self._connected = []
        for panel in self.window.panels:
            if hasattr(panel, "board"):
                slot = lambda ev, p=panel: self._on_board_click(p, ev)  # noqa: E731
                panel.board.scene().sigMouseClicked.connect(slot)
                self._connected.append((panel.board.scene(), slot))
        out = self.window.output_panel
        slot = self._on_output_click
        out.widget.scene().sigMouseClicked.connect(slot)
        self._connected.append((out.widget.scene(), slot))

    def _on_board_click(self, panel, event) -> None:
        p = panel.board.view.mapSceneToView(event.scenePos())
        selection = self.selection_at(panel, p.x(), p.y())
        if selection is not None:
            self.select(selection)

    def _on_output_click(self, event) -> None:
        out = self.window.output_panel
        for plot in (out.prob_plot, out.grad_plot):
            if plot.sceneBoundingRect().contains(event.scenePos()):
                x = plot.vb.mapSceneToView(event.scenePos()).x()
                m = int(round(x))
                if 0 <= m < len(out.x):
                    self.select(Selection("softmax", None, (m,)))
                return

    def selection_at(self, panel, x: float, y: float) -> Selection | None:
        """The unit of ``panel`` under scene point (x, y), if it is one the inspector explains."""
        if isinstance(panel, ConvPanel):
            for mosaic in (panel.maps, panel.grad_maps):
                hit = mosaic.locate(x, y)
                if hit:
                    r, c, i, j = hit
                    return Selection("conv", panel.name, (r * mosaic.cols + c, i, j))
            for mosaic in (panel.weights, panel.grad_weights):
                hit = mosaic.locate(x, y)
                if hit:
                    r, c, i, j = hit
                    f, ch = mosaic.tiling.index_of(r, c)
                    return Selection("weight", panel.name, (f, ch, i, j))
        elif isinstance(panel, PoolPanel):
            for mosaic, down in ((panel.pooled, 1), (panel.grad_pooled, 1), (panel.inputs, 0),
                                 (panel.routed, 0)):
                hit = mosaic.locate(x, y)
                if hit:
                    r, c, i, j = hit
                    if not down:  # a click on the pool's input picks the window it is in
                        k = panel.inputs.h // panel.pooled.h
                        i, j = i // k, j // k
                        if i >= panel.pooled.h or j >= panel.pooled.w:
                            return None  # a row or column the pool drops: no window
                    return Selection("pool", panel.name, (r * mosaic.cols + c, i, j))
        elif isinstance(panel, DensePanel):
            hit = panel.out.locate(x, y)
            if hit:
                return Selection("dense", panel.name, (hit[3],))
        return None

    # -------------------------------------------------------------------- selection
    def select(self, selection: Selection) -> None:
        self.selection = selection
        if self.dock is not None:
            self.window.reveal(self.dock)
        self.refresh()

    def show_trace(self, trace) -> None:
        """The trace on screen changed (a step, a phase): explain the selection in it."""
        self.trace = trace
        if self.selection is not None:
            self.refresh()

    def refresh(self) -> None:
        self._clear_outlines()
        self.terms_plot.hide()
        sel, trace = self.selection, self.trace
        if sel is None or trace is None:
            return
        try:
            html = getattr(self, f"_show_{sel.what}")(trace, sel)
        except _NotYet as e:
            self.explanation = None
            html = f"<p><b>{e}</b>: not yet computed in this phase.</p>"
        self.text.setText(html)

    # ------------------------------------------------------------------- explanations
    def _show_conv(self, trace, sel) -> str:
        f, i, j = sel.index
        lt = trace.layer(sel.layer)
        if lt.out is None:
            raise _NotYet(f"{sel.layer} output")
        e = explain_conv_unit(trace, sel.layer, f, i, j)
        self.explanation = e
        self._outline_conv(sel.layer, f, e)
        parts = [f"<h3>{sel.layer} · filter {f} · output at (y {i}, x {j})</h3>",
                 "<p>out = Σ<sub>c,a,b</sub> patch[c,a,b] × kernel[c,a,b] + b</p>"]
        sums = []
        channels = e.patch.shape[0]
        for ch in range(channels):
            if channels > 1:
                parts.append(f"<p><b>input channel {ch}</b> (Σ products "
                             f"{fmt(float(e.products[ch].sum()))})</p>")
            # Two rows: three grids side by side do not fit a dock beside the panels.
            parts.append(side_by_side(
                html_grid(e.patch[ch], "patch"), "<b>×</b>", html_grid(e.kernel[ch], "kernel")))
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
        return "".join(parts)

    def _show_weight(self, trace, sel) -> str:
        f, c, a, b = sel.index
        lt = trace.layer(sel.layer)
        w = float(lt.params["W"][f, c, a, b])
        head = (f"<h3>{sel.layer} · weight W[filter {f}, channel {c}, {a}, {b}] = {fmt(w)}</h3>")
        if lt.dout is None:
            self.explanation = None
            return head + "<p>dL/dW: not yet computed (the backward pass has not reached " \
                f"{sel.layer}).</p>"
        e = explain_kernel_weight(trace, sel.layer, f, c, a, b, top=6)
        self.explanation = e
        rows = "".join(f"<tr><td>({p}, {q})</td><td align='right'>{fmt(d)}</td>"
                       f"<td align='right'>{fmt(x)}</td><td align='right'><b>{fmt(t)}</b></td>"
                       "</tr>" for (p, q), d, x, t in e.largest)
        table = ("<table cellspacing='0' cellpadding='3' border='1'><tr><th>position (p, q)"
                 "</th><th>dL/dout[p,q]</th><th>x[p+a, q+b]</th><th>term</th></tr>"
                 f"{rows}</table>")
        scale = float(np.max(np.abs(e.terms), initial=0.0)) or 1.0
        self.terms_image.setImage(e.terms, autoLevels=False, levels=(-scale, scale))
        self.terms_plot.show()
        update = ""
        if lt.updates:
            u = float(lt.updates["W"][f, c, a, b])
            update = (f"<p>update −lr × dL/dW = −{trace.lr:g} × {fmt(e.gradient)} = {fmt(u)};"
                      f" weight after = {fmt(w + u)}</p>")
        return (head + "<p>dL/dW = Σ<sub>p,q</sub> dL/dout[f,p,q] × x[c, p+a, q+b] "
                f"over {e.terms.size} output positions</p>"
                f"<p>largest terms:</p>{table}"
                f"<p style='font-size:11pt'>Σ of all {e.terms.size} terms = "
                f"<b>{fmt(e.total)}</b> &nbsp; (backprop's dL/dW: {fmt(e.gradient)})</p>"
                + update)

    def _show_pool(self, trace, sel) -> str:
        ch, i, j = sel.index
        lt = trace.layer(sel.layer)
        if lt.out is None:
            raise _NotYet(f"{sel.layer} output")
        e = explain_pool_unit(trace, sel.layer, ch, i, j)
        self.explanation = e
        wi, wj = e.winner[0] - e.rows[0], e.winner[1] - e.cols[0]
        self._outline_pool(sel.layer, ch, e)
        if e.gradient is None:
            where = "<p>dL/d(pooled): not yet computed.</p>"
        else:
            k = e.window.shape[0]
            where = (f"<p>dL/d(pooled) = {fmt(e.gradient)} goes back to the winner "
                     f"(y {e.winner[0]}, x {e.winner[1]}) of the pool's input alone; the other "
                     f"{k * k - 1} positions of the window get 0.</p>")
        return (f"<h3>{sel.layer} · channel {ch} · pooled unit (y {i}, x {j})</h3>"
                + side_by_side(html_grid(e.window, "window", mark=(wi, wj)))
                + f"<p>max = <b>{fmt(e.output)}</b>, won by window position ({wi}, {wj}) = "
                f"input (y {e.winner[0]}, x {e.winner[1]}) <span style='color:#e000e0'>■"
                "</span> (ties go to the first maximum)</p>" + where)

    def _show_dense(self, trace, sel) -> str:
        (m,) = sel.index
        lt = trace.layer(sel.layer)
        if lt.out is None:
            raise _NotYet(f"{sel.layer} output")
        e = explain_dense_unit(trace, sel.layer, m, top=6)
        self.explanation = e
        rows = "".join(f"<tr><td>{d}</td><td align='right'>{fmt(w)}</td>"
                       f"<td align='right'>{fmt(x)}</td><td align='right'><b>{fmt(t)}</b></td>"
                       "</tr>" for d, w, x, t in e.largest)
        grad = "" if e.gradient is None else f"<p>dL/d(out) = {fmt(e.gradient)}</p>"
        return (f"<h3>{sel.layer} · unit {m}</h3><p>out[m] = Σ<sub>d</sub> W[m,d] × x[d] + b[m]"
                f" over {e.terms.size} inputs</p><p>largest terms:</p>"
                "<table cellspacing='0' cellpadding='3' border='1'><tr><th>d</th><th>W[m,d]</th>"
                f"<th>x[d]</th><th>term</th></tr>{rows}</table>"
                f"<p style='font-size:11pt'>Σ terms {fmt(float(e.terms.sum()))} + b "
                f"{fmt(e.bias)} = <b>{fmt(e.total)}</b> &nbsp; (forward pass: {fmt(e.output)})"
                f"</p>{grad}")

    def _show_softmax(self, trace, sel) -> str:
        (chosen,) = sel.index
        if trace.probs is None:
            raise _NotYet("the probabilities")
        e = explain_softmax(trace)
        self.explanation = e
        rows = []
        for m in range(len(e.logits)):
            style = " style='background:#fff3b0'" if m == chosen else ""
            label = " (y)" if m == e.label else ""
            rows.append(f"<tr{style}><td>{m}{label}</td><td align='right'>{short(e.logits[m])}"
                        f"</td><td align='right'>{short(e.exps[m])}</td><td align='right'>"
                        f"<b>{short(e.probs[m])}</b></td><td align='right'>"
                        f"{short(e.dlogits[m])}</td></tr>")
        return ("<h3>softmax and cross-entropy</h3>"
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

    # -------------------------------------------------------------------- outlines
    def _panel(self, key: str):
        return next((p for p in self.window.panels if getattr(p, "key", None) == key), None)

    def _map_mosaic_of_output(self, index: int):
        """The mosaic that shows layer ``index``'s output (the input for -1)."""
        if index < 0:
            panel = next(p for p in self.window.panels if isinstance(p, InputPanel))
            return panel.sample
        net = self.window.session.net
        panel = self._panel(net.layers[index].name)
        if isinstance(panel, ConvPanel):
            return panel.maps
        if isinstance(panel, ReluPanel):
            return panel.out
        if isinstance(panel, PoolPanel):
            return panel.pooled
        return None

    def _outline(self, mosaic, tile: int, rows, cols, colour, width: float = 2.0) -> None:
        item = QGraphicsRectItem(mosaic.pixel_rect(tile, rows, cols))
        pen = QPen(QColor(*colour))
        pen.setCosmetic(True)
        pen.setWidthF(width)
        item.setPen(pen)
        item.setZValue(10)
        mosaic.board.view.addItem(item)
        self._outlines.append((mosaic.board.view, item))

    def _clear_outlines(self) -> None:
        for view, item in self._outlines:
            try:
                view.removeItem(item)
            except RuntimeError:  # the board went with a rebuilt dock
                pass
        self._outlines = []

    def _outline_conv(self, layer: str, f: int, e) -> None:
        panel = self._panel(layer)
        i, j = e.position
        if panel is not None:
            self._outline(panel.maps, f, (i, i + 1), (j, j + 1), UNIT_COLOUR)
        names = [la.name for la in self.window.session.net.layers]
        source = self._map_mosaic_of_output(names.index(layer) - 1)
        if source is not None:
            for ch in range(e.patch.shape[0]):
                self._outline(source, ch, e.rows, e.cols, FIELD_COLOUR)

    def _outline_pool(self, layer: str, ch: int, e) -> None:
        panel = self._panel(layer)
        if panel is None:
            return
        i, j = e.position
        self._outline(panel.pooled, ch, (i, i + 1), (j, j + 1), UNIT_COLOUR)
        self._outline(panel.inputs, ch, e.rows, e.cols, FIELD_COLOUR)
        wr, wc = e.winner
        self._outline(panel.inputs, ch, (wr, wr + 1), (wc, wc + 1), WINNER_COLOUR)
        self._outline(panel.routed, ch, (wr, wr + 1), (wc, wc + 1), WINNER_COLOUR)


class _NotYet(Exception):
    """The selected unit's values are not computed yet in this phase."""
