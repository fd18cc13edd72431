"""The panels in Chinese: every layer panel's title, captions, colour-bar labels and help, the
output panel's titles, bars and marks, the colour data's panels, the hover text over a map,
and the context menu pyqtgraph gives a plot (its own texts, through our catalogue)."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QWidgetAction

from tests.i18n.visible import english_words, untranslated
from visualcnn.app.views.colormaps import SCALE_MODES
from visualcnn.common import i18n
from visualcnn.data import Pixels
from visualcnn.data.dataset import Dataset
from visualcnn.nn import Network
from visualcnn.training.session import Session

# Every kind of panel: a padded, strided convolution, ReLU, max-pool, tanh, average pool,
# sigmoid, leaky ReLU and dense layers.
EVERY_PANEL = "conv4x3p1s2-relu-pool2-conv4x3-tanh-avgpool2-dense12-sigmoid-dense12-lrelu-dense10"


@pytest.fixture
def chinese_window_on(qtbot, settings_dir, qapp):
    """``make(data, arch)``: a shown main window on ``data``, built in Chinese."""
    from visualcnn.app.language import apply_language
    from visualcnn.app.main_window import MainWindow

    def make(data, arch):
        gc.collect()  # earlier windows, between windows only (see tests/app/conftest.py)
        net = Network.from_arch(arch, input_shape=data.input_shape, classes=data.classes)
        window = MainWindow(Session(data, net, lr=0.01, seed=0))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    apply_language(qapp, i18n.CHINESE)
    gc.disable()
    try:
        yield make
    finally:
        gc.enable()
        apply_language(qapp, i18n.ENGLISH)


def grey_dataset(size=28) -> Dataset:
    rng = np.random.default_rng(0)
    return Dataset("grey", rng.random((30, 1, size, size), dtype=np.float32),
                   rng.integers(0, 10, 30).astype(np.int64),
                   rng.random((8, 1, size, size), dtype=np.float32),
                   rng.integers(0, 10, 8).astype(np.int64))


def colour_dataset(names=None) -> Dataset:
    """A tiny CIFAR-10-like dataset: 3 x 8 x 8 colour samples of ten classes."""
    rng = np.random.default_rng(1)
    return Dataset("colour", Pixels(rng.integers(0, 256, (20, 3, 8, 8), np.uint8)),
                   rng.integers(0, 10, 20).astype(np.int64),
                   Pixels(rng.integers(0, 256, (6, 3, 8, 8), np.uint8)),
                   rng.integers(0, 10, 6).astype(np.int64), classes=10,
                   class_names=names or ())


def english_left_in_panels(window) -> list[str]:
    """What is left in English in the panels' docks (titles, texts, tooltips) and in the
    hover text over every map of every panel."""
    left = []
    for panel in window.panels:
        if panel is window.curves_panel:  # another group's panel
            continue
        dock = window.panel_docks.docks[panel.key]
        left += [f"{panel.key}: {text}" for text in untranslated(dock)]
        for mosaic in getattr(getattr(panel, "board", None), "mosaics", ()):
            x, y = mosaic.image_x + mosaic.cell / 2, mosaic.image_y + mosaic.cell / 2
            hover = mosaic.describe(x, y)
            assert hover, (panel.key, mosaic.title)
            if english_words(hover):
                left.append(f"{panel.key} hover: {hover}")
    return left


def test_every_panel_is_chinese_after_a_step(chinese_window_on, qtbot):
    window = chinese_window_on(grey_dataset(), EVERY_PANEL)
    window.actions["step"].trigger()
    window.actions["step"].trigger()  # past the first update: every gradient has flowed
    qtbot.wait(20)
    assert english_left_in_panels(window) == []
    conv = window.panels[1]
    assert conv.title.startswith("conv1：卷积，填充 1，步长 2")
    assert "标签" in window.panels[0].caption.text()
    output = window.output_panel
    assert output.titles[output.prob_plot] == "概率"
    assert output.true_mark.toPlainText() in ("真实", "真实 = 预测")


def test_a_batch_step_titles_its_gradients_in_chinese(chinese_window_on, qtbot):
    window = chinese_window_on(grey_dataset(), "conv4x3-relu-pool2-dense10")
    window.controls.batch_box.setValue(4)
    window.actions["step"].trigger()
    qtbot.wait(20)
    assert english_left_in_panels(window) == []
    output = window.output_panel
    assert output.titles[output.prob_plot].startswith("概率，第 ")
    assert window.panels[1].grad_weights.title == "dL/dW，4 个样本的批次均值"


def test_colour_data_panels_and_known_class_names_are_chinese(chinese_window_on, qtbot):
    from visualcnn.data.classes import CIFAR_10

    window = chinese_window_on(colour_dataset(CIFAR_10), "conv4x3-relu-pool2-dense10")
    window.actions["step"].trigger()
    qtbot.wait(20)
    assert english_left_in_panels(window) == []
    shown = window.output_panel.class_axis.names
    assert shown == tuple(i18n.lookup(name) for name in CIFAR_10)
    assert shown != CIFAR_10  # the known names are translated


def test_a_users_own_class_names_are_shown_as_they_are(chinese_window_on, qtbot):
    names = tuple(f"kind{c}" for c in range(10))
    window = chinese_window_on(colour_dataset(names), "conv4x3-relu-pool2-dense10")
    assert window.output_panel.class_axis.names == names


def test_the_scale_modes_are_chinese(chinese_window_on):
    window = chinese_window_on(grey_dataset(), "conv4x3-relu-pool2-dense10")
    box = window.controls.scale_box
    shown = [box.itemText(i) for i in range(box.count())]
    assert shown == [i18n.lookup(text) for text in SCALE_MODES.values()]
    assert not any(english_words(text) for text in shown)


def test_a_plots_context_menu_is_chinese(chinese_window_on, qtbot):
    window = chinese_window_on(grey_dataset(), "conv4x3-relu-pool2-dense10")
    plot = window.output_panel.prob_plot
    charts = window.output_panel.widget
    centre = charts.mapFromScene(plot.vb.sceneBoundingRect().center())
    qtbot.mouseClick(charts.viewport(), Qt.MouseButton.RightButton, pos=centre)
    menu = plot.vb.menu  # what the right-click opened
    qtbot.waitUntil(menu.isVisible)
    texts = [a.text() for a in menu.actions() if a.text()]
    assert {"显示全部", "X 轴", "Y 轴", "鼠标模式", "绘图选项", "导出..."} <= set(texts)
    submenus = [a.menu() for a in menu.actions() if a.menu() is not None]
    submenus += [a.menu() for m in submenus for a in m.actions() if a.menu() is not None]
    assert len(submenus) >= 4 and untranslated(menu) == []
    for submenu in submenus:
        assert untranslated(submenu) == [], submenu.title()
        # The forms inside: the axes' range settings, Plot Options' groups.
        for action in submenu.actions():
            form = action.defaultWidget() if isinstance(action, QWidgetAction) else None
            if form is not None:
                assert untranslated(form) == [], submenu.title()
    menu.hide()
