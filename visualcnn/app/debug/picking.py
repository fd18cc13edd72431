"""Which unit a click on a panel picks: the ``Selection`` the inspector explains.

A click on any picture of a layer's panel picks the unit it shows there: a feature map's or
its gradient's pixel picks that output unit, a filter's pixel that weight, a pixel of a pool's
input the window it falls in, a pixel of an activation's output, local derivative or gradient
that unit.
"""

from __future__ import annotations

from visualcnn.app.debug.explanations import Selection
from visualcnn.app.views.activation_panels import ActivationPanel, AvgPoolPanel
from visualcnn.app.views.panels import ConvPanel, DensePanel, InputPanel, PoolPanel, ReluPanel


def unit_of(mosaic, hit, flat: bool) -> tuple[int, ...]:
    """The unit a map pixel shows: (channel, y, x) on maps, (d,) on a ``flat`` strip."""
    r, c, i, j = hit
    return (j,) if flat else (r * mosaic.cols + c, i, j)


def _first_hit(mosaics, x: float, y: float):
    """(mosaic, hit) of the first of ``mosaics`` with a map pixel at (x, y), or None."""
    for mosaic in mosaics:
        hit = mosaic.locate(x, y)
        if hit:
            return mosaic, hit
    return None


def _pool_unit(panel, kernel: int, x: float, y: float) -> tuple[int, int, int] | None:
    """The pooled unit (channel, y, x) under (x, y) on a pool panel: a click on the pool's
    input picks the window it is in; rows and columns the pool drops pick nothing."""
    found = _first_hit((panel.pooled, panel.grad_pooled), x, y)
    if found:
        mosaic, (r, c, i, j) = found
        return r * mosaic.cols + c, i, j
    found = _first_hit((panel.inputs, panel.routed), x, y)
    if not found:
        return None
    mosaic, (r, c, i, j) = found
    i, j = i // kernel, j // kernel
    if i >= panel.pooled.h or j >= panel.pooled.w:
        return None  # past the last whole window: no pooled unit reads it
    return r * mosaic.cols + c, i, j


def selection_at(panel, x: float, y: float, net) -> Selection | None:
    """The unit of ``panel`` (a panel of ``net``'s window) under scene point (x, y), if it
    is one the inspector explains."""
    if isinstance(panel, ConvPanel):
        found = _first_hit((panel.maps, panel.grad_maps), x, y)
        if found:
            mosaic, (r, c, i, j) = found
            return Selection("conv", panel.name, (r * mosaic.cols + c, i, j))
        found = _first_hit((panel.weights, panel.grad_weights), x, y)
        if found:
            mosaic, (r, c, i, j) = found
            f, ch = mosaic.tiling.index_of(r, c)
            return Selection("weight", panel.name, (f, ch, i, j))
    elif isinstance(panel, PoolPanel | AvgPoolPanel):
        unit = _pool_unit(panel, panel.kernel, x, y)
        if unit is not None:
            what = "pool" if isinstance(panel, PoolPanel) else "avgpool"
            return Selection(what, panel.name, unit)
    elif isinstance(panel, DensePanel):
        hit = panel.out.locate(x, y)
        if hit:
            return Selection("dense", panel.name, (hit[3],))
    elif isinstance(panel, ReluPanel | ActivationPanel):
        mosaics = ((panel.out, panel.mask) if isinstance(panel, ReluPanel)
                   else (panel.out, panel.local, panel.grad_out, panel.grad_in))
        found = _first_hit(mosaics, x, y)
        if found:
            spec = next(sp for sp in net.specs if sp.name == panel.name)
            what = "relu" if isinstance(panel, ReluPanel) else "activation"
            return Selection(what, panel.name, unit_of(*found, len(spec.shape_out) == 1))
    elif isinstance(panel, InputPanel):
        found = _first_hit((panel.sample, panel.gradient), x, y)
        if found:
            mosaic, (r, c, i, j) = found
            return Selection("pixel", None, (r * mosaic.cols + c, i, j))
    return None
