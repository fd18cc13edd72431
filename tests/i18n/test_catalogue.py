"""The Chinese catalogue holds every string the source marks, with the same fields."""

from visualcnn.common import i18n
from visualcnn.common.i18n_sources import fields, marked_strings, missing_entries


def test_every_marked_string_has_a_chinese_translation():
    missing = missing_entries(i18n.CHINESE)
    assert missing == "", "untranslated (add to resources/translations/zh_CN/):\n" + missing[:3000]


def test_each_translation_fills_the_same_fields_as_its_english():
    chinese = i18n.catalogue(i18n.CHINESE)
    wrong = []
    for m in marked_strings():
        translated = chinese.get(("", m.text))
        english = fields(m.text) | (fields(m.plural) if m.plural else set())
        if translated is not None and fields(translated) != english:
            wrong.append(f"{m.path}:{m.line}: {m.text!r} -> {translated!r}")
    assert wrong == []


def test_the_catalogue_holds_no_entry_the_source_no_longer_marks():
    marked = {m.text for m in marked_strings()}
    stale = [text for (context, text) in i18n.catalogue(i18n.CHINESE)
             if not context and text not in marked]
    assert stale == []
