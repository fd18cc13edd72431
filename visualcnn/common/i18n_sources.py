"""The strings the source marks for translation, found by reading it (``ast``): what the
catalogue check and ``python -m visualcnn.common.i18n_sources`` (which prints the entries still
to translate, as ``.po`` text to fill in) work from. Not used when the app runs."""

from __future__ import annotations

import ast
import string
import sys
from dataclasses import dataclass
from pathlib import Path

from visualcnn.common import i18n

MARKERS = {"tr": 1, "ntr": 2, "N_": 1}  # marker -> how many leading literal arguments


@dataclass(frozen=True)
class Marked:
    text: str
    plural: str | None
    path: str
    line: int


class NotLiteral(Exception):
    """A marker called with something other than a literal string: no catalogue can hold it."""


def marked_strings(root: Path | None = None) -> list[Marked]:
    """Every ``tr``/``ntr``/``N_`` call's literal under the package ``root``; raises
    NotLiteral naming the file and line of a call whose text is not a literal."""
    root = root or Path(__file__).resolve().parent.parent
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else \
                func.attr if isinstance(func, ast.Attribute) else None
            if name not in MARKERS or isinstance(func, ast.Attribute) and not (
                    isinstance(func.value, ast.Name) and func.value.id == "i18n"):
                continue
            args = node.args[:MARKERS[name]]
            if len(args) < MARKERS[name] or not all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
                raise NotLiteral(f"{path}:{node.lineno}: {name}() needs a literal string")
            found.append(Marked(args[0].value, args[1].value if name == "ntr" else None,
                                str(path.relative_to(root.parent)), node.lineno))
    return found


def fields(text: str) -> set[str]:
    """The names of ``text``'s ``{fields}``."""
    return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}


def quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def missing_entries(language: str = i18n.CHINESE, under: tuple[str, ...] = ()) -> str:
    """``.po`` entries, msgstr empty, for each marked string ``language`` lacks (in the files
    whose path starts with one of ``under``, when given)."""
    have = i18n.catalogue(language)
    out, seen = [], set()
    for m in marked_strings():
        if ("", m.text) in have or m.text in seen or under and not m.path.startswith(under):
            continue
        seen.add(m.text)
        out.append(f"#: {m.path}:{m.line}\nmsgid {quoted(m.text)}\n"
                   + (f"msgid_plural {quoted(m.plural)}\nmsgstr[0] \"\"\n" if m.plural
                      else 'msgstr ""\n'))
    return "\n".join(out)


if __name__ == "__main__":  # python -m visualcnn.common.i18n_sources [LANGUAGE [PATH...]]
    sys.stdout.write(missing_entries(sys.argv[1] if len(sys.argv) > 1 else i18n.CHINESE,
                                     tuple(sys.argv[2:])))
