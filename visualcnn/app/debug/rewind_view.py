"""Going back in the run on screen: Step back and jumps to any step (the timeline's), with what
the window must show after one: the step's trace (or the preview at the start of the run), the
learning rate that step trained with, the curves up to it, and a word when there is nowhere to
go or when a dock still shows a result of another step."""

from __future__ import annotations

from visualcnn.common.i18n import tr
from visualcnn.training.memory import MB

MESSAGE_MS = 6000


class RewindView:
    """Step back and ``show_step`` for ``view`` (the ``DebuggerView``)."""

    def __init__(self, view):
        self.view = view
        self.window = view.window
        self.debugger = view.debugger
        self.checked_step: int | None = None  # the step the gradient check's report is of

    def step_back(self) -> None:
        w, d = self.window, self.debugger
        if not d.can_step_back:
            d.end_walk()
            start = d.first_step
            if start is not None:
                why = tr("nothing to step back to: step {step} is the start of the run",
                         step=start)
            else:
                why = tr("nothing to step back to: no step was trained since the last reset "
                         "or checkpoint (step {step})", step=w.session.net.step)
            w.statusBar().showMessage(why, MESSAGE_MS)
            return
        self._show(d.step_back())
        w.statusBar().showMessage(tr(
            "stepped back to step {step} of {last}; {depth:,} more can be undone (history "
            "{used:.1f} of {budget:g} MB)", step=w.session.net.step, last=d.last_step,
            depth=d.rewind_depth, used=d.history_nbytes() / MB, budget=d.budget_bytes / MB),
            MESSAGE_MS)

    def show_step(self, step: int) -> bool:
        """Put the whole window at step ``step`` of the run; False (and a word on the status
        line) when it is not in the run."""
        w, d = self.window, self.debugger
        first, last = d.first_step, d.last_step
        if first is None or not first <= step <= last:
            if first is not None:
                why = tr("step {step} is not in the run (steps {first} to {last})",
                         step=step, first=first, last=last)
            else:
                why = tr("step {step} is not in the run (no steps yet)", step=step)
            w.statusBar().showMessage(why, MESSAGE_MS)
            return False
        if step != w.session.net.step or w.last_trace is None or not w.last_trace.applied:
            self._show(d.go_to(step))
        return True

    def _show(self, trace) -> None:
        w = self.window
        w.hide_banner()
        if trace is None:
            trace = w.session.preview()  # the start of the run: no step made it
        w.controls.show_lr(w.session.lr)  # the rate that step trained with
        w.show_trace(trace)  # the curves too: the loop is not running
        self._mark_gradcheck_stale()

    def _mark_gradcheck_stale(self) -> None:
        """The gradient check's report is of the step it was made at: say so once the
        window shows another one, rather than leave it reading as the current step's."""
        summary = getattr(self.view.gradcheck, "summary", None)
        now = self.window.session.net.step
        if summary is None or self.checked_step is None or self.checked_step == now:
            return
        summary.setText(tr("The last check was made at step {checked}; the window now shows "
                           "step {now}. Press Check (Ctrl+G) to check this step.",
                           checked=self.checked_step, now=now))
        self.checked_step = None
