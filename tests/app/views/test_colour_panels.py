"""Colour data in the window: the input drawn in its own colours, the first convolution's
filters as colour patches, every other panel working with three input channels."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from tests.data.image_files import write_cifar_folder
from visualcnn.app.views.colour_mosaic import ColourMosaic
from visualcnn.app.views.panels import ConvPanel, InputPanel
from visualcnn.data import Pixels
from visualcnn.data.dataset import Dataset
from visualcnn.nn import Network
from visualcnn.training.session import Session


def colour_dataset(n_train=20, n_test=6, size=10, classes=4, seed=0) -> Dataset:
    rng = np.random.default_rng(seed)
    return Dataset("colour", Pixels(rng.integers(0, 256, (n_train, 3, size, size), np.uint8)),
                   rng.integers(0, classes, n_train).astype(np.int64),
                   Pixels(rng.integers(0, 256, (n_test, 3, size, size), np.uint8)),
                   rng.integers(0, classes, n_test).astype(np.int64), classes=classes)


@pytest.fixture
def make_window(qtbot, settings_dir):
    """A shown main window on colour data with the network ``arch`` (built for the data)."""
    from visualcnn.app.main_window import MainWindow

    def make(arch, data=None):
        gc.collect()  # earlier windows, between windows only (see tests/app/conftest.py)
        data = data or colour_dataset()
        net = Network.from_arch(arch, input_shape=data.input_shape, classes=data.classes)
        window = MainWindow(Session(data, net, lr=0.01, seed=0))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    gc.disable()
    try:
        yield make
    finally:
        gc.enable()


@pytest.fixture
def dataset():
    return colour_dataset()


@pytest.fixture
def colour_window(make_window, dataset):
    return make_window("conv6x3-relu-pool2-conv4x3-dense4", dataset)


def test_the_input_panel_draws_the_sample_in_its_own_colours(colour_window, dataset):
    window = colour_window
    window.actions["step"].trigger()
    panel = next(p for p in window.panels if isinstance(p, InputPanel))
    sample = window.last_trace.input[0]                        # (3, H, W) in [0, 1]
    drawn = panel.colour.tile_colours(0)                        # (H, W, 3) bytes
    expected = np.rint(sample * 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(drawn, expected)
    # ... which are the bytes of a training image, as the data holds them.
    raw = dataset.x_train.raw
    matches = [i for i in range(len(raw)) if np.array_equal(raw[i], expected.transpose(2, 0, 1))]
    assert matches
    assert (panel.colour.colours()[..., 3] == 255).all()      # one tile, no gap, opaque
    # The channels beside it, named, and dL/d(input) per channel.
    assert panel.sample.count == 3 and panel.gradient.count == 3
    assert panel.sample.tiling.name_of(0, 2) == "blue"
    np.testing.assert_array_equal(panel.gradient.raw.reshape(3, 10, 10),
                                  window.last_trace.dinput[0])
    assert "per channel (red, green, blue)" in panel.widget.toolTip()


def test_hovering_the_colour_sample_gives_its_three_values(colour_window):
    window = colour_window
    window.actions["step"].trigger()
    panel = next(p for p in window.panels if isinstance(p, InputPanel))
    x, y = panel.colour.pixel_centre(0, 2, 3)
    text = panel.colour.describe(x, y)
    r, g, b = window.last_trace.input[0][:, 2, 3]
    assert "y 2, x 3" in text and f"red {r:.5g}, green {g:.5g}, blue {b:.5g}" in text


def test_the_first_convolution_shows_its_filters_as_colour_patches(colour_window):
    window = colour_window
    window.actions["step"].trigger()
    conv1, conv2 = (p for p in window.panels if isinstance(p, ConvPanel))
    assert isinstance(conv1.colour_filters, ColourMosaic) and conv2.colour_filters is None
    w = window.last_trace.layer("conv1").params["W"]          # (6, 3, 3, 3)
    for f in range(6):
        top = np.abs(w[f]).max()
        expected = np.rint(128 + 127 * w[f] / top).astype(np.uint8).transpose(1, 2, 0)
        np.testing.assert_array_equal(conv1.colour_filters.tile_colours(f), expected)
    # Per channel as well: one row per input channel.
    assert conv1.weights.rows == 3 and conv1.weights.cols == 6
    assert "grey is 0" in conv1.widget.toolTip()


def test_a_filter_that_only_reads_red_is_drawn_red(colour_window):
    window = colour_window
    conv = window.session.net.layers[0]
    conv.params["W"][0] = 0.0
    conv.params["W"][0, 0] = 0.5   # red channel only, positive
    window.actions["step"].trigger()
    panel = next(p for p in window.panels if isinstance(p, ConvPanel))
    shown = panel.colour_filters.tile_colours(0).astype(int)
    w = window.last_trace.layer("conv1").params["W"][0]
    assert (w[0] > 0.4).all() and (np.abs(w[1:]) < 0.1).all()
    assert (shown[..., 0] > 230).all() and (shown[..., 1:] < 160).all()


def test_every_other_panel_works_with_three_input_channels(make_window):
    window = make_window("dense8-relu-dense4")   # W of the first dense as colour templates
    for _ in range(3):
        window.actions["step"].trigger()
    dense = next(p for p in window.panels if p.key == "dense1")
    assert dense.weights.rows == 8 and dense.weights.cols == 3
    assert not np.isnan(dense.weights.raw).any()


def test_a_cifar_folder_opens_in_the_window_and_trains(window_factory_cifar):
    window, folder = window_factory_cifar
    assert window.classroom.model_data.open_dataset(str(folder))
    assert window.session.dataset.input_shape == (3, 32, 32)
    window.actions["step"].trigger()
    panel = next(p for p in window.panels if isinstance(p, InputPanel))
    assert panel.colour is not None
    assert panel.colour.tile_colours(0).shape == (32, 32, 3)


@pytest.fixture
def window_factory_cifar(make_window, tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    write_cifar_folder(folder, batches=(1,), per_batch=8, test=4)
    return make_window("conv6x3-relu-pool2-conv4x3-dense4"), folder
