"""One layer in focus: its forward and backward views side by side, for a projector.

Left column, forward: the layer's input, its parameters, its output. Right column, backward:
dL/d(input), dL/d(parameters), dL/d(output), each next to the forward value it belongs to.
``Focus(window, theme)`` shows that panel in a dock of its own next to the input and output,
with the other layers' docks hidden until the focus is off (F6 and Shift+F6 go through the
layers, the View menu's "Focus layer" picks one).
"""

from __future__ import annotations

from PyQt6.QtCore import QObject, Qt
from PyQt6.QtGui import QActionGroup
from PyQt6.QtWidgets import QDockWidget, QMenu

from visualcnn.app.views.activation_panels import ACTIVATION_KINDS
from visualcnn.app.views.mosaic import MaskOverlay, Mosaic
from visualcnn.app.views.panel import BoardPanel, TextBlock
from visualcnn.app.views.panels import (
    LOGITS_ZERO,
    OUTPUT_STARTS_AT_ZERO,
    SIGNED_COLOURS,
    conv_geometry,
    gradient_reason,
    output_layer_zero,
)
from visualcnn.app.views.tiling import map_tiling, template_shape_before, weight_tiling
from visualcnn.common import i18n
from visualcnn.common.i18n import tr

# Layers whose output keeps the sign of their input, and layers whose output is never negative.
KEEPS_SIGN = ("pool", "avgpool", "flatten")
NONNEGATIVE_OUT = ("relu", "sigmoid")


def focusable_layers(net) -> list[str]:
    """Names of the layers that can be focused (all but flatten)."""
    return [spec.name for spec in net.specs if spec.kind != "flatten"]


class FocusPanel(BoardPanel):
    """Forward (left) and backward (right) of layer ``name`` of ``net``."""

    key = "focus"

    def __init__(self, net, name: str, nonnegative_input: bool = True):
        super().__init__()
        self.help = tr("One layer alone. Left, forward: its input, its weights, its output. "
                       "Right,\nbackward: the gradient of the loss with respect to each of "
                       "them.\n") + i18n.lookup(SIGNED_COLOURS)
        index = next(i for i, s in enumerate(net.specs) if s.name == name)
        spec = net.specs[index]
        self.name, self.index, self.kind = name, index, spec.kind
        self.title = tr("Focus: {layer} ({kind})", layer=name,
                        kind=spec.kind + conv_geometry(spec.padding, spec.stride))
        nonnegative = nonnegative_input
        for s in net.specs[:index]:
            nonnegative = (nonnegative if s.kind in KEEPS_SIGN else s.kind in NONNEGATIVE_OUT)
        # A dense layer after flatten reads maps: show its input as those maps.
        self.in_shape = template_shape_before(net, index) or spec.shape_in
        out_nonneg = spec.kind in NONNEGATIVE_OUT or (spec.kind in KEEPS_SIGN and nonnegative)
        board = self.board
        self.forward_head = TextBlock(board, 1, 8, rel=1.6)
        self.backward_head = TextBlock(board, 1, 8, rel=1.6)
        self.forward_head.set_text(tr("forward"))
        self.backward_head.set_text(tr("backward"))

        tiling = map_tiling(self.in_shape)
        self.x = Mosaic(board, name, tr("input x"), tiling, not nonnegative)
        self.dx = Mosaic(board, name, "dL/dx", tiling, True)
        rows = [[self.forward_head, self.backward_head], [self.x, self.dx]]
        self.winners = MaskOverlay(self.x) if spec.kind == "pool" else None

        self.W = self.dW = None
        layer = net.layers[index]
        if "W" in layer.params:
            weights = weight_tiling(layer.params["W"].shape, template_shape_before(net, index))
            self.W = Mosaic(board, name, tr("weights W"), weights, True)
            self.dW = Mosaic(board, name, "dL/dW", weights, True)
            rows.append([self.W, self.dW])
        # An activation's local derivative: the factor between dL/d(output) and dL/dx.
        self.local = None
        if spec.kind in ACTIVATION_KINDS:
            self.local = Mosaic(board, name, tr("local derivative (dL/dx = dL/d(out) × it)"),
                                map_tiling(spec.shape_in), False, fixed_range=(0.0, 1.0))
            rows.append([self.local])

        self.out_shape = spec.shape_out
        tiling = map_tiling(self.out_shape)
        self.out = Mosaic(board, name, tr("output"), tiling, not out_nonneg)
        self.dout = Mosaic(board, name, tr("dL/d(output)"), tiling, True)
        rows.append([self.out, self.dout])
        self.last = index == len(net.specs) - 1
        self.layout(rows, align_columns=True)  # the backward column lined up

    def show_trace(self, trace, sample_index) -> None:
        lt = trace.layers[self.index]
        why = i18n.lookup(gradient_reason(trace))
        starts_zero = self.last and output_layer_zero(trace)
        if lt.x is not None:
            self.x.show(lt.x[0])
        if lt.dx is not None:
            self.dx.show(lt.dx[0], why)
        if self.local is not None and "local_derivative" in lt.extras:
            self.local.show(lt.extras["local_derivative"][0])
        if self.winners is not None and "argmax_mask" in lt.extras:
            self.winners.set_mask(lt.extras["argmax_mask"][0])
        if self.W is not None:
            if "W" in lt.params:
                zero = i18n.lookup(OUTPUT_STARTS_AT_ZERO) if starts_zero else ""
                self.W.show(lt.params["W"], zero)
            if "W" in lt.grads:
                self.dW.show(lt.grads["W"], "" if self.last else why)
        if lt.out is not None:
            self.out.show(lt.out[0], i18n.lookup(LOGITS_ZERO) if starts_zero else "")
        if lt.dout is not None:
            self.dout.show(lt.dout[0], "" if self.last else why)


class Focus(QObject):
    """The focus feature of ``window``: ``dock`` (hidden while no layer is in focus), ``menu``
    (the "Focus layer" submenu, inserted in the View menu before ``view_at``, with F6 and
    Shift+F6 after it), ``layer`` (the name in focus, or None) and its ``panel``. The focus
    panel's board takes the colours of ``theme``."""

    def __init__(self, window, theme, view_at=None, parent=None):
        super().__init__(parent)
        self.window = window
        self.theme = theme
        self.dock = QDockWidget(tr("Focus"), window)
        self.dock.setObjectName("dock_focus")
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                              | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.dock.hide()
        self.panel: FocusPanel | None = None
        self.layer: str | None = None
        self._hidden: list[QDockWidget] = []  # the panels' docks the focus hid
        self.group: QActionGroup | None = None
        a = window.actions
        self.menu = QMenu(tr("F&ocus layer"), window.view_menu)
        window.view_menu.insertMenu(view_at, self.menu)
        window.view_menu.insertActions(view_at, [a["focus_next"], a["focus_previous"]])
        a["focus_next"].triggered.connect(lambda: self.cycle(1))
        a["focus_previous"].triggered.connect(lambda: self.cycle(-1))

    def list_layers(self) -> None:
        """Fill the menu with the network's layers (after a rebuild: a new network)."""
        self.menu.clear()
        if self.group is not None:
            self.group.deleteLater()
        self.group = QActionGroup(self)
        for name in [None, *focusable_layers(self.window.session.net)]:
            action = self.menu.addAction(tr("None: all panels") if name is None else name)
            action.setCheckable(True)
            action.setChecked(name is None)
            action.setData(name)
            self.group.addAction(action)
            action.triggered.connect(lambda _=False, n=name: self.set_layer(n))

    def cycle(self, direction: int) -> None:
        """Focus the next (1) or previous (-1) layer; past the last one, every panel."""
        names = [None, *focusable_layers(self.window.session.net)]
        i = names.index(self.layer) if self.layer in names else 0
        self.set_layer(names[(i + direction) % len(names)])

    def set_layer(self, name: str | None) -> None:
        """Show layer ``name`` alone, forward and backward side by side, next to the input
        and output; None brings every panel back."""
        w = self.window
        if self.panel is not None:
            old = self.panel.widget
            self.dock.setWidget(None)
            old.deleteLater()
            self.panel = None
        if name is None:
            self.dock.hide()
            for dock in self._hidden:
                dock.show()
            self._hidden = []
            self.layer = None
        else:
            nonnegative = bool(w.session.dataset.x_train.min() >= 0)
            self.panel = FocusPanel(w.session.net, name, nonnegative)
            self.panel.set_scale_mode(w.scale_mode)
            self.dock.setWidget(self.panel.widget)
            self.dock.setWindowTitle(self.panel.title)
            if self.layer is None:
                self._take_the_stage()
            self.layer = name
            self.theme.apply(boards=[self.panel.board])
            if w.last_trace is not None:
                self.panel.show_trace(w.last_trace, None)
        for action in self.group.actions() if self.group is not None else []:
            if action.data() == name:
                action.setChecked(True)

    def _take_the_stage(self) -> None:
        """Hide the layers' docks and put the focus dock beside the input and output."""
        w = self.window
        for key, dock in w.docks.items():
            if key not in ("input", "output", "curves") and not dock.isHidden():
                dock.hide()
                self._hidden.append(dock)
        w.removeDockWidget(self.dock)
        w.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, self.dock,
                        Qt.Orientation.Horizontal)
        self.dock.show()
        left = w.docks.get("input")
        if left is not None:
            width = w.width()
            w.resizeDocks([left, self.dock], [int(width * 0.22), int(width * 0.78)],
                          Qt.Orientation.Horizontal)

    def show_trace(self, trace) -> None:
        """Follow the step shown, when a layer is in focus."""
        if self.panel is not None:
            self.panel.show_trace(trace, None)
