"""Architecture strings: what parses, into which layers and shapes, and what is refused."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visualcnn.common.errors import ArchError, UserError
from visualcnn.nn import DEEPER_ARCH, DEFAULT_ARCH, PRESETS, Network, parse_arch
from visualcnn.nn.arch import parameter_count, unread_note
from visualcnn.training import memory


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
          "dense", "relu2", "CONV4X3", " relu", "conv-1x3", "1", "conv2x3x4", "pool2.5",
          "conv4x3p1", "conv4x3s2", "conv2x5p2s3", "conv3x3p3", "conv3x3s0", "conv3x2s1p1",
          "avgpool2", "avgpool0", "maxpool3", "sigmoid", "tanh", "lrelu", "conv1x1s9"]


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


# ------------------------------------------------------------------ padding, stride, new kinds
def test_new_tokens_parse_into_their_kinds_and_shapes():
    specs = parse_arch("conv8x3p1s2-lrelu-avgpool2-conv4x3p2-sigmoid-maxpool2-tanh-dense10")
    assert [(s.name, s.kind, s.shape_out) for s in specs] == [
        ("conv1", "conv", (8, 14, 14)), ("lrelu1", "lrelu", (8, 14, 14)),
        ("avgpool1", "avgpool", (8, 7, 7)), ("conv2", "conv", (4, 9, 9)),
        ("sigmoid1", "sigmoid", (4, 9, 9)), ("pool1", "pool", (4, 4, 4)),
        ("tanh1", "tanh", (4, 4, 4)), ("flatten1", "flatten", (64,)),
        ("dense1", "dense", (10,))]
    assert (specs[0].padding, specs[0].stride, specs[0].kernel) == (1, 2, 3)
    assert (specs[3].padding, specs[3].stride) == (2, 1)
    assert specs[2].kernel == 2 and specs[5].kernel == 2
    # Either suffix may be left out; p0 and s1 are the defaults written out.
    for arch, out in [("conv8x3p1-dense10", (8, 28, 28)), ("conv8x3s2-dense10", (8, 13, 13)),
                      ("conv8x3p0s1-dense10", (8, 26, 26)), ("conv8x5p4-dense10", (8, 32, 32))]:
        assert parse_arch(arch)[0].shape_out == out
    assert layout("pool2-dense10") == layout("maxpool2-dense10")


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 7), st.integers(0, 6),
       st.integers(1, 5))
def test_conv_output_size_is_pytorchs_floor_rule(h, w, k, p, s):
    arch = f"conv2x{k}p{p}s{s}-dense10"
    try:
        conv = parse_arch(arch, (1, h, w))[0]
    except ArchError as e:
        assert p >= k or k > h + 2 * p or k > w + 2 * p, str(e)
        return
    assert p < k and k <= h + 2 * p and k <= w + 2 * p
    assert conv.shape_out == (2, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1)
    # Rows no window reads, counted by brute force: real rows p .. p + h - 1 of the padded
    # input, windows at rows 0, s, 2s, ...
    read = {r for i in range(conv.shape_out[1]) for r in range(i * s, i * s + k)}
    assert conv.unread[0] == sum(1 for r in range(p, p + h) if r not in read)


NEW_BAD = [
    ("conv8x3p3-dense10", "padding 3 must be less than the kernel size 3"),
    ("conv8x1p1-dense10", "padding 1 must be less than the kernel size 1"),
    ("conv8x3s0-dense10", "'conv8x3s0': the stride must be at least 1"),
    ("conv8x31p1-dense10", "a 31x31 kernel does not fit a 1x28x28 input (padded by 1 to 30x30)"),
    ("conv8x3s1p1-dense10", "conv<F>x<K>[p<P>][s<S>]"),  # suffixes in the wrong order
    ("conv8x3p-dense10", "'conv8x3p'"),
    ("conv8x3p1s2x-dense10", "'conv8x3p1s2x'"),
    ("avgpool0-dense10", "'avgpool0': the pool size must be at least 1"),
    ("avgpool29-dense10", "a 29x29 pool does not fit a 1x28x28 input"),
    ("maxpool29-dense10", "'maxpool29'"),
    ("dense20-avgpool2-dense10", "'avgpool2': a pool cannot follow a dense layer"),
    ("sigmoid2-dense10", "'sigmoid2'"),
    ("leakyrelu-dense10", "'leakyrelu'"),
    ("conv8x3p999999-dense10", "'conv8x3p999999'"),  # six digits: not a number here
]


@pytest.mark.parametrize("arch, fragment", NEW_BAD)
def test_bad_new_tokens_raise_one_line_messages(arch, fragment):
    with pytest.raises(ArchError) as info:
        parse_arch(arch)
    assert "\n" not in str(info.value)
    assert fragment in str(info.value)


def test_the_parser_says_which_rows_and_columns_are_left_unread():
    specs = parse_arch("conv8x3s2-avgpool3-conv2x1s3-dense10", (1, 28, 27))
    assert [s.unread for s in specs[:3]] == [(1, 0), (1, 1), (2, 2)]
    assert unread_note(specs) == [
        "conv1 leaves 1 row of its 28x27 input unread",
        "avgpool1 leaves 1 row and 1 column of its 13x13 input unread",
        "conv2 leaves 2 rows and 2 columns of its 4x4 input unread"]
    # Padding that the last window does not reach is no input: nothing is reported.
    assert unread_note(parse_arch("conv8x3p1s2-dense10")) == []
    assert unread_note(parse_arch(DEFAULT_ARCH)) == []


def test_parameters_are_counted_for_every_kind():
    specs = parse_arch("conv8x3p1s2-lrelu-avgpool2-conv4x3-tanh-dense16-sigmoid-dense10")
    expected = 8 * (1 * 9 + 1) + 4 * (8 * 9 + 1) + 16 * (4 * 5 * 5 + 1) + 10 * (16 + 1)
    assert parameter_count(specs) == memory.parameter_count(specs) == expected
    net = Network.from_arch("conv8x3p1s2-lrelu-avgpool2-conv4x3-tanh-dense16-sigmoid-dense10")
    assert sum(v.size for _, _, v in net.parameters()) == expected


def test_the_colour_and_sigmoid_deep_presets():
    assert PRESETS["colour"] == "conv16x3p1-relu-pool2-conv32x3p1-relu-pool2-dense10"
    assert PRESETS["sigmoid deep"] == ("conv8x3p1-sigmoid-conv8x3p1-sigmoid-conv8x3p1-sigmoid-"
                                       "pool2-dense32-sigmoid-dense10")
    colour = Network.from_arch("colour", input_shape=(3, 32, 32))
    assert colour.layers[0].params["W"].shape == (16, 3, 3, 3)
    assert [lt.name for lt in colour.layers][-2:] == ["flatten1", "dense1"]
    assert colour.layers[-1].params["W"].shape == (10, 32 * 8 * 8)
    deep = Network.from_arch("sigmoid deep")
    assert [layer.kind for layer in deep.layers].count("sigmoid") == 4
