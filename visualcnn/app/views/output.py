"""The output panel: the probabilities as bars, with the true class and the prediction marked,
and dL/d(logits) = p - y."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QFont, QFontMetricsF
from PyQt6.QtWidgets import QGraphicsItem

from visualcnn.app.views.board import RepaintWithWindow
from visualcnn.app.views.class_names import is_numbered, names_or_numbers, short
from visualcnn.app.views.colormaps import DIVERGING
from visualcnn.app.views.curves import cache_axes
from visualcnn.app.views.panel import Panel
from visualcnn.common import i18n
from visualcnn.common.i18n import N_, tr

# Marked here, translated where shown (i18n.lookup): the phase walk and the tests name them.
NOT_COMPUTED = N_("not yet computed")
GRAD_TITLE = N_("dL/d(logits) = p - y")
PROB_TITLE = N_("probabilities")


MARK_ROOM = 1.3  # the probability axis's top, at least: a mark fits over a bar of 1


class Bars(pg.BarGraphItem):
    """pyqtgraph's bar chart, made for new heights and colours at every frame.

    The base class records its bars into a QPicture at each change and replays it, works the
    bars out anew from every option at each change, and its bounding rectangle (a device
    transform, a pixel's size) each of the several times a paint asks for it. These bars are
    drawn straight; new heights or colours alone rewrite just those; and the outline's margin
    is kept until the view's scale changes.
    """

    # Options the bars' places come from; made from ``x``, ``width`` and ``height`` alone,
    # new heights move only the bars' bottoms and tops.
    _PLACED_OTHERWISE = ("x0", "x1", "y", "y0", "y1")

    def __init__(self, **opts):
        self._bounds: QRectF | None = None
        self._margin: tuple[float, float] | None = None  # see _outline_margin
        super().__init__(**opts)

    def setOpts(self, **opts):  # noqa: N802 (pyqtgraph's name)
        if not self._set_heights_and_colours(opts):
            self._bounds = self._margin = None  # a new pen can widen the outline
            super().setOpts(**opts)
            self._rects = self._rectarray.ndarray()  # (x, y, width, height) rows, Qt's memory

    def _set_heights_and_colours(self, opts) -> bool:
        """New heights and/or brushes for the same bars, without working out the rest again;
        False (nothing done) for any other change."""
        if not opts.keys() <= {"height", "brushes"} or \
                any(self.opts.get(key) is not None for key in self._PLACED_OTHERWISE):
            return False
        rects = self._rects
        if "height" in opts:
            height = np.asarray(opts["height"], dtype=np.float64)
            if height.shape != (len(rects),):
                return False
            # As the base class places them: from 0 up or down to the height.
            bottom, top = np.minimum(height, 0.0), np.maximum(height, 0.0)
            rects[:, 1] = bottom
            rects[:, 3] = top - bottom
            self._dataBounds = (self._dataBounds[0], (bottom.min(), top.max()))
        self.opts.update(opts)
        self._updateColors(opts)
        self.picture = None
        self._shape = None
        self.prepareGeometryChange()  # asks for the old rectangle: dropped only after it
        self._bounds = None
        self.update()
        self.informViewBoundsChanged()
        return True

    def viewTransformChanged(self):  # noqa: N802
        self._bounds = None  # the half-pixel margin for the outline is in the view's units
        self._margin = None
        super().viewTransformChanged()

    def _outline_margin(self) -> tuple[float, float]:
        """Half the outline's width in data units, across and up, as the base class adds it."""
        if self._margin is None:
            across = up = 0.0
            padding = self.pixelPadding()
            if padding > 0:
                px, py = self.pixelVectors()
                across = 0.0 if px is None else px.length() * padding
                up = 0.0 if py is None else py.length() * padding
            self._margin = (across, up)
        return self._margin

    def boundingRect(self):  # noqa: N802
        if self._bounds is None:
            (left, right), (bottom, top) = self.dataBounds(ax=0), self.dataBounds(ax=1)
            if left is None or right is None or bottom is None or top is None:
                self._bounds = QRectF()
            else:
                across, up = self._outline_margin()
                self._bounds = QRectF(left - across, bottom - up, 2 * across + right - left,
                                      2 * up + top - bottom)
        return self._bounds

    def paint(self, painter, *args):
        if self._singleColor:
            super().paint(painter, *args)
        else:
            self._render(painter)


class Charts(pg.GraphicsLayoutWidget):
    """A plot layout that says when it was resized."""

    resized = pyqtSignal()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.resized.emit()


class ClassAxis(pg.AxisItem):
    """A bottom axis with a class's name under each bar. Names too wide for the space between
    two bars (anything longer than a digit or two, in a narrow dock) are drawn turned a
    quarter, reading upwards, and the axis grows tall enough for the longest."""

    def __init__(self):
        super().__init__("bottom")
        self.names: tuple[str, ...] = ()
        self.turned = False
        self._turned_height = 0.0

    def set_names(self, names) -> None:
        self.names = tuple(short(name) for name in names)
        self.setTicks([list(enumerate(self.names))])
        self.picture = None
        self.update()

    def generateDrawSpecs(self, p):
        # Decided before the specs are made: they ask for the axis's height through
        # _updateMaxTextSize, which must then get the height the drawing will need.
        metrics = QFontMetricsF(p.font())
        widest = max((metrics.horizontalAdvance(name) for name in self.names), default=0.0)
        low, high = self.range
        per_class = self.boundingRect().width() / max(high - low, 1e-9)
        self.turned = widest > 0.9 * per_class
        self._turned_height = widest + 2
        return super().generateDrawSpecs(p)

    def _updateMaxTextSize(self, x: int):
        super()._updateMaxTextSize(int(np.ceil(self._turned_height)) if self.turned else x)

    def drawPicture(self, p, axisSpec, tickSpecs, textSpecs):
        if not self.turned:
            super().drawPicture(p, axisSpec, tickSpecs, textSpecs)
            return
        super().drawPicture(p, axisSpec, tickSpecs, [])
        if len(tickSpecs) != len(self.names):  # not the ticks set_names made: draw them flat
            super().drawPicture(p, axisSpec, tickSpecs, textSpecs)
            return
        # From the ticks rather than from textSpecs: pyqtgraph leaves out the texts whose flat
        # box would cross the axis's ends, which a turned name does not.
        self._fit_turned_font(p, [start.x() for _pen, start, _stop in tickSpecs])
        height = QFontMetricsF(p.font()).height()
        for (_pen, start, stop), name in zip(tickSpecs, self.names, strict=True):
            p.save()
            p.translate(start.x(), max(start.y(), stop.y()) + self.style["tickTextOffset"][1])
            p.rotate(-90)
            p.drawText(QRectF(-self._turned_height, -height / 2, self._turned_height, height),
                       int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), name)
            p.restore()


    def _fit_turned_font(self, p, positions) -> None:
        """Turned, a name's ink is as wide as the text is tall: wider than the space between
        two bars and neighbours run into each other (Chinese characters, as tall as they are
        wide, did in a narrow dock). The painter's font shrinks for that, to 60% at least."""
        if len(positions) < 2:
            return
        spacing = float(np.min(np.abs(np.diff(positions))))
        metrics = QFontMetricsF(p.font())
        ink = max(metrics.tightBoundingRect(name).height() for name in self.names)
        scale = max(0.6, 0.95 * spacing / max(ink, 1e-9))
        if scale >= 1.0:
            return
        font = QFont(p.font())
        if font.pixelSize() > 0:
            font.setPixelSize(max(1, round(font.pixelSize() * scale)))
        else:
            font.setPointSizeF(font.pointSizeF() * scale)
        p.setFont(font)


class OutputPanel(Panel):
    """Bar charts: the probabilities with the true class and the prediction marked, and
    dL/d(logits) = p - y."""

    key = "output"
    TRUE_BRUSH, PREDICTED_BRUSH, OTHER_BRUSH = (40, 160, 40), (230, 120, 20), (150, 150, 150)

    def __init__(self, classes: int, class_names=None):
        self.title = tr("Output")
        self.help = tr("Top: the probability the network gives each class; the true class is "
                       "green, the\nprediction orange. Bottom: dL/d(logits) = p - y, what the "
                       "backward pass starts\nfrom: negative (blue) for the true class, "
                       "positive (red) for the others.")
        self.widget = Charts()
        RepaintWithWindow(self.widget)
        self.widget.setBackground("w")
        self.widget.setToolTip(self.help)
        self.widget.resized.connect(self.fit_titles)
        self.x = np.arange(classes)
        self.class_axis = ClassAxis()
        self.prob_plot = self.widget.addPlot(axisItems={"bottom": self.class_axis})
        self.prob_plot.setTitle(i18n.lookup(PROB_TITLE), size="10pt")
        self.widget.nextRow()
        self.grad_plot = self.widget.addPlot()
        # A batch's sample: the charts say which, and its share of the gradient, (p - y)/B.
        self.titles = self._titles(1, 0)
        self.grad_plot.setTitle(self.titles[self.grad_plot], size="10pt")
        self.prob_bars = Bars(x=self.x, height=np.zeros(classes), width=0.7)
        self.grad_bars = Bars(x=self.x, height=np.zeros(classes), width=0.7)
        self.prob_plot.addItem(self.prob_bars)
        self.grad_plot.addItem(self.grad_bars)
        self.prob_plot.setYRange(0, MARK_ROOM, padding=0)  # room for the marks above a bar of 1
        # Probabilities only: the room above 1 is for the marks and gets no tick of its own.
        self.prob_plot.getAxis("left").setTicks([[(0, "0"), (0.5, "0.5"), (1, "1.0")]])
        self.grad_plot.setYRange(-1, 1, padding=0)
        # Names under the probabilities; the gradient's chart below keeps the class numbers.
        self.set_class_names(class_names)
        self.grad_plot.getAxis("bottom").setTicks([[(i, str(i)) for i in range(classes)]])
        for plot in (self.prob_plot, self.grad_plot):
            plot.setXRange(-0.6, classes - 0.4, padding=0)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            cache_axes(plot)
        self.true_mark = pg.TextItem(tr("true"), color=self.TRUE_BRUSH, anchor=(0.5, 1))
        self.predicted_mark = pg.TextItem(tr("pred"), color=self.PREDICTED_BRUSH,
                                          anchor=(0.5, 1))
        self.prob_plot.addItem(self.true_mark)
        self.prob_plot.addItem(self.predicted_mark)
        # The titles change now and then: kept as pixmaps, not laid out again as rich text at
        # every repaint. (Not the marks: they move by fractions of a pixel, which a pixmap
        # would round.)
        for text in (self.prob_plot.titleLabel.item, self.grad_plot.titleLabel.item):
            text.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        negative, positive = DIVERGING.map([0.1, 0.9], mode="qcolor")
        self._sign_brushes = (pg.mkBrush(negative), pg.mkBrush(positive))
        # Made once: the bars take QBrushes as they are, where colours cost a mkBrush each.
        self._true_brush, self._predicted_brush, self._other_brush = (
            pg.mkBrush(c) for c in (self.TRUE_BRUSH, self.PREDICTED_BRUSH, self.OTHER_BRUSH))
        self.probs = np.zeros(classes)
        self.grad = np.zeros(classes)
        # Shown by a phase walk that has not reached the loss yet.
        self.not_computed_notes = []
        for plot, y in ((self.prob_plot, 0.65), (self.grad_plot, 0.0)):
            note = pg.TextItem(i18n.lookup(NOT_COMPUTED), color=(60, 60, 60), anchor=(0.5, 0.5))
            note.setPos((classes - 1) / 2, y)
            note.hide()
            plot.addItem(note)
            self.not_computed_notes.append(note)

    def set_class_names(self, class_names) -> None:
        """Name the bars (the same number of classes)."""
        self.class_names = names_or_numbers(class_names, len(self.x))
        self.class_axis.set_names(self.class_names)
        # Names turned upright take height from the bars: the probabilities get more of it.
        named = not is_numbered(self.class_names)
        self.widget.ci.layout.setRowStretchFactor(0, 2 if named else 1)
        self.widget.ci.layout.setRowStretchFactor(1, 1)

    @property
    def grad_title(self) -> str:
        return self.titles[self.grad_plot]

    def fit_titles(self) -> None:
        """A chart's title on two lines when on one it would be wider than the panel (large
        text in a narrow dock), which would push the charts out of the dock: the gradient's
        before its "=", a batch sample's probabilities after the comma (a Chinese one too)."""
        for plot, phrases in ((self.prob_plot, ((", ", ",<br>"), ("，", "，<br>"))),
                              (self.grad_plot, ((" = ", "<br>= "),))):
            label, title = plot.titleLabel, self.titles[plot]
            label.setText(title)  # keeps its size and colour
            if label.item.boundingRect().width() > 0.8 * self.widget.width():
                for phrase, broken in phrases:
                    title = title.replace(phrase, broken)
                label.setText(title)

    def _mark_anchor(self, i: int) -> tuple[float, float]:
        """Over its bar, anchored as far along the label as the bar is along the chart: the
        first bar's label starts at it, the last one's ends at it, so no label narrower than
        the chart leaves it (a centred "true = pred" over bar 7 of 10 did, in a narrow dock)."""
        return (i / max(1, len(self.x) - 1), 1.0)

    def _make_room_for_marks(self) -> float:
        """The probability axis reaches high enough for a mark over a bar of 1 when the chart
        allows: a mark is as tall in pixels whatever the chart's height, so a short chart needs
        more room above 1 (a fixed 0.3 cut "true = pred" in half in a 60-pixel chart). Returns
        the axis's top."""
        chart = self.prob_plot.vb.height()
        mark = self.true_mark.boundingRect().height()  # pixels: the mark ignores the zoom
        top = MARK_ROOM
        if chart > 2 * mark:  # shorter, and the bars would be squeezed flat: marks go beside
            top = max(MARK_ROOM, 1.02 * chart / (chart - mark))
        if self.prob_plot.vb.viewRange()[1] != [0, top]:  # setting it costs a relayout
            self.prob_plot.setYRange(0, top, padding=0)
        return top

    def _place_mark(self, mark, i: int, height: float, axis_top: float) -> None:
        """Over bar ``i`` (``height`` tall) when it fits under the axis's top, else beside
        the bar's top, on the side with more bars (they are low when this one is high)."""
        chart = self.prob_plot.vb.height()
        room = (axis_top - height - 0.02) * chart / axis_top  # pixels above the bar
        if room >= mark.boundingRect().height():
            anchor, x, y = self._mark_anchor(i), i, height + 0.02
        else:
            right = i < len(self.x) / 2
            anchor, x, y = (0.0 if right else 1.0, 0.0), i + (0.4 if right else -0.4), height
        if tuple(mark.anchor) != anchor:  # each change lays the text out again
            mark.setAnchor(anchor)
        mark.setPos(x, y)

    def show_trace(self, trace, sample_index):
        self.probs = trace.probs
        self.grad = trace.layers[-1].dout[0]
        self._follow_batch(trace.batch, trace.focus)
        brushes = [self._other_brush] * len(self.x)
        brushes[trace.prediction] = self._predicted_brush
        brushes[trace.label] = self._true_brush
        self.prob_bars.setOpts(height=self.probs, brushes=brushes)
        self.grad_bars.setOpts(height=self.grad, brushes=[
            self._sign_brushes[int(g > 0)] for g in self.grad])
        top = lambda i: min(float(self.probs[i]), 1.0) if np.isfinite(self.probs[i]) else 0.0  # noqa: E731
        axis_top = self._make_room_for_marks()
        right = trace.prediction == trace.label
        true_text = tr("true = pred") if right else tr("true")
        if self.true_mark.toPlainText() != true_text:  # each change lays the text out again
            self.true_mark.setText(true_text)
        if right:
            self.predicted_mark.hide()
        else:
            self.predicted_mark.show()
            self._place_mark(self.predicted_mark, trace.prediction, top(trace.prediction),
                             axis_top)
        self._place_mark(self.true_mark, trace.label, top(trace.label), axis_top)

    def _follow_batch(self, batch: int, focus: int) -> None:
        """On a batch step the bars are the focused sample's (p - y)/B: the title says so and
        the axis shrinks with them."""
        titles = self._titles(batch, focus)
        if titles != self.titles:
            self.titles = titles
            self.grad_plot.setYRange(-1 / batch, 1 / batch, padding=0)
            self.fit_titles()

    def _titles(self, batch: int, focus: int) -> dict:
        """The charts' titles for sample ``focus`` of a batch of ``batch``."""
        if batch <= 1:
            return {self.prob_plot: i18n.lookup(PROB_TITLE),
                    self.grad_plot: i18n.lookup(GRAD_TITLE)}
        return {self.prob_plot: tr("probabilities, sample {index} of {batch}",
                                   index=focus + 1, batch=batch),
                self.grad_plot: tr("dL/d(logits) = (p - y)/{batch}", batch=batch)}

    def show_not_computed(self, on: bool) -> None:
        """Say "not yet computed" over both charts (a phase walk before the loss), or not."""
        for note in self.not_computed_notes:
            note.setVisible(on)
