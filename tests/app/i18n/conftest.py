"""A window built in Chinese, as ``LANG=zh_CN.UTF-8`` or View > Language opens it."""

import pytest

from visualcnn.common import i18n


@pytest.fixture
def chinese_window(make_window, qapp):
    from visualcnn.app.language import apply_language

    apply_language(qapp, i18n.CHINESE)
    try:
        yield make_window()
    finally:
        apply_language(qapp, i18n.ENGLISH)
