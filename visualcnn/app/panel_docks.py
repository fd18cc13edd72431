"""The panels' docks: one per panel, laid out in columns (input and output; each convolution
stage; the dense layers), the curves along the bottom, sized to share the window."""

from __future__ import annotations

from itertools import pairwise

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QDockWidget

from visualcnn.app.views.panel import BoardPanel, Panel
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
            w.view_menu.removeAction(dock.toggleViewAction())  # only the panels' entries
            # Nameless until it is deleted: restoreState places docks by name, and would
            # put this one where the new dock of the same name belongs.
            dock.setObjectName("")
            dock.deleteLater()
        # The features' column comes after the panels, at its place in the default layout.
        for dock in w.side_docks:
            w.removeDockWidget(dock)
        panels, output, curves = build_panels(net, nonnegative_input,
                                              w.session.dataset.class_names)
        self.docks = {}
        for panel in panels:
            dock = QDockWidget(panel.title, w)
            dock.setObjectName(f"dock_{panel.key}")
            dock.setWidget(panel.widget)
            self.docks[panel.key] = dock
            w.view_menu.addAction(dock.toggleViewAction())
            if isinstance(panel, BoardPanel):
                # Off screen (closed, or tabbed behind another dock) a board puts its drawing
                # off; it catches up the moment its dock shows again.
                dock.visibilityChanged.connect(panel.board.follow_dock)
        self.columns = [[self.docks[p.key] for p in column] for column in panel_columns(panels)]
        w.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, self.columns[0][0])
        for previous, column in pairwise(self.columns):
            w.splitDockWidget(previous[0], column[0], Qt.Orientation.Horizontal)
        for column in self.columns:
            for above, below in pairwise(column):
                w.splitDockWidget(above, below, Qt.Orientation.Vertical)
        w.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.docks["curves"])
        for previous, dock in pairwise([None, *w.side_docks]):
            if previous is None:
                w.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, dock,
                                Qt.Orientation.Horizontal)
            else:
                w.tabifyDockWidget(previous, dock)
        if w.isVisible():
            # Docks added to a window on screen show only once Qt lays them out, later:
            # until then a hidden dock takes no share in ``fit``.
            for dock in self.docks.values():
                dock.show()
        self.fit()
        return panels, output, curves

    def fit(self) -> None:
        """Share the window's size among the columns, the features' column of tabs (when it
        shows beside them), the curves and the first column."""
        w = self.window
        width, height = w.width(), w.height()
        heads = [c[0] for c in self.columns]
        weights = [0.7] + [1.0] * (len(heads) - 2) + [0.8]
        side = [d for d in w.side_docks if d.isVisible() and not d.isFloating()
                and w.dockWidgetArea(d) == Qt.DockWidgetArea.TopDockWidgetArea]
        if side:  # a fifth or so of the width; the drawing needs no more
            heads.append(side[0])
            weights.append(0.75)
        total = sum(weights)
        w.resizeDocks(heads, [int(width * wt / total) for wt in weights],
                      Qt.Orientation.Horizontal)
        w.resizeDocks([self.docks["curves"]], [int(height * 0.3)], Qt.Orientation.Vertical)
        # The input is a small picture; the two bar charts under it need the height.
        first = self.columns[0]
        w.resizeDocks(first, [int(height * 0.3), int(height * 0.45)], Qt.Orientation.Vertical)
