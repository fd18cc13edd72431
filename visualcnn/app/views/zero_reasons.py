"""Why a group of values is all zero, when a panel can tell, and the colour legend every
signed picture shares. The output layer starts at zero (see the README's Results), so before
the first update every gradient below it is zero.

The texts are marked, not translated, here (they are defined before a language is chosen):
where one is shown, ``i18n.lookup`` gives it in the window's language."""

from __future__ import annotations

import numpy as np

from visualcnn.common.i18n import N_

NO_GRADIENT_YET = N_("the output layer starts at zero, so no gradient flows back yet")
OUTPUT_STARTS_AT_ZERO = N_("the output layer starts at zero; each step adds to it")
LOGITS_ZERO = N_("the output layer starts at zero, so every logit is 0")
SIGNED_COLOURS = N_("Blue is negative, white zero, red positive; the bar gives the scale.")


_last_answer: list = [None, False]  # the trace last asked about and its answer


def output_layer_zero(trace) -> bool:
    """The last layer's weights, as this step found them, are all zero: nothing flows back.

    Every panel asks at every frame about the same trace (an immutable record): the answer
    for the last one asked about is kept."""
    if trace is _last_answer[0]:
        return _last_answer[1]
    weights = trace.layers[-1].params.get("W")
    zero = weights is not None and not np.any(weights)
    _last_answer[:] = [trace, zero]
    return zero


def gradient_reason(trace) -> str:
    """The reason to give for an all-zero gradient below the output layer."""
    return NO_GRADIENT_YET if output_layer_zero(trace) else ""
