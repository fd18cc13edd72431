"""The main window: assembles the controls, the panels' docks, the banner, the status line and
the features (classroom, debugger), and owns the flow of traces from the session to the
panels. Features use its public services: ``actions``, ``session``, ``loop``, ``panels``,
``docks``, ``menu()``, ``add_side_dock()``, ``show_trace()``, ``show_banner()`` and the
signals below."""

from __future__ import annotations

import time

import pyqtgraph as pg
from PyQt6.QtCore import QSettings, Qt, pyqtSignal
from PyQt6.QtWidgets import QDockWidget, QFileDialog, QLabel, QMainWindow, QMenu, QStyle

import visualcnn
from visualcnn.app import help_dialogs, settings
from visualcnn.app.actions import create_actions, set_text
from visualcnn.app.banner import Banner
from visualcnn.app.batch.controller import BatchView
from visualcnn.app.classroom.controller import Classroom
from visualcnn.app.controls import Controls
from visualcnn.app.debug.controller import DebuggerView
from visualcnn.app.docks import reveal
from visualcnn.app.language import LanguageMenu
from visualcnn.app.layouts import Layouts
from visualcnn.app.lessons.controller import Lessons
from visualcnn.app.menus import named_menu
from visualcnn.app.panel_docks import PanelDocks
from visualcnn.app.rewind_budget import check_checkpoint
from visualcnn.app.run_loop import RunLoop
from visualcnn.app.status_line import StatusLine
from visualcnn.app.test_evaluation import TestEvaluation
from visualcnn.app.views.colormaps import DEFAULT_SCALE_MODE
from visualcnn.app.views.curves import CURVE_REFRESH_S
from visualcnn.app.views.panel import Panel
from visualcnn.app.views.pixmap_cache import PixmapCacheFit
from visualcnn.app.yours.controller import MyLayers
from visualcnn.common import i18n
from visualcnn.common.errors import UserError
from visualcnn.common.i18n import tr
from visualcnn.common.numbers import format_number
from visualcnn.training.memory import return_freed_memory
from visualcnn.training.session import Session

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)


def status_text(session: Session, trace) -> str:
    """The status line: step, epoch, sample, the last loss and the learning rate."""
    s = session
    # Short numbers: a diverging loss (1e306) must not push the rest off the line.
    loss = format_number(trace.loss) if trace is not None and trace.applied else "-"
    sample = f"#{s.sample_index}" if s.sample_index is not None else "-"
    return tr("step {step}   epoch {epoch}   sample {position}/{size} ({sample})   loss {loss}"
              "   learning rate {lr}", step=s.net.step, epoch=s.epoch + 1,
              position=s.index_in_epoch, size=s.train_size, sample=sample, loss=loss,
              lr=format_number(s.lr))


class MainWindow(QMainWindow):
    """Shows every step of ``session``; ``settings`` keeps layout and controls between runs."""

    # For the features: a trace was drawn; the test split was evaluated; the docks were
    # rebuilt for a new architecture.
    trace_shown = pyqtSignal(object)
    test_evaluated = pyqtSignal()
    docks_built = pyqtSignal()

    def __init__(self, session: Session, settings_store: QSettings | None = None):
        super().__init__()
        self.session = session
        self.settings = settings.checked_version(
            settings_store if settings_store is not None else QSettings())
        self._show_title()
        self.loop = RunLoop(session, self)
        self.loop.trace_ready.connect(self.show_trace)
        self.loop.running_changed.connect(self._on_running_changed)
        self.loop.failed.connect(self.show_failure)
        self.test_evaluation = TestEvaluation(self)  # calls evaluate_test when it is done
        self.actions = create_actions(self)
        self.panels: list[Panel] = []
        self.side_docks: list[QDockWidget] = []  # the features' column of tabs
        self.layouts = Layouts(self)
        self.last_trace = None
        self._last_curves = 0.0
        self.scale_mode = DEFAULT_SCALE_MODE

        self.controls = Controls(self)
        self.controls_bar = self.controls.bar
        self._build_menus()
        self._build_banner()
        self.status = StatusLine()
        self.hover = QLabel()
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().addPermanentWidget(self.hover)
        self.setDockNestingEnabled(True)
        self.setAnimated(False)  # a toolbar sliding to a new row shows its overflow arrow
        self._connect_actions()
        settings.read_into(self)
        self.controls.show_lr(session.lr)
        self.panel_docks = PanelDocks(self)
        self._build_panels()
        self.batch = BatchView(self)  # the strip of a mini-batch; before the first trace
        self.show_trace(self.session.preview())
        self.classroom = Classroom(self)
        self.debugger = DebuggerView(self)
        self.my_layers = MyLayers(self)
        self.lessons = Lessons(self)
        self.layouts.start()  # once, every feature's docks there: earlier leaves stray tabs
        self.pixmap_cache = PixmapCacheFit(self)

    # ------------------------------------------------------------------- construction
    def _build_menus(self) -> None:
        a = self.actions
        menu = self.menuBar()
        file_menu = named_menu(menu, "File", tr("&File"))
        file_menu.addActions([a["open"], a["save"]])
        file_menu.addSeparator()
        file_menu.addAction(a["quit"])
        run_menu = named_menu(menu, "Run", tr("&Run"))
        run_menu.addActions([a["step"], a["run"], a["reset"], a["evaluate"]])
        self.view_menu = named_menu(menu, "View", tr("&View"))
        self.view_menu.addAction(a["reset_layout"])
        self.language_menu = LanguageMenu(self)
        self.view_menu.addMenu(self.language_menu)
        self.view_menu.addSeparator()  # the docks' entries below
        help_menu = named_menu(menu, "Help", tr("&Help"))
        help_menu.addActions([a["shortcuts"], a["about"]])

    def _build_banner(self) -> None:
        self.addToolBarBreak()
        self.banner_bar = Banner(self)
        self.banner = self.banner_bar.label
        self.addToolBar(self.banner_bar)

    def _connect_actions(self) -> None:
        a = self.actions
        a["step"].triggered.connect(self.step)
        a["run"].toggled.connect(self._on_run_toggled)
        a["reset"].triggered.connect(self.reset)
        a["save"].triggered.connect(self._ask_save)
        a["open"].triggered.connect(self._ask_open)
        a["quit"].triggered.connect(self.close)
        a["evaluate"].triggered.connect(self.evaluate_test)
        a["shortcuts"].triggered.connect(lambda: help_dialogs.show_shortcuts(self))
        a["about"].triggered.connect(lambda: help_dialogs.show_about(self))
        a["reset_layout"].triggered.connect(self.layouts.reset)

    def _build_panels(self) -> None:
        """Panels and docks for the session's network, replacing those of a previous one."""
        nonnegative = bool(self.session.dataset.x_train.min() >= 0)
        before = self.layouts.before_rebuild() if self.panels else None
        self.panels, self.output_panel, self.curves_panel = self.panel_docks.build(
            self.session.net, nonnegative)
        self.docks = self.panel_docks.docks
        for panel in self.panels:
            if hasattr(panel, "board"):
                panel.board.hovered.connect(self.hover.setText)
            panel.set_scale_mode(self.scale_mode)
        if before is not None:
            self.layouts.show_side_defaults()
        self.docks_built.emit()
        if before is not None:
            self.layouts.after_rebuild(before)  # every dock back where it was

    def _show_title(self) -> None:
        self.setWindowTitle(tr("visualcnn {version}: {arch} on {data}",
                               version=visualcnn.__version__, arch=self.session.net.arch,
                               data=i18n.lookup(self.session.dataset.name)))

    # ---------------------------------------------------------- services for features
    @property
    def scale_box(self):
        """The scale-mode box of the controls toolbar."""
        return self.controls.scale_box

    def menu(self, name: str) -> QMenu | None:
        """The menu-bar menu named ``name`` ("File", "Run", ...: its English name, whatever
        the language of its title), or None."""
        for action in self.menuBar().actions():
            menu = action.menu()
            if menu is not None and menu.objectName() == f"menu_{name}":
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

    def fit_docks(self) -> None:
        """Share the window's size out among the panels' docks, as at start-up (after a resize
        that the layout did not follow, e.g. an offscreen screenshot)."""
        self.panel_docks.fit()

    def show_banner(self, text: str, actions=()) -> None:
        """``text`` in the red banner, with a button for each of ``actions``."""
        self.banner_bar.show_message(text, actions)

    def hide_banner(self) -> None:
        self.banner_bar.hide()

    def show_failure(self, message: str) -> None:
        """The banner for a step that went infinite or NaN."""
        self.show_banner(tr("Training paused: {message}. Lower the learning rate, then press "
                            "Reset (Ctrl+R) or open a checkpoint.", message=message))

    def closeEvent(self, event) -> None:
        self.loop.stop()
        self.my_layers.close()  # ends the worker that runs a student's functions
        settings.write_from(self)
        super().closeEvent(event)

    def write_settings(self) -> None:
        settings.write_from(self)

    # ------------------------------------------------------------------------- drawing
    def show_trace(self, trace) -> None:
        """Draw ``trace`` in every panel; the curves at most every CURVE_REFRESH_S while
        running, always otherwise."""
        self.last_trace = trace = self.batch.focused(trace)  # a batch: its sample in focus
        index = self.batch.sample_index(trace)
        index = self.session.note_for(trace) or index  # a drawn digit or a test image
        for panel in self.panels:
            panel.show_trace(trace, index)
        now = time.perf_counter()
        if not self.loop.running or now - self._last_curves >= CURVE_REFRESH_S:
            self.curves_panel.show_history(self.session.history)
            self._last_curves = now
        self._show_status()
        self.trace_shown.emit(trace)

    def set_session(self, session: Session) -> None:
        """Show ``session`` from now on (its network and data already built): the panels are
        rebuilt for its architecture and the controls show its learning rate."""
        self.loop.stop()
        self.session = session
        self.loop.session = session
        self._show_title()
        self.hide_banner()
        self._build_panels()
        self.controls.show_lr(session.lr)
        self.show_trace(self.session.preview())
        self.curves_panel.show_history(session.history)

    def set_scale_mode(self, mode: str) -> None:
        self.scale_mode = mode
        for panel in self.panels:
            panel.set_scale_mode(mode)
        if self.last_trace is not None:
            self.show_trace(self.last_trace)

    def _show_status(self) -> None:
        self.status.setText(status_text(self.session, self.last_trace))

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
        set_text(run, tr("&Pause") if running else tr("&Run"))
        run.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPause if running
            else QStyle.StandardPixmap.SP_MediaPlay))
        if not running:
            self.evaluate_test()

    def evaluate_test(self, wait: bool = False) -> None:
        """Test accuracy at this step, then the curves, so they are current at a pause. A large
        split is evaluated between events unless ``wait``; this runs again when it is done."""
        if not self.test_evaluation.start(wait):
            return
        self.curves_panel.show_history(self.session.history)
        self._last_curves = time.perf_counter()
        self.test_evaluated.emit()
        return_freed_memory()  # a paused window held 4-5 MB of it, maybe for the whole lesson

    def reset(self) -> None:
        self.session.reset()
        self.hide_banner()
        for panel in self.panels:
            panel.set_scale_mode(self.scale_mode)  # fixed levels are taken afresh
        self.show_trace(self.session.preview())
        self.curves_panel.show_history(self.session.history)

    def set_lr(self, lr: float) -> None:
        """The learning rate from the next step on; raises UserError outside [1e-5, 1]."""
        self.session.set_lr(lr)
        self.controls.show_lr(lr)
        self._show_status()

    # ---------------------------------------------------------------------- checkpoints
    def _ask_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Save checkpoint"), "checkpoint.npz",
                                              tr("Checkpoints (*.npz)"))
        if path:
            self.save_checkpoint(path)

    def _ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("Open checkpoint"), "",
                                              tr("Checkpoints (*.npz);;All files (*)"))
        if path:
            self.open_checkpoint(path)

    def save_checkpoint(self, path) -> bool:
        try:
            self.session.save(path)
        except (OSError, UserError) as e:
            self.show_banner(tr("Could not save the checkpoint: {error}", error=e))
            return False
        self.statusBar().showMessage(tr("saved {path}", path=path), 5000)
        return True

    def open_checkpoint(self, path) -> bool:
        """Continue from ``path``; on a bad file say so in the banner and keep the model."""
        self.loop.stop()
        old_net = self.session.net
        try:
            # Refused before its arrays are read when the rewind history cannot hold it.
            check_checkpoint(path, self.settings)
            self.session.open(path)
        except UserError as e:
            self.show_banner(tr("Could not open the checkpoint, the current model is kept: "
                                "{error}", error=e))
            return False
        self.hide_banner()
        # The panels and docks follow the architecture and the optimiser (Adam's moments).
        net = self.session.net
        if (net.arch, net.optimizer, net.init) != (old_net.arch, old_net.optimizer, old_net.init):
            self._show_title()
            self._build_panels()
        self.controls.show_lr(self.session.lr)
        self.show_trace(self.session.preview())
        self.evaluate_test()
        return True
