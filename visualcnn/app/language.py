"""The window's language: chosen at start from View > Language (kept in the settings as
``view/language``: ``system``, ``en`` or ``zh_CN``) or else from the system's locale.

Our strings are translated by ``visualcnn.common.i18n.tr``; Qt's own (standard buttons, file
dialogs) by Qt's catalogue, and pyqtgraph's (its plots' context menus) by ours through a
``QTranslator`` that answers from the ``.po`` entries with a ``msgctxt``.
"""

from __future__ import annotations

from PyQt6.QtCore import QLibraryInfo, QLocale, QSettings, QTranslator
from PyQt6.QtGui import QAction, QActionGroup, QFontDatabase
from PyQt6.QtWidgets import QApplication, QMenu

from visualcnn.common import i18n
from visualcnn.common.i18n import tr

SETTING = "view/language"
FOLLOW_SYSTEM = "system"
# Said in English: without a font for Chinese the Chinese words would be empty boxes.
NO_FONT = ("No font with Chinese characters is installed, so the window stays in English "
           "(Debian or Ubuntu: sudo apt install fonts-noto-cjk)")


class CatalogueTranslator(QTranslator):
    """Qt's ``translate(context, text)`` answered from our catalogue (pyqtgraph's menus)."""

    def translate(self, context, source_text, disambiguation=None, n=-1):
        if not context or not source_text:
            return None
        found = i18n.lookup(source_text, context=context, default="")
        return found or None  # None: Qt keeps looking, then shows the source text


def chosen_language(settings: QSettings | None = None) -> str:
    """The language the settings ask for, else the system's."""
    settings = settings if settings is not None else QSettings()
    wanted = settings.value(SETTING, FOLLOW_SYSTEM, type=str)
    return wanted if wanted in i18n.LANGUAGES else i18n.system_language()


def has_chinese_font() -> bool:
    return bool(QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese))


def apply_language(app: QApplication, code: str) -> str | None:
    """Make ``code`` the language of everything built from now on; returns a message when it
    could not be (Chinese without a font that has its glyphs: English instead)."""
    problem = None
    if code == i18n.CHINESE and not has_chinese_font():
        code, problem = i18n.ENGLISH, NO_FONT
    i18n.set_language(code)
    for old in getattr(app, "visualcnn_translators", ()):
        app.removeTranslator(old)
    app.visualcnn_translators = []
    if code != i18n.ENGLISH:
        qt_own = QTranslator(app)
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if qt_own.load(QLocale(code), "qtbase", "_", folder):
            app.visualcnn_translators.append(qt_own)
        app.visualcnn_translators.append(CatalogueTranslator(app))
        for translator in app.visualcnn_translators:
            app.installTranslator(translator)
    return problem


class LanguageMenu(QMenu):
    """View > Language: follow the system, or one language; the choice is kept and takes
    effect at the next start (every string of the window is made once, when it is built)."""

    def __init__(self, window):
        super().__init__(tr("&Language"), window)
        self.setObjectName("menu_Language")
        self.window = window
        self.group = QActionGroup(self)
        stored = window.settings.value(SETTING, FOLLOW_SYSTEM, type=str)
        system_name = i18n.LANGUAGES[i18n.system_language()]
        choices = [(FOLLOW_SYSTEM, tr("Follow the system ({language})", language=system_name))]
        choices += list(i18n.LANGUAGES.items())
        self.choice_actions: dict[str, QAction] = {}
        for code, text in choices:
            action = QAction(text, self, checkable=True)
            action.setChecked(code == stored or (code == FOLLOW_SYSTEM
                                                 and stored not in i18n.LANGUAGES))
            action.triggered.connect(lambda _=False, c=code: self.choose(c))
            self.group.addAction(action)
            self.addAction(action)
            self.choice_actions[code] = action

    def choose(self, code: str) -> None:
        self.window.settings.setValue(SETTING, code)
        self.window.settings.sync()
        new = i18n.system_language() if code == FOLLOW_SYSTEM else code
        if new == i18n.language():
            return
        # Said in the language chosen: that is the one the user reads.
        before = i18n.language()
        i18n.set_language(new)
        text = tr("The window will be in {language} from the next start of visualcnn.",
                  language=i18n.LANGUAGES[new])
        i18n.set_language(before)
        self.window.status.setText(text)
