"""The layer panels, one per layer of the network (flatten has none), and ``build_panels``,
which picks every panel of the window for an architecture.

Each panel builds its items once and then only takes new arrays from a trace in
``show_trace``. Maps and weights are tiled by ``tiling.py``.
"""

from __future__ import annotations

import numpy as np

from visualcnn.app.views.class_names import short
from visualcnn.app.views.curves import CurvesPanel
from visualcnn.app.views.mosaic import MaskOverlay, Mosaic
from visualcnn.app.views.output import OutputPanel
from visualcnn.app.views.panel import BoardPanel, Panel, Rows, TextBlock
from visualcnn.app.views.tiling import (
    STRIP_UNITS,
    cell_for,
    map_tiling,
    template_shape_before,
    weight_tiling,
)
from visualcnn.common.numbers import format_number

# Why a group of values is all zero, when a panel can tell. The output layer starts at zero
# (see the README's Results), so before the first update every gradient below it is zero.
NO_GRADIENT_YET = "the output layer starts at zero, so no gradient flows back yet"
OUTPUT_STARTS_AT_ZERO = "the output layer starts at zero; each step adds to it"
LOGITS_ZERO = "the output layer starts at zero, so every logit is 0"
SIGNED_COLOURS = "Blue is negative, white zero, red positive; the bar gives the scale."


def output_layer_zero(trace) -> bool:
    """The last layer's weights, as this step found them, are all zero: nothing flows back."""
    weights = trace.layers[-1].params.get("W")
    return weights is not None and not np.any(weights)


def gradient_reason(trace) -> str:
    """The reason to give for an all-zero gradient below the output layer."""
    return NO_GRADIENT_YET if output_layer_zero(trace) else ""


# ------------------------------------------------------------------------------ input
class InputPanel(BoardPanel):
    key, title = "input", "Input"
    help = ("The sample this step trains on, its label and what the network predicted.\n"
            "dL/d(input): how the loss would change if a pixel were brighter.\n"
            + SIGNED_COLOURS)

    def __init__(self, input_shape: tuple[int, int, int], nonnegative: bool, class_names=None):
        super().__init__()
        tiling = map_tiling(input_shape).scaled(1.0)  # the sample at its own size
        self.caption = TextBlock(self.board, 2, 26)
        self.sample = Mosaic(self.board, "input", "sample", tiling, not nonnegative)
        self.gradient = Mosaic(self.board, "input", "dL/d(input)", tiling, True)
        self.layout([[self.caption], [self.sample], [self.gradient]])
        self.class_names = tuple(class_names or ())

    def set_class_names(self, class_names) -> None:
        self.class_names = tuple(class_names or ())

    def name_of(self, label: int) -> str:
        """Class ``label`` as the caption writes it: its name, cut short, or its number."""
        if 0 <= label < len(self.class_names):
            return short(self.class_names[label])
        return str(label)

    def show_trace(self, trace, sample_index):
        where = f"#{sample_index}" if sample_index is not None else ""
        if isinstance(sample_index, str):  # not from the training split: "drawn digit, ..."
            where = sample_index
        verdict = "right" if trace.correct else "wrong"
        label, predicted = self.name_of(trace.label), self.name_of(trace.prediction)
        self.caption.set_text(
            f"sample {where}  label {label}\n"
            f"predicted {predicted} (p {trace.probs[trace.prediction]:.2f}) {verdict}")
        self.sample.show(trace.input[0])
        self.gradient.show(trace.dinput[0], gradient_reason(trace))


# ----------------------------------------------------------------------- convolution
class ConvPanel(BoardPanel):
    """Filters and dL/dW (one tile per filter and input channel), b and dL/db as numbers,
    feature maps and dL/d(feature map)."""

    help = ("Filters W: each one slides over the input and makes one feature map.\n"
            "dL/dW: how the loss changes with each weight; the update is -lr x dL/dW.\n"
            "b and dL/db as numbers; the feature maps and dL/d(feature map).\n"
            + SIGNED_COLOURS)

    def __init__(self, name: str, params_shape: tuple[int, ...], out_shape: tuple[int, ...]):
        super().__init__()
        self.key = self.name = name
        f, c, k, _ = params_shape
        self.title = f"{name}: convolution, {f} filters {k}x{k} over {c} channel(s)"
        weights = weight_tiling(params_shape)
        self.weights = Mosaic(self.board, name, "filters W", weights, True)
        self.grad_weights = Mosaic(self.board, name, "dL/dW", weights, True)
        self.biases = TextBlock(self.board, f + 1, 23, optional=True)
        maps = map_tiling(out_shape, noun="map")
        self.maps = Mosaic(self.board, name, "feature maps", maps, True)
        self.grad_maps = Mosaic(self.board, name, "dL/d(feature map)", maps, True)
        # The table of biases beside both rows of maps, where it costs width, not height.
        self.layout([[Rows([[self.weights, self.grad_weights], [self.maps, self.grad_maps]]),
                      self.biases]])

    def show_trace(self, trace, sample_index):
        lt = trace.layer(self.name)
        why = gradient_reason(trace)
        self.weights.show(lt.params["W"])
        self.grad_weights.show(lt.grads["W"], why)
        b, db = lt.params["b"], lt.grads["b"]
        lines = [" f        b      dL/db"]
        lines += [f"{i:2d} {format_number(b[i]):>9} {format_number(db[i]):>10}"
                  for i in range(len(b))]
        self.biases.set_text("\n".join(lines))
        self.maps.show(lt.out[0])
        self.grad_maps.show(lt.dout[0], why)


# ------------------------------------------------------------------------------ relu
class ReluPanel(BoardPanel):
    """The ReLU's output and its mask: 1 where the input was positive, the only places the
    gradient passes back through."""

    help = ("Output: the input with every negative value set to zero (dark is zero).\n"
            "The mask is light where the input was positive: the only places the gradient\n"
            "passes back through.")

    def __init__(self, name: str, shape: tuple[int, ...]):
        super().__init__()
        self.key = self.name = name
        self.title = f"{name}: ReLU"
        tiling = map_tiling(shape, strip_units=6)
        strip = tiling.tile[0] == 1  # units after a dense layer, or maps one pixel high
        if strip:
            tiling = tiling.scaled(cell_for(tiling.tile, 6))
        self.out = Mosaic(self.board, name, "output", tiling, False)
        self.mask = Mosaic(self.board, name, "mask: 1 passes the gradient, 0 not", tiling, False,
                           fixed_range=(0.0, 1.0))
        self.layout([[self.out], [self.mask]] if strip else [[self.out, self.mask]])

    def show_trace(self, trace, sample_index):
        lt = trace.layer(self.name)
        self.out.show(lt.out[0])
        self.mask.show(lt.extras["relu_mask"][0].astype(np.float64))


# ------------------------------------------------------------------------------ pool
class PoolPanel(BoardPanel):
    """The pool's input with the winner of every window outlined, the gradient routed back to
    that input (non-zero only at the winners), the pooled maps and the gradient they got."""

    help = ("Each window keeps its largest value; a green dot marks the winner.\n"
            "dL/d(input) is non-zero only at the winners: the gradient goes back only to\n"
            "where each maximum came from. " + SIGNED_COLOURS)

    def __init__(self, name: str, in_shape, out_shape, kernel: int, nonnegative: bool):
        super().__init__()
        self.key = self.name = name
        self.title = f"{name}: max-pool {kernel}x{kernel}"
        self.kernel = kernel
        signed = not nonnegative
        inputs = map_tiling(in_shape)
        # Pooled maps drawn as large as the maps they came from.
        pooled = map_tiling(out_shape).scaled(inputs.cell * in_shape[1] / out_shape[1])
        self.inputs = Mosaic(self.board, name, "input, winners dotted", inputs, signed)
        self.winners = MaskOverlay(self.inputs)
        self.routed = Mosaic(self.board, name, "dL/d(input): winners only", inputs, True)
        self.pooled = Mosaic(self.board, name, "pooled", pooled, signed)
        self.grad_pooled = Mosaic(self.board, name, "dL/d(pooled)", pooled, True)
        self.layout([[self.inputs, self.routed], [self.pooled, self.grad_pooled]])

    def show_trace(self, trace, sample_index):
        lt = trace.layer(self.name)
        why = gradient_reason(trace)
        self.inputs.show(lt.x[0])
        self.winners.set_mask(lt.extras["argmax_mask"][0])
        self.routed.show(lt.dx[0], why)
        self.pooled.show(lt.out[0])
        self.grad_pooled.show(lt.dout[0], why)


# ----------------------------------------------------------------------------- dense
class DensePanel(BoardPanel):
    """Weights and dL/dW; after maps, each unit's row of W is reshaped to the maps' shape (one
    template per class and channel); after another dense layer, W is a matrix. The logits."""

    help = ("W: each unit's weights; after maps, reshaped to the maps they read (one\n"
            "template per class and channel): red pushes the unit up, blue down.\n"
            "dL/dW in the same layout, and the unit's outputs (the logits).\n"
            + SIGNED_COLOURS)

    def __init__(self, name: str, units: int, in_units: int,
                 template_shape: tuple[int, int, int] | None):
        super().__init__()
        self.key = self.name = name
        self.title = f"{name}: dense, {units} units"
        self.template_shape = template_shape
        weights = weight_tiling((units, in_units), template_shape)
        title = "W as templates" if template_shape is not None else "W (unit x input)"
        self.weights = Mosaic(self.board, name, title, weights, True)
        self.grad_weights = Mosaic(self.board, name, "dL/dW", weights, True)
        self.logits = (TextBlock(self.board, units + 1, 14, optional=True) if units <= 16
                       else None)
        self.out = Mosaic(self.board, name, "output (logits)",
                          map_tiling((units,), strip_units=STRIP_UNITS), True)
        # Stacked: the dense column is tall and narrow.
        first_row = [self.weights] + ([self.logits] if self.logits is not None else [])
        self.layout([first_row, [self.grad_weights], [self.out]])

    def show_trace(self, trace, sample_index):
        lt = trace.layer(self.name)
        last = lt is trace.layers[-1]
        starts_zero = last and output_layer_zero(trace)
        self.weights.show(lt.params["W"], OUTPUT_STARTS_AT_ZERO if starts_zero else "")
        self.grad_weights.show(lt.grads["W"], "" if last else gradient_reason(trace))
        out = lt.out[0]
        self.out.show(out, LOGITS_ZERO if starts_zero else "")
        if self.logits is not None:
            self.logits.set_text("unit  output\n" + "\n".join(
                f"{i:3d} {format_number(v):>9}" for i, v in enumerate(out)))


def build_panels(net, nonnegative_input: bool,
                 class_names=None) -> tuple[list[Panel], OutputPanel, CurvesPanel]:
    """The panels for ``net``: input, one per layer (flatten has none), output and curves.

    ``nonnegative_input`` picks the sequential colour map for the input and for every map
    computed from it without a sign-changing layer in between; ``class_names`` (one per
    class, the data's) name the classes in the input's caption and under the output's bars.
    """
    panels: list[Panel] = [InputPanel(net.input_shape, nonnegative_input, class_names)]
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
            panels.append(DensePanel(spec.name, spec.units, spec.shape_in[0],
                                     template_shape_before(net, i)))
            nonnegative = False
    output = OutputPanel(net.classes, class_names)
    curves = CurvesPanel([layer.name for layer in net.layers if layer.params])
    return panels + [output, curves], output, curves
