"""The controls: a toolbar of actions (Step, Run, Reset, Open and Save, and those the features
add) and one of settings (the learning rate as a log slider and a number field, the batch
size, the speed, the colour scale mode), kept within the window's width by ``ToolbarFit``."""

from __future__ import annotations

import math

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QDoubleValidator
from PyQt6.QtWidgets import QComboBox, QLabel, QLineEdit, QSlider, QSpinBox, QToolBar

from visualcnn.app.run_loop import MAX_SPEED
from visualcnn.app.toolbar_fit import ToolbarFit
from visualcnn.app.views.colormaps import SCALE_MODES
from visualcnn.common import i18n
from visualcnn.common.errors import UserError
from visualcnn.common.i18n import ntr, tr
from visualcnn.nn.network import MAX_BATCH
from visualcnn.training.session import LR_MAX, LR_MIN

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
    return tr("max") if speed == MAX_SPEED else tr("{speed}/s", speed=speed)


def toolbar(title: str, name: str, window) -> QToolBar:
    bar = QToolBar(title, window)
    bar.setObjectName(name)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    bar.setMovable(False)  # where ToolbarFit puts it: a dragged one could end up cut off
    window.addToolBar(bar)
    return bar


class Controls:
    """Builds the toolbars of ``window`` (``bar``: the actions, ``settings_bar``) and keeps
    their widgets in step with the session: the learning rate goes to ``window.set_lr``, the
    speed to the run loop, the scale mode to ``window.set_scale_mode``, the batch size to
    the session (from its next step)."""

    def __init__(self, window):
        self.window = window
        self.bar = bar = toolbar(tr("Controls"), "toolbar_controls", window)
        a = window.actions
        for name in ("step", "run", "reset"):
            bar.addAction(a[name])
        bar.addSeparator()
        bar.addAction(a["open"])
        bar.addAction(a["save"])
        self.settings_bar = bar = toolbar(tr("Settings"), "toolbar_settings", window)
        self.lr_label = QLabel()
        bar.addWidget(self.lr_label)
        self.lr_slider = QSlider(Qt.Orientation.Horizontal)
        self.lr_slider.setRange(0, LR_SLIDER_STEPS)
        self.lr_slider.setFixedWidth(130)
        self.lr_slider.setToolTip(tr("Learning rate, log scale from 1e-5 to 1"))
        self.lr_field = QLineEdit()
        self.lr_field.setFixedWidth(70)
        validator = QDoubleValidator(LR_MIN, LR_MAX, 8, self.lr_field)
        validator.setNotation(QDoubleValidator.Notation.ScientificNotation)
        self.lr_field.setValidator(validator)
        self.lr_field.setToolTip(tr("Learning rate, 1e-5 to 1; in effect from the next step"))
        bar.addWidget(self.lr_slider)
        bar.addWidget(self.lr_field)
        self.batch_label = QLabel()
        bar.addWidget(self.batch_label)
        self.batch_box = QSpinBox(minimum=1, maximum=MAX_BATCH, value=1)
        self.batch_box.setObjectName("batch_box")
        self.batch_box.setToolTip(tr("Samples per step (a mini-batch), 1 to {most}; in effect "
                                     "from the next step. The update is the batch's mean "
                                     "gradient.", most=MAX_BATCH))
        bar.addWidget(self.batch_box)
        bar.addSeparator()
        bar.addWidget(QLabel(f" {tr('speed')} "))
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_slider.setRange(0, len(SPEEDS) - 1)
        self.speed_slider.setFixedWidth(110)
        self.speed_slider.setToolTip(tr("Steps per second while running; rightmost: max"))
        self.speed_label = QLabel()
        self.speed_label.setMinimumWidth(45)
        bar.addWidget(self.speed_slider)
        bar.addWidget(self.speed_label)
        bar.addSeparator()
        self.scale_box = QComboBox()
        for key, text in SCALE_MODES.items():
            self.scale_box.addItem(i18n.lookup(text), key)
        self.scale_box.setToolTip(tr("Colour levels: each map on its own, shared by the maps "
                                     "of a layer, or frozen so frames compare from step to "
                                     "step"))
        bar.addWidget(self.scale_box)
        self.lr_slider.valueChanged.connect(self._on_lr_slider)
        self.lr_field.editingFinished.connect(self._on_lr_field)
        self.speed_slider.valueChanged.connect(self._on_speed_slider)
        self.batch_box.valueChanged.connect(self._on_batch_box)
        self.scale_box.currentIndexChanged.connect(
            lambda i: window.set_scale_mode(self.scale_box.itemData(i)))
        self.shorten(False)
        self.fit = ToolbarFit(window, self.bar, self.settings_bar, self.shorten)

    def shorten(self, short: bool) -> None:
        """Shorter sliders and label for a narrow window (the tooltips say the rest)."""
        self.lr_label.setText(f" {tr('rate') if short else tr('learning rate')} ")
        self.batch_label.setText(" B " if short else f" {tr('batch')} ")
        self.lr_slider.setFixedWidth(90 if short else 130)
        self.lr_field.setFixedWidth(56 if short else 70)
        self.speed_slider.setFixedWidth(80 if short else 110)

    # ------------------------------------------------------------- showing values
    def show_lr(self, lr: float) -> None:
        """Show ``lr`` in the slider and the field without setting it again."""
        for widget in (self.lr_slider, self.lr_field):
            widget.blockSignals(True)
        self.lr_slider.setValue(lr_to_slider(lr))
        self.lr_field.setText(f"{lr:g}")
        for widget in (self.lr_slider, self.lr_field):
            widget.blockSignals(False)

    def show_batch(self, batch: int) -> None:
        """Show ``batch`` in the box without setting it again."""
        if self.batch_box.value() != batch:
            self.batch_box.blockSignals(True)
            self.batch_box.setValue(batch)
            self.batch_box.blockSignals(False)

    def set_speed(self, speed: int) -> None:
        """Move the speed slider to ``speed`` (an unknown one: the default) and apply it."""
        self.speed_slider.setValue(SPEEDS.index(speed) if speed in SPEEDS
                                   else SPEEDS.index(DEFAULT_SPEED))
        self._on_speed_slider(self.speed_slider.value())

    def show_scale_mode(self, mode: str) -> None:
        self.scale_box.setCurrentIndex(list(SCALE_MODES).index(mode))

    # ------------------------------------------------------------------- handlers
    def _on_lr_slider(self, position: int) -> None:
        self.window.set_lr(slider_to_lr(position))

    def _on_lr_field(self) -> None:
        w = self.window
        try:
            w.set_lr(float(self.lr_field.text()))
        except (ValueError, UserError):
            w.statusBar().showMessage(tr("learning rate must be a number from 1e-5 to 1"), 5000)
            self.show_lr(w.session.lr)

    def _on_batch_box(self, batch: int) -> None:
        w = self.window
        try:
            w.session.batch = batch
        except UserError as e:
            w.statusBar().showMessage(str(e), 5000)
            self.show_batch(w.session.batch)
            return
        w.statusBar().showMessage(ntr("{n} sample a step from the next step on",
                                      "{n} samples a step from the next step on", batch), 4000)

    def _on_speed_slider(self, position: int) -> None:
        speed = SPEEDS[position]
        self.window.loop.set_speed(speed)
        self.speed_label.setText(speed_text(speed))
