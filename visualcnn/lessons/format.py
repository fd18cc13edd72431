"""A lesson file: its setup and its cards, read from JSON and checked key by key.

Every refusal is one ``LessonError`` line naming the file and, for a card, its number and the
key: "lessons/x.json: card 3: "panel": unknown panel 'conv9' (...)". Malformed JSON gives the
line and column the parser stopped at. The format is documented in resources/lessons/README.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from visualcnn.common import i18n
from visualcnn.common.errors import UserError
from visualcnn.common.i18n import N_, tr
from visualcnn.common.resources import resource, resource_candidates
from visualcnn.nn.arch import canonical_arch, parse_arch
from visualcnn.nn.init import check_init
from visualcnn.nn.optimizers import resolve
from visualcnn.training.session import LR_MAX, LR_MIN

LANGUAGES = ("en", "zh")
BUNDLED_SHAPE, BUNDLED_CLASSES = (1, 28, 28), 10
# Docks that are not a layer's panel, by the key a card's "panel" names them with.
SIDE_PANELS = ("update", "inspector", "breakpoints", "gradcheck", "diff", "model", "draw",
               "test_set", "focus")
FIXED_PANELS = ("input", "output", "curves")
# Steps per second while running (the speed slider's stops); 0 is "as fast as possible".
SPEEDS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
SETUP_KEYS = ("arch", "init", "optimizer", "lr", "seed", "data", "speed", "weight_decay")
CARD_TEXTS = ("do", "look", "notice")
# The lesson files' language keys for the window's languages (English for any other).
FILE_LANGUAGE = {i18n.ENGLISH: "en", i18n.CHINESE: "zh"}
# What a value must be, by the type a key wants (said in the error).
KIND_NAMES = {str: N_("text"), int: N_("a whole number"), float: N_("a number"),
              dict: N_("an object"), list: N_("a list")}


class LessonError(UserError):
    """A lesson file that cannot be read or does not follow the format."""


@dataclass(frozen=True)
class Setup:
    """What a lesson starts from: the network's keywords, the learning rate, the data."""

    arch: str
    lr: float
    init: str = "he"
    optimizer: str = "sgd"
    seed: int = 0
    data: str = "bundled"
    speed: int = 10
    weight_decay: float = 0.0


@dataclass(frozen=True)
class Card:
    """One card: what to do, where to look (``panel``), what to notice, in each language;
    ``check``: the claim a test verifies (a dict with its ``kind``), or None."""

    number: int
    do: dict
    look: dict
    notice: dict
    panel: str
    check: dict | None = None


@dataclass(frozen=True)
class Lesson:
    """A lesson read from ``path``: ``name``, ``title`` (per language), ``setup``, ``cards``."""

    path: Path
    name: str
    title: dict
    setup: Setup
    cards: tuple[Card, ...] = field(default_factory=tuple)

    def build_session(self, setup: Setup | None = None, dataset=None):
        """A fresh Session of ``setup`` (the lesson's own by default) on ``dataset`` (loaded
        from the setup's data when None)."""
        from visualcnn.lessons.running import build_session

        return build_session(setup or self.setup, dataset, self.path)


def text(item, key: str, language: str = "en") -> str:
    """The ``key`` text ("title", "do", "look", "notice") of a lesson or card in
    ``language``, English when the file has none in that language."""
    texts = getattr(item, key)
    return texts.get(language) or texts["en"]


def window_language() -> str:
    """The lesson files' key of the language the window speaks ("en", "zh")."""
    return FILE_LANGUAGE.get(i18n.language(), "en")


# --------------------------------------------------------------------------- reading
def load_lesson(path) -> Lesson:
    """Read and check the lesson file at ``path``; LessonError (one line) when it is not
    a lesson."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LessonError(tr("{path}: no such lesson file", path=path)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise LessonError(tr("{path}: cannot read it ({reason})", path=path,
                             reason=getattr(e, "strerror", None) or e)) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise LessonError(tr("{path}:{line}:{column}: not valid JSON: {reason}", path=path,
                             line=e.lineno, column=e.colno, reason=e.msg)) from None
    return _Reader(path).lesson(data)


class _Reader:
    """Checks the parsed JSON of one file; ``where`` prefixes each message."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, message: str):
        raise LessonError(f"{self.path}: {where}{message}")

    def get(self, obj: dict, key: str, kind, where: str, default=None, required=True):
        if key not in obj:
            if required:
                self.fail(where, tr("missing key {key}", key=repr(key)))
            return default
        value = obj[key]
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            value = float(value) if ok else value
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, kind)
        if not ok:
            self.fail(where, tr("{key} must be {kind}, got {value}", key=repr(key),
                                kind=i18n.lookup(KIND_NAMES[kind]),
                                value=json.dumps(value)[:40]))
        return value

    def texts(self, obj: dict, key: str, where: str) -> dict:
        value = self.get(obj, key, dict, where)
        if not isinstance(value.get("en"), str) or not value["en"].strip():
            self.fail(where, tr("{key} needs its English text under \"en\"", key=repr(key)))
        for lang, words in value.items():
            if lang not in LANGUAGES:
                self.fail(where, tr("{key}: unknown language {language} (expected {known})",
                                    key=repr(key), language=repr(lang),
                                    known=", ".join(LANGUAGES)))
            if not isinstance(words, str):
                self.fail(where, tr("{key}: the {language} text must be text", key=repr(key),
                                    language=repr(lang)))
        return dict(value)

    def unknown_keys(self, obj: dict, known, where: str) -> None:
        for key in obj:
            if key not in known:
                self.fail(where, tr("unknown key {key} (expected {known})", key=repr(key),
                                    known=", ".join(known)))

    def lesson(self, data) -> Lesson:
        if not isinstance(data, dict):
            self.fail("", tr("a lesson file holds one JSON object"))
        self.unknown_keys(data, ("name", "title", "setup", "cards"), "")
        name = self.get(data, "name", str, "")
        title = self.texts(data, "title", "")
        setup = self.setup(self.get(data, "setup", dict, ""), tr("setup: "), None)
        cards = self.get(data, "cards", list, "")
        if not cards:
            self.fail("", tr("'cards' is empty: a lesson has at least one card"))
        panels = panel_keys(setup)
        return Lesson(self.path, name, title, setup,
                      tuple(self.card(c, i + 1, panels, setup) for i, c in enumerate(cards)))

    def setup(self, obj: dict, where: str, base: Setup | None) -> Setup:
        self.unknown_keys(obj, SETUP_KEYS, where)
        g = self.get
        need = base is None
        base = base or Setup(arch="", lr=0.0)
        values = {
            "arch": g(obj, "arch", str, where, base.arch, need),
            "lr": g(obj, "lr", float, where, base.lr, need),
            "init": g(obj, "init", str, where, base.init, False),
            "optimizer": g(obj, "optimizer", str, where, base.optimizer, False),
            "seed": g(obj, "seed", int, where, base.seed, False),
            "data": g(obj, "data", str, where, base.data, False),
            "speed": g(obj, "speed", int, where, base.speed, False),
            "weight_decay": g(obj, "weight_decay", float, where, base.weight_decay, False),
        }
        try:
            values["arch"] = canonical_arch(values["arch"])
            if values["data"] == "bundled":
                parse_arch(values["arch"], BUNDLED_SHAPE, BUNDLED_CLASSES)
        except UserError as e:
            self.fail(where, f"'arch': {e}")
        try:
            values["init"] = check_init(values["init"])
        except UserError as e:
            self.fail(where, f"'init': {e}")
        try:
            resolve(values["optimizer"], 0.0, values["weight_decay"])
        except UserError as e:
            self.fail(where, tr("'optimizer' or 'weight_decay': {error}", error=e))
        if not LR_MIN <= values["lr"] <= LR_MAX:
            self.fail(where, tr("'lr' must be between {low:g} and {high:g}, got {value:g}",
                                low=LR_MIN, high=LR_MAX, value=values["lr"]))
        if values["speed"] not in SPEEDS:
            self.fail(where, tr("'speed' must be one of {speeds} (steps per second, 0: as fast "
                                "as possible), got {value}",
                                speeds=", ".join(map(str, SPEEDS)), value=values["speed"]))
        if values["seed"] < 0:
            self.fail(where, tr("'seed' must not be negative, got {value}",
                                value=values["seed"]))
        return Setup(**values)

    def card(self, obj, number: int, panels: tuple[str, ...], setup: Setup) -> Card:
        where = tr("card {number}: ", number=number)
        if not isinstance(obj, dict):
            self.fail(where, tr("a card is a JSON object"))
        self.unknown_keys(obj, (*CARD_TEXTS, "panel", "check"), where)
        texts = {key: self.texts(obj, key, where) for key in CARD_TEXTS}
        panel = self.get(obj, "panel", str, where)
        if panel not in panels:
            self.fail(where, tr("'panel': unknown panel {panel} (this lesson has {panels})",
                                panel=repr(panel), panels=", ".join(panels)))
        check = self.get(obj, "check", dict, where, None, False)
        if check is not None:
            from visualcnn.lessons.checks import checked_claim

            check = checked_claim(check, where + "'check': ", self, setup)
        return Card(number, texts["do"], texts["look"], texts["notice"], panel, check)


def panel_keys(setup: Setup) -> tuple[str, ...]:
    """The keys a card's "panel" may name under ``setup``: the fixed panels, every layer's
    (flatten has none) and the side docks."""
    layers = []
    if setup.data == "bundled":
        layers = [s.name for s in parse_arch(setup.arch, BUNDLED_SHAPE, BUNDLED_CLASSES)
                  if s.kind != "flatten"]
    else:  # the data's shape is known once it is loaded: any layer name of the string
        kinds = {}
        for token in setup.arch.split("-"):
            kind = "pool" if token.startswith("maxpool") else token.rstrip("0123456789")
            kind = "conv" if kind.startswith("conv") else kind
            kinds[kind] = kinds.get(kind, 0) + 1
            layers.append(f"{kind}{kinds[kind]}")
    return (*FIXED_PANELS[:1], *layers, *FIXED_PANELS[1:], *SIDE_PANELS)


# ------------------------------------------------------------------------- the lessons
def lessons_folder() -> Path:
    """Where the shipped lessons are: in the installed package (a wheel carries the
    repository's ``resources/`` as ``visualcnn/resources/``), else in the source tree."""
    folder = resource("lessons")
    if folder is None or not folder.is_dir():
        raise LessonError(tr("no lessons folder in {package}: the installation is incomplete",
                             package=resource_candidates("lessons")[0].parent.parent))
    return folder


def list_lessons() -> list[Lesson]:
    """The shipped lessons, in the order of their file names (NN-name.json)."""
    return [load_lesson(p) for p in sorted(lessons_folder().glob("*.json"))]


def find_lesson(name_or_path) -> Lesson:
    """A shipped lesson by its name (or its file's stem), or the lesson file at a path."""
    text_ = str(name_or_path)
    if text_.endswith(".json") or "/" in text_:
        return load_lesson(text_)
    shipped = list_lessons()
    for lesson in shipped:
        if text_ in (lesson.name, lesson.path.stem):
            return lesson
    raise LessonError(tr("no lesson called {name}; there are {names}", name=repr(text_),
                         names=", ".join(lesson.name for lesson in shipped)))
