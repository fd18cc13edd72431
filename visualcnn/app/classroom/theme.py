"""Light and dark themes for the window: its palette, its toolbar icons, every board, every
plot, and the size of the boards' and plots' text (which presenter mode scales). The theme is
kept in the settings as ``view/theme``.

Only this window changes, never the application: other top-level widgets keep their look. The
window's own windows (its dialogs, a dock floated onto a projector) do follow it: Qt gives a
child window its parent's palette and font only when asked to (WA_WindowPropagation).
"""

from __future__ import annotations

import weakref

import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QObject, Qt, QTimer
from PyQt6.QtGui import QActionGroup, QColor, QFont, QPalette, QPen
from PyQt6.QtWidgets import QDockWidget, QGraphicsSimpleTextItem, QMenu, QWidget

from visualcnn.app.actions import ThemedIcons
from visualcnn.app.views.board import Board
from visualcnn.app.views.colormaps import GAP_INDEX
from visualcnn.common.i18n import tr

THEMES = {
    # board background, board text, plot background, plot foreground
    "light": ((200, 200, 200), (0, 0, 0), (255, 255, 255), (70, 70, 70)),
    "dark": ((40, 42, 46), (225, 225, 225), (30, 31, 34), (200, 200, 200)),
}
DEFAULT_THEME = "light"
# The plots' text in points at font scale 1 (presenter mode multiplies them).
PLOT_POINTS = {"tick": 9.5, "title": 10.5, "legend": 9.5, "mark": 10.5}


def dark_palette() -> QPalette:
    p = QPalette()
    R = QPalette.ColorRole
    for role, rgb in ((R.Window, (45, 46, 50)), (R.WindowText, (225, 225, 225)),
                      (R.Base, (30, 31, 34)), (R.AlternateBase, (50, 52, 56)),
                      (R.Text, (225, 225, 225)), (R.Button, (55, 57, 62)),
                      (R.ButtonText, (225, 225, 225)), (R.BrightText, (255, 90, 90)),
                      (R.Highlight, (60, 120, 200)), (R.HighlightedText, (255, 255, 255)),
                      (R.ToolTipBase, (60, 60, 60)), (R.ToolTipText, (230, 230, 230)),
                      (R.PlaceholderText, (150, 150, 150)), (R.Link, (120, 170, 255))):
        p.setColor(role, QColor(*rgb))
    p.setColor(QPalette.ColorGroup.Disabled, R.ButtonText, QColor(130, 130, 130))
    p.setColor(QPalette.ColorGroup.Disabled, R.Text, QColor(130, 130, 130))
    p.setColor(QPalette.ColorGroup.Disabled, R.WindowText, QColor(130, 130, 130))
    return p


def live_widgets(window, kind) -> list:
    """The window's widgets of ``kind`` except those in docks taken out of the window (the
    panels of a previous network, waiting to be deleted): restyling those would have them
    repaint while they go."""
    live = []
    for widget in window.findChildren(kind):
        parent, ok = widget.parentWidget(), True
        while parent is not None and parent is not window:
            if isinstance(parent, QDockWidget) and \
                    window.dockWidgetArea(parent) == Qt.DockWidgetArea.NoDockWidgetArea:
                ok = False
                break
            parent = parent.parentWidget()
        if ok:
            live.append(widget)
    return live


class ChildWindows(QObject):
    """Has every child of ``window``, now and later, take the window's palette and font even
    when it is a window of its own: a dialog, or a dock floated off the main window."""

    def __init__(self, window, parent=None):
        super().__init__(parent)
        direct = Qt.FindChildOption.FindDirectChildrenOnly
        for child in window.findChildren(QWidget, options=direct):
            self.follow(child)
        window.installEventFilter(self)

    @staticmethod
    def follow(widget) -> None:
        widget.setAttribute(Qt.WidgetAttribute.WA_WindowPropagation, True)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.ChildAdded and event.child().isWidgetType():
            self.follow(event.child())
        return False


class Theme(QObject):
    """The theme of ``window``: ``name`` (a key of THEMES), the Theme submenu of the View menu
    (inserted before ``view_at``), and ``font_scale`` for the plots' text."""

    def __init__(self, window, view_at=None, parent=None):
        super().__init__(parent)
        self.window = window
        saved = window.settings.value("view/theme", DEFAULT_THEME, type=str)
        self.name = saved if saved in THEMES else DEFAULT_THEME
        self.font_scale = 1.0
        self._palette_theme = DEFAULT_THEME  # the window starts with the application's colours
        # Each curve's own pen, given back in the light theme; the dark one may lighten it.
        self._own_pens: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.child_windows = ChildWindows(window, self)
        self.icons = ThemedIcons(window.actions)
        # New panels are themed as soon as they are built (the classroom applies the theme
        # then), and again once every feature has built its own views for the new network
        # (the debugger's update view comes after the classroom, at start as at a rebuild):
        # none is left in the other theme.
        window.docks_built.connect(lambda: QTimer.singleShot(0, self._apply_if_alive))
        QTimer.singleShot(0, self._apply_if_alive)
        a = window.actions
        self.menu = QMenu(tr("&Theme"), window.view_menu)
        group = QActionGroup(self)
        for name in THEMES:
            group.addAction(a[f"theme_{name}"])
            self.menu.addAction(a[f"theme_{name}"])
            a[f"theme_{name}"].triggered.connect(lambda _=False, n=name: self.set_theme(n))
        window.view_menu.insertMenu(view_at, self.menu)

    def _apply_if_alive(self) -> None:
        try:
            self.apply()
        except RuntimeError:  # the window closed in between
            pass

    def set_theme(self, name: str) -> None:
        if name not in THEMES:
            return
        self.name = name
        self.window.settings.setValue("view/theme", name)
        self.apply()

    def set_font_scale(self, scale: float) -> None:
        """Every board's and plot's text ``scale`` times its normal size, and the curves'
        lines thicker (presenter mode)."""
        self.font_scale = scale
        for board in live_widgets(self.window, Board):
            board.set_text_scale(scale)
        for widget in live_widgets(self.window, pg.GraphicsLayoutWidget):
            self._colour_curves(widget)
        self.style_plots()

    def apply(self, boards=None) -> None:
        """Colours of the window, every board (or just ``boards``) and every plot."""
        board_bg, board_text, plot_bg, plot_fg = THEMES[self.name]
        w = self.window
        for name in THEMES:
            w.actions[f"theme_{name}"].setChecked(name == self.name)
        if boards is None:
            if self._palette_theme != self.name:
                # The window's palette (and its menus', which are windows of their own), not
                # the application's: nothing outside this window is repainted.
                self._palette_theme = self.name
                palette = dark_palette() if self.name == "dark" else QPalette()
                for widget in (w, *w.findChildren(QMenu)):
                    widget.setPalette(palette)
            self.icons.apply(w.palette())
            boards = live_widgets(w, Board)
            for widget in live_widgets(w, pg.GraphicsLayoutWidget):
                widget.setBackground(plot_bg)
                self._colour_curves(widget)
            self.style_plots()
        others = {THEMES[n][1] for n in THEMES}
        for board in boards:
            board.set_text_scale(self.font_scale)
            board.setBackground(board_bg)
            for item in board.view.addedItems:
                if isinstance(item, QGraphicsSimpleTextItem):
                    rgb = item.brush().color().getRgb()[:3]
                    if rgb in others:
                        item.setBrush(QColor(*board_text))
            for mosaic in board.mosaics:
                mosaic.image.set_colour(GAP_INDEX, board_bg)  # the gaps between tiles

    def _colour_curves(self, widget) -> None:
        """Curves too dark for a dark background get a lighter shade of their hue (and their
        own colour back in the light theme)."""
        for plot in widget.ci.items:
            if not isinstance(plot, pg.PlotItem):
                continue
            for item in plot.listDataItems():
                if not isinstance(item, pg.PlotDataItem):
                    continue
                if item not in self._own_pens:
                    self._own_pens[item] = pg.mkPen(item.opts["pen"])
                pen = QPen(self._own_pens[item])
                pen.setWidthF(max(1.0, pen.widthF()) * (2.0 if self.font_scale > 1 else 1.0))
                colour = pen.color()
                if self.name == "dark" and colour.lightness() < 110:
                    colour = QColor.fromHsl(max(0, colour.hslHue()), colour.hslSaturation(),
                                            170)
                    pen.setColor(colour)
                item.setPen(pen)

    def style_plots(self) -> None:
        """Tick, title, legend and mark fonts and colours of the output and curve plots, at
        ``font_scale``."""
        scale = self.font_scale
        fg = pg.mkColor(THEMES[self.name][3])
        tick = QFont()
        tick.setPointSizeF(PLOT_POINTS["tick"] * scale)
        for widget in live_widgets(self.window, pg.GraphicsLayoutWidget):
            for item in widget.ci.items:
                if not isinstance(item, pg.PlotItem):
                    continue
                for name in ("left", "bottom"):
                    axis = item.getAxis(name)
                    axis.setStyle(tickFont=tick)
                    axis.setPen(fg)
                    axis.setTextPen(fg)
                title = item.titleLabel.text
                item.titleLabel.setText(title, size=f"{PLOT_POINTS['title'] * scale:g}pt",
                                        color=fg)
                legend = item.legend
                if legend is not None:
                    size = f"{PLOT_POINTS['legend'] * scale:g}pt"
                    legend.setLabelTextSize(size)  # for entries added later
                    for _sample, label in legend.items:  # setText draws the new size now
                        label.setText(label.text, size=size, color=fg)
        output = getattr(self.window, "output_panel", None)
        if output is not None:
            mark = QFont()
            mark.setPointSizeF(PLOT_POINTS["mark"] * scale)
            for text in (output.true_mark, output.predicted_mark, *output.not_computed_notes):
                text.setFont(mark)
            output.fit_titles()
