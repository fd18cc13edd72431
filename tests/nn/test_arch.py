"""Architecture strings: what parses, into which layers and shapes, and what is refused."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visualcnn.common.errors import ArchError, UserError
from visualcnn.nn import DEEPER_ARCH, DEFAULT_ARCH, PRESETS, Network, parse_arch


def layout(arch, input_shape=(1, 28, 28)):
    return [(s.name, s.shape_out) for s in parse_arch(arch, input_shape)]


def test_default_arch_layers_and_shapes():
    assert layout(DEFAULT_ARCH) == [
        ("conv1", (8, 26, 26)), ("pool1", (8, 13, 13)), ("flatten1", (1352,)),
        ("dense1", (10,))]
    specs = parse_arch(DEFAULT_ARCH)
    assert specs[0].shape_in == (1, 28, 28)
    assert (specs[0].filters, specs[0].kernel, specs[1].kernel, specs[3].units) == (8, 3, 2, 10)


def test_deeper_arch_layers_and_shapes():
    assert layout(DEEPER_ARCH) == [
        ("conv1", (8, 26, 26)), ("relu1", (8, 26, 26)), ("pool1", (8, 13, 13)),
        ("conv2", (16, 11, 11)), ("relu2", (16, 11, 11)), ("pool2", (16, 5, 5)),
        ("flatten1", (400,)), ("dense1", (10,))]


def test_other_archs_parse():
    assert layout("dense64-relu-dense10") == [
        ("flatten1", (784,)), ("dense1", (64,)), ("relu1", (64,)), ("dense2", (10,))]
    assert layout("conv4x5-pool3-dense10", (3, 12, 12)) == [
        ("conv1", (4, 8, 8)), ("pool1", (4, 2, 2)), ("flatten1", (16,)), ("dense1", (10,))]
    # Case and surrounding space do not matter; a kernel as large as the map does fit.
    assert layout("  CONV2x28-Dense10 ") == [
        ("conv1", (2, 1, 1)), ("flatten1", (2,)), ("dense1", (10,))]


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_build_networks(name):
    net = Network.from_arch(name)
    assert net.arch == PRESETS[name]
    assert net.layers[-1].name.startswith("dense")


def test_network_layers_follow_the_parse():
    net = Network.from_arch(DEEPER_ARCH)
    assert [layer.name for layer in net.layers] == [s.name for s in parse_arch(DEEPER_ARCH)]
    assert net.layers[3].params["W"].shape == (16, 8, 3, 3)
    assert net.layers[-1].params["W"].shape == (10, 400)


BAD = [
    # (arch, text the one-line message must contain)
    ("", "empty"),
    ("   ", "empty"),
    ("conv8x3-foo-dense10", "'foo'"),
    ("conv8x3--dense10", "''"),
    ("conv8x3-pool2-dense10-", "''"),
    ("conv8-dense10", "'conv8'"),
    ("conv0x3-dense10", "'conv0x3'"),
    ("conv8x0-dense10", "'conv8x0'"),
    ("conv8x29-dense10", "'conv8x29'"),        # kernel bigger than the 28x28 map
    ("conv8x3-pool27-dense10", "'pool27'"),    # pool bigger than the 26x26 map
    ("conv8x3-pool0-dense10", "'pool0'"),
    ("dense0-dense10", "'dense0'"),
    ("dense20-conv8x3-dense10", "'conv8x3'"),  # conv after dense
    ("dense20-pool2-dense10", "'pool2'"),      # pool after dense
    ("conv8x3-pool2-dense5", "'dense5'"),      # last dense not 10
    ("conv8x3-pool2", "dense10"),              # no dense at the end
    ("conv8x3-pool2-dense10-relu", "dense10"),
    ("conv8x3-pool2-conv8x14-dense10", "'conv8x14'"),  # the second conv no longer fits
]


@pytest.mark.parametrize("arch, fragment", BAD)
def test_bad_arch_raises_one_line_arch_error(arch, fragment):
    with pytest.raises(ArchError) as info:
        parse_arch(arch)
    message = str(info.value)
    assert "\n" not in message
    assert fragment in message
    assert isinstance(info.value, UserError)
    with pytest.raises(ArchError):
        Network.from_arch(arch)


TOKENS = ["conv8x3", "conv2x5", "conv1x1", "conv0x3", "conv3x40", "relu", "pool2", "pool3",
          "pool0", "pool30", "dense10", "dense5", "dense0", "dense64", "", "x", "conv", "pool",
          "dense", "relu2", "CONV4X3", " relu", "conv-1x3", "1", "conv2x3x4", "pool2.5"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=8)), max_size=8),
       st.tuples(st.integers(1, 4), st.integers(1, 30), st.integers(1, 30)))
def test_any_token_string_parses_or_raises_arch_error(tokens, input_shape):
    arch = "-".join(tokens)
    try:
        specs = parse_arch(arch, input_shape)
    except ArchError as e:
        assert "\n" not in str(e)
        return
    # What parses is a working stack: it ends in one unit per class, and every layer's
    # input is the previous layer's output.
    assert specs[-1].kind == "dense" and specs[-1].shape_out == (10,)
    assert specs[0].shape_in == input_shape
    for a, b in pairwise(specs):
        assert a.shape_out == b.shape_in
    assert all(min(s.shape_out) >= 1 for s in specs)


def test_absurdly_long_number_is_an_arch_error():
    with pytest.raises(ArchError):
        parse_arch("conv" + "9" * 5000 + "x3-dense10")


def test_an_architecture_too_large_for_memory_is_refused_before_allocating():
    with pytest.raises(ArchError, match="parameters; the limit is"):
        parse_arch("conv99999x3-dense10")
