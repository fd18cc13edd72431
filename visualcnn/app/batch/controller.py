"""Mini-batches in the window: the batch strip under the toolbars and the sample in focus.

A step on a batch of B samples has one update, from the batch's mean gradient, but B sets of
activations. The window draws one sample's at a time: ``focused(trace)`` turns the batch's
trace into ``trace.sample(focus)`` before any panel sees it, so every panel (and every feature
that follows ``trace_shown``: inspector, focus view, gradient check) shows the sample in
focus. A click on the strip, or ``[`` and ``]``, moves the focus; it stays where it is from
step to step (cut to the size of a smaller batch) and across rewind. With one sample a step
the strip is hidden and traces pass through unchanged.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QToolBar

from visualcnn.app.batch.strip import BatchStrip
from visualcnn.common.i18n import tr


def is_whole_batch(trace) -> bool:
    """True for a batch's own trace, False for one sample's view of it (or a single step)."""
    return trace.batch > 1 and trace.input is not None and trace.input.shape[0] == trace.batch


def batch_note(batch: int) -> str:
    """What the panels' gradients are, said once beside the strip."""
    return tr("Batch of {batch}: dL/dW and dL/db are the batch mean; the maps' gradients are "
              "the sample in focus's share of the batch loss, 1/{batch} of its own.",
              batch=batch)


class BatchView:
    """The strip (``strip``, in the toolbar ``bar``) and the focus (``focus``) of
    ``window``; ``batch_trace`` is the whole batch's trace on screen (None: one sample)."""

    def __init__(self, window):
        self.window = window
        self.focus = 0
        self.batch_trace = None
        self.strip = BatchStrip()
        self.strip.focus_requested.connect(self.set_focus)
        self.bar = QToolBar(tr("Batch"), window)
        self.bar.setObjectName("toolbar_batch")
        self.bar.setMovable(False)
        self.bar.toggleViewAction().setVisible(False)  # it shows whenever a batch does
        self.bar.addWidget(self.strip)
        window.addToolBarBreak()
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.bar)
        self.bar.hide()
        # A saved layout restores the bar as it was at the last close: it follows the batch.
        # (The timer goes with the bar, so it never calls into a closed window.)
        self._refit = QTimer(self.bar, singleShot=True, interval=0)
        self._refit.timeout.connect(self._fit_bar)
        self.bar.visibilityChanged.connect(lambda _: self._refit.start())
        a = window.actions
        a["batch_previous"].triggered.connect(lambda: self.move_focus(-1))
        a["batch_next"].triggered.connect(lambda: self.move_focus(1))
        run_menu = window.menu("Run")
        if run_menu is not None:
            run_menu.addSeparator()
            run_menu.addActions([a["batch_previous"], a["batch_next"]])
        window.trace_shown.connect(self._on_trace_shown)

    # --------------------------------------------------------------------- for the window
    def focused(self, trace):
        """What the panels draw of ``trace``: for a batch, the sample in focus (the focus cut
        to the batch's size); a single sample, or a sample's view already, as it is."""
        if trace.batch <= 1:
            self.batch_trace = None
            return trace
        if not is_whole_batch(trace):
            return trace
        self.batch_trace = trace
        self.focus = min(self.focus, trace.batch - 1)
        return trace.sample(self.focus)

    def sample_index(self, trace):
        """The index in the training split of the sample ``trace`` shows (None before the
        first step), for the input panel's caption."""
        s = self.window.session
        indices = self.indices(trace) if trace.batch > 1 else None
        if indices is not None:
            return indices[trace.focus]
        return s.sample_index if trace.applied else s.next_sample_index

    def indices(self, trace) -> tuple[int, ...] | None:
        """The training split's indices of ``trace``'s batch: the last step's for a step, the
        next step's for a preview (None when they are not the trace's, e.g. a dry run of an
        earlier batch, whose caller names its samples itself)."""
        s = self.window.session
        indices = tuple(s.batch_indices if trace.applied else s.next_batch_indices)
        if len(indices) != trace.batch:
            return None
        if trace.labels is not None and not trace.applied and not all(
                int(s.dataset.y_train[i]) == int(y)
                for i, y in zip(indices, trace.labels, strict=True)):
            return None
        return indices

    # ------------------------------------------------------------------------- focus
    def set_focus(self, i: int) -> None:
        """Show sample ``i`` of the batch on screen in every panel."""
        trace = self.batch_trace
        if trace is None:
            return
        self.focus = max(0, min(int(i), trace.batch - 1))
        debugger = getattr(self.window, "debugger", None)
        if debugger is not None and debugger.phase_text:
            # Mid-walk: the same phase of another sample, still marked as the walk marks it.
            phases = debugger.phase_view
            phases.draw(trace)
            phases.show_not_computed(debugger.event.trace)
            phases.show_status(debugger.phase_text)
        else:
            self.window.show_trace(trace)

    def move_focus(self, delta: int) -> None:
        """The previous (-1) or next (+1) sample of the batch ([ and ])."""
        if self.batch_trace is None:
            self.window.statusBar().showMessage(
                tr("one sample a step: no batch to move along (set Batch above 1)"), 4000)
            return
        self.set_focus((self.focus + delta) % self.batch_trace.batch)

    # ------------------------------------------------------------------------ drawing
    def _on_trace_shown(self, trace) -> None:
        whole = self.batch_trace
        if whole is None:
            self.bar.hide()
        else:
            # Before a phase walk reaches the loss, nothing is predicted yet.
            predictions = None if whole.losses is None else whole.predictions
            self.strip.show_batch(whole.input, whole.labels, predictions, whole.losses,
                                  self.focus, self.indices(whole),
                                  self.window.session.dataset.class_names,
                                  batch_note(whole.batch))
            self.bar.show()
        self.window.controls.show_batch(self.window.session.batch)

    def _fit_bar(self) -> None:
        wanted = self.batch_trace is not None
        if self.bar.isHidden() == wanted:
            self.bar.setVisible(wanted)
