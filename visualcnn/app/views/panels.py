"""The panels: one per layer of the network plus input, output and curves.

Each panel builds its items once and then only takes new arrays from a trace in
``show_trace``. ``build_panels`` picks the panels for an architecture.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QGraphicsItem, QWidget

from visualcnn.app.views.board import GAP, TEXT, Board, MaskOverlay, Mosaic, format_number
from visualcnn.app.views.colormaps import DIVERGING, SEQUENTIAL
from visualcnn.nn import StepTrace

MAP_UNITS = 20  # small maps (11 x 11) are enlarged to about this many units
# Curves redraw at most this often while running (always at a pause): a refresh costs a
# repaint or two of the whole strip, 15 ms or more each.
CURVE_REFRESH_S = 1.0


def grid_for(n: int, max_cols: int = 4) -> tuple[int, int]:
    """Rows and columns for n maps: at most ``max_cols`` wide, as few rows as that allows."""
    rows = math.ceil(n / max_cols)
    return rows, math.ceil(n / rows)


def _channel(r: int, c: int, cols: int) -> str:
    return f"channel {r * cols + c}"


class Panel:
    """Base: ``key`` names the dock (and its saved state); ``widget`` goes into the dock."""

    key = ""
    title = ""
    widget: QWidget

    def show_trace(self, trace: StepTrace, sample_index: int | None) -> None:
        raise NotImplementedError

    def set_scale_mode(self, mode: str) -> None:
        """Panels of maps follow the scale mode; charts with fixed axes ignore it."""


class BoardPanel(Panel):
    """A panel drawn on one ``Board``, with its blocks laid out in rows."""

    def __init__(self):
        self.board = Board()
        self.widget = self.board
        self._rows: list[list] = []

    def layout(self, rows: list[list]) -> None:
        """Place blocks (Mosaics or (width, height, place) text blocks) row by row."""
        y, width = 0.0, 0.0
        for row in rows:
            x, height = 0.0, 0.0
            for block in row:
                block.place(x, y)
                x += block.width + GAP
                height = max(height, block.height)
            width = max(width, x - GAP)
            y += height + GAP
        self.board.fit(width, y - GAP)

    def set_scale_mode(self, mode: str) -> None:
        self.board.set_scale_mode(mode)


class TextBlock:
    """A multi-line text (monospace) that takes part in the row layout."""

    def __init__(self, board: Board, lines: int, chars: int, size: float = 0.8 * TEXT):
        self.item = board.add_text(0, 0, "", size=size, mono=True)
        self.width = 0.62 * size * chars
        self.height = 1.2 * size * lines

    def place(self, x: float, y: float) -> None:
        self.item.setPos(x, y)

    def set_text(self, text: str) -> None:
        self.item.setText(text)


def _cell_for(tile: tuple[int, int], target: float) -> float:
    """A display scale that makes a small tile (a 3 x 3 filter) about ``target`` units wide."""
    return max(1.0, target / max(tile))


# ------------------------------------------------------------------------------ input
class InputPanel(BoardPanel):
    key, title = "input", "Input"

    def __init__(self, input_shape: tuple[int, int, int], nonnegative: bool):
        super().__init__()
        c, h, w = input_shape
        grid = grid_for(c, 4)
        name = lambda r, col: _channel(r, col, grid[1])  # noqa: E731
        self.caption = TextBlock(self.board, 2, 30, size=TEXT)
        self.sample = Mosaic(self.board, "input", "sample", grid, (h, w), not nonnegative, name)
        self.gradient = Mosaic(self.board, "input", "dL/d(input)", grid, (h, w), True, name)
        self.layout([[self.caption], [self.sample], [self.gradient]])

    def show_trace(self, trace, sample_index):
        where = f"#{sample_index}" if sample_index is not None else ""
        if isinstance(sample_index, str):  # not from the training split: "drawn digit, ..."
            where = sample_index
        verdict = "right" if trace.correct else "wrong"
        self.caption.set_text(
            f"sample {where}  label {trace.label}\n"
            f"predicted {trace.prediction} (p {trace.probs[trace.prediction]:.2f}) {verdict}")
        self.sample.set_maps(trace.input[0])
        self.gradient.set_maps(trace.dinput[0])


# ----------------------------------------------------------------------- convolution
class ConvPanel(BoardPanel):
    """Filters and dL/dW (one tile per filter and input channel), b and dL/db as numbers,
    feature maps and dL/d(feature map)."""

    def __init__(self, name: str, params_shape: tuple[int, ...], out_shape: tuple[int, ...]):
        super().__init__()
        self.key = name
        f, c, k, _ = params_shape
        _, h, w = out_shape
        self.title = f"{name}: convolution, {f} filters {k}x{k} over {c} channel(s)"
        self.name = name
        maps_grid = grid_for(f)
        if c == 1:
            # One input channel: filter i sits where its feature map sits in the maps grid.
            w_grid = maps_grid
            w_name = lambda r, col: f"filter {r * maps_grid[1] + col}"  # noqa: E731
        else:
            w_grid = (c, f)
            w_name = lambda r, col: f"filter {col}, input channel {r}"  # noqa: E731
        # Filters are tiny next to maps: enlarge them, less so when there are many channels.
        cell = _cell_for((k, k), 9 if c == 1 else 5)
        self.weights = Mosaic(self.board, name, "filters W", w_grid, (k, k), True, w_name, cell)
        self.grad_weights = Mosaic(self.board, name, "dL/dW", w_grid, (k, k), True, w_name, cell)
        self.biases = TextBlock(self.board, f + 1, 24)
        map_name = lambda r, col: f"map {r * maps_grid[1] + col}"  # noqa: E731
        map_cell = _cell_for((h, w), MAP_UNITS)
        self.maps = Mosaic(self.board, name, "feature maps", maps_grid, (h, w), True, map_name,
                           map_cell)
        self.grad_maps = Mosaic(self.board, name, "dL/d(feature map)", maps_grid, (h, w), True,
                                map_name, map_cell)
        self._single_channel = c == 1
        self.layout([[self.weights, self.grad_weights, self.biases],
                     [self.maps, self.grad_maps]])

    def show_trace(self, trace, sample_index):
        lt = trace.layer(self.name)
        W, dW = lt.params["W"], lt.grads["W"]
        if self._single_channel:
            self.weights.set_maps(W[:, 0])
            self.grad_weights.set_maps(dW[:, 0])
        else:
            self.weights.set_maps(W.transpose(1, 0, 2, 3))
            self.grad_weights.set_maps(dW.transpose(1, 0, 2, 3))
        b, db = lt.params["b"], lt.grads["b"]
        lines = [" f        b      dL/db"]
        lines += [f"{i:2d} {format_number(b[i]):>9} {format_number(db[i]):>10}"
                  for i in range(len(b))]
        self.biases.set_text("\n".join(lines))
        self.maps.set_maps(lt.out[0])
        self.grad_maps.set_maps(lt.dout[0])


# ------------------------------------------------------------------------------ relu
def _maps_shape(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(C, H, W) for maps; a flat vector of D units shows as one 1 x D strip."""
    return tuple(shape) if len(shape) == 3 else (1, 1, shape[0])


class ReluPanel(BoardPanel):
    """The ReLU's output and its mask: 1 where the input was positive, the only places the
    gradient passes back through."""

    def __init__(self, name: str, shape: tuple[int, ...]):
        super().__init__()
        self.key, self.name = name, name
        self.title = f"{name}: ReLU"
        c, h, w = _maps_shape(shape)
        grid = grid_for(c)
        cell = _cell_for((h, w), 6) if h == 1 else _cell_for((h, w), MAP_UNITS)
        name_of = lambda r, col: _channel(r, col, grid[1])  # noqa: E731
        self.out = Mosaic(self.board, name, "output", grid, (h, w), False, name_of, cell)
        self.mask = Mosaic(self.board, name, "gradient passes (1) or not (0)", grid, (h, w),
                           False, name_of, cell, fixed_range=(0.0, 1.0))
        self._shape = (c, h, w)
        self.layout([[self.out, self.mask]] if h > 1 else [[self.out], [self.mask]])

    def show_trace(self, trace, sample_index):
        lt = trace.layer(self.name)
        self.out.set_maps(lt.out[0].reshape(self._shape))
        self.mask.set_maps(lt.extras["relu_mask"][0].reshape(self._shape).astype(np.float64))


# ------------------------------------------------------------------------------ pool
class PoolPanel(BoardPanel):
    """The pool's input with the winner of every window outlined, the gradient routed back to
    that input (non-zero only at the winners), the pooled maps and the gradient they got."""

    def __init__(self, name: str, in_shape, out_shape, kernel: int, nonnegative: bool):
        super().__init__()
        self.key, self.name = name, name
        self.title = f"{name}: max-pool {kernel}x{kernel}"
        c, h, w = in_shape
        _, ph, pw = out_shape
        grid = grid_for(c)
        name_of = lambda r, col: _channel(r, col, grid[1])  # noqa: E731
        signed = not nonnegative
        in_cell = _cell_for((h, w), MAP_UNITS)
        self.inputs = Mosaic(self.board, name, "input, window winners dotted", grid, (h, w),
                             signed, name_of, in_cell)
        self.winners = MaskOverlay(self.inputs)
        self.routed = Mosaic(self.board, name, "dL/d(input): only winners", grid, (h, w),
                             True, name_of, in_cell)
        cell = in_cell * h / ph  # pooled maps drawn as large as the maps they came from
        self.pooled = Mosaic(self.board, name, "pooled", grid, (ph, pw), signed, name_of, cell)
        self.grad_pooled = Mosaic(self.board, name, "dL/d(pooled)", grid, (ph, pw), True,
                                  name_of, cell)
        self.layout([[self.inputs, self.routed], [self.pooled, self.grad_pooled]])

    def show_trace(self, trace, sample_index):
        lt = trace.layer(self.name)
        self.inputs.set_maps(lt.x[0])
        self.winners.set_mask(lt.extras["argmax_mask"][0])
        self.routed.set_maps(lt.dx[0])
        self.pooled.set_maps(lt.out[0])
        self.grad_pooled.set_maps(lt.dout[0])


# ----------------------------------------------------------------------------- dense
class DensePanel(BoardPanel):
    """Weights and dL/dW; after maps, each unit's row of W is reshaped to the maps' shape (one
    template per class and channel); after another dense layer, W is a matrix. The logits."""

    def __init__(self, name: str, units: int, in_units: int,
                 template_shape: tuple[int, int, int] | None):
        super().__init__()
        self.key, self.name = name, name
        self.title = f"{name}: dense, {units} units"
        self.template_shape = template_shape
        if template_shape is not None:
            c, h, w = template_shape
            if c == 1:
                grid = grid_for(units, 5)
                name_of = lambda r, col: f"unit {r * grid[1] + col}"  # noqa: E731
            else:
                grid = (units, c)
                name_of = lambda r, col: f"unit {r}, channel {col}"  # noqa: E731
            tile, cell, title = (h, w), 1.0, "W as templates"
        else:
            grid, tile = (1, 1), (units, in_units)
            cell = _cell_for(tile, 60)
            name_of = lambda r, col: "W[unit, input]"  # noqa: E731
            title = "W (unit x input)"
        self.weights = Mosaic(self.board, name, title, grid, tile, True, name_of, cell)
        self.grad_weights = Mosaic(self.board, name, "dL/dW", grid, tile, True, name_of, cell)
        self.logits = TextBlock(self.board, units + 1, 14) if units <= 16 else None
        out_cell = _cell_for((1, units), 60)
        self.out = Mosaic(self.board, name, "output (logits)", (1, 1), (1, units), True,
                          lambda r, col: "units left to right", out_cell)
        # Stacked: the dense column is tall and narrow.
        first_row = [self.weights] + ([self.logits] if self.logits is not None else [])
        self.layout([first_row, [self.grad_weights], [self.out]])

    def show_trace(self, trace, sample_index):
        lt = trace.layer(self.name)
        W, dW = lt.params["W"], lt.grads["W"]
        if self.template_shape is not None:
            c, h, w = self.template_shape
            if c == 1:
                self.weights.set_maps(W.reshape(-1, h, w))
                self.grad_weights.set_maps(dW.reshape(-1, h, w))
            else:
                self.weights.set_maps(W.reshape(-1, c, h, w))
                self.grad_weights.set_maps(dW.reshape(-1, c, h, w))
        else:
            self.weights.set_maps(W[None])
            self.grad_weights.set_maps(dW[None])
        out = lt.out[0]
        self.out.set_maps(out[None, None, :])
        if self.logits is not None:
            self.logits.set_text("unit  output\n" + "\n".join(
                f"{i:3d} {format_number(v):>9}" for i, v in enumerate(out)))


# ---------------------------------------------------------------------------- output
class OutputPanel(Panel):
    """Bar charts: the probabilities with the true class and the prediction marked, and
    dL/d(logits) = p - y."""

    key, title = "output", "Output"
    TRUE_BRUSH, PREDICTED_BRUSH, OTHER_BRUSH = (40, 160, 40), (230, 120, 20), (150, 150, 150)

    def __init__(self, classes: int):
        self.widget = pg.GraphicsLayoutWidget()
        self.widget.setBackground("w")
        self.x = np.arange(classes)
        self.prob_plot = self.widget.addPlot()
        self.prob_plot.setTitle("probabilities", size="9pt")
        self.widget.nextRow()
        self.grad_plot = self.widget.addPlot()
        self.grad_plot.setTitle("dL/d(logits) = p - y", size="9pt")
        self.prob_bars = pg.BarGraphItem(x=self.x, height=np.zeros(classes), width=0.7)
        self.grad_bars = pg.BarGraphItem(x=self.x, height=np.zeros(classes), width=0.7)
        self.prob_plot.addItem(self.prob_bars)
        self.grad_plot.addItem(self.grad_bars)
        self.prob_plot.setYRange(0, 1.3, padding=0)  # room for the marks above a bar of 1
        self.grad_plot.setYRange(-1, 1, padding=0)
        ticks = [[(i, str(i)) for i in range(classes)]]
        for plot in (self.prob_plot, self.grad_plot):
            plot.setXRange(-0.6, classes - 0.4, padding=0)
            plot.getAxis("bottom").setTicks(ticks)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            cache_axes(plot)
        self.true_mark = pg.TextItem("true", color=self.TRUE_BRUSH, anchor=(0.5, 1))
        self.predicted_mark = pg.TextItem("pred", color=self.PREDICTED_BRUSH, anchor=(0.5, 1))
        self.prob_plot.addItem(self.true_mark)
        self.prob_plot.addItem(self.predicted_mark)
        negative, positive = DIVERGING.map([0.1, 0.9], mode="qcolor")
        self._sign_brushes = (pg.mkBrush(negative), pg.mkBrush(positive))
        self.probs = np.zeros(classes)
        self.grad = np.zeros(classes)

    def _mark_anchor(self, i: int) -> tuple[float, float]:
        """Centred over its bar, except at the ends, where the label would leave the plot."""
        if i < 2:
            return (0.0, 1.0)
        return (1.0, 1.0) if i > len(self.x) - 3 else (0.5, 1.0)

    def show_trace(self, trace, sample_index):
        self.probs = trace.probs
        self.grad = trace.layers[-1].dout[0]
        brushes = [self.OTHER_BRUSH] * len(self.x)
        brushes[trace.prediction] = self.PREDICTED_BRUSH
        brushes[trace.label] = self.TRUE_BRUSH
        self.prob_bars.setOpts(height=self.probs, brushes=brushes)
        self.grad_bars.setOpts(height=self.grad, brushes=[
            self._sign_brushes[int(g > 0)] for g in self.grad])
        top = lambda i: min(float(self.probs[i]), 1.0) if np.isfinite(self.probs[i]) else 0.0  # noqa: E731
        self.true_mark.setPos(trace.label, top(trace.label) + 0.02)
        self.true_mark.setAnchor(self._mark_anchor(trace.label))
        self.predicted_mark.setAnchor(self._mark_anchor(trace.prediction))
        if trace.prediction == trace.label:
            self.predicted_mark.hide()
            self.true_mark.setText("true = pred")
        else:
            self.true_mark.setText("true")
            self.predicted_mark.show()
            self.predicted_mark.setPos(trace.prediction, top(trace.prediction) + 0.02)


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.5, 2, 3, 4, 5, 6 or 8 times a power of ten) that is at
    least ``value`` (> 0): fine enough steps that a curve fills most of its plot."""
    if not (value > 0 and math.isfinite(value)):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 1.5, 2, 3, 4, 5, 6, 8, 10)
                if m * power >= value * (1 - 1e-12))


def cache_axes(plot: pg.PlotItem) -> None:
    """Keep each axis of ``plot`` as a pixmap between changes of its range.

    pyqtgraph replays an axis's recorded drawing, tick labels and all, on every repaint of
    its view: measured here, 19 ms to repaint the four curve plots, 6 ms with cached axes.
    """
    for name in ("left", "bottom", "right", "top"):
        plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


# ---------------------------------------------------------------------------- curves
class CurvesPanel(Panel):
    """Loss, accuracy, gradient norm and update/weight ratio per layer over the steps."""

    key, title = "curves", "Curves"

    def __init__(self, layer_names: list[str]):
        self.widget = pg.GraphicsLayoutWidget()
        self.widget.setBackground("w")
        self.loss_plot = self._plot("loss", "step")
        self.accuracy_plot = self._plot("accuracy", "step")
        self.grad_plot = self._plot("gradient norm |dL/dW|", "step", log=True)
        self.ratio_plot = self._plot("|update| / |weights|", "step", log=True)
        self.accuracy_plot.setYRange(0, 1, padding=0.02)
        self.loss_step = self._curve(self.loss_plot, "each step", (170, 170, 170))
        self.loss_avg = self._curve(self.loss_plot, "moving average", (200, 30, 30), width=2)
        self.train_accuracy = self._curve(self.accuracy_plot, "train (moving)", (30, 90, 200),
                                          width=2)
        self.test_accuracy = self._curve(self.accuracy_plot, "test split", (20, 150, 20),
                                         width=2, symbol=True)
        colours = [SEQUENTIAL.map(0.15 + 0.7 * i / max(1, len(layer_names) - 1), mode="qcolor")
                   for i in range(len(layer_names))]
        pairs = list(zip(layer_names, colours, strict=True))
        self.grad_norm = [self._curve(self.grad_plot, n, c) for n, c in pairs]
        self.update_ratio = [self._curve(self.ratio_plot, n, c) for n, c in pairs]

    def _plot(self, title: str, x_label: str, log: bool = False):
        plot = self.widget.addPlot()
        cache_axes(plot)
        plot.setTitle(title, size="9pt")
        plot.addLegend(offset=(-5, 5), labelTextSize="7pt", verSpacing=-6)
        plot.showGrid(x=True, y=True, alpha=0.25)
        if log:
            plot.setLogMode(y=True)
        plot.disableAutoRange()  # show_history sets the ranges (see _fit_ranges)
        return plot

    @staticmethod
    def _curve(plot, name, colour, width=1, symbol=False):
        curve = plot.plot(name=name, pen=pg.mkPen(colour, width=width),
                          symbol="o" if symbol else None, symbolSize=5,
                          symbolBrush=colour if symbol else None)
        curve.setClipToView(True)
        curve.setDownsampling(auto=True, method="peak")
        return curve

    def show_history(self, history) -> None:
        steps = history.steps
        self.loss_step.setData(steps, history.loss)
        self.loss_avg.setData(steps, history.loss_avg)
        self.train_accuracy.setData(steps, history.accuracy_avg)
        self.test_accuracy.setData(history.test_steps, history.test_accuracy)
        # Log axes cannot show zero (no gradient yet): such points are left out (NaN).
        logs = []
        for curves, values in ((self.grad_norm, history.grad_norm),
                               (self.update_ratio, history.update_ratio)):
            positive = np.where(values > 0, values, np.nan)
            for j, curve in enumerate(curves):
                curve.setData(steps, positive[:, j], connect="finite")
            logs.append(positive)
        self._fit_ranges(steps, history.loss, *logs)

    def _fit_ranges(self, steps, loss, grad_norm, update_ratio) -> None:
        """Set every range in one go, rounded out to round numbers.

        Left to auto-range, each plot settles in several deferred passes, each one a repaint
        of the whole strip (about 20 ms); rounded ranges also change, and so re-render the
        axes, only now and then rather than on every refresh.
        """
        x_max = nice_ceiling(max(float(steps[-1]) if len(steps) else 0.0, 10.0))
        for plot in (self.loss_plot, self.accuracy_plot, self.grad_plot, self.ratio_plot):
            plot.setXRange(0, x_max, padding=0.01)
        finite = loss[np.isfinite(loss)]
        self.loss_plot.setYRange(0, nice_ceiling(float(finite.max()) if finite.size else 1.0),
                                 padding=0.02)
        for plot, values in ((self.grad_plot, grad_norm), (self.ratio_plot, update_ratio)):
            finite = values[np.isfinite(values)]
            if finite.size:  # whole decades: log10 of the data, as the log-mode view expects
                low, high = np.floor(np.log10(finite.min())), np.ceil(np.log10(finite.max()))
                plot.setYRange(low, max(high, low + 1), padding=0.02)

    def show_trace(self, trace, sample_index):
        """The curves draw from the session's history, not from one trace."""


def build_panels(net, nonnegative_input: bool) -> tuple[list[Panel], OutputPanel, CurvesPanel]:
    """The panels for ``net``: input, one per layer (flatten has none), output and curves.

    ``nonnegative_input`` picks the sequential colour map for the input and for every map
    computed from it without a sign-changing layer in between.
    """
    panels: list[Panel] = [InputPanel(net.input_shape, nonnegative_input)]
    nonnegative = nonnegative_input
    for i, spec in enumerate(net.specs):
        if spec.kind == "conv":
            panels.append(ConvPanel(spec.name, net.layers[i].params["W"].shape, spec.shape_out))
            nonnegative = False
        elif spec.kind == "relu":
            panels.append(ReluPanel(spec.name, spec.shape_out))
            nonnegative = True
        elif spec.kind == "pool":
            panels.append(PoolPanel(spec.name, spec.shape_in, spec.shape_out, spec.kernel,
                                    nonnegative))
        elif spec.kind == "dense":
            before = net.specs[i - 1] if i > 0 else None
            template = before.shape_in if before is not None and before.kind == "flatten" \
                else None
            panels.append(DensePanel(spec.name, spec.units, spec.shape_in[0], template))
            nonnegative = False
    output = OutputPanel(net.classes)
    curves = CurvesPanel([layer.name for layer in net.layers if layer.params])
    return panels + [output, curves], output, curves
