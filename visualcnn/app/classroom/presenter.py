"""Presenter mode (F5) and full screen (F11), for a projector.

Presenter mode makes the window's fonts and icons 1.6 times larger (and, through the theme, the
text of every board and plot, which also leave out their tables of numbers), hides the secondary
controls (the scale box, the curves, the classroom's docks, the hover line, the checkpoint
buttons) and puts the focus buttons on the toolbar; turned off, it brings back exactly what it
hid. It is not kept in the settings: a lesson starts with F5. Its dock layout is its own
(``window.layouts``): the docks as they were left in presenter mode last time, never written
over the normal layout.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, QSize, pyqtSignal
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QDockWidget, QMenu, QToolBar

from visualcnn.app.docks import bring_to_front

PRESENTER_FONT_SCALE = 1.6


class Presenter(QObject):
    """Presenter mode and full screen for ``window``: their View menu entries (inserted before
    ``view_at``) and the presenter button on the controls toolbar. ``tabs`` are the docks
    of the classroom's column, hidden in presenter mode with the other secondary controls.

    ``on`` says whether presenter mode is on; ``font_scale_changed(scale)`` is emitted when it
    turns on or off, for the text of the boards and plots.
    """

    font_scale_changed = pyqtSignal(float)

    def __init__(self, window, tabs: list[QDockWidget], view_at=None, parent=None):
        super().__init__(parent)
        self.window = window
        self.tabs = list(tabs)
        self.on = False
        self._hidden: list[tuple] = []   # what presenter mode hid, to bring back in reverse
        self._normal_font: QFont | None = None
        a = window.actions
        window.view_menu.insertActions(view_at, [a["presenter"], a["full_screen"]])
        self.bar = window.controls_bar
        if self.bar is not None:
            self.bar.addSeparator()
            self.bar.addAction(a["presenter"])
        a["presenter"].toggled.connect(self.set_on)
        a["full_screen"].toggled.connect(self.set_full_screen)
        window.installEventFilter(self)

    def set_on(self, on: bool) -> None:
        """Presenter mode: fonts x1.6, bigger icons and plot labels, secondary controls
        hidden. Off brings back exactly what it hid."""
        if on == self.on:
            return
        self.on = on
        w = self.window
        style = w.style()
        icon = style.pixelMetric(style.PixelMetric.PM_ToolBarIconSize)
        if on:
            w.layouts.enter("presenter")  # the normal layout, kept aside as it is now
            # The window's font, not the application's: its menus, docks and toolbars grow,
            # and no other top-level widget is touched.
            self._normal_font = QFont(w.font())
            big = QFont(self._normal_font)
            if big.pointSizeF() > 0:
                big.setPointSizeF(big.pointSizeF() * PRESENTER_FONT_SCALE)
            else:
                big.setPixelSize(round(big.pixelSize() * PRESENTER_FONT_SCALE))
            for widget in (w, *w.findChildren(QMenu)):  # menus are windows: set them too
                widget.setFont(big)
            self.hide_secondary(docks=False)
            self._show_focus_buttons(True)
            icon = round(icon * PRESENTER_FONT_SCALE)
        else:
            w.layouts.leave()  # presenter mode's layout, kept for next time as it is now
            if self._normal_font is not None:
                for widget in (w, *w.findChildren(QMenu)):
                    widget.setFont(self._normal_font)
            self.restore_hidden()
            self._show_focus_buttons(False)
        for bar in w.findChildren(QToolBar):
            bar.setIconSize(QSize(icon, icon))
        w.controls.fit.fit()  # the toolbars' new width, before they are laid out at it
        # The docks last, below the toolbars as they now are: presenter mode's own layout
        # when it has one (the docks as the teacher left them), else the normal one with the
        # secondary docks hidden; off, the normal layout exactly as it was.
        if not w.layouts.apply_mode() and on:
            self.hide_secondary()
            w.fit_docks()  # the panels share the room the hidden docks leave
        self.font_scale_changed.emit(PRESENTER_FONT_SCALE if on else 1.0)

    def _secondary(self) -> list:
        """What presenter mode hides: the scale box, the curves and the classroom docks, and
        the hover line (the checkpoint buttons leave the toolbar, see ``hide_secondary``)."""
        w = self.window
        items = [w.docks.get("curves"), *self.tabs, w.hover]
        for bar in w.findChildren(QToolBar):
            items += [action for action in bar.actions()
                      if bar.widgetForAction(action) is w.scale_box]
        return [item for item in items if item is not None]

    def hide_secondary(self, docks: bool = True) -> None:
        """Hide what presenter mode hides and is showing, remembering it; again after a
        rebuild, for the new panels. ``docks`` False leaves the docks as they are (presenter
        mode's own layout placed them)."""
        hidden = self._hidden
        on_top = [d for d in self.tabs if d.isVisible() and not d.visibleRegion().isEmpty()]
        if docks and on_top and not any(e[0] == "raise" for e in hidden):
            hidden.insert(0, ("raise", on_top[0]))
        for item in self._secondary():
            if not docks and isinstance(item, QDockWidget):
                continue
            if item.isVisible() and ("show", item) not in hidden:
                item.setVisible(False)
                hidden.append(("show", item))
        bar = self.bar
        if bar is None:
            return
        # A tool button hidden by hand comes back with the next layout: take the action out
        # of the toolbar instead, and remember where it was.
        for name in ("open", "save"):
            action = self.window.actions[name]
            actions = bar.actions()
            if action in actions:
                i = actions.index(action)
                before = actions[i + 1] if i + 1 < len(actions) else None
                bar.removeAction(action)
                hidden.append(("toolbar", action, before))

    def restore_hidden(self) -> None:
        """Bring back what presenter mode hid, in reverse order; fonts are left alone."""
        bar = self.bar
        for entry in reversed(self._hidden):
            try:
                if entry[0] == "show":
                    entry[1].setVisible(True)
                elif entry[0] == "raise":  # the tab that was in front, in front again
                    bring_to_front(self.window, entry[1])
                elif bar is not None:
                    before = entry[2] if entry[2] in bar.actions() else None
                    bar.insertAction(before, entry[1])
            except RuntimeError:  # a dock deleted with the panels of an old net
                pass
        self._hidden = []

    def _show_focus_buttons(self, on: bool) -> None:
        """The focus buttons are on the toolbar in presenter mode only (F6 works always)."""
        bar = self.bar
        if bar is None:
            return
        for name in ("focus_previous", "focus_next"):
            action = self.window.actions[name]
            if on and action not in bar.actions():
                bar.addAction(action)
            elif not on and action in bar.actions():
                bar.removeAction(action)

    def set_full_screen(self, on: bool) -> None:
        if on:
            self.window.showFullScreen()
        else:
            self.window.showNormal()

    def eventFilter(self, obj, event) -> bool:
        # Full screen left another way (the window manager): the menu entry follows.
        if obj is self.window and event.type() == QEvent.Type.WindowStateChange:
            action = self.window.actions["full_screen"]
            action.blockSignals(True)
            action.setChecked(self.window.isFullScreen())
            action.blockSignals(False)
        return False
