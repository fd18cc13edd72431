"""The debugger in the window: phase stepping, Step back, Replay, Dry run, breakpoints, the
inspector, the gradient check and the update view.

``DebuggerView(window)`` wires a Qt-free ``visualcnn.training.debugger.Debugger`` to the
window's session, connects the actions declared in ``actions.py``, adds a Debug menu, toolbar
buttons and four docks (each with its View-menu toggle). ``PhaseView`` draws a step while it
is walked phase by phase; the docks' widgets each live in a module of their own, as do the
rewind history's budget and the banner for a divergence.
"""

from __future__ import annotations

import time

import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QGuiApplication
from PyQt6.QtWidgets import QDockWidget

from visualcnn.app import settings
from visualcnn.app.debug.breakpoints_dock import BreakpointsWidget
from visualcnn.app.debug.diff_view import DiffWidget
from visualcnn.app.debug.divergence_banner import DivergenceBanner
from visualcnn.app.debug.gradcheck_dock import GradcheckWidget
from visualcnn.app.debug.history_budget import HistoryBudget
from visualcnn.app.debug.inspector import Inspector
from visualcnn.app.debug.phase_view import PhaseView, phase_name
from visualcnn.app.debug.rewind_view import RewindView
from visualcnn.app.debug.timeline import TimelineView
from visualcnn.app.debug.update_view import UpdateWidget
from visualcnn.app.menus import named_menu
from visualcnn.app.views.panels import InputPanel
from visualcnn.common.i18n import tr
from visualcnn.training.debugger import Debugger, gradcheck_copy, tensor_names

SIDE_REFRESH_S = 0.25  # inspector and update view while running


def _named(samples) -> str:
    """"sample #12", or "the batch of 8 from sample #12"."""
    if len(samples) == 1:
        return tr("sample #{index}", index=samples[0])
    return tr("the batch of {size} from sample #{index}", size=len(samples), index=samples[0])


class DebuggerView:
    """Owns the debugger, its docks and its actions for ``window``."""

    def __init__(self, window):
        self.window = window
        self.debugger = Debugger(window.session)
        self.divergence_factor = settings.divergence_factor(window.settings)
        self.phase_view = PhaseView(window)
        self.event = None           # the phase on screen during a walk
        self.trace = None           # the real trace on screen (not the NaN-filled one)
        self._last_side = 0.0
        a = window.actions
        a["step_phase"].triggered.connect(self.step_phase)
        a["step_back"].triggered.connect(self.step_back)
        a["replay"].triggered.connect(self.replay)
        a["dry_run"].triggered.connect(self.dry_run)
        a["gradcheck"].triggered.connect(self.run_gradcheck)
        self._build_menu_and_toolbar()
        self._build_docks()
        self.rewind = RewindView(self)
        self.divergence = DivergenceBanner(window, self.debugger, self.step_back)
        window.trace_shown.connect(self._on_trace_shown)
        window.docks_built.connect(self._on_docks_built)
        window.loop.breakpoint_hit.connect(self._on_breakpoint)
        window.loop.failed.connect(self._on_failed)
        window.loop.running_changed.connect(self._on_running_changed)
        self._on_docks_built()
        if window.last_trace is not None:
            self._on_trace_shown(window.last_trace)

    # ---------------------------------------------------------------------- building
    def _build_menu_and_toolbar(self) -> None:
        w, a = self.window, self.window.actions
        menu = named_menu(w.menuBar(), "Debug", tr("&Debug"))
        w.menuBar().insertMenu(w.view_menu.menuAction(), menu)
        menu.addActions([a["step_phase"], a["step_back"], a["replay"], a["dry_run"]])
        self.budget = HistoryBudget(w, self.debugger, menu)
        menu.addSeparator()
        menu.addAction(a["gradcheck"])
        self.menu = menu
        bar = w.controls_bar
        if bar is not None:
            bar.insertAction(a["step"], a["step_back"])
            bar.insertAction(a["run"], a["step_phase"])

    def _dock(self, key: str, title: str, widget) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(f"dock_debug_{key}")
        dock.setWidget(widget)
        self.window.add_side_dock(dock)
        return dock

    def _build_docks(self) -> None:
        w = self.window
        self.inspector = Inspector(w)
        self._new_breakpoints_widget(self._param_layers())
        self.gradcheck = GradcheckWidget()
        self.gradcheck.whole.attach(self)
        self.gradcheck.run.clicked.connect(w.actions["gradcheck"].trigger)
        self.update_view = UpdateWidget()
        self.inspector_dock = self._dock("inspector", tr("Inspector"), self.inspector.widget)
        self.inspector.dock = self.inspector_dock
        self.breakpoints_dock = self._dock("breakpoints", tr("Breakpoints"), self.breakpoints)
        self.gradcheck_dock = self._dock("gradcheck", tr("Gradient check"), self.gradcheck)
        self.update_dock = self._dock("update", tr("Update"), self.update_view)
        self.update_dock.visibilityChanged.connect(self._on_update_visibility)
        self.diff_view = DiffWidget(w, self.debugger)
        self.diff_dock = self._dock("diff", tr("Diff weights"), self.diff_view)
        self.debug_docks = [self.inspector_dock, self.breakpoints_dock, self.gradcheck_dock,
                            self.update_dock, self.diff_dock]
        self.timeline = TimelineView(self)
        self.debug_docks.append(self.timeline.dock)
        for dock in self.debug_docks:
            dock.hide()
        self.menu.addSeparator()
        for dock in self.debug_docks:
            self.menu.addAction(dock.toggleViewAction())
        self._add_view_entries()

    def _add_view_entries(self) -> None:
        menu = self.window.view_menu
        present = set(menu.actions())
        if not any(d.toggleViewAction() in present for d in self.debug_docks):
            menu.addSeparator()
        for dock in self.debug_docks:
            if dock.toggleViewAction() not in present:
                menu.addAction(dock.toggleViewAction())

    def _param_layers(self) -> list[str]:
        return [layer.name for layer in self.window.session.net.layers if layer.params]

    def _on_docks_built(self) -> None:
        """The window (re)built its panels: new boards to listen to, new layers."""
        self._sync_session()
        self.phase_view.docks_rebuilt()
        self.inspector.selection = None
        self.inspector.connect_panels()
        self.update_view.build(self.window.session.net)
        names = self._param_layers()
        if list(self.breakpoints.norm_above) != names:
            self.breakpoints.deleteLater()
            self._new_breakpoints_widget(names)
            self.breakpoints_dock.setWidget(self.breakpoints)
            self.debugger.breakpoints = self.breakpoints.breakpoints()
        self.breakpoints.set_train_size(self.window.session.train_size)
        self.budget.refresh()
        net = self.window.session.net
        sizes = {f"{la.name}/{k}": v.size for la, k, v in net.parameters()}
        sizes["input"] = int(np.prod(net.input_shape))
        self.gradcheck.set_tensors(tensor_names(net), sizes)
        self._add_view_entries()

    def _new_breakpoints_widget(self, names: list[str]) -> None:
        self.breakpoints = BreakpointsWidget(names, self.divergence_factor)
        self.breakpoints.changed.connect(self._on_breakpoints_changed)
        self.breakpoints.divergence_changed.connect(self._on_divergence_factor)

    def _sync_session(self) -> None:
        """Follow the window's session if it was replaced (a new dataset)."""
        if self.debugger.session is not self.window.session:
            self.debugger.attach(self.window.session)
        self.window.session.watch.factor = self.divergence_factor

    # ------------------------------------------------------------------------ actions
    def _pause(self) -> None:
        if self.window.loop.running:
            self.window.loop.stop()

    def step_phase(self) -> None:
        self._pause()
        self._sync_session()
        event = self.debugger.step_phase()
        phases = self.phase_view
        if event.phase == "update":
            phases.end_walk()
            self.window.show_trace(event.trace)
            self.event = event
            phases.mark_update(self._param_layers())
            self.window.reveal(self.update_dock)
            phases.show_status("update")
            if self.window.session.failure:
                self.window.loop.failed.emit(self.window.session.failure)
            elif self.window.session.divergence is not None:
                self.window.loop.diverged.emit(self.window.session.divergence)
            return
        self.event = event
        self.trace = event.trace
        phases.draw(event.trace)
        self.inspector.show_trace(event.trace)
        if self.update_dock.isVisible():
            self.update_view.show_trace(event.trace)
        phases.show_not_computed(event.trace)
        phases.mark_layer(event)
        phases.show_status(phase_name(event))

    def step_back(self) -> None:
        self._pause()
        self._sync_session()
        self.rewind.step_back()

    def show_step(self, step: int) -> bool:
        """The whole window at step ``step`` of the run (weights, trace, curves)."""
        self._pause()
        self._sync_session()
        return self.rewind.show_step(step)

    def _shown_note(self) -> str | None:
        """The note ("drawn, target 3", "test #12") when the trace on screen is not of a
        training sample: Replay and Dry run then use that very sample."""
        return self.window.session.note_for(self.trace) if self.trace is not None else None

    def _whole(self):
        """The trace on screen; of a mini-batch, the whole batch's rather than one sample's."""
        batch = getattr(self.window, "batch", None)
        whole = batch.batch_trace if batch is not None else None
        same = whole is not None and self.trace is not None and whole.step == self.trace.step
        return whole if same else self.trace

    def replay(self) -> None:
        self._pause()
        self._sync_session()
        note = self._shown_note()
        if note is not None:
            trace = self.window.session.train_sample(self.trace.input[0], self.trace.label, note)
            self.window.show_trace(trace)
            self.window.statusBar().showMessage(tr("replayed {what}", what=note), 4000)
            return
        samples = self.debugger.shown_batch(self._whole())
        trace = self.debugger.replay(samples if len(samples) > 1 else samples[0])
        self.window.show_trace(trace)
        self.window.statusBar().showMessage(tr("replayed {what}", what=_named(samples)), 4000)

    def dry_run(self) -> None:
        self._pause()
        self._sync_session()
        note = self._shown_note()
        if note is not None:
            trace = self.window.session.try_sample(self.trace.input[0], self.trace.label, note)
            self.window.show_trace(trace)
            self.phase_view.show_status(tr("dry run on {what} (no update)", what=note))
            return
        samples = self.debugger.shown_batch(self._whole())
        trace = self.debugger.dry_run(samples if len(samples) > 1 else samples[0])
        self.window.show_trace(trace)
        # The input panel names the sample of the trace, not the next one in the order.
        shown = self.window.last_trace  # of a batch, the sample in focus
        for panel in self.window.panels:
            if isinstance(panel, InputPanel):
                panel.show_trace(shown, samples[shown.focus])
        self.phase_view.show_status(tr("dry run on {what} (no update)", what=_named(samples)))

    def run_gradcheck(self) -> None:
        self._pause()
        self._sync_session()
        self.window.reveal(self.gradcheck_dock)
        name = self.gradcheck.tensor.currentData() or tensor_names(self.window.session.net)[0]
        s, trace = self.window.session, self.trace
        # The sample on screen, whatever it came from (training set, test image, drawing).
        note = s.note_for(trace) if trace is not None and hasattr(s, "note_for") else None
        if trace is not None and trace.input is not None:
            x, y = trace.input[0], trace.label
            what = note or tr("sample #{index}",
                              index=self.debugger.shown_batch(self._whole())[trace.focus])
        else:
            index = s.next_sample_index
            x, y, what = s.dataset.x_train[index], int(s.dataset.y_train[index]), f"#{index}"
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            report = gradcheck_copy(s.net, x, y, name, self.gradcheck.max_entries())
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.gradcheck.show_report(report, what, s.net.step)
        self.rewind.checked_step = s.net.step

    # --------------------------------------------------------------- window signals
    def _on_trace_shown(self, trace) -> None:
        if self.phase_view.drawing:
            return
        self._sync_session()
        self.trace = trace
        if self.event is not None or self.phase_view.marked_docks:
            self.event = None
            self.phase_view.end_walk()
        # While running, the side views follow at most every SIDE_REFRESH_S (they are
        # read at a pause, when the last trace is drawn with the loop stopped).
        now = time.perf_counter()
        if not self.window.loop.running or now - self._last_side >= SIDE_REFRESH_S:
            self._last_side = now
            self.inspector.show_trace(trace)
            if self.update_dock.isVisible():
                self.update_view.show_trace(trace)
        else:
            self.inspector.trace = trace
        self._update_enabled()
        self.timeline.follow(self.window.loop.running)

    def _on_update_visibility(self, visible: bool) -> None:
        if visible and self.trace is not None:
            self.update_view.show_trace(self.trace)

    def _on_running_changed(self, running: bool) -> None:
        if running:
            self.debugger.end_walk()
            self.phase_view.end_walk()
        self._update_enabled()

    def _on_breakpoints_changed(self, breakpoints) -> None:
        self.debugger.breakpoints = breakpoints
        self._sync_session()

    def _on_divergence_factor(self, factor: float | None) -> None:
        self.divergence_factor = factor
        settings.store_divergence_factor(self.window.settings, factor)
        self._sync_session()

    def _on_breakpoint(self, reason: str) -> None:
        self.breakpoints.fired.setText(tr("fired: {reason}", reason=reason))
        self.window.show_banner(tr("Breakpoint: {reason}. Press Run to go on.", reason=reason))

    def _on_failed(self, message: str) -> None:
        index = self.window.session.sample_index
        text = self.window.banner.text()
        # The message may come from code not yet translated: either language names it.
        named = (f"sample #{index}", tr("sample #{index}", index=index))
        if index is not None and not any(n in text for n in named):
            self.window.show_banner(tr("{message} (sample #{index})", message=text, index=index))

    def _update_enabled(self) -> None:
        # Step back stays on at the start of the run: pressed there, it says why it cannot.
        self.window.actions["step_back"].setEnabled(True)

    # ------------------------------------------------------------------------- facts
    @property
    def phase_text(self) -> str:
        """The phase on screen during a walk ("forward conv1", "loss", "update"), else ""."""
        return phase_name(self.event) if self.event is not None else ""
