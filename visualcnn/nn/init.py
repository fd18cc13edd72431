"""Initialisers: the weights a network starts from, by name.

    he        (the default) the layers' own draw: normal with standard deviation
              sqrt(2 / fan_in), which keeps the activations' variance steady through ReLU
              layers; the output layer's W starts at zero (every class equally likely, and
              its templates grow from the data rather than from noise).
    xavier    Glorot uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), as PyTorch's
              xavier_uniform_ and Keras's default; every layer, the output one included.
    uniform   U(-0.05, 0.05) whatever the layer's size (Keras's RandomUniform): nothing
              scales with fan-in, so a deep stack's signal fades or grows layer by layer.
    constant  every weight 0.01: all filters of a layer are identical, get identical
              gradients and stay identical however long the run (symmetry is never broken).
    zeros     every weight 0: every gradient upstream of an all-zero layer is zero, so only
              the output layer's biases ever learn.

Biases start at zero for every initialiser. fan_in and fan_out follow PyTorch: a conv W of
shape (F, C, K, K) has fan_in C*K*K and fan_out F*K*K; a dense W (M, D) has D and M.
"""

from __future__ import annotations

import math

import numpy as np

from visualcnn.common.errors import UserError
from visualcnn.common.i18n import N_, tr

INITIALISERS = ("he", "xavier", "uniform", "constant", "zeros")
DEFAULT_INIT = "he"
CONSTANT_WEIGHT = 0.01
UNIFORM_LIMIT = 0.05

# One line each, for --help and the app's tooltips (shown through i18n.lookup). Literal text,
# for the translation to find: the numbers are UNIFORM_LIMIT and CONSTANT_WEIGHT.
INIT_HELP = {
    "he": N_("normal, sd sqrt(2/fan_in); the output layer starts at zero"),
    "xavier": N_("Glorot uniform, U(-a, a) with a = sqrt(6/(fan_in+fan_out))"),
    "uniform": N_("U(-0.05, 0.05) for every weight"),
    "constant": N_("every weight 0.01: identical filters stay identical"),
    "zeros": N_("every weight 0: nothing upstream of an all-zero layer learns"),
}


def check_init(name: str) -> str:
    """``name`` as an initialiser's name; a one-line UserError listing them otherwise."""
    key = str(name).strip().lower()
    if key not in INITIALISERS:
        raise UserError(tr("unknown initialiser {name!r}: expected one of {names}",
                           name=str(name), names=", ".join(INITIALISERS)))
    return key


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape``: (F, C, K, K) for conv, (M, D) for dense."""
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def initialise(layers, name: str, rng: np.random.Generator) -> None:
    """Give every layer with a weight ``W`` its starting weights under initialiser ``name``
    (the layers were built with He weights already; ``rng`` draws xavier and uniform).
    New arrays, never written into the layers' old ones."""
    weighted = [layer for layer in layers if "W" in layer.params]
    for layer in weighted:
        W = layer.params["W"]
        if name == "xavier":
            fan_in, fan_out = fans(W.shape)
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            layer.params["W"] = rng.uniform(-limit, limit, W.shape)
        elif name == "uniform":
            layer.params["W"] = rng.uniform(-UNIFORM_LIMIT, UNIFORM_LIMIT, W.shape)
        elif name == "constant":
            layer.params["W"] = np.full(W.shape, CONSTANT_WEIGHT)
        elif name == "zeros":
            layer.params["W"] = np.zeros(W.shape)
        if "b" in layer.params:
            layer.params["b"] = np.zeros_like(layer.params["b"])
    if name == "he" and weighted:
        out = weighted[-1]
        out.params["W"] = np.zeros_like(out.params["W"])
