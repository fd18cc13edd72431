"""The Model and data dock's summary of a typed architecture: layers, parameters of every
kind, and the rows and columns a stride or pool leaves unread."""

from visualcnn.app.classroom.model_data import describe
from visualcnn.nn import parse_arch


def test_the_summary_counts_every_kind_and_names_what_is_left_unread():
    assert describe(parse_arch("conv8x3s2-dense10")).splitlines() == [
        "valid: 2 layers, 13,610 parameters",
        "conv1 leaves 1 row and 1 column of its 28x28 input unread"]
    specs = parse_arch("conv8x3p1s2-lrelu-avgpool2-conv4x3-tanh-dense16-sigmoid-dense10")
    expected = 8 * (1 * 9 + 1) + 4 * (8 * 9 + 1) + 16 * (4 * 5 * 5 + 1) + 10 * (16 + 1)
    assert describe(specs) == f"valid: 8 layers, {expected:,} parameters"


def test_typing_a_strided_architecture_shows_what_it_leaves_unread(window, qtbot, tmp_path):
    dock = window.classroom.model_data.dock
    dock.show()
    dock.raise_()
    model = window.classroom.model_data.panel
    model.arch_field.clear()
    qtbot.keyClicks(model.arch_field, "conv8x3s2-avgpool3-dense10")
    assert model.apply_button.isEnabled()
    lines = model.message.text().splitlines()
    assert lines[0].startswith("valid: 3 layers")
    assert lines[1:] == ["conv1 leaves 1 row and 1 column of its 28x28 input unread",
                         "avgpool1 leaves 1 row and 1 column of its 13x13 input unread"]
    model.arch_field.clear()
    qtbot.keyClicks(model.arch_field, "conv8x3p3-dense10")
    assert not model.apply_button.isEnabled()
    assert "padding 3 must be less than the kernel size 3" in model.message.text()
