"""Helpers for tests that read what the panels show."""

import numpy as np

from visualcnn.app.views.colormaps import colour_indices


def panel(window, kind):
    return next(p for p in window.panels if isinstance(p, kind))


def assert_tiles(mosaic, maps):
    """Every tile of ``mosaic`` shows ``maps`` (n, h, w) at the mosaic's levels."""
    for i, expected in enumerate(maps):
        r, c = divmod(i, mosaic.cols)
        np.testing.assert_array_equal(mosaic.raw[r, c], expected)
        np.testing.assert_array_equal(mosaic.tile(r, c), colour_indices(expected, mosaic.levels))
