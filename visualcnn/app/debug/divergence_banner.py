"""What the window says when the run loop pauses at the first sign of divergence
(``visualcnn.training.divergence``): one line in the banner, and a button that steps back to
the last step before the blow-up."""

from __future__ import annotations

from PyQt6.QtGui import QAction

from visualcnn.common.i18n import ntr, tr
from visualcnn.common.numbers import format_number


def banner_text(divergence) -> str:
    d = divergence
    return tr("Training paused at step {step}: {what} with learning rate {lr}. Lower the "
              "learning rate, then Step back (Left) to step {good}, the last step before it.",
              step=d.step, what=d.describe(), lr=format_number(d.lr), good=d.last_good_step)


class DivergenceBanner:
    """Shows ``window.loop``'s divergences; ``back`` (the banner's button) calls
    ``step_back`` until the network is at the last step before the blow-up."""

    def __init__(self, window, debugger, step_back):
        self.window, self.debugger, self.step_back = window, debugger, step_back
        self.target: int | None = None
        self.back = QAction(tr("Back"), window)
        self.back.setObjectName("action_back_before_divergence")
        self.back.triggered.connect(self.go_back)
        window.loop.diverged.connect(self.show)

    def show(self, divergence) -> None:
        self.target = divergence.last_good_step
        presses = self.window.session.net.step - self.target
        self.back.setText(tr("Back to step {step}", step=self.target))
        self.back.setToolTip(ntr("Step back {n} time, to the weights before the step that "
                                 "made the jump", "Step back {n} times, to the weights before "
                                 "the step that made the jump", presses))
        self.back.setEnabled(self.debugger.rewind_depth >= presses)
        self.window.show_banner(banner_text(divergence), [self.back])

    def go_back(self) -> None:
        while (self.target is not None and self.window.session.net.step > self.target
               and self.debugger.can_step_back):
            self.step_back()
