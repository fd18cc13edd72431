"""Classroom use (issue 5): draw a digit, model and data in the app, test-set views,
presenter mode with one layer in focus, light and dark themes, PNG and GIF exports.

``Classroom(window)`` adds its docks, menu entries and handlers to a ``MainWindow`` and
follows it through three signals: ``trace_shown`` (a step or a sample was drawn),
``test_evaluated`` and ``docks_built`` (new architecture: new panels). The actions themselves
are declared with all the others in ``actions.py``.

Presenter mode is not persisted (a lesson starts with F5); the theme is (``view/theme``).
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PyQt6.QtGui import QActionGroup, QColor, QFont, QGuiApplication, QPalette, QPen
from PyQt6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QGraphicsSimpleTextItem,
    QInputDialog,
    QMenu,
    QToolBar,
)

from visualcnn.app.classroom.draw_canvas import DrawPanel
from visualcnn.app.classroom.exports import GifRecorder, save_png
from visualcnn.app.classroom.focus import FocusPanel, focusable_layers
from visualcnn.app.classroom.model_data import (
    DATASET_FILTER,
    ModelDataPanel,
    arch_for_classes,
    dataset_spec,
)
from visualcnn.app.classroom.testset_views import TestSetView
from visualcnn.app.docks import bring_to_front
from visualcnn.app.views.board import Board
from visualcnn.app.views.colormaps import GAP_INDEX
from visualcnn.common.errors import UserError
from visualcnn.data import load_dataset
from visualcnn.data.drawn import to_sample
from visualcnn.nn import Network
from visualcnn.training.session import Session

PRESENTER_FONT_SCALE = 1.6
THEMES = {
    # board background, board text, plot background, plot foreground
    "light": ((200, 200, 200), (0, 0, 0), (255, 255, 255), (70, 70, 70)),
    "dark": ((40, 42, 46), (225, 225, 225), (30, 31, 34), (200, 200, 200)),
}
DEFAULT_THEME = "light"
LEFT, RIGHT, TOP = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                    Qt.DockWidgetArea.TopDockWidgetArea)


def _dark_palette() -> QPalette:
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


def _set_gap_colour(image, rgb) -> None:
    """Draw the gaps between tiles of an indexed mosaic image in ``rgb``."""
    image.set_colour(GAP_INDEX, rgb)


class Classroom(QObject):
    """Everything issue 5 adds to ``window``; see the module docstring."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        a = window.actions
        self.draw = DrawPanel(a["draw_try"], a["draw_train"])
        self.draw.setMinimumWidth(300)  # room for the three tabs' titles under the column
        self.draw_dock = self._dock("Draw a digit", "dock_draw", self.draw)
        self.model = ModelDataPanel(a["open_dataset"], a["bundled_dataset"])
        self.model_dock = self._dock("Model and data", "dock_model", self.model)
        self.tests = TestSetView(a["evaluate"])
        self.tests_dock = self._dock("Test set", "dock_test_set", self.tests)
        for dock in (self.draw_dock, self.model_dock, self.tests_dock):
            window.add_side_dock(dock)
        self._size_column()
        # Other views may join this group of tabs later in the window's set-up: the drawing
        # is put in front once the set-up is over.
        QTimer.singleShot(0, lambda: self.bring_to_front(self.draw_dock))
        self.focus_dock = QDockWidget("Focus", window)
        self.focus_dock.setObjectName("dock_focus")
        self.focus_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                    | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.focus_dock.hide()
        self.focus_panel: FocusPanel | None = None
        self.focused: str | None = None
        self._hidden_for_focus: list[QDockWidget] = []
        self.presenter = False
        self._presenter_hidden: list = []
        self._normal_font: QFont | None = None
        self.recorder = GifRecorder(window, self)
        self.drawn_sample: np.ndarray | None = None
        settings_theme = window.settings.value("view/theme", DEFAULT_THEME, type=str)
        self.theme = settings_theme if settings_theme in THEMES else DEFAULT_THEME
        self._palette_theme = DEFAULT_THEME  # the window starts with the application's colours

        self._build_menus()
        self._connect()
        self.model.show_session(window.session)
        self.draw.set_classes(window.session.dataset.classes)
        # The layout saved last time, now that these docks exist to be placed by it.
        state = window.settings.value("window/state")
        if state is not None and window.settings.value("window/state_arch", "", type=str) \
                == window.session.net.arch:
            window.restoreState(state)
        self.focus_dock.hide()
        self._on_docks_built()
        window.installEventFilter(self)

    def _live(self, kind) -> list:
        """The window's widgets of ``kind`` except those in docks taken out of the window
        (the panels of a previous network, waiting to be deleted): restyling those would
        have them repaint while they go."""
        w = self.window
        live = []
        for widget in w.findChildren(kind):
            parent, ok = widget.parentWidget(), True
            while parent is not None and parent is not w:
                if isinstance(parent, QDockWidget) and \
                        w.dockWidgetArea(parent) == Qt.DockWidgetArea.NoDockWidgetArea:
                    ok = False
                    break
                parent = parent.parentWidget()
            if ok:
                live.append(widget)
        return live

    def _size_column(self) -> None:
        """The column of tabs (drawing, model, test set) takes about a fifth of the width."""
        docks = [self.window.docks.get("input"), self.draw_dock]
        if docks[0] is not None:
            width = self.window.width()
            self.window.resizeDocks(docks, [int(width * 0.15), int(width * 0.225)],
                                    Qt.Orientation.Horizontal)

    def bring_to_front(self, dock: QDockWidget) -> None:
        """Show ``dock`` as the front tab of its group."""
        bring_to_front(self.window, dock)

    def _dock(self, title: str, name: str, widget) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        return dock

    # -------------------------------------------------------------------------- menus
    def _build_menus(self) -> None:
        w, a = self.window, self.window.actions
        file_menu = w.menu("File")
        if file_menu is not None:
            entries = file_menu.actions()
            anchor = a["quit"]
            if anchor in entries:
                i = entries.index(anchor)
                if i > 0 and entries[i - 1].isSeparator():
                    anchor = entries[i - 1]
            else:
                anchor = None
            file_menu.insertSeparator(anchor)
            file_menu.insertActions(anchor, [a["open_dataset"], a["bundled_dataset"]])
            file_menu.insertSeparator(anchor)
            file_menu.insertActions(anchor, [a["save_window_png"], a["save_panel_png"],
                                             a["record_gif"], a["save_gif"]])
        run_menu = w.menu("Run")
        if run_menu is not None:
            run_menu.addSeparator()
            run_menu.addActions([a["draw_try"], a["draw_train"]])

        view = w.view_menu
        first = view.actions()[0] if view.actions() else None
        view.insertActions(first, [a["presenter"], a["full_screen"]])
        self.theme_menu = QMenu("&Theme", view)
        group = QActionGroup(self)
        for name in THEMES:
            group.addAction(a[f"theme_{name}"])
            self.theme_menu.addAction(a[f"theme_{name}"])
        view.insertMenu(first, self.theme_menu)
        self.focus_menu = QMenu("F&ocus layer", view)
        view.insertMenu(first, self.focus_menu)
        view.insertActions(first, [a["focus_next"], a["focus_previous"]])
        view.insertSeparator(first)
        view.insertActions(first, [d.toggleViewAction() for d in
                                   (self.draw_dock, self.model_dock, self.tests_dock)])
        view.insertSeparator(first)

        bar = w.controls_bar
        if bar is not None:
            bar.addSeparator()
            bar.addAction(a["presenter"])
        self.controls_bar = bar

    def _connect(self) -> None:
        w, a = self.window, self.window.actions
        a["draw_try"].triggered.connect(self.try_drawing)
        a["draw_train"].triggered.connect(self.train_on_drawing)
        self.draw.canvas.stroke_finished.connect(self._on_stroke)
        a["open_dataset"].triggered.connect(self.ask_open_dataset)
        a["bundled_dataset"].triggered.connect(lambda: self.open_dataset("bundled"))
        self.model.apply_requested.connect(self.apply_arch)
        self.tests.picked.connect(self.show_test_sample)
        self.tests_dock.visibilityChanged.connect(self._refresh_tests)
        a["save_window_png"].triggered.connect(self.ask_save_window_png)
        a["save_panel_png"].triggered.connect(self.ask_save_panel_png)
        a["record_gif"].toggled.connect(self.set_recording)
        a["save_gif"].triggered.connect(self.ask_save_gif)
        a["presenter"].toggled.connect(self.set_presenter)
        a["full_screen"].toggled.connect(self.set_full_screen)
        a["focus_next"].triggered.connect(lambda: self.cycle_focus(1))
        a["focus_previous"].triggered.connect(lambda: self.cycle_focus(-1))
        for name in THEMES:
            a[f"theme_{name}"].triggered.connect(lambda _=False, n=name: self.set_theme(n))
        w.trace_shown.connect(self._on_trace_shown)
        w.test_evaluated.connect(self._refresh_tests)
        w.docks_built.connect(self._on_docks_built)

    def eventFilter(self, obj, event) -> bool:
        # Before the window saves its layout: the normal one, not presenter mode's.
        if obj is self.window and event.type() == QEvent.Type.Close:
            # Only what the saved layout needs: the docks presenter mode and the focus hid
            # come back; fonts and plots are left alone, the window is going.
            self.set_focus(None)
            if self.presenter:
                self._restore_secondary()
            if self.recorder.recording:
                self.recorder.stop()
        elif obj is self.window and event.type() == QEvent.Type.WindowStateChange:
            # Full screen left another way (the window manager): the menu entry follows.
            action = self.window.actions["full_screen"]
            action.blockSignals(True)
            action.setChecked(self.window.isFullScreen())
            action.blockSignals(False)
        return False

    # ---------------------------------------------------------------- window signals
    def _on_trace_shown(self, trace) -> None:
        if self.focus_panel is not None:
            self.focus_panel.show_trace(trace, None)
        if self.recorder.recording:
            if not self.recorder.capture():
                self.window.actions["record_gif"].setChecked(False)
                self.window.statusBar().showMessage(
                    "GIF recording stopped: frame limit reached; save it with File > Save GIF",
                    8000)
        self._refresh_tests()

    def _on_docks_built(self) -> None:
        """New panels (a new architecture): focus list, theme, presenter fonts, menus."""
        w = self.window
        self.set_focus(None)
        self.model.show_session(w.session)  # a checkpoint may have brought another network
        self.focus_menu.clear()
        if getattr(self, "focus_group", None) is not None:
            self.focus_group.deleteLater()
        self.focus_group = QActionGroup(self)
        for name in [None, *focusable_layers(w.session.net)]:
            action = self.focus_menu.addAction("None: all panels" if name is None else name)
            action.setCheckable(True)
            action.setChecked(name is None)
            action.setData(name)
            self.focus_group.addAction(action)
            action.triggered.connect(lambda _=False, n=name: self.set_focus(n))
        for dock in w.docks.values():
            dock.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            dock.customContextMenuRequested.connect(
                lambda pos, d=dock: self._dock_menu(d, pos))
        self.apply_theme()
        if self.draw_dock.isVisible():
            self._size_column()
        if self.presenter:
            self._hide_secondary()
            self._style_plots()

    def _dock_menu(self, dock: QDockWidget, pos) -> None:
        menu = QMenu(dock)
        menu.addAction("Save this panel as PNG...", lambda: self.ask_save_dock_png(dock))
        menu.popup(dock.mapToGlobal(pos))

    # --------------------------------------------------------------------- draw a digit
    def drawing_as_sample(self) -> np.ndarray | None:
        """The canvas in the dataset's format, or None (and a message) when it cannot be."""
        c, h, wd = self.window.session.dataset.input_shape
        if h != wd:
            self.window.show_banner(f"Drawing needs square images; this data is {h}x{wd}")
            return None
        try:
            sample = to_sample(self.draw.canvas.ink(), size=h, box=max(1, round(h * 20 / 28)))
        except UserError as e:
            self.window.show_banner(f"Nothing to run: {e}")
            return None
        sample = np.repeat(sample, c, axis=0)
        self.drawn_sample = sample
        self.draw.show_sample(sample)
        return sample

    def _drawn_note(self) -> str:
        return f"drawn, target {self.draw.target.value()}"

    def try_drawing(self) -> None:
        self._run_drawing(train=False)

    def train_on_drawing(self) -> None:
        self._run_drawing(train=True)

    def _run_drawing(self, train: bool) -> None:
        """Forward and backward on the drawing with its target label; with ``train``, one
        training step on it."""
        sample = self.drawing_as_sample()
        if sample is None:
            return
        w = self.window
        w.loop.stop()
        w.hide_banner()
        run = w.session.train_sample if train else w.session.try_sample
        w.show_trace(run(sample, self.draw.target.value(), self._drawn_note()))
        if train:
            w.curves_panel.show_history(w.session.history)
            if w.session.failure:
                w.show_failure(w.session.failure)

    def _on_stroke(self) -> None:
        """After each stroke the drawing runs by itself, unless training is running."""
        if not self.window.loop.running:
            self.try_drawing()

    # ---------------------------------------------------------------- test-set views
    def _refresh_tests(self, *_args) -> None:
        if self.tests_dock.isVisible() or self.tests.isVisible():
            self.tests.refresh(self.window.session)

    def show_test_sample(self, index: int) -> None:
        """Make test image ``index`` the current sample: a dry run with its true label."""
        w = self.window
        w.loop.stop()
        ds = w.session.dataset
        trace = w.session.try_sample(ds.x_test[index], int(ds.y_test[index]),
                                     f"test #{index}")
        w.show_trace(trace)

    # --------------------------------------------------------------- model and data
    def swap_session(self, session: Session) -> None:
        """Show ``session`` from now on (its network and data already built)."""
        self.window.set_session(session)
        self.model.show_session(session)
        self.draw.set_classes(session.dataset.classes)
        self.tests.refresh(session)

    def _new_session(self, dataset, arch: str) -> Session | None:
        old = self.window.session
        try:
            net = Network.from_arch(arch, dataset.input_shape, dataset.classes,
                                    seed=old.net.seed)
            return Session(dataset, net, lr=old.lr, seed=old.seed, eval_every=old.eval_every)
        except UserError as e:
            self.window.show_banner(f"Could not build the network, the current model is "
                                    f"kept: {e}")
            return None

    def apply_arch(self, arch: str) -> bool:
        session = self._new_session(self.window.session.dataset, arch)
        if session is None:
            return False
        self.swap_session(session)
        self.window.statusBar().showMessage(f"new network {session.net.arch}", 5000)
        return True

    def ask_open_dataset(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open dataset: a .npz, a .csv, or any file of an IDX folder", "",
            DATASET_FILTER)
        if path:
            self.open_dataset(dataset_spec(path))

    def open_dataset(self, spec: str) -> bool:
        """Load ``spec`` (as ``load_dataset``) and rebuild the network for it; on an error say
        so in the window and keep the current model."""
        w = self.window
        w.loop.stop()
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            dataset = load_dataset(spec)
        except UserError as e:
            w.show_banner(f"Could not open the dataset, the current model is kept: {e}")
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        session = self._new_session(dataset, arch_for_classes(w.session.net.arch,
                                                              dataset.classes))
        if session is None:
            return False
        self.swap_session(session)
        w.statusBar().showMessage(f"opened {dataset.name}", 5000)
        return True

    # ---------------------------------------------------------------------- exports
    def _ask_path(self, title: str, name: str, pattern: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.window, title, name, pattern)
        return path

    def _save_png(self, widget, path) -> bool:
        try:
            save_png(widget, path)
        except OSError as e:
            self.window.show_banner(f"Could not save the picture: {e}")
            return False
        self.window.statusBar().showMessage(f"saved {path}", 5000)
        return True

    def ask_save_window_png(self) -> None:
        path = self._ask_path("Save window as PNG", "visualcnn.png", "PNG images (*.png)")
        if path:
            self._save_png(self.window, path)

    def panel_docks(self) -> dict[str, QDockWidget]:
        """Every visible dock by its title: the panels, focus and classroom docks."""
        docks = [*self.window.docks.values(), self.focus_dock, self.draw_dock,
                 self.model_dock, self.tests_dock]
        return {d.windowTitle(): d for d in docks if d.isVisible()}

    def ask_save_panel_png(self) -> None:
        docks = self.panel_docks()
        title, ok = QInputDialog.getItem(self.window, "Save panel as PNG", "Panel:",
                                         list(docks), 0, False)
        if ok and title in docks:
            self.ask_save_dock_png(docks[title])

    def ask_save_dock_png(self, dock: QDockWidget) -> None:
        name = dock.objectName().removeprefix("dock_") or "panel"
        path = self._ask_path(f"Save {dock.windowTitle()} as PNG", f"{name}.png",
                              "PNG images (*.png)")
        if path:
            self._save_png(dock, path)

    def set_recording(self, on: bool) -> None:
        if on:
            self.recorder.start()
            self.recorder.capture()  # the picture as it is when recording starts
            self.window.statusBar().showMessage("recording a GIF frame for every step shown",
                                                5000)
        else:
            self.recorder.stop()

    def ask_save_gif(self) -> None:
        if not self.recorder.frames:
            self.window.show_banner("Nothing recorded yet: turn on File > Record GIF "
                                    "(Ctrl+Shift+G) and take some steps")
            return
        path = self._ask_path("Save GIF", "visualcnn.gif", "GIF animations (*.gif)")
        if path:
            self.save_gif(path)

    def save_gif(self, path) -> bool:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        start = time.perf_counter()
        try:
            self.recorder.save(path)
        except (OSError, ValueError) as e:
            self.window.show_banner(f"Could not save the GIF: {e}")
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.window.statusBar().showMessage(
            f"saved {len(self.recorder.frames)} frames to {path} in "
            f"{time.perf_counter() - start:.1f} s", 8000)
        return True

    # --------------------------------------------------------------------- focus
    def cycle_focus(self, direction: int) -> None:
        names = [None, *focusable_layers(self.window.session.net)]
        i = names.index(self.focused) if self.focused in names else 0
        self.set_focus(names[(i + direction) % len(names)])

    def set_focus(self, name: str | None) -> None:
        """Show layer ``name`` alone, forward and backward side by side, next to the input
        and output; None brings every panel back."""
        w = self.window
        if self.focus_panel is not None:
            old = self.focus_panel.widget
            self.focus_dock.setWidget(None)
            old.deleteLater()
            self.focus_panel = None
        if name is None:
            self.focus_dock.hide()
            for dock in self._hidden_for_focus:
                dock.show()
            self._hidden_for_focus = []
            self.focused = None
        else:
            nonnegative = bool(w.session.dataset.x_train.min() >= 0)
            self.focus_panel = FocusPanel(w.session.net, name, nonnegative)
            self.focus_panel.set_scale_mode(w.scale_mode)
            self.focus_dock.setWidget(self.focus_panel.widget)
            self.focus_dock.setWindowTitle(self.focus_panel.title)
            if self.focused is None:
                for key, dock in w.docks.items():
                    if key not in ("input", "output", "curves") and not dock.isHidden():
                        dock.hide()
                        self._hidden_for_focus.append(dock)
                w.removeDockWidget(self.focus_dock)
                w.addDockWidget(TOP, self.focus_dock, Qt.Orientation.Horizontal)
                self.focus_dock.show()
                left = w.docks.get("input")
                if left is not None:
                    width = w.width()
                    w.resizeDocks([left, self.focus_dock], [int(width * 0.22),
                                                            int(width * 0.78)],
                                  Qt.Orientation.Horizontal)
            self.focused = name
            self.apply_theme(boards=[self.focus_panel.board])
            if w.last_trace is not None:
                self.focus_panel.show_trace(w.last_trace, None)
        group = getattr(self, "focus_group", None)  # not there yet during set-up
        for action in group.actions() if group is not None else []:
            if action.data() == name:
                action.setChecked(True)

    # ----------------------------------------------------------------- presenter
    def _secondary(self) -> list:
        """What presenter mode hides: the scale box, the curves and the classroom docks, and
        the hover line (the checkpoint buttons leave the toolbar, see ``_hide_secondary``)."""
        w = self.window
        items = [w.docks.get("curves"), self.draw_dock, self.model_dock, self.tests_dock,
                 w.hover]
        bar = self.controls_bar
        if bar is not None:
            items += [action for action in bar.actions()
                      if bar.widgetForAction(action) is w.scale_box]
        return [item for item in items if item is not None]

    def _hide_secondary(self) -> None:
        hidden = self._presenter_hidden
        tabs = (self.draw_dock, self.model_dock, self.tests_dock)
        on_top = [d for d in tabs if d.isVisible() and not d.visibleRegion().isEmpty()]
        if on_top and not any(e[0] == "raise" for e in hidden):
            hidden.insert(0, ("raise", on_top[0]))
        for item in self._secondary():
            if item.isVisible() and ("show", item) not in hidden:
                item.setVisible(False)
                hidden.append(("show", item))
        bar = self.controls_bar
        if bar is None:
            return
        # A tool button hidden by hand comes back with the next layout: take the action out
        # of the toolbar instead, and remember where it was.
        for name in ("open", "save"):
            action = self.window.actions[name]
            actions = bar.actions()
            if action in actions:
                i = actions.index(action)
                before = actions[i + 1] if i + 1 < len(actions) else None
                bar.removeAction(action)
                hidden.append(("toolbar", action, before))

    def _restore_secondary(self) -> None:
        bar = self.controls_bar
        for entry in reversed(self._presenter_hidden):
            try:
                if entry[0] == "show":
                    entry[1].setVisible(True)
                elif entry[0] == "raise":  # the tab that was in front, in front again
                    self.bring_to_front(entry[1])
                elif bar is not None:
                    before = entry[2] if entry[2] in bar.actions() else None
                    bar.insertAction(before, entry[1])
            except RuntimeError:  # a dock deleted with the panels of an old net
                pass
        self._presenter_hidden = []

    def _show_focus_buttons(self, on: bool) -> None:
        """The focus buttons are on the toolbar in presenter mode only (F6 works always)."""
        bar = self.controls_bar
        if bar is None:
            return
        for name in ("focus_previous", "focus_next"):
            action = self.window.actions[name]
            if on and action not in bar.actions():
                bar.addAction(action)
            elif not on and action in bar.actions():
                bar.removeAction(action)

    def set_presenter(self, on: bool) -> None:
        """Presenter mode: fonts x1.6, bigger icons and plot labels, secondary controls
        hidden. Off brings back exactly what it hid."""
        if on == self.presenter:
            return
        self.presenter = on
        w = self.window
        style = w.style()
        icon = style.pixelMetric(style.PixelMetric.PM_ToolBarIconSize)
        if on:
            # The window's font, not the application's: its menus, docks and toolbars grow,
            # and no other top-level widget is touched.
            self._normal_font = QFont(w.font())
            big = QFont(self._normal_font)
            if big.pointSizeF() > 0:
                big.setPointSizeF(big.pointSizeF() * PRESENTER_FONT_SCALE)
            else:
                big.setPixelSize(round(big.pixelSize() * PRESENTER_FONT_SCALE))
            for widget in (w, *w.findChildren(QMenu)):  # menus are windows: set them too
                widget.setFont(big)
            self._hide_secondary()
            self._show_focus_buttons(True)
            icon = round(icon * PRESENTER_FONT_SCALE)
        else:
            if self._normal_font is not None:
                for widget in (w, *w.findChildren(QMenu)):
                    widget.setFont(self._normal_font)
            self._restore_secondary()
            self._show_focus_buttons(False)
        for bar in w.findChildren(QToolBar):
            bar.setIconSize(QSize(icon, icon))
        self._style_plots()

    def _style_plots(self) -> None:
        """Tick, title and mark fonts of the output and curve plots for the current mode."""
        scale = PRESENTER_FONT_SCALE if self.presenter else 1.0
        fg = pg.mkColor(THEMES[self.theme][3])
        tick = QFont()
        tick.setPointSizeF(8 * scale)
        for widget in self._live(pg.GraphicsLayoutWidget):
            for item in widget.ci.items:
                if not isinstance(item, pg.PlotItem):
                    continue
                for name in ("left", "bottom"):
                    axis = item.getAxis(name)
                    axis.setStyle(tickFont=tick)
                    axis.setPen(fg)
                    axis.setTextPen(fg)
                title = item.titleLabel.text
                item.titleLabel.setText(title, size=f"{9 * scale:g}pt", color=fg)
        output = getattr(self.window, "output_panel", None)
        if output is not None:
            mark = QFont()
            mark.setPointSizeF(9 * scale)
            output.true_mark.setFont(mark)
            output.predicted_mark.setFont(mark)

    def set_full_screen(self, on: bool) -> None:
        if on:
            self.window.showFullScreen()
        else:
            self.window.showNormal()

    # --------------------------------------------------------------------- theme
    def set_theme(self, name: str) -> None:
        if name not in THEMES:
            return
        self.theme = name
        self.window.settings.setValue("view/theme", name)
        self.apply_theme()

    def _theme_curves(self, widget) -> None:
        """Curves too dark for a dark background get a lighter shade of their hue (and their
        own colour back in the light theme)."""
        for plot in widget.ci.items:
            if not isinstance(plot, pg.PlotItem):
                continue
            for item in plot.listDataItems():
                if not isinstance(item, pg.PlotDataItem):
                    continue
                if not hasattr(item, "_light_pen"):
                    item._light_pen = pg.mkPen(item.opts["pen"])
                pen = QPen(item._light_pen)
                colour = pen.color()
                if self.theme == "dark" and colour.lightness() < 110:
                    colour = QColor.fromHsl(max(0, colour.hslHue()), colour.hslSaturation(),
                                            170)
                    pen.setColor(colour)
                item.setPen(pen)

    def apply_theme(self, boards=None) -> None:
        """Colours of the application, every board (or just ``boards``) and every plot."""
        board_bg, board_text, plot_bg, plot_fg = THEMES[self.theme]
        w = self.window
        for name in THEMES:
            w.actions[f"theme_{name}"].setChecked(name == self.theme)
        if boards is None:
            if self._palette_theme != self.theme:
                # The window's palette (and its menus', which are windows of their own), not
                # the application's: nothing outside this window is repainted.
                self._palette_theme = self.theme
                palette = _dark_palette() if self.theme == "dark" else QPalette()
                for widget in (w, *w.findChildren(QMenu)):
                    widget.setPalette(palette)
            boards = self._live(Board)
            for widget in self._live(pg.GraphicsLayoutWidget):
                widget.setBackground(plot_bg)
                self._theme_curves(widget)
            self._style_plots()
        others = {THEMES[n][1] for n in THEMES}
        for board in boards:
            board.setBackground(board_bg)
            for item in board.view.addedItems:
                if isinstance(item, QGraphicsSimpleTextItem):
                    rgb = item.brush().color().getRgb()[:3]
                    if rgb in others:
                        item.setBrush(QColor(*board_text))
            for mosaic in board.mosaics:
                _set_gap_colour(mosaic.image, board_bg)
