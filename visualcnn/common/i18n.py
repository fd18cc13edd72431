"""The window's languages: English, the language of the source, and Simplified Chinese.

A user-visible string is written in English inside ``tr("...")`` (``ntr`` when it counts
something, ``N_`` where it is defined before a language is chosen, e.g. in a module-level table,
and translated with ``tr`` where it is shown). Values go in as named fields, formatted by the
same spec in every language: ``tr("Step {step:,} of {total:,}", step=3, total=10)``.

Catalogues are gettext ``.po`` files, ``resources/translations/<language>/*.po``, read as they
are: no compile step. Plain Python, so the engine marks its messages the same way; the command
line never chooses a language and prints English.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from visualcnn.common.errors import UserError
from visualcnn.common.resources import resource, resource_candidates

ENGLISH = "en"
CHINESE = "zh_CN"
# Each language in its own words: that is how a user who cannot read the other finds theirs.
LANGUAGES = {ENGLISH: "English", CHINESE: "简体中文"}

_language = ENGLISH
_catalogues: dict[str, dict[tuple[str, str], str]] = {}


def tr(text: str, /, **values) -> str:
    """``text`` in the current language, its ``{fields}`` filled from ``values``."""
    translated = lookup(text) if _language != ENGLISH else text
    return translated.format(**values) if values else translated


def ntr(singular: str, plural: str, count: int, /, **values) -> str:
    """``singular`` or ``plural`` by ``count`` (given to the text as ``{n}``), translated.
    Chinese has one form; its catalogue entry is keyed by ``singular``."""
    values.setdefault("n", count)
    if _language != ENGLISH:
        return lookup(singular, default=plural if count != 1 else singular).format(**values)
    return (singular if count == 1 else plural).format(**values)


def N_(text: str) -> str:  # noqa: N802 - gettext's name for "mark only", which tools know
    """Mark ``text`` for translation without translating it now."""
    return text


def lookup(text: str, context: str = "", default: str | None = None) -> str:
    """The current language's ``text`` (in Qt's ``context`` when given), else ``default``
    (``text`` itself when None): an entry not yet translated shows in English."""
    found = catalogue(_language).get((context, text))
    return found if found else (text if default is None else default)


def language() -> str:
    return _language


def set_language(code: str) -> None:
    """Choose the language of every ``tr`` from now on; an unknown code is English."""
    global _language
    _language = code if code in LANGUAGES else ENGLISH


def system_language(environ=None) -> str:
    """The language the system asks for, as gettext reads it: ``LANGUAGE`` (a list, first
    match wins) unless the locale is C, then ``LC_ALL``, ``LC_MESSAGES``, ``LANG``."""
    environ = os.environ if environ is None else environ
    locale = next((environ[k] for k in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(k)), "")
    if locale.split(".")[0] in ("", "C", "POSIX"):
        return ENGLISH
    for wanted in environ.get("LANGUAGE", "").split(":") + [locale]:
        code = language_code(wanted)
        if code:
            return code
    return ENGLISH


def language_code(locale: str) -> str | None:
    """``zh_CN.UTF-8``, ``zh_SG``, ``zh-Hans`` or ``zh`` -> CHINESE; ``en_GB`` -> ENGLISH;
    None for a language we do not have (traditional Chinese is not simplified Chinese)."""
    name = locale.split(".")[0].split("@")[0].replace("-", "_").lower()
    if name in ("zh", "zh_cn", "zh_sg", "zh_hans", "zh_hans_cn"):
        return CHINESE
    if name == "en" or name.startswith("en_"):
        return ENGLISH
    return None


def catalogue(code: str) -> dict[tuple[str, str], str]:
    """Every translated entry of language ``code``, keyed by (context, English text)."""
    if code not in _catalogues:
        entries: dict[tuple[str, str], str] = {}
        folder = translations_folder() / code
        for path in sorted(folder.glob("*.po")) if folder.is_dir() else ():
            entries.update(read_po(path))
        _catalogues[code] = entries
    return _catalogues[code]


def translations_folder() -> Path:
    """``resources/translations``: in a wheel under the package, else in the source tree."""
    return resource("translations") or resource_candidates("translations")[1]


_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"\s*$')
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[0\])?|msgstr\[\d+\])\s+(.*)$")


def read_po(path: Path) -> dict[tuple[str, str], str]:
    """The translated, non-fuzzy entries of a gettext ``.po`` file: {(msgctxt, msgid): msgstr}
    (a plural entry's first form). A line the format does not allow is a UserError naming the
    file and line."""
    entries: dict[tuple[str, str], str] = {}
    fields: dict[str, str] = {}
    fuzzy = False
    current = None

    def finish():
        nonlocal fields, fuzzy
        msgid = fields.get("msgid")
        msgstr = fields.get("msgstr", fields.get("msgstr[0]", ""))
        if msgid and msgstr and not fuzzy:
            entries[(fields.get("msgctxt", ""), msgid)] = msgstr
        fields, fuzzy = {}, False

    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if (not line or line.startswith("#")) and any(k.startswith("msgstr") for k in fields):
            finish()  # an entry ends at a blank line or the comments of the next
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            continue
        keyword = _KEYWORD.match(line)
        quoted = _QUOTED.match(keyword.group(2) if keyword else line)
        if quoted is None or (keyword is None and current is None):
            raise UserError(f"{path}:{number}: not a line of a .po file: {line[:60]}")
        value = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)),
                       quoted.group(1))
        if keyword:
            current = keyword.group(1)
            starts_entry = current in ("msgctxt", "msgid")
            if starts_entry and any(name.startswith("msgstr") for name in fields):
                finish()
            fields[current] = value
        else:
            fields[current] += value
    finish()
    return entries
