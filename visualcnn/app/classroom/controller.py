"""The classroom in the window: draw a digit, model and data, the test set, presenter mode and
full screen, one layer in focus, light and dark themes, PNG and GIF exports.

``Classroom(window)`` builds one feature per job (each module of this package adds its own
docks, menu entries and handlers) and holds what spans them: the column of tabs (drawing,
model, test set) and its View-menu entries, and the order in which the features follow the
window: ``trace_shown`` (a step or a sample was drawn), ``docks_built`` (new panels) and the
close, before the window saves its layout. The actions themselves are declared with all the
others in ``actions.py``.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, QTimer

from visualcnn.app.classroom.drawing import Drawing
from visualcnn.app.classroom.exports import Exports
from visualcnn.app.classroom.focus import Focus
from visualcnn.app.classroom.model_data import ModelData
from visualcnn.app.classroom.presenter import Presenter
from visualcnn.app.classroom.testset import TestSet
from visualcnn.app.classroom.theme import Theme
from visualcnn.app.docks import bring_to_front


def before_quit(file_menu, quit_action):
    """Where new File-menu entries go: before Quit and the separator above it (None: at the
    end, when Quit is not in the menu)."""
    if file_menu is None:
        return None
    entries = file_menu.actions()
    if quit_action not in entries:
        return None
    i = entries.index(quit_action)
    return entries[i - 1] if i > 0 and entries[i - 1].isSeparator() else quit_action


class Classroom(QObject):
    """The classroom features of ``window``, as ``drawing``, ``model_data``, ``testset``,
    ``presenter``, ``theme``, ``focus`` and ``exports``; see the module docstring."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        view = window.view_menu
        view_at = view.actions()[0] if view.actions() else None  # ours go above the panels'
        file_at = before_quit(window.menu("File"), window.actions["quit"])

        # The column of tabs beside the panels, in this order.
        self.drawing = Drawing(window, self)
        self.model_data = ModelData(window, file_at, self)
        self.testset = TestSet(window, self)
        self.tabs = [self.drawing.dock, self.model_data.dock, self.testset.dock]
        # Other views may join this group of tabs later in the window's set-up: the drawing
        # is put in front once the set-up is over.
        QTimer.singleShot(0, lambda: bring_to_front(self.window, self.drawing.dock))

        self.presenter = Presenter(window, self.tabs, view_at, self)
        self.theme = Theme(window, view_at, self)
        self.focus = Focus(window, self.theme, view_at, self)
        self.exports = Exports(window, [self.focus.dock, *self.tabs], file_at, self)
        view.insertSeparator(view_at)
        view.insertActions(view_at, [dock.toggleViewAction() for dock in self.tabs])
        view.insertSeparator(view_at)

        self.presenter.font_scale_changed.connect(self.theme.set_font_scale)
        self.model_data.session_swapped.connect(self._follow_session)
        window.trace_shown.connect(self._on_trace_shown)
        window.docks_built.connect(self._on_docks_built)
        self.focus.dock.hide()
        self._on_docks_built()
        window.installEventFilter(self)

    def _follow_session(self, session) -> None:
        """A network or dataset chosen in the model dock: the drawing's labels and the test
        views follow it."""
        self.drawing.panel.set_classes(session.dataset.classes)
        self.testset.view.refresh(session)

    def _on_trace_shown(self, trace) -> None:
        # The focus panel first, then the drawing's notes over it and the other panels, so
        # that a GIF frame shows them with the step.
        self.focus.show_trace(trace)
        self.drawing.follow_trace(trace, self.focus.panel)
        self.exports.capture()
        self.testset.refresh()

    def _on_docks_built(self) -> None:
        """New panels (a new architecture, or once at start): focus off and its layer list,
        the model dock, the docks' context menus, theme, presenter mode."""
        self.focus.set_layer(None)
        self.model_data.panel.show_session(self.window.session)  # a checkpoint: another net
        self.focus.list_layers()
        self.exports.add_dock_menus()
        self.theme.apply()
        if self.presenter.on:
            self.presenter.hide_secondary()

    def eventFilter(self, obj, event) -> bool:
        # Before the window saves its layouts (presenter mode keeps the normal one aside
        # itself): the docks the focus hid come back, so that neither layout has them hidden.
        if obj is self.window and event.type() == QEvent.Type.Close:
            self.focus.set_layer(None)
            if self.exports.recorder.recording:
                self.exports.recorder.stop()
        return False
