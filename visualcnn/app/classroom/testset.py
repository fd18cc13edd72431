"""Test-set views: the confusion matrix of the test split and a gallery of the misclassified
test images, refreshed whenever the test split is evaluated.

Clicking a cell of the matrix shows only that (true, predicted) pair in the gallery; clicking
a thumbnail makes that test image the current sample. ``TestSet(window)`` adds the "Test set"
dock to the column of tabs.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QObject, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QBrush, QColor, QIcon, QPixmap
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHeaderView,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from visualcnn.app.classroom.images import array_to_qimage
from visualcnn.app.views.board import on_screen
from visualcnn.app.views.class_names import is_numbered, short
from visualcnn.common import i18n
from visualcnn.common.i18n import N_, tr

MAX_THUMBNAILS = 300   # a gallery of thousands of icons would take seconds to build
THUMB = 56
AXES = N_("Confusion matrix: rows true class, columns predicted class")
# Named classes: the rows carry the names, the columns their numbers, so ten columns still
# fit a narrow dock.
AXES_NAMED = N_("Confusion matrix: rows true class, columns predicted class (numbered as the "
                "rows)")
NOT_EVALUATED = N_("The test split has not been evaluated yet.")
ROW_NAME = 11  # characters of a class name beside a row: the ten columns need the width
GALLERY_TEXT = 66  # pixels beside a thumbnail's width for its caption; named classes get more


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> np.ndarray:
    """(classes, classes) counts: row = true class, column = predicted class."""
    return np.bincount(y_true * classes + y_pred, minlength=classes * classes).reshape(
        classes, classes)


class TestSetView(QWidget):
    """Confusion matrix over the gallery. ``refresh(session)`` redraws from the session's
    last evaluation (a no-op when nothing changed); ``picked(index)`` carries the test index
    of a clicked thumbnail."""

    __test__ = False  # not a pytest class, whatever its name says
    picked = pyqtSignal(int)

    def __init__(self, evaluate_action, parent=None):
        super().__init__(parent)
        self._shown = None          # the predictions array last drawn
        self._session = None
        self.filter: tuple[int, int] | None = None
        self.heading = QLabel(i18n.lookup(NOT_EVALUATED))
        self.heading.setWordWrap(True)
        self.evaluate_button = QPushButton(tr("Evaluate the test split"))
        self.evaluate_button.setToolTip(evaluate_action.toolTip())
        self.evaluate_button.clicked.connect(evaluate_action.trigger)
        self.axes = QLabel(i18n.lookup(AXES))
        self.axes.setWordWrap(True)
        self.matrix = QTableWidget(0, 0)
        self.matrix.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # A count a pixel too wide for its cell still reads; "…" in its place would not.
        self.matrix.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.matrix.setToolTip(tr("Rows: true class; columns: predicted class. Click a cell "
                                  "to see its images below; click it again for all mistakes."))
        self.matrix.cellClicked.connect(self._on_cell)
        self.gallery_label = QLabel()
        self.gallery = QListWidget()
        self.gallery.setViewMode(QListView.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(THUMB, THUMB))
        self.gallery.setResizeMode(QListView.ResizeMode.Adjust)
        self.gallery.setMovement(QListView.Movement.Static)
        self.gallery.setUniformItemSizes(True)
        self.gallery.setGridSize(QSize(THUMB + GALLERY_TEXT, THUMB + 26))
        self.gallery.setToolTip(tr("Misclassified test images; click one to make it the "
                                   "current sample and see why it is wrong"))
        self.gallery.itemClicked.connect(self._on_item)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.gallery_label)
        lower_layout.addWidget(self.gallery)
        splitter = QSplitter(Qt.Orientation.Vertical)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.axes)
        upper_layout.addWidget(self.matrix)
        splitter.addWidget(upper)
        splitter.addWidget(lower)
        splitter.setSizes([300, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.evaluate_button)
        layout.addWidget(splitter, 1)

    # ------------------------------------------------------------------------ refresh
    def refresh(self, session, force: bool = False) -> bool:
        """Redraw from ``session.test_predictions``; True when something was redrawn."""
        predictions = getattr(session, "test_predictions", None)
        if session is not self._session:
            self._session, self._shown, self.filter = session, None, None
            force = True
        if predictions is self._shown and not force:
            return False
        self._shown = predictions
        if predictions is None:
            self.heading.setText(i18n.lookup(NOT_EVALUATED))
            self.matrix.setRowCount(0)
            self.matrix.setColumnCount(0)
            self.gallery.clear()
            self.gallery_label.setText("")
            return True
        ds = session.dataset
        y = ds.y_test
        self.counts = confusion_matrix(y, predictions, ds.classes)
        right = int(np.trace(self.counts))
        self.heading.setText(tr("Test split at step {step}: {right} of {total} right "
                                "({share:.1%}), {wrong} wrong", step=session.net.step,
                                right=right, total=len(y), share=right / len(y),
                                wrong=len(y) - right))
        self._fill_matrix(ds.classes)
        self._fill_gallery()
        return True

    def name_of(self, label) -> str:
        """Class ``label`` of the session's data, by name (cut short) or number."""
        names = self._session.dataset.class_names
        return short(names[int(label)])

    def _fill_matrix(self, classes: int) -> None:
        m = self.matrix
        m.setRowCount(classes)
        m.setColumnCount(classes)
        names = self._session.dataset.class_names
        # Short column labels, so that ten columns fit a narrow dock; the axis is named above.
        m.setHorizontalHeaderLabels([str(c) for c in range(classes)])
        if is_numbered(names):
            self.axes.setText(i18n.lookup(AXES))
            m.setVerticalHeaderLabels([tr("true {label}", label=c) for c in range(classes)])
        else:
            self.axes.setText(i18n.lookup(AXES_NAMED))
            m.setVerticalHeaderLabels([f"{c} {short(names[c], ROW_NAME)}"
                                       for c in range(classes)])
        for c in range(classes):
            m.horizontalHeaderItem(c).setToolTip(tr("predicted {label}", label=names[c]))
            m.verticalHeaderItem(c).setToolTip(tr("true {label}", label=names[c]))
        row_totals = np.maximum(self.counts.sum(axis=1), 1)
        for r in range(classes):
            for c in range(classes):
                n = int(self.counts[r, c])
                item = QTableWidgetItem(str(n))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                share = n / row_totals[r]
                # Right answers in green, mistakes in red, deeper for a larger share of the row.
                base = (40, 150, 60) if r == c else (200, 40, 40)
                colour = [round(255 + (b - 255) * min(1.0, share * (1 if r == c else 3)))
                          for b in base]
                item.setBackground(QBrush(QColor(*colour)))
                dark = sum(colour) < 400
                item.setForeground(QBrush(QColor(255, 255, 255) if dark else QColor(0, 0, 0)))
                m.setItem(r, c, item)
        for header in (m.horizontalHeader(), m.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            header.setMinimumSectionSize(10)

    def wrong_indices(self) -> np.ndarray:
        """Test indices the gallery lists: every mistake, or those of the chosen cell."""
        y, p = self._session.dataset.y_test, self._shown
        keep = p != y
        if self.filter is not None:
            keep &= (y == self.filter[0]) & (p == self.filter[1])
        return np.flatnonzero(keep)

    def _fill_gallery(self) -> None:
        self.gallery.clear()
        if self._shown is None:
            return
        ds = self._session.dataset
        # Named classes may need a line each under the thumbnail.
        named = not is_numbered(ds.class_names)
        extra_line = self.gallery.fontMetrics().height() if named else 0
        self.gallery.setGridSize(QSize(THUMB + GALLERY_TEXT + (6 if named else 0),
                                       THUMB + 26 + extra_line))
        wrong = self.wrong_indices()
        shown = wrong[:MAX_THUMBNAILS]
        what = (tr("all mistakes") if self.filter is None else
                tr("true {true} predicted as {predicted}", true=self.name_of(self.filter[0]),
                   predicted=self.name_of(self.filter[1])))
        if len(shown) < len(wrong):
            self.gallery_label.setText(tr("Misclassified: {count} ({what}, first {shown} shown)",
                                          count=len(wrong), what=what, shown=len(shown)))
        else:
            self.gallery_label.setText(tr("Misclassified: {count} ({what})", count=len(wrong),
                                          what=what))
        for i in shown:
            image = array_to_qimage(ds.x_test[i, 0])
            pixmap = QPixmap.fromImage(image).scaled(
                THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation)
            true, predicted = ds.class_names[ds.y_test[i]], ds.class_names[self._shown[i]]
            item = QListWidgetItem(QIcon(pixmap), self._caption(true, predicted))
            item.setData(Qt.ItemDataRole.UserRole, int(i))
            if named:  # the view sizes every item as the first: room for the longest caption
                item.setSizeHint(self.gallery.gridSize() - QSize(4, 4))
            item.setToolTip(tr("test #{index}: true {true}, predicted {predicted}", index=i,
                               true=true, predicted=predicted))
            self.gallery.addItem(item)

    def _caption(self, true: str, predicted: str) -> str:
        """A thumbnail's caption: on one line when it fits under the thumbnail, else each
        name on its own line, cut to the thumbnail's width."""
        metrics = self.gallery.fontMetrics()
        room = self.gallery.gridSize().width() - 10  # the view's margins around the text
        one_line = tr("true {true} → pred {predicted}", true=true, predicted=predicted)
        if metrics.horizontalAdvance(one_line) <= room:
            return one_line
        elide = lambda text: metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)  # noqa: E731
        return f"{elide(true)}\n→ {elide(predicted)}"

    # ------------------------------------------------------------------------- clicks
    def _on_cell(self, row: int, column: int) -> None:
        self.filter = None if self.filter == (row, column) or row == column else (row, column)
        self._fill_gallery()

    def _on_item(self, item: QListWidgetItem) -> None:
        self.picked.emit(int(item.data(Qt.ItemDataRole.UserRole)))


class TestSet(QObject):
    """The test-set feature of ``window``: the dock (``view`` in ``dock``), kept up to date
    while it shows, and a picked test image made the current sample."""

    __test__ = False  # not a pytest class, whatever its name says

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window = window
        self.view = TestSetView(window.actions["evaluate"])
        self.dock = QDockWidget(tr("Test set"), window)
        self.dock.setObjectName("dock_test_set")
        self.dock.setWidget(self.view)
        window.add_side_dock(self.dock)
        self.view.picked.connect(self.show_test_sample)
        self.dock.visibilityChanged.connect(self.refresh)
        window.test_evaluated.connect(self.refresh)

    def refresh(self, *_args) -> None:
        """Redraw from the session's last evaluation, if the view shows (a hidden one, or
        one tabbed behind another dock, is redrawn when it comes back)."""
        if on_screen(self.view):
            self.view.refresh(self.window.session)

    def show_test_sample(self, index: int) -> None:
        """Make test image ``index`` the current sample: a dry run with its true label."""
        w = self.window
        w.loop.stop()
        ds = w.session.dataset
        trace = w.session.try_sample(ds.x_test[index], int(ds.y_test[index]),
                                     tr("test #{index}", index=index))
        w.show_trace(trace)
