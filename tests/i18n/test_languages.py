"""Which language the window takes, and how catalogues are read."""

import pytest

from visualcnn.common import i18n
from visualcnn.common.errors import UserError
from visualcnn.common.i18n import ntr, tr


@pytest.mark.parametrize("environ, expected", [
    ({"LANG": "zh_CN.UTF-8"}, i18n.CHINESE),
    ({"LANG": "en_US.UTF-8", "LC_ALL": "zh_CN.utf8"}, i18n.CHINESE),
    ({"LANG": "zh_TW.UTF-8"}, i18n.ENGLISH),  # traditional Chinese: not what we have
    ({"LANG": "de_DE.UTF-8", "LANGUAGE": "fr:zh_CN:en"}, i18n.CHINESE),
    ({"LANG": "C", "LANGUAGE": "zh_CN"}, i18n.ENGLISH),  # gettext ignores LANGUAGE under C
    ({}, i18n.ENGLISH),
    ({"LC_MESSAGES": "zh_SG"}, i18n.CHINESE),
])
def test_the_system_language_is_read_as_gettext_reads_it(environ, expected):
    assert i18n.system_language(environ) == expected


def test_tr_fills_fields_with_the_same_number_format_in_both_languages(monkeypatch):
    monkeypatch.setitem(i18n._catalogues, i18n.CHINESE, {
        ("", "Step {step:,} of {total:,}"): "第 {step:,} 步，共 {total:,} 步"})
    i18n.set_language(i18n.CHINESE)
    chinese = tr("Step {step:,} of {total:,}", step=12345, total=100000)
    i18n.set_language(i18n.ENGLISH)
    english = tr("Step {step:,} of {total:,}", step=12345, total=100000)
    assert english == "Step 12,345 of 100,000"
    assert "12,345" in chinese and "100,000" in chinese and chinese != english


def test_ntr_picks_the_english_form_by_count_and_chinese_has_one():
    assert ntr("{n} row", "{n} rows", 1) == "1 row"
    assert ntr("{n} row", "{n} rows", 3) == "3 rows"


def test_a_po_file_is_read_with_continuations_escapes_contexts_and_fuzzy_entries(tmp_path):
    po = tmp_path / "x.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  '# a comment\nmsgid "Two "\n"lines\\n"\nmsgstr "两\\"行\\""\n\n'
                  'msgctxt "ViewBox"\nmsgid "View All"\nmsgstr "全部显示"\n\n'
                  '#, fuzzy\nmsgid "Guess"\nmsgstr "猜"\n\n'
                  'msgid "{n} row"\nmsgid_plural "{n} rows"\nmsgstr[0] "{n} 行"\n\n'
                  'msgid "Not yet"\nmsgstr ""\n', encoding="utf-8")
    assert i18n.read_po(po) == {("", "Two lines\n"): '两"行"', ("ViewBox", "View All"): "全部显示",
                                ("", "{n} row"): "{n} 行"}


def test_a_malformed_po_file_is_one_line_naming_file_and_line(tmp_path):
    po = tmp_path / "bad.po"
    po.write_text('msgid "a"\nmsgstr "b"\nthis is not po\n', encoding="utf-8")
    with pytest.raises(UserError, match=r"bad\.po:3: not a line of a \.po file"):
        i18n.read_po(po)


def test_the_shipped_catalogues_parse():
    assert len(i18n.catalogue(i18n.CHINESE)) > 0
