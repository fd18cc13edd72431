"""The window's dock layouts: the default one, the one kept between runs, presenter mode's.

A layout is the bytes of ``QMainWindow.saveState`` tagged with LAYOUT_VERSION. Each mode
("normal", "presenter") keeps its own, in the settings as ``layout/<mode>``, beside
``layout/version``, ``layout/arch`` (the architecture it was laid out for: its docks are
that network's panels) and ``layout/screen`` (the available size of the screen it was saved
on). A saved layout from another version, for another architecture or for a bigger screen,
or one Qt refuses, is dropped and the default kept: a layout that does not fit can put docks
out of reach. Only a layout the user made is saved: a rebuild puts every dock back where it
was, and quitting in presenter mode saves the normal layout as it was before.
"""

from __future__ import annotations

from PyQt6.QtCore import QByteArray, QEvent, QObject, QSize
from PyQt6.QtWidgets import QDockWidget

from visualcnn.app.docks import bring_to_front

LAYOUT_VERSION = 2
MODES = ("normal", "presenter")
# Written by earlier versions, for one mode, with no screen size: removed when we write.
OLD_KEYS = ("window/state", "window/state_arch")


def available_size(window) -> QSize:
    """The size of the screen the window is on, less the panels and bars of the desktop."""
    screen = window.screen()
    return screen.availableGeometry().size() if screen is not None else QSize(1 << 20, 1 << 20)


def saved_screen(settings) -> tuple[int, int] | None:
    """(width, height) of the screen the saved layouts were made on, or None."""
    try:
        width, height = (int(v) for v in settings.value("layout/screen", [], type=list))
    except (TypeError, ValueError):
        return None
    return width, height


class Layouts(QObject):
    """The layouts of ``window`` (its ``settings``, ``session``, ``side_docks``); ``mode`` is the
    one in use. ``start()`` once every feature has added its docks; ``before_rebuild`` and
    ``after_rebuild`` around new panels; ``enter`` / ``leave`` a mode, then ``apply_mode``
    once the window has changed for it; ``reset`` to the default; ``write`` at close."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.mode = "normal"
        self.default: QByteArray | None = None
        self._default_shown: dict[str, bool] = {}  # the side docks showing by default
        self._default_front: str | None = None      # the side dock in front by default
        self._kept: dict[str, tuple[str, QByteArray]] = {}  # mode -> (arch, layout) not in use

    # ------------------------------------------------------------------------- start
    def start(self) -> None:
        """Once the window is on screen (docks get their sizes then): remember the default
        layout, then use the saved normal one if it fits."""
        if self.window.isVisible():
            self._start_now()
        else:
            self.window.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.window and event.type() == QEvent.Type.Show:
            obj.removeEventFilter(self)
            self._start_now()
        return False

    def _start_now(self) -> None:
        w = self.window
        # Shared out at the size the window opens at (its screen's), and laid out before
        # it is taken as the default.
        w.layout().activate()
        w.fit_docks()
        w.layout().activate()
        self.default = w.saveState(LAYOUT_VERSION)
        self._default_shown = {d.objectName(): not d.isHidden() for d in w.side_docks}
        front = [d for d in w.side_docks if not d.isHidden()]  # the first tab of the column
        self._default_front = front[0].objectName() if front else None
        self.apply_saved("normal")

    def saved(self, mode: str) -> QByteArray | None:
        """The layout saved for ``mode``, or None when there is none that fits this window."""
        s = self.window.settings
        state = s.value(f"layout/{mode}")
        if not isinstance(state, QByteArray) or state.isEmpty():
            return None
        if s.value("layout/version", 0, type=int) != LAYOUT_VERSION:
            return None
        if s.value("layout/arch", "", type=str) != self.window.session.net.arch:
            return None
        saved_on = saved_screen(s)
        here = available_size(self.window)
        if saved_on is None or saved_on[0] > here.width() or saved_on[1] > here.height():
            return None  # laid out for a bigger screen: docks would be squeezed or cut
        return state

    def apply_saved(self, mode: str) -> bool:
        """Lay the window out as saved for ``mode``; False (and the saved one dropped) when
        there is none that fits or Qt refuses it."""
        state = self.saved(mode)
        if state is None:
            return False
        w = self.window
        if not w.restoreState(state, LAYOUT_VERSION):
            w.restoreState(self.default, LAYOUT_VERSION)  # a refused one may be half applied
            w.settings.remove(f"layout/{mode}")
            return False
        return True

    # ----------------------------------------------------------------------- rebuild
    def before_rebuild(self) -> tuple:
        """What ``after_rebuild`` needs, taken before the panels are replaced: the layout,
        the panels' dock names, and whether each side dock shows and floats, and where."""
        w = self.window
        sides = {d.objectName(): (not d.isHidden(), d.isFloating(), d.geometry())
                 for d in w.side_docks}
        return w.saveState(LAYOUT_VERSION), set(w.docks), sides

    def after_rebuild(self, before: tuple) -> None:
        """New panels are in their default places, the side docks in their column (see
        ``show_side_defaults``): that is the default layout from now on. Then every dock
        goes back where it was: all of the layout for the same panels; for another
        network's, which has other docks, the side docks show, hide and float as they did,
        the panels keep their default places."""
        w = self.window
        if self.mode == "normal":  # presenter mode's hiding is no default
            self.default = w.saveState(LAYOUT_VERSION)
        state, keys, sides = before
        if keys == set(w.docks) and w.restoreState(state, LAYOUT_VERSION):
            return
        for dock in w.side_docks:
            shown, floating, geometry = sides.get(dock.objectName(), (False, False, None))
            if floating:
                dock.setFloating(True)
                dock.setGeometry(geometry)
            dock.setVisible(shown)

    def show_side_defaults(self) -> None:
        """The side docks, put back in their column by a rebuild, show as by default."""
        for dock in self.window.side_docks:
            dock.setVisible(self._default_shown.get(dock.objectName(), False))
        self._raise_default_front()
        self.window.fit_docks()  # the panels share what the column leaves

    def _raise_default_front(self) -> None:
        w = self.window
        for dock in w.side_docks:
            if dock.objectName() == self._default_front and not dock.isHidden():
                bring_to_front(w, dock)

    # ------------------------------------------------------------------------- modes
    def enter(self, mode: str) -> None:
        """Keep the normal layout aside: ``mode`` starts (``apply_mode`` lays it out)."""
        w = self.window
        self._kept["normal"] = (w.session.net.arch, w.saveState(LAYOUT_VERSION))
        self.mode = mode

    def apply_mode(self) -> bool:
        """Lay the window out as the mode in use was left, this run or an earlier one: True
        when there was such a layout."""
        w = self.window
        self._settle()
        arch, state = self._kept.pop(self.mode, (None, None))
        if arch == w.session.net.arch and w.restoreState(state, LAYOUT_VERSION):
            return True
        return self.apply_saved(self.mode)

    def _settle(self) -> None:
        """Lay the toolbars out as they are now, so that a layout restored after them gets
        the room that is left, as it had when it was saved."""
        self.window.layout().activate()

    def leave(self) -> None:
        """Keep this mode's layout for next time; the normal mode starts (``apply_mode``
        brings its layout back)."""
        w = self.window
        if self.mode == "normal":
            return
        self._kept[self.mode] = (w.session.net.arch, w.saveState(LAYOUT_VERSION))
        self.mode = "normal"

    def reset(self) -> None:
        """Every dock back to its default place (in presenter mode: the default with what
        presenter mode hides hidden, by the presenter)."""
        w = self.window
        if self.default is None:  # not on screen yet: nothing has moved
            return
        for dock in w.findChildren(QDockWidget):
            if dock.isFloating() and dock.objectName():
                dock.setFloating(False)
        w.restoreState(self.default, LAYOUT_VERSION)
        self._raise_default_front()

    # ------------------------------------------------------------------------- write
    def state_of(self, mode: str) -> QByteArray | None:
        """``mode``'s layout for the window's network: the one on screen or the one kept."""
        w = self.window
        if mode == self.mode:
            return w.saveState(LAYOUT_VERSION)
        arch, state = self._kept.get(mode, (None, None))
        return state if arch == w.session.net.arch else None

    def write(self) -> None:
        """Save each mode's layout for the window's network and screen."""
        w, s = self.window, self.window.settings
        if s.value("layout/arch", "", type=str) != w.session.net.arch:
            for mode in MODES:  # those of another network
                s.remove(f"layout/{mode}")
        for key in OLD_KEYS:
            s.remove(key)
        here = available_size(w)
        if saved_screen(s) != (here.width(), here.height()):
            for mode in MODES:  # laid out for another screen: the mode not used is dropped
                s.remove(f"layout/{mode}")
        s.setValue("layout/version", LAYOUT_VERSION)
        s.setValue("layout/arch", w.session.net.arch)
        s.setValue("layout/screen", [here.width(), here.height()])
        for mode in MODES:
            state = self.state_of(mode)
            if state is not None:
                s.setValue(f"layout/{mode}", state)
