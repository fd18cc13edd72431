"""The panels' docks: one per panel, laid out in columns (input and output; each convolution
stage; the dense layers), the curves along the bottom, sized to share the window."""

from __future__ import annotations

from itertools import pairwise

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QDockWidget

from visualcnn.app.views.panel import Panel
from visualcnn.app.views.panels import ConvPanel, DensePanel, build_panels


def panel_columns(panels: list[Panel]) -> list[list[Panel]]:
    """Input and output; then a column per convolution with its ReLU and pool; then one for
    the dense layers (and the ReLUs between them). ``panels`` as ``build_panels`` gives them."""
    *layers, output, _curves = panels
    columns = [[layers[0], output]]
    for panel in layers[1:]:
        current = columns[-1]
        starts_column = (len(columns) == 1 or isinstance(panel, ConvPanel)
                         or isinstance(panel, DensePanel)
                         and not any(isinstance(p, DensePanel) for p in current))
        if starts_column:
            columns.append([panel])
        else:
            current.append(panel)
    return columns


class PanelDocks:
    """Builds (and rebuilds, for a new architecture) the panels of ``window`` in docks."""

    def __init__(self, window):
        self.window = window
        self.docks: dict[str, QDockWidget] = {}
        self.columns: list[list[QDockWidget]] = []

    def build(self, net, nonnegative_input: bool):
        """Replace the docks of a previous net with new panels for ``net``; returns
        (panels, output panel, curves panel) as ``build_panels`` does."""
        w = self.window
        for dock in self.docks.values():
            w.removeDockWidget(dock)
            dock.deleteLater()
        for dock in self.docks.values():  # only the panels' entries; other views stay
            w.view_menu.removeAction(dock.toggleViewAction())
        panels, output, curves = build_panels(net, nonnegative_input)
        self.docks = {}
        for panel in panels:
            dock = QDockWidget(panel.title, w)
            dock.setObjectName(f"dock_{panel.key}")
            dock.setWidget(panel.widget)
            self.docks[panel.key] = dock
            w.view_menu.addAction(dock.toggleViewAction())
        self.columns = [[self.docks[p.key] for p in column] for column in panel_columns(panels)]
        w.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, self.columns[0][0])
        for previous, column in pairwise(self.columns):
            w.splitDockWidget(previous[0], column[0], Qt.Orientation.Horizontal)
        for column in self.columns:
            for above, below in pairwise(column):
                w.splitDockWidget(above, below, Qt.Orientation.Vertical)
        w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.docks["curves"])
        self.fit()
        return panels, output, curves

    def fit(self) -> None:
        """Share the window's size among the columns, the curves and the first column."""
        w = self.window
        width, height = w.width(), w.height()
        heads = [c[0] for c in self.columns]
        weights = [0.55] + [1.0] * (len(heads) - 2) + [0.8]
        total = sum(weights)
        w.resizeDocks(heads, [int(width * wt / total) for wt in weights],
                      Qt.Orientation.Horizontal)
        w.resizeDocks([self.docks["curves"]], [int(height * 0.3)], Qt.Orientation.Vertical)
        # The input is a small picture; the two bar charts under it need the height.
        first = self.columns[0]
        w.resizeDocks(first, [int(height * 0.3), int(height * 0.45)], Qt.Orientation.Vertical)
