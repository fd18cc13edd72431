"""The forward pass alone, recorded as a trace: what a network makes of a sample that has no
label yet (a digit just drawn, before anyone says which digit it is).

    >>> trace = forward_trace(net, x)        # x: (C, H, W) or (1, C, H, W)
    >>> trace.prediction, trace.probs        # label NO_LABEL, loss NaN, no gradients
"""

from __future__ import annotations

import dataclasses

import numpy as np

from visualcnn.nn.layers import softmax_cross_entropy
from visualcnn.nn.network import Network
from visualcnn.nn.trace import StepTrace, frozen_copy

NO_LABEL = -1  # the label of a trace whose sample has none


def forward_trace(net: Network, x, lr: float = 0.0) -> StepTrace:
    """Every layer's forward pass on sample ``x`` and the softmax of the logits, no loss and no
    backward pass: a ``StepTrace`` with ``label`` NO_LABEL, ``loss`` NaN, ``probs``,
    ``logits`` and ``prediction`` set, and, as in a phase walk that stopped before the loss,
    every dL/d(...) None and every ``grads`` empty. The weights are not touched.

    It is ``net.phases`` stopped after the last layer's forward phase, so its arrays are those
    ``forward_backward`` would record for the same sample.
    """
    last = len(net.layers) - 1
    walk = net.phases(x, 0, lr, apply=False)  # any label: the walk stops before the loss
    try:
        trace = next(e.trace for e in walk if e.phase == "forward" and e.index == last)
    finally:
        walk.close()
    with np.errstate(all="ignore"):  # a diverged net's logits give NaN, as its trace says
        # The training step's own softmax (the label does not change the probabilities), so
        # the probabilities equal a step's to the last bit.
        probs = softmax_cross_entropy(np.asarray(trace.logits)[None], np.zeros(1, dtype=int))[1]
        probs = frozen_copy(probs[0])
    return dataclasses.replace(trace, label=NO_LABEL, probs=probs,
                               prediction=int(np.argmax(probs)))
