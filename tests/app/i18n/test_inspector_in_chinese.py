"""The inspector in Chinese: every kind of unit it explains, clicked in a window built in
Chinese, is spelled out without English words; so are the notes over all-zero pictures and the
engine's one-line error for a unit out of range."""

import numpy as np
import pytest
from PyQt6.QtCore import QPointF, Qt

from tests.app.debug.test_inspect_new_layers import EVERY_TOKEN
from tests.app.debug.test_inspector import click_pixel, panel
from tests.i18n.visible import english_words, untranslated
from visualcnn.app.views.activation_panels import ActivationPanel, AvgPoolPanel
from visualcnn.app.views.panels import ConvPanel, DensePanel, InputPanel, PoolPanel, ReluPanel
from visualcnn.common import i18n
from visualcnn.common.errors import UserError
from visualcnn.nn import Network
from visualcnn.nn.explain import explain_input_pixel, explain_relu_unit


@pytest.fixture
def chinese_window_of(make_window, qapp):
    """A window built in Chinese on the architecture given."""
    from visualcnn.app.language import apply_language

    def make(arch):
        apply_language(qapp, i18n.CHINESE)
        return make_window(arch)

    try:
        yield make
    finally:
        apply_language(qapp, i18n.ENGLISH)


def named(window, kind, name):
    return next(p for p in window.panels if isinstance(p, kind) and p.name == name)


def click_probability(qtbot, window, m):
    out = window.output_panel
    scene = out.prob_plot.vb.mapViewToScene(QPointF(m, 0.5))
    qtbot.mouseClick(out.widget.viewport(), Qt.MouseButton.LeftButton,
                     pos=out.widget.mapFromScene(scene))


def assert_chinese(inspector, what):
    """The inspector explains a unit of kind ``what``, and says it without English."""
    assert inspector.selection.what == what
    assert untranslated(inspector.widget) == [], what
    assert any("\u4e00" <= ch <= "\u9fff" for ch in inspector.text.text()), what


def test_every_kind_of_unit_is_explained_in_chinese(chinese_window_of, qtbot):
    window = chinese_window_of(EVERY_TOKEN)
    inspector = window.debugger.inspector
    assert untranslated(inspector.widget) == []  # the words before any click
    for _ in range(3):
        window.actions["step"].trigger()
    conv1 = named(window, ConvPanel, "conv1")  # padded and strided
    clicks = [
        (conv1.maps, 1, 0, 4, "conv"),
        (conv1.grad_weights, 2, 1, 0, "weight"),
        (named(window, ActivationPanel, "sigmoid1").local, 1, 2, 3, "activation"),
        (named(window, ActivationPanel, "tanh1").out, 0, 1, 1, "activation"),
        (named(window, ActivationPanel, "lrelu1").grad_in, 2, 2, 2, "activation"),
        (named(window, AvgPoolPanel, "avgpool1").pooled, 2, 1, 1, "avgpool"),
        (named(window, PoolPanel, "pool1").pooled, 3, 0, 1, "pool"),
        (named(window, ReluPanel, "relu1").out, 1, 0, 0, "relu"),
        (panel(window, DensePanel).out, 0, 0, 4, "dense"),
        (panel(window, InputPanel).gradient, 0, 14, 13, "pixel"),
    ]
    for mosaic, tile, i, j, what in clicks:
        click_pixel(qtbot, mosaic, tile, i, j)
        assert inspector.explanation is not None, what
        assert_chinese(inspector, what)
    assert inspector.terms_plot.isHidden()  # only a weight shows its terms
    click_pixel(qtbot, conv1.weights, 0, 0, 0)
    assert_chinese(inspector, "weight")
    assert inspector.terms_plot.isVisible()
    click_probability(qtbot, window, 6)
    assert_chinese(inspector, "softmax")
    assert "交叉熵" in inspector.text.text()


def test_a_relu_that_blocks_and_a_relu_that_passes_say_so_in_chinese(chinese_window_of,
                                                                       qtbot):
    window = chinese_window_of("conv8x3-relu-pool2-dense10")
    for _ in range(3):
        window.actions["step"].trigger()
    relu = named(window, ReluPanel, "relu1")
    mask = window.last_trace.layer("relu1").extras["relu_mask"][0]
    inspector = window.debugger.inspector
    for passes, verdict in ((False, "被阻断"), (True, "通过")):
        c, i, j = (int(v) for v in np.argwhere(mask == passes)[-1])
        click_pixel(qtbot, relu.mask, c, i, j)
        assert_chinese(inspector, "relu")
        assert verdict in inspector.text.text()


def test_what_the_phase_has_not_computed_yet_is_said_in_chinese(chinese_window, qtbot):
    window = chinese_window
    window.actions["step"].trigger()
    window.actions["step_phase"].trigger()  # the forward pass through conv1 only
    inspector = window.debugger.inspector
    conv = panel(window, ConvPanel)
    click_pixel(qtbot, conv.weights, 0, 0, 0)  # its gradient: not reached yet
    assert_chinese(inspector, "weight")
    assert "尚未计算" in inspector.text.text()
    click_pixel(qtbot, panel(window, DensePanel).out, 0, 0, 4)  # its output: not yet there
    assert inspector.explanation is None
    assert_chinese(inspector, "dense")
    assert "尚未计算" in inspector.text.text()


def test_an_input_pixel_of_a_network_that_starts_with_a_pool_is_refused_in_chinese(
        chinese_window_of, qtbot):
    window = chinese_window_of("avgpool2-conv4x3-dense10")
    window.actions["step"].trigger()
    click_pixel(qtbot, panel(window, InputPanel).sample, 0, 5, 5)
    inspector = window.debugger.inspector
    assert inspector.explanation is None
    assert_chinese(inspector, "pixel")
    assert "avgpool1" in inspector.text.text()


def test_the_all_zero_notes_give_their_reason_in_chinese(chinese_window):
    window = chinese_window
    conv = panel(window, ConvPanel)
    for mosaic in (conv.grad_weights, conv.grad_maps, panel(window, DensePanel).out):
        note = mosaic.zero_note
        assert note.shown
        assert note.full_text().startswith("本步全为零：输出层从零开始")
        assert english_words(note.full_text()) == [] and english_words(note.text.text()) == []
        assert mosaic.image.toolTip() == note.full_text()


def test_a_chinese_note_wraps_between_characters_to_fit_its_room(qapp):
    from visualcnn.app.views.board import text_size
    from visualcnn.app.views.zero_note import wrap_words

    text = "本步全为零：输出层从零开始，所以还没有梯度回传"
    width = text_size(text)[0] / 3
    wrapped = wrap_words(text, width)
    lines = wrapped.split("\n")
    assert len(lines) >= 3 and "".join(lines) == text
    assert all(text_size(line)[0] <= width for line in lines)
    assert not any(line.startswith(("，", "：")) for line in lines)
    # English still breaks at its spaces only.
    assert wrap_words("all zero at this step", text_size("all zero")[0]).split("\n") == [
        "all zero", "at this", "step"]


def test_a_unit_out_of_range_is_a_one_line_chinese_error():
    net = Network.from_arch("conv4x3-relu-dense10", seed=0)
    trace = net.train_step(np.random.default_rng(0).random((1, 28, 28)), 3, 0.05)
    i18n.set_language(i18n.CHINESE)
    for bad in (lambda: explain_relu_unit(trace, "relu1", 4, 0, 0),
                lambda: explain_input_pixel(trace, 0, 28, 0)):
        with pytest.raises(UserError) as error:
            bad()
        message = str(error.value)
        assert english_words(message) == [] and "超出范围" in message and "\n" not in message
