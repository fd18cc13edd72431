"""Stepping a network with a student's own layers, each compared with the engine as it runs.

    >>> yours = YourLayers("my_layers.py")
    >>> yours.attach(net)                      # net: a visualcnn Network
    >>> trace = net.train_step(x, y, lr)       # their functions wherever written
    >>> worst = yours.disagreement()           # None, or the first call that differs

Attaching puts a ``YourLayer`` in place of each conv, ReLU, max-pool and dense layer, and
the student's ``softmax_cross_entropy`` in place of the network's loss. Each call runs the
engine's own code too, on the very same input, so every layer can show "yours vs engine";
the student's result is what flows on, wherever their function is written and returned a
result. Where it is not written, or raised, hung or returned the wrong shape, the engine's
result flows on instead and the comparison records why. Prediction (``infer``) always runs on
the engine. A convolution with padding or a stride calls the student's functions with
``pad=`` and ``stride=``; a file whose functions do not take them gets the engine's result
for that layer, and the comparison says so in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from visualcnn.common.i18n import tr
from visualcnn.nn.layers import Layer
from visualcnn.yours.contract import FUNCTIONS
from visualcnn.yours.engine import TOLERANCE, relative_error
from visualcnn.yours.sandbox import CALL_TIMEOUT, CallFailed, LoadError, NotWritten, Sandbox

LOSS_LAYER = "loss"
# A convolution's keyword arguments beyond the plain contract, with the values that leave
# them out.
DEFAULT_KEYWORDS = {"pad": 0, "stride": 1}
# The kinds of layer a student's functions replace: kind -> (forward, backward) function.
REPLACED = {"conv": ("conv_forward", "conv_backward"), "relu": ("relu_forward", "relu_backward"),
            "pool": ("maxpool_forward", "maxpool_backward"),
            "dense": ("dense_forward", "dense_backward")}


@dataclass(frozen=True)
class Comparison:
    """One call of a step: the student's outputs against the engine's on the same input.

    ``layer`` is the layer's name (or "loss"); ``yours`` and ``engine`` map output names (out,
    dx, dW, db, loss, probs, dlogits) to arrays; ``yours`` is empty when the call failed, and
    ``failure`` then says why in one line. ``max_rel_error``, ``output`` and ``index`` give
    the worst entry over the outputs.
    """

    layer: str
    function: str
    engine: dict[str, np.ndarray]
    yours: dict[str, np.ndarray] = field(default_factory=dict)
    failure: str | None = None
    max_rel_error: float = 0.0
    output: str | None = None
    index: tuple[int, ...] | None = None

    @property
    def agrees(self) -> bool:
        return self.failure is None and self.max_rel_error <= TOLERANCE

    def difference(self, output: str) -> np.ndarray:
        """yours - engine for one output (same shape as both)."""
        return self.yours[output] - self.engine[output]


def _compared(layer: str, function: str, yours: tuple, engine: tuple) -> Comparison:
    names = FUNCTIONS[function].outputs
    worst = (0.0, None, None)
    for name, mine, theirs in zip(names, yours, engine, strict=True):
        error, index = relative_error(mine, theirs)
        if error > worst[0]:
            worst = (error, name, index)
    return Comparison(layer, function, dict(zip(names, engine, strict=True)),
                      dict(zip(names, yours, strict=True)), None, *worst)


class YourLayers:
    """A student's layer file, loaded in a worker process, ready to be attached to networks.

    Raises LoadError (one line) when the file cannot be loaded. ``comparisons`` holds the
    calls of the latest step in the order they ran (a new step starts at its first layer's
    forward pass).
    """

    def __init__(self, path, timeout: float = CALL_TIMEOUT, waiting=None):
        self.path = path
        self.timeout = timeout
        self.waiting = waiting  # see Sandbox: called while a reply is due
        self.box = Sandbox(path, timeout, waiting)
        self.box.wait_loaded()  # a file that cannot be loaded is refused here, not at a step
        self.comparisons: list[Comparison] = []
        self._skipped: dict[str, str] = {}  # function -> why it is not called any more
        self._attached: list = []  # (network, its own layers)

    @property
    def written(self) -> tuple[str, ...]:
        """The functions the file defines that have not (yet) said NotImplementedError."""
        return tuple(f for f in self.box.defined if self._skipped.get(f) != "not written")

    def run(self, layer: str, function: str, args: tuple, engine: tuple,
            keywords: dict | None = None) -> tuple | None:
        """The student's outputs of ``function`` on ``args`` (and ``keywords``), or None when
        the engine's (``engine``) should flow on; either way the call is recorded in
        ``comparisons``."""
        keywords = keywords or {}
        names = FUNCTIONS[function].outputs
        if function not in self.box.defined or self._skipped.get(function) == "not written":
            return None
        if function in self._skipped:  # it hung or ended the worker: not again until a reload
            self.comparisons.append(Comparison(
                layer, function, dict(zip(names, engine, strict=True)),
                failure=tr("not called again until the file is reloaded: {reason}",
                           reason=self._skipped[function])))
            return None
        try:
            yours = self.box.call(function, *args, **keywords)
        except NotWritten:
            self._skipped[function] = "not written"
            return None
        except CallFailed as e:
            if e.kind in ("timeout", "crashed"):
                self._skipped[function] = str(e)
            failure = str(e)
            if e.kind == "unsupported":
                given = ", ".join(f"{k}={v}" for k, v in keywords.items())
                wanted = ", ".join(f"{k}={DEFAULT_KEYWORDS[k]}" for k in keywords)
                failure = tr("{layer} needs {function}(..., {given}), and yours does not take "
                             "{keywords} (add {wanted}): the engine's result is used for "
                             "this layer", layer=layer, function=function, given=given,
                             keywords=", ".join(keywords), wanted=wanted)
            self.comparisons.append(Comparison(layer, function, dict(zip(names, engine,
                                                                          strict=True)),
                                               failure=failure))
            return None
        self.comparisons.append(_compared(layer, function, yours, engine))
        return yours

    def loss(self, logits: np.ndarray, y: np.ndarray):
        """The network's loss function while attached: (loss, probs, dlogits)."""
        from visualcnn.nn.layers import softmax_cross_entropy

        loss, probs, dlogits = softmax_cross_entropy(logits, y)
        yours = self.run(LOSS_LAYER, "softmax_cross_entropy", (logits, y),
                         (np.array(loss), probs, dlogits))
        if yours is None:
            return loss, probs, dlogits
        return float(yours[0]), yours[1], yours[2]

    def disagreement(self, tolerance: float = TOLERANCE) -> Comparison | None:
        """The first call of the latest step that failed or differs beyond ``tolerance``."""
        return next((c for c in self.comparisons
                     if c.failure is not None or c.max_rel_error > tolerance), None)

    def attach(self, net) -> None:
        """Make ``net`` step with the student's functions (until ``detach``). Call it again
        after ``net.reset()``, which builds new layers."""
        if any(n is net for n, _ in self._attached):
            return
        self._attached.append((net, list(net.layers)))
        net.layers = [YourLayer(layer, self) if layer.kind in REPLACED else layer
                      for layer in net.layers]
        next(layer for layer in net.layers if isinstance(layer, YourLayer)).first = True
        net.loss_function = self.loss

    def detach(self) -> None:
        """Give every attached network its own layers and loss back."""
        for net, layers in self._attached:
            if all(getattr(mine, "engine", mine) is theirs
                   for mine, theirs in zip(net.layers, layers, strict=True)):
                net.layers = layers
            vars(net).pop("loss_function", None)
        self._attached = []

    def reload(self) -> None:
        """Load the file again (it was saved): on success, the fresh code is used from the
        next call on; on a LoadError the code loaded before stays in use."""
        box = Sandbox(self.path, self.timeout, self.waiting)
        try:
            box.wait_loaded()  # a LoadError leaves the old code in place
        except LoadError:
            box.close()
            raise
        self.box.close()
        self.box, self._skipped = box, {}

    def new_step(self) -> None:
        self.comparisons = []

    def __deepcopy__(self, memo):
        # A copy of an attached network (the debugger's phase walk and gradient check work
        # on one) steps with the same file through the same worker: one process per file.
        return self

    def close(self) -> None:
        self.detach()
        self.box.close()


class YourLayer(Layer):
    """A conv, ReLU, max-pool or dense layer whose forward and backward passes call the
    student's functions, beside the engine layer it stands in for (``engine``). Parameters
    are that layer's own dict, so an update reaches both."""

    def __init__(self, engine: Layer, yours: YourLayers):
        super().__init__(engine.name)
        self.engine, self.yours = engine, yours
        self.kind = engine.kind
        self.params = engine.params
        self.forward_name, self.backward_name = REPLACED[engine.kind]
        self.first = False  # the first of these a step calls: it starts the step's record

    def __getattr__(self, name):
        # kernel, filters, units, input_shape...: what views and explanations read.
        if name == "engine":
            raise AttributeError(name)
        return getattr(self.engine, name)

    def output_shape(self, input_shape):
        return self.engine.output_shape(input_shape)

    def switches(self):
        return self.engine.switches()

    def infer(self, x):
        return self.engine.infer(x)

    def _forward_args(self, x) -> tuple:
        if self.kind in ("conv", "dense"):
            return x, self.params["W"], self.params["b"]
        return (x,) if self.kind == "relu" else (x, self.engine.kernel)

    def _keywords(self) -> dict:
        """pad= and stride= for a convolution that has them, else nothing: a file written
        for the plain convolution is called just as before."""
        if self.kind != "conv":
            return {}
        given = {"pad": self.engine.padding, "stride": self.engine.stride}
        return {k: v for k, v in given.items() if v != DEFAULT_KEYWORDS[k]}

    def _backward_args(self, dout) -> tuple:
        x = self._x
        if self.kind in ("conv", "dense"):
            return dout, x, self.params["W"]
        return (dout, x) if self.kind == "relu" else (dout, x, self.engine.kernel)

    def forward(self, x):
        if self.first:  # a new step (or a forward pass of its own) begins here
            self.yours.new_step()
        out = self.engine.forward(x)
        self.extras = self.engine.extras
        self._x = x
        yours = self.yours.run(self.name, self.forward_name, self._forward_args(x), (out,),
                               self._keywords())
        return out if yours is None else yours[0]

    def backward(self, dout):
        dx = self.engine.backward(dout)
        grads = dict(self.engine.grads)
        engine = (dx, grads["W"], grads["b"]) if grads else (dx,)
        yours = self.yours.run(self.name, self.backward_name, self._backward_args(dout), engine,
                               self._keywords())
        if yours is not None:
            dx = yours[0]
            if grads:
                grads = {"W": yours[1], "b": yours[2]}
        self.grads = grads
        return dx
