"""A window built in Chinese, as ``LANG=zh_CN.UTF-8`` or View > Language opens it."""

import pytest

from visualcnn.common import i18n


@pytest.fixture
def dataset():
    """The app tests' random data, under a name a Chinese user could have given it: the
    data's name is shown as it is (in the title), like a file name."""
    import dataclasses

    from tests.app.conftest import make_dataset

    return dataclasses.replace(make_dataset(), name="随机数据")


@pytest.fixture
def chinese_window(make_window, qapp):
    from visualcnn.app.language import apply_language

    apply_language(qapp, i18n.CHINESE)
    try:
        yield make_window()
    finally:
        apply_language(qapp, i18n.ENGLISH)
