"""Draw a digit: a canvas drawn on with the mouse, a target label, and buttons that run the
network on the drawing (a dry run) or train one step on it.

``Drawing(window)`` adds the "Draw a digit" dock to the column of tabs and the two actions to
the Run menu; after each stroke, and when the target changes, the drawing runs by itself
unless training is running. The target starts at "none": a run then shows the forward pass
and the prediction, with notes where the backward pass would be (``forward_view``), and
training on the drawing waits for a target. The drawing becomes a sample in
``visualcnn.data.drawn`` from the pen's path (NumPy, MNIST's stroke width and fit); this
module only records and paints strokes.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QObject, QPointF, QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QImage, QPainter, QPen, QPixmap, QValidator
from PyQt6.QtWidgets import (
    QDockWidget,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from visualcnn.app.classroom.forward_view import ForwardNotes, forward_display
from visualcnn.app.classroom.images import array_to_qimage, qimage_to_array
from visualcnn.app.views.class_names import names_or_numbers, short
from visualcnn.common.errors import UserError
from visualcnn.common.i18n import tr
from visualcnn.data.drawn import strokes_to_sample
from visualcnn.nn.forward import forward_trace

CANVAS_PIXELS = 280   # the canvas's resolution (what it shows; the sample comes from the path)
PEN_WIDTH = 18.0      # the pen on the canvas, in canvas pixels
NO_TARGET = -1        # the target box's value for "none"


def hint() -> str:
    """What the dock says under the buttons while drawing is on."""
    return tr("Draw a digit: the network shows what it makes of it. Pick its target to see "
              "the backward pass and to train on it.")


def grey_only_reason(channels: int) -> str:
    """Why drawing is off for data with ``channels`` channels ("" when it is on)."""
    if channels == 1:
        return ""
    return tr("Drawing is for grey images; this data has {channels} channels (colour), so "
              "Draw a digit is off. Open grey data (the bundled digits) to draw.",
              channels=channels)


class DrawCanvas(QWidget):
    """A square canvas: press and drag with the left button to draw, ``clear()`` to start over.

    White ink on black, like the dataset's images. ``stroke_finished`` is emitted when the
    button is released; ``strokes()`` returns the pen's path, ``ink()`` the picture shown as
    floats in [0, 1].
    """

    stroke_finished = pyqtSignal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.image = QImage(CANVAS_PIXELS, CANVAS_PIXELS, QImage.Format.Format_RGB32)
        self.image.fill(QColor(0, 0, 0))
        self._last: QPointF | None = None
        self._strokes: list[list[tuple[float, float]]] = []  # canvas pixels, x right, y down
        # Small enough that the dock leaves a small window (a recording at 800 x 500) its
        # height; the canvas grows square with the dock.
        self.setMinimumSize(100, 100)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip(tr("Draw a digit with the left mouse button"))

    def heightForWidth(self, width: int) -> int:
        return width

    def sizeHint(self) -> QSize:
        return QSize(220, 220)

    def _square(self) -> QRectF:
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def to_canvas(self, pos) -> QPointF:
        """Widget coordinates -> canvas pixel coordinates."""
        square = self._square()
        scale = CANVAS_PIXELS / square.width()
        return QPointF((pos.x() - square.x()) * scale, (pos.y() - square.y()) * scale)

    def _draw_to(self, point: QPointF) -> None:
        point = QPointF(min(max(point.x(), 0.0), CANVAS_PIXELS),
                        min(max(point.y(), 0.0), CANVAS_PIXELS))
        start = self._last if self._last is not None else point
        self._strokes[-1].append((point.x(), point.y()))
        painter = QPainter(self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(255, 255, 255), PEN_WIDTH, Qt.PenStyle.SolidLine,
                            Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        if start == point:
            painter.drawPoint(point)
        else:
            painter.drawLine(start, point)
        painter.end()
        self._last = point
        self.update()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._last = None
            self._strokes.append([])
            self._draw_to(self.to_canvas(event.position()))

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton and self._last is not None:
            self._draw_to(self.to_canvas(event.position()))

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._last is not None:
            self._last = None
            self.stroke_finished.emit()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(self._square(), self.image)
        painter.setPen(QPen(QColor(120, 120, 120), 1))
        painter.drawRect(self._square().adjusted(0, 0, -1, -1))
        painter.end()

    def clear(self) -> None:
        self.image.fill(QColor(0, 0, 0))
        self._last = None
        self._strokes = []
        self.update()

    def strokes(self) -> list[np.ndarray]:
        """The pen's path: one (points, 2) array of (x, y) canvas pixels per stroke."""
        return [np.array(s, dtype=np.float64).reshape(-1, 2) for s in self._strokes if s]

    def ink(self) -> np.ndarray:
        """What the canvas shows, (CANVAS_PIXELS, CANVAS_PIXELS) float64 in [0, 1]: 0 paper,
        1 full ink."""
        return qimage_to_array(self.image)[..., 0] / 255.0

    def is_blank(self) -> bool:
        return not any(self._strokes)


class ClassSpinBox(QSpinBox):
    """The target chooser: a class number that reads (and can be typed) as the class's name,
    "target none" below the first class. Arrows and the wheel step through the classes."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.names: tuple[str, ...] = names_or_numbers(None, 10)
        # "none" may be typed in English or in the window's language.
        self.none_words = {"none", tr("none").lower()}

    def set_names(self, names) -> None:
        self.names = tuple(names)
        self.setRange(NO_TARGET, len(self.names) - 1)
        self.updateGeometry()  # the widest name decides the width
        # The same value under new names: the box would keep showing the old one.
        value = self.value()
        special = value == self.minimum() and self.specialValueText()
        self.lineEdit().setText(special or self.prefix() + self.textFromValue(value))

    def textFromValue(self, value: int) -> str:
        if 0 <= value < len(self.names):
            return short(self.names[value])
        return str(value)

    def valueFromText(self, text: str) -> int:
        typed = text.removeprefix(self.prefix()).strip().lower()
        for value, name in enumerate(self.names):
            if short(name).lower() == typed or name.lower() == typed:
                return value
        return NO_TARGET

    def validate(self, text: str, pos: int):
        typed = text.removeprefix(self.prefix()).strip().lower()
        shown = [short(name).lower() for name in self.names]
        if typed in shown or typed in self.none_words:
            return QValidator.State.Acceptable, text, pos
        if any(name.startswith(typed) for name in [*shown, *self.none_words]):
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Invalid, text, pos

    def sizeHint(self):
        hint = super().sizeHint()
        metrics = self.fontMetrics()
        widest = max((metrics.horizontalAdvance(self.prefix() + short(name))
                      for name in self.names), default=0)
        hint.setWidth(max(hint.width(), widest + 40))  # room for the arrows and the frame
        return hint

    def minimumSizeHint(self):
        return self.sizeHint()


class DrawPanel(QWidget):
    """The "Draw a digit" dock's content: canvas, target label, preview of the 28 x 28 sample
    the network sees, Clear, and the two actions (run on it, train on it)."""

    def __init__(self, try_action, train_action, parent=None):
        super().__init__(parent)
        self.canvas = DrawCanvas()
        self.target = ClassSpinBox()
        self.target.setRange(NO_TARGET, 9)
        self.target.setValue(NO_TARGET)
        # The prefix and "none" make the special text, so that typing after the prefix works.
        self.target.setPrefix(tr("target "))
        self.target.setSpecialValueText(self.target.prefix() + tr("none"))
        self.target.setToolTip(tr("The label the drawing should have: the loss and gradients "
                                  "are computed against it. With none, a run shows the "
                                  "forward pass and the prediction only"))
        self.clear_button = QPushButton(tr("Clear"))
        self.clear_button.setToolTip(tr("Erase the drawing and its target, for a new digit"))
        self.clear_button.clicked.connect(self.clear)
        self.try_button = QPushButton(tr("Run the drawing"))
        self.try_button.setToolTip(try_action.toolTip())
        self.try_button.clicked.connect(try_action.trigger)
        self.train_button = QPushButton(tr("Train one step on it"))
        self.train_button.setToolTip(train_action.toolTip())
        self.train_button.clicked.connect(train_action.trigger)
        self.train_button.setEnabled(train_action.isEnabled())
        train_action.changed.connect(lambda: self.train_button.setEnabled(
            train_action.isEnabled()))
        self.preview = QLabel()
        self.preview.setFixedSize(84, 84)
        self.preview.setToolTip(tr("What the network sees: the drawing fitted in a 20 x 20 box "
                                   "and centred by its centre of mass in 28 x 28"))
        self.preview.setStyleSheet("background: black; border: 1px solid gray;")
        self.hint = QLabel(hint())
        self.hint.setWordWrap(True)

        row = QHBoxLayout()
        row.addWidget(self.target)
        row.addWidget(self.clear_button)
        buttons = QGridLayout()
        buttons.addWidget(self.try_button, 0, 0)
        buttons.addWidget(self.train_button, 1, 0)
        buttons.addWidget(self.preview, 0, 1, 2, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(row)
        layout.addLayout(buttons)
        layout.addWidget(self.hint)

    def set_drawable(self, reason: str) -> None:
        """Drawing on (``reason`` empty) or off, with the reason in the hint and tooltips.
        The train button follows its action, which the caller sets."""
        for widget in (self.canvas, self.target, self.clear_button, self.try_button):
            widget.setEnabled(not reason)
        self.hint.setText(reason or hint())
        self.setToolTip(reason)

    def set_classes(self, classes: int) -> None:
        """Number the target's classes (names, when the data has them: ``set_class_names``)."""
        if len(self.target.names) != classes:
            self.target.set_names(names_or_numbers(None, classes))

    def set_class_names(self, names) -> None:
        """Offer the data's classes as targets, by name."""
        self.target.set_names(names)

    def target_label(self) -> int | None:
        """The target picked, or None ("none")."""
        value = self.target.value()
        return None if value == NO_TARGET else value

    def clear(self) -> None:
        """A new digit: no ink, no target."""
        self.canvas.clear()
        self.target.setValue(NO_TARGET)

    def show_sample(self, sample: np.ndarray) -> None:
        """Show the converted sample (C, H, W) in the preview, first channel."""
        pixmap = QPixmap.fromImage(array_to_qimage(sample[0]))
        self.preview.setPixmap(pixmap.scaled(self.preview.size(),
                                             Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.FastTransformation))


class Drawing(QObject):
    """The draw feature of ``window``: the dock (``panel`` in ``dock``), the Run menu entries
    and the runs on the drawing."""

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window = window
        a = window.actions
        self.panel = DrawPanel(a["draw_try"], a["draw_train"])
        self.panel.setMinimumWidth(300)  # room for the three tabs' titles under the column
        self.panel.set_class_names(window.session.dataset.class_names)
        self.dock = QDockWidget(tr("Draw a digit"), window)
        self.dock.setObjectName("dock_draw")
        self.dock.setWidget(self.panel)
        window.add_side_dock(self.dock)
        self.drawn_sample: np.ndarray | None = None
        self.notes = ForwardNotes()
        self.forward_shown = None  # the forward-only trace on screen, while it is
        run_menu = window.menu("Run")
        if run_menu is not None:
            run_menu.addSeparator()
            run_menu.addActions([a["draw_try"], a["draw_train"]])
        a["draw_try"].triggered.connect(self.try_drawing)
        a["draw_train"].triggered.connect(self.train_on_drawing)
        a["draw_train"].setEnabled(False)  # until a target is picked
        self.panel.canvas.stroke_finished.connect(self._on_stroke)
        self.panel.target.valueChanged.connect(self._on_target_changed)
        window.docks_built.connect(self.notes.forget)
        # New panels come with a new session, whose data may name other classes.
        window.docks_built.connect(
            lambda: self.panel.set_class_names(window.session.dataset.class_names))
        self.tips = {name: a[name].toolTip() for name in ("draw_try", "draw_train")}
        window.docks_built.connect(self.follow_data)
        self.follow_data()

    def off_reason(self) -> str:
        """Why drawing is off for the session's data, "" when it is on."""
        return grey_only_reason(self.window.session.dataset.input_shape[0])

    def follow_data(self) -> None:
        """Drawing makes a grey picture: with colour data its actions and dock are disabled,
        and they say why (the actions' tips, the dock's hint)."""
        reason = self.off_reason()
        a = self.window.actions
        a["draw_try"].setEnabled(not reason)
        a["draw_train"].setEnabled(not reason and self.panel.target_label() is not None)
        for name, tip in self.tips.items():
            a[name].setToolTip(reason or tip)
            a[name].setStatusTip(reason)
        self.panel.set_drawable(reason)

    def drawing_as_sample(self) -> np.ndarray | None:
        """The canvas in the dataset's format, or None (and a message) when it cannot be."""
        c, h, wd = self.window.session.dataset.input_shape
        if self.off_reason():
            self.window.show_banner(self.off_reason())
            return None
        if h != wd:
            self.window.show_banner(tr("Drawing needs square images; this data is {h}x{w}",
                                       h=h, w=wd))
            return None
        try:
            sample = strokes_to_sample(self.panel.canvas.strokes(), size=h,
                                       box=max(1, round(h * 20 / 28)))
        except UserError as e:
            self.window.show_banner(tr("Nothing to run: {error}", error=e))
            return None
        sample = np.repeat(sample, c, axis=0)
        self.drawn_sample = sample
        self.panel.show_sample(sample)
        return sample

    def try_drawing(self) -> None:
        self._run_drawing(train=False)

    def train_on_drawing(self) -> None:
        self._run_drawing(train=True)

    def _run_drawing(self, train: bool) -> None:
        """Forward and backward on the drawing with its target label; with ``train``, one
        training step on it. With no target, the forward pass only (and no training)."""
        target = self.panel.target_label()
        w = self.window
        if train and target is None:
            w.show_banner(tr("Pick the drawing's target label first: a training step needs "
                             "one"))
            return
        sample = self.drawing_as_sample()
        if sample is None:
            return
        w.loop.stop()
        w.hide_banner()
        if target is None:
            self.forward_shown = forward_display(forward_trace(w.session.net, sample,
                                                               w.session.lr))
            w.show_trace(self.forward_shown)
            return
        run = w.session.train_sample if train else w.session.try_sample
        name = short(w.session.dataset.class_names[target])
        w.show_trace(run(sample, target, tr("drawn, target {name}", name=name)))
        if train:
            w.curves_panel.show_history(w.session.history)
            if w.session.failure:
                w.show_failure(w.session.failure)

    def follow_trace(self, trace, focus_panel=None) -> None:
        """The window drew ``trace`` (and ``focus_panel`` did, when a layer is in focus):
        notes over the gradients when it is the drawing's forward pass, none otherwise."""
        if trace is self.forward_shown:
            panels = [*self.window.panels, *([focus_panel] if focus_panel is not None else [])]
            self.notes.show(trace, panels)
        else:
            self.forward_shown = None
            self.notes.hide()

    def _on_stroke(self) -> None:
        """After each stroke the drawing runs by itself, unless training is running."""
        if not self.window.loop.running:
            self.try_drawing()

    def _on_target_changed(self) -> None:
        """Training on the drawing needs a target; the drawing runs again with the new one."""
        self.window.actions["draw_train"].setEnabled(self.panel.target_label() is not None
                                                     and not self.off_reason())
        if not self.panel.canvas.is_blank() and not self.window.loop.running:
            self.try_drawing()
