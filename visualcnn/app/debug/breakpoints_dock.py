"""The Breakpoints dock: the conditions that pause Run, ticked and set by the user.

A plain widget with a check box and a value per condition; it emits the ``Breakpoints`` they
make (``visualcnn.training.breakpoints``) on every edit, and the controller hands them to the
debugger. The first row, on by default, is the divergence watch's factor
(``visualcnn.training.divergence``): it emits that factor, or None when unticked.
"""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QCheckBox, QDoubleSpinBox, QGridLayout, QLabel, QSpinBox, QWidget

from visualcnn.common.i18n import tr
from visualcnn.training.breakpoints import Breakpoints
from visualcnn.training.divergence import DEFAULT_FACTOR


class BreakpointsWidget(QWidget):
    """Tick the conditions that pause Run. ``changed(Breakpoints)`` on every edit."""

    changed = pyqtSignal(object)
    divergence_changed = pyqtSignal(object)  # the watch's factor, None when off

    def __init__(self, layer_names: list[str], divergence_factor: float | None = DEFAULT_FACTOR,
                 train_size: int = 10**9):
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 6, 6, 6)
        row = 0
        self.jump_on = QCheckBox(tr("loss or gradient jumps x"))
        self.jump_on.setToolTip(tr("Pause at the first sign of divergence: the loss or a "
                                   "layer's gradient norm this many times its recent level "
                                   "(the loss counted as at least a uniform guess's), or the "
                                   "loss 100 times a uniform guess's"))
        self.jump_on.setChecked(divergence_factor is not None)
        self.jump_factor = QDoubleSpinBox(decimals=1, minimum=2.0, maximum=1e6, singleStep=5.0,
                                          value=divergence_factor or DEFAULT_FACTOR)
        grid.addWidget(self.jump_on, row, 0)
        grid.addWidget(self.jump_factor, row, 1)
        row += 1
        self.jump_on.toggled.connect(self._emit_divergence)
        self.jump_factor.valueChanged.connect(self._emit_divergence)

        def add(box, *widgets):
            nonlocal row
            grid.addWidget(box, row, 0)
            for col, w in enumerate(widgets, start=1):
                grid.addWidget(w, row, col)
            row += 1
            box.toggled.connect(self._emit)
            for w in widgets:
                w.valueChanged.connect(self._emit)

        self.wrong = QCheckBox(tr("prediction is wrong"))
        self.wrong.toggled.connect(self._emit)
        grid.addWidget(self.wrong, row, 0, 1, 2)
        row += 1
        self.loss_on = QCheckBox(tr("loss above"))
        self.loss_value = QDoubleSpinBox(decimals=3, minimum=0.0, maximum=1e3, value=2.3,
                                         singleStep=0.1)
        add(self.loss_on, self.loss_value)
        self.label_on = QCheckBox(tr("label is"))
        self.label_value = QSpinBox(minimum=0, maximum=9, value=0)
        add(self.label_on, self.label_value)
        self.step_on = QCheckBox(tr("step reaches"))
        self.step_value = QSpinBox(minimum=1, maximum=10**9, value=100)
        add(self.step_on, self.step_value)
        self.sample_on = QCheckBox(tr("sample # is"))
        self.sample_on.setToolTip(tr("Pause when this sample of the training split (its "
                                     "index, as the Input panel shows it) is trained on"))
        self.sample_value = QSpinBox(minimum=0, maximum=max(0, train_size - 1), value=0)
        add(self.sample_on, self.sample_value)
        self.changed_on = QCheckBox(tr("sample's prediction changed"))
        self.changed_on.setToolTip(tr("Pause when a sample's prediction differs from the one "
                                      "it got the last time it was trained on (the first time "
                                      "a sample is seen never fires)"))
        self.changed_on.toggled.connect(self._emit)
        grid.addWidget(self.changed_on, row, 0, 1, 2)
        row += 1
        self.norm_above: dict[str, tuple[QCheckBox, QDoubleSpinBox]] = {}
        self.norm_below: dict[str, tuple[QCheckBox, QDoubleSpinBox]] = {}
        for name in layer_names:
            for table, text, value in (
                    (self.norm_above, tr("{layer} |dL/dW| above", layer=name), 10.0),
                    (self.norm_below, tr("{layer} |dL/dW| below", layer=name), 1e-4)):
                box = QCheckBox(text)
                spin = QDoubleSpinBox(decimals=6, minimum=0.0, maximum=1e9, value=value)
                add(box, spin)
                table[name] = (box, spin)
        note = QLabel(tr("A non-finite loss, gradient or weight always pauses."))
        note.setWordWrap(True)
        grid.addWidget(note, row, 0, 1, 2)
        self.fired = QLabel("")
        self.fired.setWordWrap(True)
        self.fired.setStyleSheet("color: #b71c1c; font-weight: bold;")
        grid.addWidget(self.fired, row + 1, 0, 1, 2)
        grid.setRowStretch(row + 2, 1)

    def breakpoints(self) -> Breakpoints:
        return Breakpoints(
            wrong_prediction=self.wrong.isChecked(),
            loss_above=self.loss_value.value() if self.loss_on.isChecked() else None,
            label_is=self.label_value.value() if self.label_on.isChecked() else None,
            grad_norm_above={n: s.value() for n, (b, s) in self.norm_above.items()
                             if b.isChecked()},
            grad_norm_below={n: s.value() for n, (b, s) in self.norm_below.items()
                             if b.isChecked()},
            at_step=self.step_value.value() if self.step_on.isChecked() else None,
            sample_is=self.sample_value.value() if self.sample_on.isChecked() else None,
            prediction_changed=self.changed_on.isChecked())

    def set_train_size(self, size: int) -> None:
        """The training split's size bounds the sample index (a new dataset)."""
        self.sample_value.setMaximum(max(0, int(size) - 1))

    def divergence_factor(self) -> float | None:
        return self.jump_factor.value() if self.jump_on.isChecked() else None

    def _emit(self, *_):
        self.changed.emit(self.breakpoints())

    def _emit_divergence(self, *_):
        self.divergence_changed.emit(self.divergence_factor())
