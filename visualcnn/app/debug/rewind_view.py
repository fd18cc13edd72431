"""Going back in the run on screen: Step back and jumps to any step (the timeline's), with what
the window must show after one: the step's trace (or the preview at the start of the run), the
learning rate that step trained with, the curves up to it, and a word when there is nowhere to
go or when a dock still shows a result of another step."""

from __future__ import annotations

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
            where = (f"step {start} is the start of the run" if start is not None else
                     f"no step was trained since the last reset or checkpoint (step "
                     f"{w.session.net.step})")
            w.statusBar().showMessage(f"nothing to step back to: {where}", MESSAGE_MS)
            return
        self._show(d.step_back())
        w.statusBar().showMessage(
            f"stepped back to step {w.session.net.step} of {d.last_step}; "
            f"{d.rewind_depth:,} more can be undone (history "
            f"{d.history_nbytes() / MB:.1f} of {d.budget_bytes / MB:g} MB)", MESSAGE_MS)

    def show_step(self, step: int) -> bool:
        """Put the whole window at step ``step`` of the run; False (and a word on the status
        line) when it is not in the run."""
        w, d = self.window, self.debugger
        first, last = d.first_step, d.last_step
        if first is None or not first <= step <= last:
            span = f"steps {first} to {last}" if first is not None else "no steps yet"
            w.statusBar().showMessage(f"step {step} is not in the run ({span})", MESSAGE_MS)
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
        summary.setText(f"The last check was made at step {self.checked_step}; the window "
                        f"now shows step {now}. Press Check (Ctrl+G) to check this step.")
        self.checked_step = None
