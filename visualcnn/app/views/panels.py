"""The layer panels, one per layer of the network (flatten has none), and ``build_panels``,
which picks every panel of the window for an architecture.

Each panel builds its items once and then only takes new arrays from a trace in
``show_trace``. Maps and weights are tiled by ``tiling.py``.
"""

from __future__ import annotations

import numpy as np

from visualcnn.app.views.activation_panels import ACTIVATION_KINDS, ActivationPanel, AvgPoolPanel
from visualcnn.app.views.batch_titles import BatchTitles
from visualcnn.app.views.class_names import short
from visualcnn.app.views.colour_mosaic import (
    AS_IMAGE,
    PER_TILE,
    ColourMosaic,
    colour_filter_tiling,
    colour_sample_tiling,
    named_channels,
)
from visualcnn.app.views.curves import CurvesPanel
from visualcnn.app.views.mosaic import MaskOverlay, Mosaic
from visualcnn.app.views.output import OutputPanel
from visualcnn.app.views.panel import BoardPanel, Panel, Rows, TextBlock
from visualcnn.app.views.tiling import (
    FILTER_UNITS,
    STRIP_UNITS,
    cell_for,
    map_tiling,
    template_shape_before,
    weight_tiling,
)
from visualcnn.app.views.zero_reasons import (  # noqa: F401 (other views import them here)
    LOGITS_ZERO,
    NO_GRADIENT_YET,
    OUTPUT_STARTS_AT_ZERO,
    SIGNED_COLOURS,
    gradient_reason,
    output_layer_zero,
)
from visualcnn.common import i18n
from visualcnn.common.i18n import ntr, tr
from visualcnn.common.numbers import format_number


# ------------------------------------------------------------------------------ input
class InputPanel(BoardPanel):
    key = "input"

    def __init__(self, input_shape: tuple[int, int, int], nonnegative: bool, class_names=None):
        super().__init__()
        self.title = tr("Input")
        self.help = (tr("The sample this step trains on, its label and what the network "
                        "predicted.\ndL/d(input): how the loss would change if a pixel were "
                        "brighter.\n") + i18n.lookup(SIGNED_COLOURS))
        tiling = map_tiling(input_shape).scaled(1.0)  # the sample at its own size
        self.caption = TextBlock(self.board, 2, 26)
        # Colour data: the picture as it is, then its channels, which the filters read.
        self.colour = None
        if input_shape[0] == 3:
            tiling = named_channels(tiling)
            self.help = (tr("The sample this step trains on in colour, its label and what the "
                            "network predicted;\nits red, green and blue channels, each as the "
                            "network reads it (dark 0, light 1).\ndL/d(input) per channel (red, "
                            "green, blue): how the loss would change if that\nchannel of a "
                            "pixel were brighter. ") + i18n.lookup(SIGNED_COLOURS))
            # Twice the channels' size: the picture is what a class looks at first.
            self.colour = ColourMosaic(self.board, tr("input"), tr("sample"),
                                       colour_sample_tiling(input_shape, 2.0), AS_IMAGE)
        sample = tr("RGB channels") if self.colour is not None else tr("sample")
        self.sample = Mosaic(self.board, tr("input"), sample, tiling, not nonnegative)
        self.gradient = Mosaic(self.board, tr("input"), tr("dL/d(input)"), tiling, True)
        if self.colour is None:
            self.layout([[self.caption], [self.sample], [self.gradient]])
        else:
            self.layout([[self.caption], [self.colour], [self.sample], [self.gradient]])
        self.titles = BatchTitles(activation_grads=[self.gradient])
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
        if trace.batch > 1:  # which of the batch's samples every panel shows
            where = tr("{where} ({index} of {batch})", where=where, index=trace.focus + 1,
                       batch=trace.batch).strip()
        verdict = tr("right") if trace.correct else tr("wrong")
        label, predicted = self.name_of(trace.label), self.name_of(trace.prediction)
        self.titles.follow(trace)
        self.caption.set_text(tr(
            "sample {where}  label {label}\npredicted {predicted} (p {p:.2f}) {verdict}",
            where=where, label=label, predicted=predicted, p=trace.probs[trace.prediction],
            verdict=verdict))
        if self.colour is not None:
            self.colour.show(trace.input[0])
        self.sample.show(trace.input[0])
        self.gradient.show(trace.dinput[0], gradient_reason(trace))


# ----------------------------------------------------------------------- convolution
def conv_geometry(padding: int, stride: int) -> str:
    """", pad 1, stride 2" for a convolution's title: the settings that are not the default."""
    parts = ([tr("pad {padding}", padding=padding)] if padding else []) + (
        [tr("stride {stride}", stride=stride)] if stride != 1 else [])
    return "".join(tr(", {part}", part=p) for p in parts)


def conv_geometry_help(padding: int, stride: int) -> str:
    """What a convolution's padding and stride do, for its panel's help."""
    lines = []
    if padding:
        lines.append(ntr("Padding {n}: the input gets a border of {n} zero on every side, so "
                         "the windows at the edge are whole.",
                         "Padding {n}: the input gets a border of {n} zeros on every side, so "
                         "the windows at the edge are whole.", padding))
    if stride != 1:
        lines.append(tr("Stride {stride}: the filter moves {stride} pixels at a time, so each "
                        "feature map is about 1/{stride} as wide and as high.", stride=stride))
    return "\n".join(lines)


class ConvPanel(BoardPanel):
    """Filters and dL/dW (one tile per filter and input channel), b and dL/db as numbers,
    feature maps and dL/d(feature map)."""

    def __init__(self, name: str, params_shape: tuple[int, ...], out_shape: tuple[int, ...],
                 padding: int = 0, stride: int = 1, colour_input: bool = False):
        super().__init__()
        self.key = self.name = name
        f, c, k, _ = params_shape
        self.padding, self.stride = padding, stride
        # Padding and stride first: a narrow dock cuts its title short at the end.
        self.title = ntr("{name}: convolution{geometry}, {filters} filters {k}x{k} over {n} "
                         "channel", "{name}: convolution{geometry}, {filters} filters {k}x{k} "
                         "over {n} channels", c, name=name, geometry=conv_geometry(padding, stride),
                         filters=f, k=k)
        self.help = (tr("Filters W: each one slides over the input and makes one feature "
                        "map.\ndL/dW: how the loss changes with each weight; the update is -lr "
                        "x dL/dW.\nb and dL/db as numbers; the feature maps and dL/d(feature "
                        "map).\n") + i18n.lookup(SIGNED_COLOURS))
        if padding or stride != 1:
            self.help = self.help + "\n" + conv_geometry_help(padding, stride)
        weights = weight_tiling(params_shape)
        # Over red, green and blue (the first convolution on colour data): filters as colours.
        self.colour_filters = None
        if colour_input and c == 3:
            self.help = self.help + "\n" + tr(
                "Filters in colour: each filter's red, green and blue weights as one patch, all "
                "three\ndivided by the filter's largest |weight|: grey is 0, a red patch "
                "responds to red\n(and the strength of each colour is relative to that filter "
                "only). Beside it, per channel.")
            self.colour_filters = ColourMosaic(
                self.board, name, tr("W in colour"), colour_filter_tiling(
                    params_shape, FILTER_UNITS), PER_TILE)
        self.weights = Mosaic(self.board, name, tr("filters W"), weights, True)
        self.grad_weights = Mosaic(self.board, name, "dL/dW", weights, True)
        self.biases = TextBlock(self.board, f + 1, 23, optional=True)
        maps = map_tiling(out_shape, noun="map")
        self.maps = Mosaic(self.board, name, tr("feature maps{geometry}",
                                                geometry=conv_geometry(padding, stride)),
                           maps, True)
        self.grad_maps = Mosaic(self.board, name, tr("dL/d(feature map)"), maps, True)
        # The table of biases beside both rows of maps, where it costs width, not height.
        first_row = [self.weights, self.grad_weights]
        if self.colour_filters is not None:
            first_row.insert(0, self.colour_filters)
        self.layout([[Rows([first_row, [self.maps, self.grad_maps]]), self.biases]])
        self.titles = BatchTitles([self.grad_weights], [self.grad_maps])

    def show_trace(self, trace, sample_index):
        lt = trace.layer(self.name)
        why = gradient_reason(trace)
        self.titles.follow(trace)
        if self.colour_filters is not None:
            self.colour_filters.show(lt.params["W"])
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

    def __init__(self, name: str, shape: tuple[int, ...]):
        super().__init__()
        self.key = self.name = name
        self.title = f"{name}: ReLU"
        self.help = tr("Output: the input with every negative value set to zero (dark is "
                       "zero).\nThe mask is light where the input was positive: the only "
                       "places the gradient\npasses back through.")
        tiling = map_tiling(shape, strip_units=6)
        strip = tiling.tile[0] == 1  # units after a dense layer, or maps one pixel high
        if strip:
            tiling = tiling.scaled(cell_for(tiling.tile, 6))
        self.out = Mosaic(self.board, name, tr("output"), tiling, False)
        self.mask = Mosaic(self.board, name, tr("mask: 1 passes the gradient, 0 not"), tiling,
                           False, fixed_range=(0.0, 1.0))
        self.layout([[self.out], [self.mask]] if strip else [[self.out, self.mask]])

    def show_trace(self, trace, sample_index):
        lt = trace.layer(self.name)
        self.out.show(lt.out[0])
        self.mask.show(lt.extras["relu_mask"][0].astype(np.float64))


# ------------------------------------------------------------------------------ pool
class PoolPanel(BoardPanel):
    """The pool's input with the winner of every window outlined, the gradient routed back to
    that input (non-zero only at the winners), the pooled maps and the gradient they got."""

    def __init__(self, name: str, in_shape, out_shape, kernel: int, nonnegative: bool):
        super().__init__()
        self.key = self.name = name
        self.title = tr("{name}: max-pool {k}x{k}", name=name, k=kernel)
        self.help = (tr("Each window keeps its largest value; a green dot marks the winner.\n"
                        "dL/d(input) is non-zero only at the winners: the gradient goes back "
                        "only to\nwhere each maximum came from. ") + i18n.lookup(SIGNED_COLOURS))
        self.kernel = kernel
        signed = not nonnegative
        inputs = map_tiling(in_shape)
        # Pooled maps drawn as large as the maps they came from.
        pooled = map_tiling(out_shape).scaled(inputs.cell * in_shape[1] / out_shape[1])
        self.inputs = Mosaic(self.board, name, tr("input, winners dotted"), inputs, signed)
        self.winners = MaskOverlay(self.inputs)
        self.routed = Mosaic(self.board, name, tr("dL/d(input): winners only"), inputs, True)
        self.pooled = Mosaic(self.board, name, tr("pooled"), pooled, signed)
        self.grad_pooled = Mosaic(self.board, name, tr("dL/d(pooled)"), pooled, True)
        self.layout([[self.inputs, self.routed], [self.pooled, self.grad_pooled]])
        self.titles = BatchTitles(activation_grads=[self.routed, self.grad_pooled])

    def show_trace(self, trace, sample_index):
        lt = trace.layer(self.name)
        why = gradient_reason(trace)
        self.titles.follow(trace)
        self.inputs.show(lt.x[0])
        self.winners.set_mask(lt.extras["argmax_mask"][0])
        self.routed.show(lt.dx[0], why)
        self.pooled.show(lt.out[0])
        self.grad_pooled.show(lt.dout[0], why)


# ----------------------------------------------------------------------------- dense
class DensePanel(BoardPanel):
    """Weights and dL/dW; after maps, each unit's row of W is reshaped to the maps' shape (one
    template per class and channel); after another dense layer, W is a matrix. The logits."""

    def __init__(self, name: str, units: int, in_units: int,
                 template_shape: tuple[int, int, int] | None):
        super().__init__()
        self.key = self.name = name
        self.title = ntr("{name}: dense, {n} unit", "{name}: dense, {n} units", units,
                         name=name)
        self.help = (tr("W: each unit's weights; after maps, reshaped to the maps they read "
                        "(one\ntemplate per class and channel): red pushes the unit up, blue "
                        "down.\ndL/dW in the same layout, and the unit's outputs (the "
                        "logits).\n") + i18n.lookup(SIGNED_COLOURS))
        self.template_shape = template_shape
        weights = weight_tiling((units, in_units), template_shape)
        title = tr("W as templates") if template_shape is not None else tr("W (unit x input)")
        self.weights = Mosaic(self.board, name, title, weights, True)
        self.grad_weights = Mosaic(self.board, name, "dL/dW", weights, True)
        self.logits = (TextBlock(self.board, units + 1, 14, optional=True) if units <= 16
                       else None)
        self.out = Mosaic(self.board, name, tr("output (logits)"),
                          map_tiling((units,), strip_units=STRIP_UNITS), True)
        # Stacked: the dense column is tall and narrow.
        first_row = [self.weights] + ([self.logits] if self.logits is not None else [])
        self.layout([first_row, [self.grad_weights], [self.out]])
        self.titles = BatchTitles([self.grad_weights])

    def show_trace(self, trace, sample_index):
        lt = trace.layer(self.name)
        last = lt is trace.layers[-1]
        starts_zero = last and output_layer_zero(trace)
        self.titles.follow(trace)
        self.weights.show(lt.params["W"], OUTPUT_STARTS_AT_ZERO if starts_zero else "")
        self.grad_weights.show(lt.grads["W"], "" if last else gradient_reason(trace))
        out = lt.out[0]
        self.out.show(out, LOGITS_ZERO if starts_zero else "")
        if self.logits is not None:
            self.logits.set_text(tr("unit  output") + "\n" + "\n".join(
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
    # Layers before the first convolution work channel by channel: its inputs are colours.
    first_conv = next((sp.name for sp in net.specs if sp.kind == "conv"), None)
    for i, spec in enumerate(net.specs):
        if spec.kind == "conv":
            panels.append(ConvPanel(spec.name, net.layers[i].params["W"].shape, spec.shape_out,
                                    spec.padding, spec.stride,
                                    colour_input=spec.name == first_conv))
            nonnegative = False
        elif spec.kind == "relu":
            panels.append(ReluPanel(spec.name, spec.shape_out))
            nonnegative = True
        elif spec.kind == "pool":
            panels.append(PoolPanel(spec.name, spec.shape_in, spec.shape_out, spec.kernel,
                                    nonnegative))
        elif spec.kind == "avgpool":
            panels.append(AvgPoolPanel(spec.name, spec.shape_in, spec.shape_out, spec.kernel,
                                       nonnegative))
        elif spec.kind in ACTIVATION_KINDS:
            panels.append(ActivationPanel(spec.name, spec.kind, spec.shape_out))
            nonnegative = spec.kind == "sigmoid"  # sigmoid's outputs lie in (0, 1)
        elif spec.kind == "dense":
            panels.append(DensePanel(spec.name, spec.units, spec.shape_in[0],
                                     template_shape_before(net, i)))
            nonnegative = False
    output = OutputPanel(net.classes, class_names)
    curves = CurvesPanel([layer.name for layer in net.layers if layer.params])
    return panels + [output, curves], output, curves
