"""A student's own layers in the window: File > Use my layers…, the "My layers" dock, the file
watched for saves, and the "my layers disagree" breakpoint.

The Qt-free ``visualcnn.yours.stepping.YourLayers`` runs the student's functions in a worker
process and compares every call with the engine; this controller keeps it attached to
whatever network the session has (a reset or a new architecture builds new layers), shows the
comparisons of the step on screen, and reloads the file when an editor saves it: the shown
sample is then run again (no update), so the views change without a restart.
"""

from __future__ import annotations

import time
from pathlib import Path

from PyQt6.QtCore import QEventLoop, QFileSystemWatcher, QTimer
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QApplication, QDockWidget, QFileDialog

from visualcnn.app.views.tiling import template_shape_before
from visualcnn.app.yours.difference_view import layer_name
from visualcnn.app.yours.yours_dock import YoursWidget, verdict
from visualcnn.common.errors import UserError
from visualcnn.common.i18n import tr
from visualcnn.yours.sandbox import LoadError
from visualcnn.yours.stepping import YourLayer, YourLayers

RELOAD_DELAY_MS = 250  # editors save in several writes (or by a rename): wait for the last
WAIT_NOTICE_S = 0.5  # a call of the student's running longer is named in the status bar


class MyLayers:
    """Owns the student's ``YourLayers`` (``yours``, None when none is in use) for ``window``."""

    def __init__(self, window):
        self.window = window
        self.yours: YourLayers | None = None
        self._in_wait = False  # inside a wait for one of the student's calls
        self.widget = YoursWidget()
        self.dock = QDockWidget(tr("My layers"), window)
        self.dock.setObjectName("dock_my_layers")
        self.dock.setWidget(self.widget)
        window.add_side_dock(self.dock)
        self.dock.hide()
        self.use_action = QAction(tr("Use my layers…"), window)
        self.use_action.setShortcut(QKeySequence("Ctrl+L"))
        self.use_action.setStatusTip(tr("Step the network with your own forward and backward "
                                        "functions (a file made by visualcnn template)"))
        self.use_action.triggered.connect(self.ask)
        self.stop_action = QAction(tr("Stop using my layers"), window)
        self.stop_action.setEnabled(False)
        self.stop_action.triggered.connect(self.stop)
        file_menu = window.menu("File")
        if file_menu is not None:
            first = file_menu.actions()[0] if file_menu.actions() else None
            file_menu.insertActions(first, [self.use_action, self.stop_action])
            file_menu.insertSeparator(first)
        view_menu = getattr(window, "view_menu", None)
        if view_menu is not None:
            view_menu.addAction(self.dock.toggleViewAction())
        self.watcher = QFileSystemWatcher()
        self.watcher.fileChanged.connect(self._on_file_changed)
        self._reload_timer = QTimer()
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.reload)
        window.trace_shown.connect(self._on_trace_shown)
        # The debugger's breakpoints, which hold "my layers disagree" while a file is in use
        # (a breakpoint asked after every step keeps Run's steps off the debugger's fast way).
        debugger = getattr(window, "debugger", None)
        self._extra_breakpoints = (debugger.debugger.extra_breakpoints if debugger is not None
                                   else [])

    # ------------------------------------------------------------------------ a file
    def ask(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, tr("Use my layers"), "",
                                              tr("Python files (*.py);;All files (*)"))
        if path:
            self.use(path)

    def use(self, path) -> bool:
        """Step with the functions of ``path`` from now on. A file that cannot be loaded is a
        message in the window; whatever was in use before stays in use."""
        try:
            yours = YourLayers(str(path), waiting=self._waiting)
        except (LoadError, UserError, OSError) as e:
            self.window.show_banner(tr("My layers: {error}", error=e))
            return False
        self.stop(quiet=True)
        self.yours = yours
        self._extra_breakpoints.append(self._breakpoint)
        self.path = Path(path)
        self._reloaded = ""
        self.watcher.addPath(str(self.path))
        self.stop_action.setEnabled(True)
        self._attach()
        self.window.reveal(self.dock)
        self._status()
        self._run_shown_again()
        return True

    def stop(self, quiet: bool = False) -> None:
        """Back to the engine's layers everywhere."""
        if self.yours is None:
            return
        for path in self.watcher.files():
            self.watcher.removePath(path)
        self.yours.close()
        self.yours = None
        self._extra_breakpoints.remove(self._breakpoint)
        self.stop_action.setEnabled(False)
        self.widget.show_calls([])
        self.widget.status.setText(tr("No file of your own layers in use: File > Use my "
                                      "layers…"))
        if not quiet:
            self._run_shown_again()

    def reload(self) -> None:
        """The file was saved: its new code from the next call on, or its error on screen
        (the code loaded before stays in use)."""
        if self.yours is None:
            return
        if self._in_wait:  # saved while one of its calls runs: reload once it is back
            self._reload_timer.start()
            return
        if str(self.path) not in self.watcher.files() and self.path.exists():
            self.watcher.addPath(str(self.path))  # saved by a rename: watch the new file
        try:
            self.yours.reload()
        except LoadError as e:
            self.widget.status.setText(tr("{file} did not load, the code before it stays in "
                                          "use: {error}", file=self.path.name, error=e))
            return
        self._reloaded = tr(" (reloaded {time})", time=time.strftime("%H:%M:%S"))
        self._status()
        self._run_shown_again()

    def _waiting(self, doing: str, seconds: float) -> None:
        """While one of the student's calls runs: the window paints and its timers run (no
        clicks or keys until the call is back, at most the sandbox's 10 s later)."""
        self._in_wait = True
        try:
            if seconds >= WAIT_NOTICE_S:
                self.window.statusBar().showMessage(
                    tr("waiting for your {doing} ({seconds:.0f} s; stopped at {limit:g} s)…",
                       doing=doing, seconds=seconds, limit=self.yours.timeout)
                    if self.yours is not None else "", 1000)
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        finally:
            self._in_wait = False

    def _on_file_changed(self, _path: str) -> None:
        self._reload_timer.start()

    # --------------------------------------------------------------------- stepping
    def attached(self) -> bool:
        net = self.window.session.net
        return self.yours is not None and any(isinstance(layer, YourLayer)
                                              for layer in net.layers)

    def _attach(self) -> None:
        # A reset or a new network built new layers: theirs are wrapped again.
        self.yours.detach()
        self.yours.attach(self.window.session.net)

    def _run_shown_again(self) -> None:
        """The shown sample forward and backward again (no update), unless Run is on: its next
        step uses the new code anyway."""
        if self.window.loop.running or "dry_run" not in self.window.actions:
            return
        self.window.actions["dry_run"].trigger()

    def _on_trace_shown(self, trace) -> None:
        if self.yours is None:
            return
        if not self.attached():
            self._attach()
            QTimer.singleShot(0, self._run_shown_again)
            return
        self.widget.show_calls(self.yours.comparisons, self._template_of)
        self._status()

    def _template_of(self, layer_name: str):
        net = self.window.session.net
        names = [layer.name for layer in net.layers]
        return template_shape_before(net, names.index(layer_name)) if layer_name in names \
            else None

    def _status(self) -> None:
        y = self.yours
        written = ", ".join(y.written) or tr("none written yet")
        bad = [c for c in y.comparisons if not c.agrees]
        state = (tr("{bad} of {total} calls of the shown step disagree", bad=len(bad),
                    total=len(y.comparisons))
                 if bad else tr("all {total} calls of the shown step agree",
                                total=len(y.comparisons))
                 if y.comparisons else tr("not run yet"))
        self.widget.status.setText(tr("{file}{reloaded}: {written}. {state}.",
                                      file=self.path.name, reloaded=self._reloaded,
                                      written=written, state=state))

    def _breakpoint(self, session, trace) -> str | None:
        """The "my layers disagree" breakpoint, checked after every step."""
        if self.yours is None or not self.widget.pause_box.isChecked():
            return None
        first = self.yours.disagreement()
        if first is None:
            return None
        return tr("my layers disagree: {layer} {function}: {verdict}",
                  layer=layer_name(first.layer), function=first.function,
                  verdict=verdict(first))

    def close(self) -> None:
        if self.yours is not None:
            self.yours.close()
            self.yours = None
            self._extra_breakpoints.remove(self._breakpoint)
