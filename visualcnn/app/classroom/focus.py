"""One layer in focus: its forward and backward views side by side, for a projector.

Left column, forward: the layer's input, its parameters, its output. Right column, backward:
dL/d(input), dL/d(parameters), dL/d(output), each next to the forward value it belongs to.
"""

from __future__ import annotations

from visualcnn.app.views.board import TEXT
from visualcnn.app.views.mosaic import MaskOverlay, Mosaic
from visualcnn.app.views.panel import BoardPanel, TextBlock
from visualcnn.app.views.tiling import map_tiling, template_shape_before, weight_tiling


def focusable_layers(net) -> list[str]:
    """Names of the layers that can be focused (all but flatten)."""
    return [spec.name for spec in net.specs if spec.kind != "flatten"]


class FocusPanel(BoardPanel):
    """Forward (left) and backward (right) of layer ``name`` of ``net``."""

    key = "focus"

    def __init__(self, net, name: str, nonnegative_input: bool = True):
        super().__init__()
        index = next(i for i, s in enumerate(net.specs) if s.name == name)
        spec = net.specs[index]
        self.name, self.index, self.kind = name, index, spec.kind
        self.title = f"Focus: {name} ({spec.kind})"
        nonnegative = nonnegative_input
        for s in net.specs[:index]:
            nonnegative = (nonnegative if s.kind in ("pool", "flatten")
                           else s.kind == "relu")
        # A dense layer after flatten reads maps: show its input as those maps.
        self.in_shape = template_shape_before(net, index) or spec.shape_in
        out_nonneg = spec.kind == "relu" or (spec.kind == "pool" and nonnegative)
        board = self.board
        self.forward_head = TextBlock(board, 1, 20, size=1.6 * TEXT)
        self.backward_head = TextBlock(board, 1, 20, size=1.6 * TEXT)
        self.forward_head.set_text("forward")
        self.backward_head.set_text("backward")

        tiling = map_tiling(self.in_shape)
        self.x = Mosaic(board, name, "input x", tiling, not nonnegative)
        self.dx = Mosaic(board, name, "dL/dx", tiling, True)
        rows = [[self.forward_head, self.backward_head], [self.x, self.dx]]
        self.winners = MaskOverlay(self.x) if spec.kind == "pool" else None

        self.W = self.dW = None
        layer = net.layers[index]
        if "W" in layer.params:
            weights = weight_tiling(layer.params["W"].shape, template_shape_before(net, index))
            self.W = Mosaic(board, name, "weights W", weights, True)
            self.dW = Mosaic(board, name, "dL/dW", weights, True)
            rows.append([self.W, self.dW])

        self.out_shape = spec.shape_out
        tiling = map_tiling(self.out_shape)
        self.out = Mosaic(board, name, "output", tiling, not out_nonneg)
        self.dout = Mosaic(board, name, "dL/d(output)", tiling, True)
        rows.append([self.out, self.dout])
        # Line the backward column up: every left block as wide as the widest one.
        left = max(row[0].width for row in rows)
        for row in rows:
            row[0].width = left
        self.layout(rows)

    def show_trace(self, trace, sample_index) -> None:
        lt = trace.layers[self.index]
        if lt.x is not None:
            self.x.show(lt.x[0])
        if lt.dx is not None:
            self.dx.show(lt.dx[0])
        if self.winners is not None and "argmax_mask" in lt.extras:
            self.winners.set_mask(lt.extras["argmax_mask"][0])
        if self.W is not None:
            if "W" in lt.params:
                self.W.show(lt.params["W"])
            if "W" in lt.grads:
                self.dW.show(lt.grads["W"])
        if lt.out is not None:
            self.out.show(lt.out[0])
        if lt.dout is not None:
            self.dout.show(lt.dout[0])
