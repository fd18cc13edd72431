"""What a gradient's title says on a mini-batch step. One update comes from the whole batch,
so dL/dW and dL/db are the batch's mean; the maps are one sample's (the one in focus), and
their dL/d(activation) is that sample's share of the batch's mean loss: 1/B of its own
gradient. With one sample a step the titles stay as they are."""

from __future__ import annotations

from visualcnn.common.i18n import tr


def of_batch(title: str, trace) -> str:
    """A parameter gradient's title: ", batch mean of B" on a batch step."""
    batch = getattr(trace, "batch", 1)
    return title if batch <= 1 else tr("{title}, batch mean of {batch}", title=title,
                                       batch=batch)


def of_sample(title: str, trace) -> str:
    """An activation gradient's title: ", sample i of B" (counted from 1) on a batch step."""
    batch = getattr(trace, "batch", 1)
    return title if batch <= 1 else tr("{title}, sample {index} of {batch}", title=title,
                                       index=trace.focus + 1, batch=batch)


def retitle(mosaic, title: str) -> None:
    """Give ``mosaic`` a new title, laying its board out again only when it changed."""
    if mosaic.title != title:
        mosaic.title = title
        mosaic.board.relayout(force=True)


class BatchTitles:
    """Keeps the titles of a panel's gradient mosaics in step with the trace shown: each
    mosaic's own title, with the batch's words added on a batch step."""

    def __init__(self, parameter_grads=(), activation_grads=()):
        self.parameter = [(m, m.title) for m in parameter_grads]
        self.activation = [(m, m.title) for m in activation_grads]

    def follow(self, trace) -> None:
        for mosaic, title in self.parameter:
            retitle(mosaic, of_batch(title, trace))
        for mosaic, title in self.activation:
            retitle(mosaic, of_sample(title, trace))
