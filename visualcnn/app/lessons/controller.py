"""Lessons in the window: the Lessons menu (the shipped lessons and "Open lesson file…"),
the Lesson dock with the current card, and the panel the card points at framed (raised when
it is a side dock; in presenter mode, a layer's panel is brought into focus).

Opening a lesson builds its session from its setup (the Qt-free ``visualcnn.lessons``) and
moves the window to it as the Model and data dock does; a lesson file that is not one, or a
setup that cannot be built, is a message in the banner and the current model stays.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QDockWidget, QFileDialog, QMenu

from visualcnn.app.lessons.card_view import CardView, Outline
from visualcnn.common.errors import UserError
from visualcnn.common.i18n import tr
from visualcnn.lessons import find_lesson, list_lessons, text
from visualcnn.lessons.format import window_language

LESSON_HEIGHT = 0.32  # of the window's height, for the Lesson dock
PRESENTER_LESSON_HEIGHT = 0.4  # its fonts are 1.6 times larger, the curves hidden
LESSON_WIDTH = 0.36  # of the window's width, beside the curves


class Lessons(QObject):
    """The lessons feature of ``window``: ``menu``, ``dock`` (its ``view``), ``lesson`` (the
    open one, or None) and ``index`` (its current card, from 0)."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.lesson = None
        self.index = 0
        self.language = window_language()  # the lesson files' key: "en", "zh"
        self.view = CardView()
        self.view.back.connect(lambda: self.go(self.index - 1))
        self.view.forward.connect(lambda: self.go(self.index + 1))
        self.view.closed.connect(self.close_lesson)
        self.dock = QDockWidget(tr("Lesson"), window)
        self.dock.setObjectName("dock_lesson")
        self.dock.setWidget(self.view)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        self.outline = Outline()
        self._framed = None  # the dock the outline covers
        self._build_menu()
        window.docks_built.connect(self._on_docks_built)
        presenter = window.actions.get("presenter")
        if presenter is not None:  # presenter mode on: the card's layer comes into focus
            presenter.toggled.connect(self._on_presenter)

    def _build_menu(self) -> None:
        w = self.window
        self.menu = QMenu(tr("&Lessons"), w)
        self.menu.setObjectName("menu_Lessons")
        help_menu = w.menu("Help")
        w.menuBar().insertMenu(help_menu.menuAction() if help_menu else None, self.menu)
        self.lesson_actions = []
        try:
            shipped = list_lessons()
        except UserError as e:  # a damaged installation: the menu says so, the app runs
            shipped = []
            self.menu.addAction(str(e)).setEnabled(False)
        for number, lesson in enumerate(shipped, 1):
            action = QAction(f"&{number}. {text(lesson, 'title', self.language)}", w)
            action.setData(lesson.name)
            action.triggered.connect(lambda _=False, ls=lesson: self.open_lesson(ls))
            self.menu.addAction(action)
            self.lesson_actions.append(action)
        self.menu.addSeparator()
        self.open_file_action = QAction(tr("Open lesson file…"), w)
        self.open_file_action.setStatusTip(tr("Open a lesson written as a JSON file (see "
                                              "resources/lessons/README.md)"))
        self.open_file_action.triggered.connect(self.ask_open_file)
        self.menu.addAction(self.open_file_action)
        self.menu.addAction(self.dock.toggleViewAction())

    # ------------------------------------------------------------------------ opening
    def ask_open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, tr("Open lesson file"), "",
                                              tr("Lessons (*.json);;All files (*)"))
        if path:
            self.open_file(path)

    def open_file(self, path) -> bool:
        """Open the lesson file at ``path``; a bad file is a banner, the model is kept."""
        try:
            lesson = find_lesson(str(path))
        except UserError as e:
            self.window.show_banner(tr("Could not open the lesson, the current model is "
                                       "kept: {error}", error=e))
            return False
        return self.open_lesson(lesson)

    def open_lesson(self, lesson) -> bool:
        """Build ``lesson``'s session, show it, and show its first card."""
        w = self.window
        w.loop.stop()
        try:
            session = lesson.build_session()
        except UserError as e:
            w.show_banner(tr("Could not open the lesson, the current model is kept: {error}",
                             error=e))
            return False
        classroom = getattr(w, "classroom", None)
        if classroom is not None:  # the model dock, drawing and test views follow it too
            classroom.model_data.swap_session(session)
        else:
            w.set_session(session)
        w.controls.set_speed(lesson.setup.speed)
        self.lesson = lesson
        self.dock.show()
        self.dock.raise_()
        self.go(0)
        self.fit_height()
        w.statusBar().showMessage(tr("lesson: {title}",
                                     title=text(lesson, "title", self.language)), 8000)
        return True

    def close_lesson(self) -> None:
        """No lesson: the card, the frame and a layer the lesson put in focus go."""
        focus = getattr(getattr(self.window, "classroom", None), "focus", None)
        if focus is not None and self._presenting() and self.card is not None \
                and focus.layer == self.card.panel:
            focus.set_layer(None)
        self.lesson = None
        self.index = 0
        self.view.show_card(None, None, 0)
        self._frame(None)
        self.dock.hide()

    def fit_height(self) -> None:
        """A third of the window's height or so for the card (more in presenter mode, whose
        fonts are larger), beside the curves: the panels keep the rest."""
        if not self.dock.isHidden() and not self.dock.isFloating():
            share = PRESENTER_LESSON_HEIGHT if self._presenting() else LESSON_HEIGHT
            height = max(self.view.minimumSizeHint().height(),
                         int(self.window.height() * share))
            w = self.window
            w.resizeDocks([self.dock], [height], Qt.Orientation.Vertical)
            curves = w.docks.get("curves")
            if curves is not None and curves.isVisible():
                width = w.width()
                w.resizeDocks([curves, self.dock], [int(width * (1 - LESSON_WIDTH)),
                                                    int(width * LESSON_WIDTH)],
                              Qt.Orientation.Horizontal)

    def _presenting(self) -> bool:
        presenter = getattr(getattr(self.window, "classroom", None), "presenter", None)
        return bool(presenter is not None and presenter.on)

    def _on_presenter(self, _on: bool) -> None:
        self.point()
        self.fit_height()

    # ------------------------------------------------------------------------- cards
    @property
    def card(self):
        return self.lesson.cards[self.index] if self.lesson is not None else None

    def go(self, index: int) -> None:
        """Show card ``index`` (kept within the lesson) and point at its panel."""
        if self.lesson is None:
            return
        self.index = max(0, min(index, len(self.lesson.cards) - 1))
        self.view.show_card(self.lesson, self.card, self.index)
        self.point()

    def panel_dock(self, key: str) -> QDockWidget | None:
        """The dock a card's ``panel`` key names: a layer's panel, input, output, curves, or
        a side dock (update, inspector, model, ...)."""
        w = self.window
        if key in w.docks:
            return w.docks[key]
        names = (f"dock_debug_{key}", f"dock_{key}")
        for dock in w.findChildren(QDockWidget):
            if dock.objectName() in names:
                return dock
        return None

    def point(self) -> None:
        """Frame the current card's panel: a side dock is brought to the front of its
        tabs; in presenter mode a layer's panel is put in focus (any other: focus off)."""
        card = self.card
        if card is None:
            return
        w = self.window
        dock = self.panel_dock(card.panel)
        focus = getattr(getattr(w, "classroom", None), "focus", None)
        if focus is not None and self._presenting():
            layers = [s.name for s in w.session.net.specs if s.kind != "flatten"]
            layer = card.panel if card.panel in layers else None
            if focus.layer != layer:
                focus.set_layer(layer)
            if layer is not None:
                dock = focus.dock
        if dock in w.side_docks:
            w.reveal(dock)
        elif dock is not None and (dock.isHidden() or dock not in w.docks.values()):
            dock.show()  # a panel presenter mode (or the user) hid: the card is about it
            dock.raise_()
        self._frame(dock)

    def _frame(self, dock) -> None:
        if self._framed is not None and self._framed is not dock:
            try:
                self._framed.removeEventFilter(self)
            except RuntimeError:  # deleted with a rebuild
                pass
        if dock is not None and dock is not self._framed:
            dock.installEventFilter(self)
        self._framed = dock
        self.outline.cover(dock)

    @property
    def framed(self):
        """The dock framed now (None: none)."""
        return self._framed if self.outline.isVisible() or self._framed is None else None

    def eventFilter(self, obj, event) -> bool:
        # getattr: Qt may deliver an event while this object is being torn down.
        if event.type() == QEvent.Type.Resize and obj is getattr(self, "_framed", None):
            self.outline.setGeometry(obj.rect())
        return False

    def _on_docks_built(self) -> None:
        """New panels (this lesson's network, or another): the outline was on an old dock."""
        self.outline.hide()
        self.outline.setParent(None)  # not deleted with its old dock
        self._framed = None
        if self.card is not None:
            self.point()
