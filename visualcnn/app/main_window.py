"""The main window: docks of panels, the controls, the banner and the status line."""

from __future__ import annotations

import math
import time
from itertools import pairwise

import pyqtgraph as pg
from PyQt6.QtCore import QSettings, Qt, pyqtSignal
from PyQt6.QtGui import QDoubleValidator
from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSlider,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
)

from visualcnn.app.actions import create_actions, shortcut_rows
from visualcnn.app.docks import reveal
from visualcnn.app.run_loop import MAX_SPEED, RunLoop
from visualcnn.app.views.colormaps import DEFAULT_SCALE_MODE, SCALE_MODES
from visualcnn.app.views.curves import CURVE_REFRESH_S
from visualcnn.app.views.panel import Panel
from visualcnn.app.views.panels import ConvPanel, DensePanel, build_panels
from visualcnn.common.errors import UserError
from visualcnn.training.session import LR_MAX, LR_MIN, Session

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)

SETTINGS_VERSION = 1
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, MAX_SPEED)
DEFAULT_SPEED = 2
LR_SLIDER_STEPS = 500  # slider positions across the five decades from 1e-5 to 1


def lr_to_slider(lr: float) -> int:
    fraction = (math.log10(lr) - math.log10(LR_MIN)) / (math.log10(LR_MAX) - math.log10(LR_MIN))
    return round(fraction * LR_SLIDER_STEPS)


def slider_to_lr(position: int) -> float:
    exponent = math.log10(LR_MIN) + position / LR_SLIDER_STEPS * (
        math.log10(LR_MAX) - math.log10(LR_MIN))
    return float(f"{10 ** exponent:.3g}")  # three digits: what the field can show


def speed_text(speed: int) -> str:
    return "max" if speed == MAX_SPEED else f"{speed}/s"


class MainWindow(QMainWindow):
    """Shows every step of ``session``; ``settings`` keeps layout and controls between runs."""

    # For views that follow the window (classroom.py): a trace was drawn; the test split
    # was evaluated; the docks were rebuilt for a new architecture.
    trace_shown = pyqtSignal(object)
    test_evaluated = pyqtSignal()
    docks_built = pyqtSignal()

    def __init__(self, session: Session, settings: QSettings | None = None):
        super().__init__()
        self.session = session
        self.settings = settings if settings is not None else QSettings()
        self.setWindowTitle(f"visualcnn: {session.net.arch} on {session.dataset.name}")
        self.loop = RunLoop(session, self)
        self.loop.trace_ready.connect(self.show_trace)
        self.loop.running_changed.connect(self._on_running_changed)
        self.loop.failed.connect(self.show_failure)
        self.actions = create_actions(self)
        self.panels: list[Panel] = []
        self.docks: dict[str, QDockWidget] = {}
        self.side_docks: list[QDockWidget] = []  # the features' column of tabs
        self.last_trace = None
        self._last_curves = 0.0
        self.scale_mode = DEFAULT_SCALE_MODE

        self._build_controls()
        self._build_menus()
        self._build_banner()
        self.status = QLabel()
        self.hover = QLabel()
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().addPermanentWidget(self.hover)
        self.setDockNestingEnabled(True)
        self._connect_actions()
        self._read_settings()
        self._build_docks()
        self._show_preview()
        from visualcnn.app.classroom.controller import (
            Classroom,  # draw, presenter, exports (issue 5)
        )

        self.classroom = Classroom(self)
        from visualcnn.app.debug.controller import DebuggerView  # phases, rewind... (issue 4)

        self.debugger = DebuggerView(self)

    # ------------------------------------------------------------------- construction
    def _build_controls(self) -> None:
        self.controls_bar = bar = QToolBar("Controls", self)
        bar.setObjectName("toolbar_controls")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(bar)
        a = self.actions
        for name in ("step", "run", "reset"):
            bar.addAction(a[name])
        bar.addSeparator()
        bar.addWidget(QLabel(" learning rate "))
        self.lr_slider = QSlider(Qt.Orientation.Horizontal)
        self.lr_slider.setRange(0, LR_SLIDER_STEPS)
        self.lr_slider.setFixedWidth(130)
        self.lr_slider.setToolTip("Learning rate, log scale from 1e-5 to 1")
        self.lr_field = QLineEdit()
        self.lr_field.setFixedWidth(70)
        validator = QDoubleValidator(LR_MIN, LR_MAX, 8, self.lr_field)
        validator.setNotation(QDoubleValidator.Notation.ScientificNotation)
        self.lr_field.setValidator(validator)
        self.lr_field.setToolTip("Learning rate, 1e-5 to 1; in effect from the next step")
        bar.addWidget(self.lr_slider)
        bar.addWidget(self.lr_field)
        bar.addSeparator()
        bar.addWidget(QLabel(" speed "))
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_slider.setRange(0, len(SPEEDS) - 1)
        self.speed_slider.setFixedWidth(110)
        self.speed_slider.setToolTip("Steps per second while running; rightmost: max")
        self.speed_label = QLabel()
        self.speed_label.setMinimumWidth(45)
        bar.addWidget(self.speed_slider)
        bar.addWidget(self.speed_label)
        bar.addSeparator()
        self.scale_box = QComboBox()
        for key, text in SCALE_MODES.items():
            self.scale_box.addItem(text, key)
        self.scale_box.setToolTip("Colour levels: each map on its own, shared by the maps of "
                                  "a layer, or frozen so frames compare from step to step")
        bar.addWidget(self.scale_box)
        bar.addSeparator()
        bar.addAction(a["open"])
        bar.addAction(a["save"])

    def _build_menus(self) -> None:
        a = self.actions
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addActions([a["open"], a["save"]])
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])
        run_menu = menu.addMenu("&Run")
        run_menu.addActions([a["step"], a["run"], a["reset"], a["evaluate"]])
        self.view_menu = menu.addMenu("&View")
        help_menu = menu.addMenu("&Help")
        help_menu.addActions([a["shortcuts"], a["about"]])

    def _build_banner(self) -> None:
        """A red bar under the toolbar for what must not be missed: divergence, bad files."""
        self.addToolBarBreak()
        self.banner_bar = QToolBar("Messages", self)
        self.banner_bar.setObjectName("toolbar_banner")
        self.banner_bar.setMovable(False)
        self.banner_bar.toggleViewAction().setVisible(False)
        self.banner_bar.setStyleSheet("QToolBar { background: #b71c1c; border: 0; }")
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("color: white; font-weight: bold; padding: 4px;")
        self.banner.setSizePolicy(self.banner.sizePolicy().horizontalPolicy().Expanding,
                                  self.banner.sizePolicy().verticalPolicy().Preferred)
        self.banner_bar.addWidget(self.banner)
        dismiss = self.banner_bar.addAction(
            self.style().standardIcon(QStyle.StandardPixmap.SP_DialogCloseButton), "Dismiss")
        dismiss.triggered.connect(self.hide_banner)
        self.addToolBar(self.banner_bar)
        self.banner_bar.hide()

    # ---------------------------------------------------------- services for features
    def menu(self, title: str) -> QMenu | None:
        """The menu-bar menu called ``title`` ("File", "Run", ...), or None."""
        for action in self.menuBar().actions():
            menu = action.menu()
            if menu is not None and menu.title().replace("&", "") == title:
                return menu
        return None

    def add_side_dock(self, dock: QDockWidget) -> None:
        """Put ``dock`` in the column of tabs at the right of the panels. It is in the same
        (top) dock area: the panels fill the window with no central widget, and another area
        would split them."""
        if self.side_docks:
            self.tabifyDockWidget(self.side_docks[-1], dock)
        else:
            self.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, dock,
                               Qt.Orientation.Horizontal)
        self.side_docks.append(dock)

    def reveal(self, dock: QDockWidget) -> None:
        """Show ``dock`` (one of the side docks) as the front tab of the column."""
        reveal(self, dock, self.side_docks)

    def show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner_bar.show()

    def hide_banner(self) -> None:
        self.banner_bar.hide()

    def _connect_actions(self) -> None:
        a = self.actions
        a["step"].triggered.connect(self.step)
        a["run"].toggled.connect(self._on_run_toggled)
        a["reset"].triggered.connect(self.reset)
        a["save"].triggered.connect(self._ask_save)
        a["open"].triggered.connect(self._ask_open)
        a["quit"].triggered.connect(self.close)
        a["evaluate"].triggered.connect(self.evaluate_test)
        a["shortcuts"].triggered.connect(self.show_shortcuts)
        a["about"].triggered.connect(self.show_about)
        self.lr_slider.valueChanged.connect(self._on_lr_slider)
        self.lr_field.editingFinished.connect(self._on_lr_field)
        self.speed_slider.valueChanged.connect(self._on_speed_slider)
        self.scale_box.currentIndexChanged.connect(self._on_scale_box)

    def _build_docks(self) -> None:
        """One dock per panel, in columns: input and output, each convolution stage, the
        dense layers; the curves along the bottom. Replaces the docks of a previous net."""
        for dock in self.docks.values():
            self.removeDockWidget(dock)
            dock.deleteLater()
        for dock in self.docks.values():  # only the panels' entries; other views stay
            self.view_menu.removeAction(dock.toggleViewAction())
        self.docks = {}
        nonnegative = bool(self.session.dataset.x_train.min() >= 0)
        self.panels, self.output_panel, self.curves_panel = build_panels(self.session.net,
                                                                         nonnegative)
        for panel in self.panels:
            dock = QDockWidget(panel.title, self)
            dock.setObjectName(f"dock_{panel.key}")
            dock.setWidget(panel.widget)
            self.docks[panel.key] = dock
            self.view_menu.addAction(dock.toggleViewAction())
            if hasattr(panel, "board"):
                panel.board.hovered.connect(self.hover.setText)
            panel.set_scale_mode(self.scale_mode)

        columns = [[self.docks[p.key] for p in column] for column in self._panel_columns()]
        self.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, columns[0][0])
        for previous, column in pairwise(columns):
            self.splitDockWidget(previous[0], column[0], Qt.Orientation.Horizontal)
        for column in columns:
            for above, below in pairwise(column):
                self.splitDockWidget(above, below, Qt.Orientation.Vertical)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.docks["curves"])
        self._columns = columns
        self.fit_docks()
        state = self.settings.value("window/state")
        if self.settings.value("window/state_arch", "", type=str) == self.session.net.arch \
                and state is not None:
            self.restoreState(state)
        self.docks_built.emit()

    def _panel_columns(self) -> list[list[Panel]]:
        """Input and output; then a column per convolution with its ReLU and pool; then one
        for the dense layers (and the ReLUs between them)."""
        *layers, output, _curves = self.panels
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

    def fit_docks(self) -> None:
        """Share the window's size out among the panels' docks, as at start-up (after a resize
        that the layout did not follow, e.g. an offscreen screenshot)."""
        width, height = self.width(), self.height()
        heads = [c[0] for c in self._columns]
        weights = [0.55] + [1.0] * (len(heads) - 2) + [0.8]
        total = sum(weights)
        self.resizeDocks(heads, [int(width * w / total) for w in weights],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["curves"]], [int(height * 0.3)], Qt.Orientation.Vertical)
        # The input is a small picture; the two bar charts under it need the height.
        first = self._columns[0]
        self.resizeDocks(first, [int(height * 0.3), int(height * 0.45)], Qt.Orientation.Vertical)

    # ------------------------------------------------------------------------ settings
    def _read_settings(self) -> None:
        s = self.settings
        if s.value("settings/version", 0, type=int) != SETTINGS_VERSION:
            s.clear()  # a layout written by another version could put docks out of reach
            s.setValue("settings/version", SETTINGS_VERSION)
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1366, 768)
        speed = s.value("training/speed", DEFAULT_SPEED, type=int)
        self.speed_slider.setValue(SPEEDS.index(speed) if speed in SPEEDS
                                   else SPEEDS.index(DEFAULT_SPEED))
        self._on_speed_slider(self.speed_slider.value())
        mode = s.value("view/scale_mode", DEFAULT_SCALE_MODE, type=str)
        self.scale_mode = mode if mode in SCALE_MODES else DEFAULT_SCALE_MODE
        self.scale_box.setCurrentIndex(list(SCALE_MODES).index(self.scale_mode))
        self._show_lr(self.session.lr)

    def write_settings(self) -> None:
        s = self.settings
        s.setValue("settings/version", SETTINGS_VERSION)
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/state_arch", self.session.net.arch)
        s.setValue("training/learning_rate", self.session.lr)
        s.setValue("training/speed", self.loop.speed)
        s.setValue("view/scale_mode", self.scale_mode)
        s.sync()

    def closeEvent(self, event) -> None:
        self.loop.stop()
        self.write_settings()
        super().closeEvent(event)

    # ------------------------------------------------------------------------- drawing
    def show_trace(self, trace) -> None:
        """Draw ``trace`` in every panel; the curves at most every CURVE_REFRESH_S while
        running, always otherwise."""
        self.last_trace = trace
        index = self.session.sample_index if trace.applied else self.session.next_sample_index
        index = self.session.note_for(trace) or index  # a drawn digit or a test image
        for panel in self.panels:
            panel.show_trace(trace, index)
        now = time.perf_counter()
        if not self.loop.running or now - self._last_curves >= CURVE_REFRESH_S:
            self.curves_panel.show_history(self.session.history)
            self._last_curves = now
        self._show_status()
        self.trace_shown.emit(trace)

    def _show_preview(self) -> None:
        self.show_trace(self.session.preview())

    def set_session(self, session: Session) -> None:
        """Show ``session`` from now on (its network and data already built): the panels are
        rebuilt for its architecture and the controls show its learning rate."""
        self.loop.stop()
        self.session = session
        self.loop.session = session
        self.setWindowTitle(f"visualcnn: {session.net.arch} on {session.dataset.name}")
        self.hide_banner()
        self._build_docks()
        self._show_lr(session.lr)
        self._show_preview()
        self.curves_panel.show_history(session.history)

    def _show_status(self) -> None:
        s, trace = self.session, self.last_trace
        loss = f"{trace.loss:.4f}" if trace is not None and trace.applied else "-"
        sample = f"#{s.sample_index}" if s.sample_index is not None else "-"
        self.status.setText(
            f"step {s.net.step}   epoch {s.epoch + 1}   sample {s.index_in_epoch}/"
            f"{s.train_size} ({sample})   loss {loss}   learning rate {s.lr:g}")

    # ------------------------------------------------------------------------- actions
    def step(self) -> None:
        if self.loop.running:
            self.loop.stop()
        self.loop.step_once()

    def _on_run_toggled(self, checked: bool) -> None:
        if checked:
            self.loop.start()
            if not self.loop.running:  # refused: the last step diverged
                self._on_running_changed(False)
        else:
            self.loop.stop()

    def _on_running_changed(self, running: bool) -> None:
        run = self.actions["run"]
        run.blockSignals(True)
        run.setChecked(running)
        run.blockSignals(False)
        run.setText("&Pause" if running else "&Run")
        run.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPause if running
            else QStyle.StandardPixmap.SP_MediaPlay))
        if not running:
            self.evaluate_test()

    def evaluate_test(self) -> None:
        """Test accuracy at this step, then the curves, so they are current at a pause."""
        if self.session.fully_tested_at != self.session.net.step:
            self.session.evaluate_test()
        self.curves_panel.show_history(self.session.history)
        self._last_curves = time.perf_counter()
        self.test_evaluated.emit()

    def show_failure(self, message: str) -> None:
        """The banner for a step that went infinite or NaN."""
        self.show_banner(f"Training paused: {message}. Lower the learning rate, then press "
                         f"Reset (Ctrl+R) or open a checkpoint.")

    def reset(self) -> None:
        self.session.reset()
        self.hide_banner()
        for panel in self.panels:
            panel.set_scale_mode(self.scale_mode)  # fixed levels are taken afresh
        self._show_preview()
        self.curves_panel.show_history(self.session.history)

    def _ask_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save checkpoint", "checkpoint.npz",
                                              "Checkpoints (*.npz)")
        if path:
            self.save_checkpoint(path)

    def _ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", "",
                                              "Checkpoints (*.npz);;All files (*)")
        if path:
            self.open_checkpoint(path)

    def save_checkpoint(self, path) -> bool:
        try:
            self.session.save(path)
        except (OSError, UserError) as e:
            self.show_banner(f"Could not save the checkpoint: {e}")
            return False
        self.statusBar().showMessage(f"saved {path}", 5000)
        return True

    def open_checkpoint(self, path) -> bool:
        """Continue from ``path``; on a bad file say so in the banner and keep the model."""
        self.loop.stop()
        old_arch = self.session.net.arch
        try:
            self.session.open(path)
        except UserError as e:
            self.show_banner(f"Could not open the checkpoint, the current model is kept: {e}")
            return False
        self.hide_banner()
        if self.session.net.arch != old_arch:
            self.setWindowTitle(f"visualcnn: {self.session.net.arch} on "
                                f"{self.session.dataset.name}")
            self._build_docks()
        self._show_lr(self.session.lr)
        self._show_preview()
        self.evaluate_test()
        return True

    # -------------------------------------------------------------------------- controls
    def _show_lr(self, lr: float) -> None:
        for widget in (self.lr_slider, self.lr_field):
            widget.blockSignals(True)
        self.lr_slider.setValue(lr_to_slider(lr))
        self.lr_field.setText(f"{lr:g}")
        for widget in (self.lr_slider, self.lr_field):
            widget.blockSignals(False)

    def set_lr(self, lr: float) -> None:
        self.session.set_lr(lr)
        self._show_lr(lr)
        self._show_status()

    def _on_lr_slider(self, position: int) -> None:
        self.set_lr(slider_to_lr(position))

    def _on_lr_field(self) -> None:
        try:
            lr = float(self.lr_field.text())
            self.set_lr(lr)
        except (ValueError, UserError):
            self.statusBar().showMessage("learning rate must be a number from 1e-5 to 1", 5000)
            self._show_lr(self.session.lr)

    def _on_speed_slider(self, position: int) -> None:
        speed = SPEEDS[position]
        self.loop.set_speed(speed)
        self.speed_label.setText(speed_text(speed))

    def _on_scale_box(self, index: int) -> None:
        self.scale_mode = self.scale_box.itemData(index)
        for panel in self.panels:
            panel.set_scale_mode(self.scale_mode)
        if self.last_trace is not None:
            self.show_trace(self.last_trace)

    # ------------------------------------------------------------------------- dialogs
    def show_shortcuts(self) -> QDialog:
        dialog = QDialog(self)
        dialog.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(self.actions)
        table = QTableWidget(len(rows), 2, dialog)
        table.setHorizontalHeaderLabels(["Keys", "Action"])
        for i, (keys, text) in enumerate(rows):
            table.setItem(i, 0, QTableWidgetItem(keys))
            table.setItem(i, 1, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        table.verticalHeader().hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(table)
        layout.addWidget(buttons)
        dialog.resize(640, 330)
        dialog.show()
        return dialog

    def show_about(self) -> None:
        QMessageBox.about(self, "About visualcnn",
                          "visualcnn trains a small NumPy CNN one sample at a time and shows "
                          "what every step computed: the maps, the pooling masks, the weights "
                          "and the gradient of the loss with respect to each of them.")

