"""Architecture errors quote a long string only in part, so the message stays one short line."""

import pytest

from visualcnn.common.errors import ArchError
from visualcnn.nn.arch import QUOTE_LIMIT, parse_arch


@pytest.mark.parametrize("arch", [
    "conv1x1-" * 1250 + "blob",          # a bad token at the end of a long string
    "x" * 10_000,                         # one long bad token
    "conv1x1-" * 1250 + "dense7",         # a long string with the wrong last layer
    "relu-" * 2000,                       # a long string that ends with no dense layer
])
def test_a_long_architecture_string_is_quoted_in_part(arch):
    with pytest.raises(ArchError) as caught:
        parse_arch(arch)
    message = str(caught.value)
    assert "\n" not in message and "..." in message
    assert len(message) < 3 * QUOTE_LIMIT + 120


def test_a_short_string_is_quoted_whole():
    with pytest.raises(ArchError, match=r"'conv8x3-blob-dense10' is not one of"):
        parse_arch("conv8x3-blob-dense10")
