"""One layer in focus: its forward and backward views side by side, for a projector.

Left column, forward: the layer's input, its parameters, its output. Right column, backward:
dL/d(input), dL/d(parameters), dL/d(output), each next to the forward value it belongs to.
"""

from __future__ import annotations

import numpy as np

from visualcnn.app.views.board import TEXT, MaskOverlay, Mosaic
from visualcnn.app.views.panels import MAP_UNITS, BoardPanel, TextBlock, _cell_for, grid_for


def _view_shape(shape: tuple[int, ...]) -> tuple[tuple[int, int], tuple[int, int]]:
    """(grid, tile) to show one sample's array of ``shape``: maps in a grid, a vector as a
    strip."""
    if len(shape) == 3:
        c, h, w = shape
        return grid_for(c), (h, w)
    return (1, 1), (1, int(np.prod(shape)))


def _cell(tile: tuple[int, int]) -> float:
    h, w = tile
    if h == 1:
        return _cell_for(tile, 60)
    return _cell_for(tile, MAP_UNITS)


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
        in_shape = spec.shape_in
        # A dense layer after flatten reads maps: show its input as those maps.
        before = net.specs[index - 1] if index > 0 else None
        self.in_shape = before.shape_in if (spec.kind == "dense" and before is not None
                                            and before.kind == "flatten") else in_shape
        out_nonneg = spec.kind == "relu" or (spec.kind == "pool" and nonnegative)
        board = self.board
        self.forward_head = TextBlock(board, 1, 20, size=1.6 * TEXT)
        self.backward_head = TextBlock(board, 1, 20, size=1.6 * TEXT)
        self.forward_head.set_text("forward")
        self.backward_head.set_text("backward")

        grid, tile = _view_shape(self.in_shape)
        cell = _cell(tile)
        self.x = Mosaic(board, name, "input x", grid, tile, not nonnegative,
                        lambda r, c: "input", cell)
        self.dx = Mosaic(board, name, "dL/dx", grid, tile, True, lambda r, c: "input", cell)
        rows = [[self.forward_head, self.backward_head], [self.x, self.dx]]
        self.winners = MaskOverlay(self.x) if spec.kind == "pool" else None

        self.W = self.dW = None
        layer = net.layers[index]
        if "W" in layer.params:
            W = layer.params["W"]
            if spec.kind == "conv":
                f, c, k, _ = W.shape
                self.w_grid = grid_for(f) if c == 1 else (c, f)
                self.w_tile = (k, k)
                self.w_maps = (lambda a: a[:, 0]) if c == 1 else (
                    lambda a: a.transpose(1, 0, 2, 3))
                w_cell = _cell_for((k, k), 9 if c == 1 else 5)
            elif len(self.in_shape) == 3:   # dense over maps: one template per unit
                c, h, w = self.in_shape
                units = W.shape[0]
                self.w_grid = grid_for(units, 5) if c == 1 else (units, c)
                self.w_tile = (h, w)
                self.w_maps = (lambda a: a.reshape(-1, h, w)) if c == 1 else (
                    lambda a: a.reshape(-1, c, h, w))
                w_cell = 1.0
            else:
                self.w_grid, self.w_tile = (1, 1), W.shape
                self.w_maps = lambda a: a[None]
                w_cell = _cell_for(W.shape, 60)
            self.W = Mosaic(board, name, "weights W", self.w_grid, self.w_tile, True,
                            lambda r, c: "weight", w_cell)
            self.dW = Mosaic(board, name, "dL/dW", self.w_grid, self.w_tile, True,
                             lambda r, c: "weight", w_cell)
            rows.append([self.W, self.dW])

        self.out_shape = spec.shape_out
        grid, tile = _view_shape(self.out_shape)
        cell = _cell(tile)
        self.out = Mosaic(board, name, "output", grid, tile, not out_nonneg,
                          lambda r, c: "output", cell)
        self.dout = Mosaic(board, name, "dL/d(output)", grid, tile, True,
                           lambda r, c: "output", cell)
        rows.append([self.out, self.dout])
        # Line the backward column up: every left block as wide as the widest one.
        left = max(row[0].width for row in rows)
        for row in rows:
            row[0].width = left
        self.layout(rows)

    def _as_maps(self, a: np.ndarray, shape) -> np.ndarray:
        if len(shape) == 3:
            return a.reshape(shape)
        return a.reshape(1, 1, -1)

    def show_trace(self, trace, sample_index) -> None:
        lt = trace.layers[self.index]
        if lt.x is not None:
            self.x.set_maps(self._as_maps(lt.x[0], self.in_shape))
        if lt.dx is not None:
            self.dx.set_maps(self._as_maps(lt.dx[0], self.in_shape))
        if self.winners is not None and "argmax_mask" in lt.extras:
            self.winners.set_mask(lt.extras["argmax_mask"][0])
        if self.W is not None:
            if "W" in lt.params:
                self.W.set_maps(self.w_maps(lt.params["W"]))
            if "W" in lt.grads:
                self.dW.set_maps(self.w_maps(lt.grads["W"]))
        if lt.out is not None:
            self.out.set_maps(self._as_maps(lt.out[0], self.out_shape))
        if lt.dout is not None:
            self.dout.set_maps(self._as_maps(lt.dout[0], self.out_shape))
