"""The network: a stack of layers built from an architecture string, stepped one sample (or
one mini-batch) at a time.

    >>> net = Network.from_arch("conv8x3-pool2-dense10", seed=0)
    >>> trace = net.train_step(x, y=7, lr=0.01)   # x: (1, 28, 28) or (1, 1, 28, 28)
    >>> trace.loss, trace.layer("conv1").grads["W"].shape
    >>> trace = net.train_step(xs, ys, lr=0.01)   # xs: (B, 1, 28, 28), ys: B ints
    >>> trace.losses, trace.sample(3).input.shape   # (B,), (1, 1, 28, 28)
"""

from __future__ import annotations

import functools
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from visualcnn.common.errors import CheckpointError, UserError
from visualcnn.common.files import atomic_write, brief, check_npz
from visualcnn.common.i18n import lookup, tr
from visualcnn.nn import optimizers
from visualcnn.nn.arch import DEFAULT_ARCH, canonical_arch, parse_arch
from visualcnn.nn.init import DEFAULT_INIT, check_init, initialise
from visualcnn.nn.layers import (
    Layer,
    PoolWinners,
    build_layer,
    softmax,
    softmax_cross_entropy,
)
from visualcnn.nn.trace import InputGradientLater, LayerTrace, StepTrace, frozen_dict

CHECKPOINT_FORMAT = "visualcnn-checkpoint"
# Version 2 adds the optimiser, its weight decay and state (Adam's moments), and the
# initialiser; version 1 files (SGD with optional momentum) still load.
CHECKPOINT_VERSION = 2
READABLE_VERSIONS = (1, 2)
# Seeds a checkpoint stores as a plain int64 (a larger Python int would need a pickled object).
MAX_SEED = 2 ** 63 - 1
# The most samples a step takes: a mini-batch of 64 is what courses use; more would only
# make the per-sample records of a step (the trace keeps every activation) large.
MAX_BATCH = 64


_EMPTY = MappingProxyType({})


def _quiet():
    # A learning rate that is too high overflows: the trace then carries inf/NaN, which
    # StepTrace.is_finite reports; NumPy's warnings would only repeat it, every step.
    return np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore")


class _Work:
    """A step in progress: what each layer has computed so far (None until then)."""

    def __init__(self, net: Network, frozen_copies: bool):
        n = len(net.layers)
        self.outs: list = [None] * n
        self.dxs: list = [None] * n
        self.douts: list = [None] * n
        self.grads: list = [_EMPTY] * n
        self.updates: list = [_EMPTY] * n
        self.moments: list = [_EMPTY] * n  # Adam's, per parameter, after the update
        self.loss = float("nan")
        self.probs = None
        # dL/d(input) as a function the trace calls when it is first read (see _trained),
        # instead of dxs[0].
        self.dx_later = None
        # Parameters before the update. Without an update, the live arrays stay live and
        # writable, so the trace needs copies; an update replaces them and records the old
        # arrays itself (see Network._update).
        self.before = ([frozen_dict(layer.params) if layer.params else _EMPTY
                        for layer in net.layers] if frozen_copies else [_EMPTY] * n)


@dataclass(frozen=True)
class PhaseEvent:
    """One phase of a step: ``phase`` is "forward", "loss", "backward" or "update";
    ``layer``/``index`` name the layer it concerns ("loss" names the last layer, whose output
    the loss reads; "update" names none); ``trace`` is the step so far."""

    phase: str
    layer: str | None
    index: int | None
    trace: StepTrace


def _checked_seed(seed) -> int:
    seed = int(seed)
    if not 0 <= seed <= MAX_SEED:
        raise UserError(f"seed must be between 0 and {MAX_SEED} (2**63-1), got {seed}")
    return seed


def _readonly(a):
    if a is not None:
        a.setflags(write=False)  # half the time of flags.writeable, which makes an object
    return a


def _record(cls, fields: dict):
    """A frozen dataclass instance built without its generated __init__, which sets each
    field through object.__setattr__: a third of the cost for the five records of a step."""
    obj = object.__new__(cls)
    object.__setattr__(obj, "__dict__", fields)  # the dict itself: the caller's, made for it
    return obj


def _frozen_own(d: dict[str, np.ndarray]):
    """A dict this step made for itself (``_Work.grads``), frozen and wrapped as it is:
    nothing else holds it, so no copy is needed."""
    if not d:
        return _EMPTY
    for v in d.values():
        v.setflags(write=False)
    return MappingProxyType(d)


def _readonly_dict(d: dict[str, np.ndarray]):
    # ``type``, not isinstance: an ABC's isinstance costs a microsecond for every other type.
    if type(d) is PoolWinners:  # read-only already, and made when read
        return d
    return MappingProxyType({k: _readonly(v) for k, v in d.items()}) if d else _EMPTY


class _LayerNumbers:
    """A layer's gradients, updates and parameters before the update, as a replayed step
    leaves them (the fields of a LayerTrace that the curves read)."""

    __slots__ = ("grads", "updates", "params")

    def __init__(self, grads, updates, params):
        self.grads, self.updates, self.params = grads, updates, params


class StepNumbers:
    """What ``replay_step`` returns: the numbers of a step that the curves read,
    under a StepTrace's names (``step``, ``loss``, ``lr``, ``label``, ``prediction``,
    ``correct``, ``accuracy``, ``batch``, ``labels``, ``predictions``, ``layer(name)``,
    ``layers`` in the network's order),
    without the activations, dL/d(input) (``dinput`` is None) and the frozen copies a full
    trace keeps."""

    __slots__ = ("step", "label", "lr", "loss", "prediction", "dinput", "_layers", "batch",
                 "labels", "predictions", "layers")

    def __init__(self, net: Network, labels: np.ndarray, lr: float, work: _Work):
        self.step, self.lr, self.loss = net.step, float(lr), work.loss
        self.batch, self.labels, self.label = len(labels), labels, int(labels[0])
        self.predictions = work.probs.argmax(axis=1)
        self.prediction = int(self.predictions[0])
        self.dinput = work.dxs[0]
        self._layers = {layer.name: _LayerNumbers(work.grads[i], work.updates[i],
                                                  work.before[i])
                        for i, layer in enumerate(net.layers)}
        self.layers = tuple(self._layers.values())

    @property
    def correct(self) -> bool:
        return self.prediction == self.label

    @property
    def accuracy(self) -> float:
        if self.batch == 1:
            return 1.0 if self.correct else 0.0
        return float(np.count_nonzero(self.predictions == self.labels)) / self.batch

    def layer(self, name: str) -> _LayerNumbers:
        return self._layers[name]


def _change(net: Network, key: tuple[str, str], p, g, lr: float, t: int, moments: dict):
    """The change ``net``'s optimiser makes to parameter ``p`` (``key``: layer, name) of
    gradient ``g`` at step ``t``, keeping the optimiser's state (new arrays, never written
    into); Adam's moments after the step go to ``moments[name]``."""
    if net.optimizer == "sgd":
        return optimizers.sgd_change(g, p, lr, net.weight_decay)
    if net.optimizer == "momentum":
        v = optimizers.momentum_change(g, p, net.velocity[key], lr, net.momentum,
                                       net.weight_decay)
        net.velocity[key] = v
        return v.copy()  # the trace's own: the velocity goes on to the next step
    u, m, v = optimizers.adam_change(g, p, net.adam_m[key], net.adam_v[key], t, lr,
                                     net.weight_decay)
    net.adam_m[key], net.adam_v[key] = _readonly(m), _readonly(v)
    moments[key[1]] = optimizers.AdamMoments(m, v, t)
    return u


def _state_slots(optimizer: str) -> tuple[str, ...]:
    """The optimiser's arrays in get_state: the velocity always (zeros but with momentum),
    as version 1 checkpoints have it, and Adam's two moments."""
    return ("velocity", *(s for s in optimizers.STATE_SLOTS[optimizer] if s != "velocity"))


def _trained(net: Network, x, y, lr: float):
    """Forward, backward and one optimiser update of ``net`` on one sample or a batch:
    (x, labels, the step's work), for ``train_step`` to make its trace of. dL/d(input) is
    left for the trace to compute when it is read (a Run draws one step in hundreds)."""
    x, labels = _inputs(net, x, y)
    work = _Work(net, frozen_copies=False)
    with _quiet():
        for _ in net._passes(x, labels, work, input_gradient_later=True):
            pass
        net._update(float(lr), work)
    return x, labels, work


def _quietly(compute):
    """``compute`` as a function that runs it as the step's own arithmetic ran: quietly."""
    def run():
        with _quiet():
            return compute()
    return run


def replay_step(net: Network, x, y, lr: float) -> StepNumbers:
    """``net.train_step`` without its trace, for training logged steps again (the rewind):
    the very same step, so the weights and the optimiser's state come out bit for bit the
    same; returns only the numbers the curves record.

    Each layer's ``replay_forward`` computes what ``forward`` does, leaving out what only a
    trace reads (a max-pool's mask of winners)."""
    x, labels = _inputs(net, x, y)
    layers = net.layers
    work = _Work(net, frozen_copies=False)
    with _quiet():
        a = x
        for layer in layers:
            a = layer.replay_forward(a)
        work.loss, work.probs, d = net.loss_function(a, labels)
        for i in range(len(layers) - 1, 0, -1):
            d = layers[i].backward(d)
            work.grads[i] = dict(layers[i].grads)
        # dL/d(input) is for a trace to show: the first layer's gradients alone (a tenth of
        # a replayed step for a first convolution).
        layers[0].replay_backward(d)
        work.grads[0] = dict(layers[0].grads)
        net._update(float(lr), work, freeze=False)
    return StepNumbers(net, labels, lr, work)


def _plain_sgd_update(net: Network, lr: float, work: _Work, freeze: bool) -> None:
    """``Network._update`` of plain SGD: the same arithmetic as ``sgd_change`` (the change is
    g * -lr, added to p) without its dispatch per parameter."""
    scale = -lr
    for i, layer in enumerate(net.layers):
        params = layer.params
        if params:
            grads, old, changes = work.grads[i], dict(params), {}
            for k, p in old.items():
                changes[k] = change = grads[k] * scale
                params[k] = p + change
                if freeze:
                    p.setflags(write=False)
                    change.setflags(write=False)
            if freeze:
                old, changes = MappingProxyType(old), MappingProxyType(changes)
            work.before[i], work.updates[i] = old, changes
    net.step += 1


def _one_label(y, classes: int) -> int:
    if type(y) is int and 0 <= y < classes:  # the common case, without the checks below
        return y
    if isinstance(y, bool) or not (isinstance(y, (int, np.integer)) and 0 <= int(y) < classes):
        raise UserError(f"label must be an int in 0..{classes - 1}, got {y!r}")
    return int(y)


def _inputs(net: Network, x, y) -> tuple[np.ndarray, np.ndarray]:
    """(x as (B, C, H, W) float64, its labels (B,)): one sample x (C, H, W) or (1, C, H, W)
    with an int y, or a batch x (B, C, H, W) with a sequence of B ints y (1 <= B <=
    MAX_BATCH). Raises UserError, in one line, for anything else."""
    shape = net.input_shape
    # One sample: the path every single step takes, kept lean (np.ndim(y) alone would
    # cost as much as the rest of it).
    if isinstance(y, (int, np.integer)) or not hasattr(y, "__len__"):
        y = _one_label(y, net.classes)
        x = np.array(x, dtype=np.float64, copy=True)
        if x.shape == shape:
            x = x[None]
        if x.shape != (1, *shape):
            raise UserError(f"a sample must have shape {shape} or {(1, *shape)}, got "
                            f"{x.shape}")
        return x, np.array([y])
    labels = np.asarray(y)
    if labels.ndim == 0:  # a string, a 0-d array: not a label, and not labels either
        _one_label(y, net.classes)
    if labels.ndim != 1 or not 1 <= len(labels) <= MAX_BATCH:
        raise UserError(f"a batch takes 1 to {MAX_BATCH} labels in a flat sequence, got "
                        f"shape {labels.shape}")
    if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= net.classes:
        raise UserError(f"labels must be ints in 0..{net.classes - 1}, got "
                        f"{brief(labels.tolist())}")
    x = np.array(x, dtype=np.float64, copy=True)
    if x.shape != (len(labels), *shape):
        raise UserError(f"a batch of {len(labels)} labels takes samples of shape "
                        f"{(len(labels), *shape)}, got {x.shape}")
    return x, labels.astype(np.int64)


@functools.cache
def _one_prediction(prediction: int) -> np.ndarray:
    """The read-only array [prediction], one per class for every single-sample trace: made
    once rather than on every step."""
    return _readonly(np.array([prediction]))


def _own_losses(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each sample's cross-entropy log(sum exp z) - z[label], z the logits shifted by their
    row's maximum (as softmax_cross_entropy computes their mean)."""
    z = logits - logits.max(axis=1, keepdims=True)
    return np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(labels)), labels]


def _trace_of(net: Network, x, labels, lr, applied, work: _Work) -> StepTrace:
    """The step's record. Arrays the step has not computed yet (phase stepping) are None.

    Activations, gradients and extras are fresh arrays of this step that no layer writes
    to again, so freezing them in place is as safe as copying them, and much cheaper.
    """
    layers = []
    last = len(net.layers) - 1
    outs, dxs, douts = work.outs, work.dxs, work.douts
    for i, layer in enumerate(net.layers):
        # Each array is frozen once: a layer's input is the previous layer's output, and
        # its dL/d(output) the next layer's dL/d(input).
        fields = {
            "name": layer.name, "kind": layer.kind,
            "x": _readonly(x) if i == 0 else outs[i - 1], "out": _readonly(outs[i]),
            "dout": _readonly(douts[i]) if i == last else douts[i],
            "params": work.before[i], "grads": _frozen_own(work.grads[i]),
            "updates": work.updates[i], "moments": work.moments[i],
            "extras": _readonly_dict(layer.extras) if outs[i] is not None else _EMPTY}
        if i == 0 and work.dx_later is not None:
            fields["_dx_later"] = work.dx_later
            layers.append(_record(InputGradientLater, fields))
        else:
            fields["dx"] = _readonly(dxs[i])
            layers.append(_record(LayerTrace, fields))
    all_probs = _readonly(work.probs)
    probs = predictions = losses = None
    prediction, batch = -1, len(labels)
    if all_probs is not None:
        probs = all_probs[0]
        prediction = int(probs.argmax())  # the method: a fifth of np.argmax's time
        if batch == 1:  # the prediction's array is read-only already
            predictions, losses = _one_prediction(prediction), np.array([work.loss])
        else:
            predictions = all_probs.argmax(axis=1)
            predictions.setflags(write=False)
            with _quiet():
                losses = _own_losses(outs[-1], labels)
        losses.setflags(write=False)
    labels.setflags(write=False)
    return _record(StepTrace, {
        "step": net.step, "applied": applied, "label": int(labels[0]), "probs": probs,
        "logits": None if outs[-1] is None else outs[-1][0], "loss": work.loss,
        "lr": float(lr), "layers": tuple(layers), "batch": batch, "labels": labels,
        "predictions": predictions, "losses": losses, "batch_probs": all_probs, "focus": 0,
        "prediction": prediction})


class Network:
    """A CNN trained one sample (or mini-batch) at a time with a full trace of every step.
    Build with ``Network.from_arch``; ``layers`` in forward order; ``step`` counts applied updates.
    ``init``: the starting weights (nn.init). ``optimizer``: "sgd" (exactly ``-lr * grad``),
    "momentum" or "adam" (nn.optimizers), None meaning "momentum" when ``momentum`` > 0;
    ``velocity``, ``adam_m``, ``adam_v``: its state per (layer, key)."""

    # (loss, probs, dlogits) of a step; an instance may use other code (a student's own).
    loss_function = staticmethod(softmax_cross_entropy)

    def __init__(self, arch: str, input_shape=(1, 28, 28), classes: int = 10, seed: int = 0,
                 momentum: float = 0.0, *, init: str = DEFAULT_INIT,
                 optimizer: str | None = None, weight_decay: float = 0.0):
        self.arch = canonical_arch(arch)
        self.input_shape = tuple(int(s) for s in input_shape)
        self.classes = int(classes)
        self.seed = _checked_seed(seed)
        self.optimizer, self.momentum, self.weight_decay = optimizers.resolve(
            optimizer, momentum, weight_decay)
        self.init = check_init(init)
        self.specs = parse_arch(self.arch, self.input_shape, self.classes)
        self.reset()

    @classmethod
    def from_arch(cls, arch: str = DEFAULT_ARCH, input_shape=(1, 28, 28), classes: int = 10,
                  seed: int = 0, momentum: float = 0.0, *, init: str = DEFAULT_INIT,
                  optimizer: str | None = None, weight_decay: float = 0.0) -> Network:
        return cls(arch, input_shape, classes, seed, momentum, init=init, optimizer=optimizer,
                   weight_decay=weight_decay)

    @property
    def plain_sgd(self) -> bool:
        """True when each update is exactly ``-lr * grad`` (SGD without weight decay)."""
        return self.optimizer == "sgd" and not self.weight_decay

    def optimizer_text(self) -> str:
        """The optimiser in a few words: "adam, weight decay 0.0001"."""
        return optimizers.describe(self.optimizer, self.momentum, self.weight_decay)

    def optimizer_arrays(self) -> dict[tuple[str, str, str], np.ndarray]:
        """Every array the optimiser keeps, keyed (slot, layer, key): momentum's velocity,
        Adam's m and v; none for SGD. The network's own arrays, which an update replaces and
        never writes into (Adam's step count is ``step``)."""
        return {(slot, name, k): a for slot in optimizers.STATE_SLOTS[self.optimizer]
                for (name, k), a in self._slots[slot].items()}

    def set_optimizer_arrays(self, arrays) -> None:
        """Put back (copies of) what ``optimizer_arrays`` returned."""
        for (slot, name, k), a in arrays.items():
            self._slots[slot][(name, k)] = np.array(a, dtype=np.float64)

    def reset(self) -> None:
        """Fresh weights from the seed, step 0, the optimiser's state at zero."""
        rng = np.random.default_rng(self.seed)
        layers: list[Layer] = [build_layer(s, rng) for s in self.specs]
        # He keeps the layers' own draw and starts the output layer at zero: every class
        # starts equally likely (loss ln 10), and the class templates the dense panel shows
        # grow from the data rather than from noise. Measured on the bundled set, it also
        # trains slightly better than random weights there. The others draw afresh.
        initialise(layers, self.init, np.random.default_rng([self.seed, 1]))
        self.layers = layers
        self.step = 0

        def zeros():
            return {(lay.name, k): np.zeros_like(v) for lay in layers
                    for k, v in lay.params.items()}

        self.velocity = zeros()
        adam = self.optimizer == "adam"
        self.adam_m, self.adam_v = (zeros(), zeros()) if adam else ({}, {})
        self._slots = {"velocity": self.velocity, "adam_m": self.adam_m, "adam_v": self.adam_v}

    def __repr__(self) -> str:
        return f"Network({self.arch!r}, input_shape={self.input_shape}, step={self.step})"

    # ----------------------------------------------------------------- forward / backward
    def logits(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C, H, W) -> logits (N, classes), without caching anything for backward."""
        for layer in self.layers:
            x = layer.infer(x)
        return x

    # Images per chunk of predict, the fastest measured (28x28, default net; 20 to 50 about
    # equal, 100 a third slower, 500 three times): a chunk's working arrays then stay in cache.
    PREDICT_BATCH = 25

    def predict(self, X: np.ndarray, batch_size: int = PREDICT_BATCH) -> np.ndarray:
        """X: (N, C, H, W) -> class probabilities (N, classes). Does not touch traces."""
        if not hasattr(X, "shape"):  # a dataset's Pixels stay bytes: converted per batch below
            X = np.asarray(X)
        if len(X.shape) != 4 or tuple(X.shape[1:]) != self.input_shape:
            raise UserError(f"predict takes a batch (N, {', '.join(map(str, self.input_shape))})"
                            f", got {X.shape}")
        out = np.empty((X.shape[0], self.classes))
        # Chunks bound the working arrays: 25 images of 28x28 with 8 filters need about 3 MB.
        for i in range(0, X.shape[0], batch_size):
            batch = np.array(X[i:i + batch_size], dtype=np.float64)  # a copy, as astype made
            out[i:i + batch_size] = softmax(self.logits(batch))
        return out

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """Mean accuracy and cross-entropy over a labelled batch."""
        probs = self.predict(X)
        y = np.asarray(y)
        p_true = probs[np.arange(len(y)), y]
        with np.errstate(divide="ignore"):
            loss = float(-np.log(p_true).mean())
        return float((probs.argmax(axis=1) == y).mean()), loss

    def _passes(self, x, labels, work: _Work,
                input_gradient_later: bool = False) -> Iterator[tuple[str, int]]:
        """Forward layer by layer, the loss, backward layer by layer in reverse, filling
        ``work``; yields (phase, layer index) after each, so a caller may pause in between.
        Callers advance it inside ``_quiet()``: a ``with`` in here would stay in force in the
        caller's code while the generator waits.
        """
        a = x
        for i, layer in enumerate(self.layers):
            a = layer.forward(a)
            work.outs[i] = a
            yield "forward", i
        work.loss, work.probs, d = self.loss_function(a, labels)
        yield "loss", len(self.layers) - 1
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            work.douts[i] = d
            later = layer.backward_later(d) if i == 0 and input_gradient_later else None
            if later is None:
                d = layer.backward(d)
            else:
                d, work.dx_later = None, _quietly(later)
            work.dxs[i] = d
            grads = layer.grads
            # The step's own copy: a layer may write its dict again (a student's may in place).
            work.grads[i] = dict(grads) if grads else _EMPTY
            yield "backward", i

    def _update(self, lr: float, work: _Work, freeze: bool = True) -> None:
        """Apply the optimiser's step to every parameter, recording the old values, the
        changes and (Adam) the moments after it; ``freeze`` makes what a trace keeps
        read-only (a replayed step keeps no trace: plain SGD skips it)."""
        if self.plain_sgd:
            _plain_sgd_update(self, lr, work, freeze)
            return
        t = self.step + 1  # Adam's step number
        for i, layer in enumerate(self.layers):
            params = layer.params
            if not params:
                continue
            grads, old, upd, moments = work.grads[i], {}, {}, {}
            for k, p in params.items():
                u = _change(self, (layer.name, k), p, grads[k], lr, t, moments)
                # A new array rather than an in-place add: the old one now belongs to the trace.
                params[k] = p + u
                p.setflags(write=False)
                u.setflags(write=False)
                old[k], upd[k] = p, u
            work.before[i] = MappingProxyType(old)
            work.updates[i] = MappingProxyType(upd)
            if moments:
                work.moments[i] = MappingProxyType(moments)
        self.step += 1

    def forward_backward(self, x, y, lr: float = 0.0) -> StepTrace:
        """Forward and backward on one sample or a batch (as ``train_step`` takes them)
        without changing the weights (a dry run)."""
        x, labels = _inputs(self, x, y)
        work = _Work(self, frozen_copies=True)
        with _quiet():
            for _ in self._passes(x, labels, work):
                pass
        return _trace_of(self, x, labels, lr, False, work)

    def train_step(self, x, y, lr: float) -> StepTrace:
        """Forward, backward and one optimiser update; returns the step's trace.

        One sample: x (C, H, W) or (1, C, H, W) with an int y. A mini-batch: x (B, C, H, W)
        with a sequence of B ints y, 1 <= B <= MAX_BATCH: the loss is the batch's mean
        cross-entropy, so the parameter gradients are the mean of the samples' own, and each
        sample's dL/d(activation) in the trace is 1/B of its own (its share of the mean).
        """
        x, labels, work = _trained(self, x, y, lr)
        return _trace_of(self, x, labels, lr, True, work)

    def phases(self, x, y, lr: float, apply: bool = True) -> Iterator[PhaseEvent]:
        """Walk one step (one sample or a batch, as ``train_step`` takes them) a phase at a
        time, as the app's "Step phase" does.

        Yields a ``PhaseEvent`` after each layer's forward pass, after the loss, after each
        layer's backward pass (last layer first) and, when ``apply``, after the update. Each
        event carries the trace so far: arrays not computed yet are None. The last event's
        trace equals what ``train_step`` (or, without ``apply``, ``forward_backward``) returns.
        Nothing else may run on this network until the walk ends: the layers keep the
        forward pass's caches for the backward pass.
        """
        x, labels = _inputs(self, x, y)
        lr = float(lr)
        work = _Work(self, frozen_copies=True)
        passes = self._passes(x, labels, work)
        while True:
            with _quiet():
                done = next(passes, None)
            if done is None:
                break
            phase, i = done
            yield PhaseEvent(phase, self.layers[i].name, i,
                             _trace_of(self, x, labels, lr, False, work))
        if apply:
            work.before = [_EMPTY] * len(self.layers)
            with _quiet():
                self._update(lr, work)
            yield PhaseEvent("update", None, None, _trace_of(self, x, labels, lr, True, work))

    # ------------------------------------------------------------------------ parameters
    def parameters(self):
        """Yield (layer, key, array) for every parameter tensor, in forward order."""
        for layer in self.layers:
            for k, v in layer.params.items():
                yield layer, k, v

    def get_state(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and of the optimiser's state, keyed
        ``param/<layer>/<key>``, ``velocity/<layer>/<key>`` and, for Adam, ``adam_m/...``
        and ``adam_v/...`` (Adam's step count is the network's ``step``)."""
        state = {}
        for layer, k, v in self.parameters():
            state[f"param/{layer.name}/{k}"] = v.copy()
            for slot in _state_slots(self.optimizer):
                state[f"{slot}/{layer.name}/{k}"] = self._slots[slot][(layer.name, k)].copy()
        return state

    def set_state(self, state: dict[str, np.ndarray], step: int) -> None:
        """Put back what ``get_state`` returned (shapes must match this architecture)."""
        for layer, k, v in list(self.parameters()):
            arrays = {slot: np.array(state[f"{slot}/{layer.name}/{k}"], dtype=np.float64)
                      for slot in ("param", *_state_slots(self.optimizer))}
            for slot, a in arrays.items():
                if a.shape != v.shape:
                    what = tr("parameter") if slot == "param" else \
                        lookup(optimizers.SLOT_NAMES[slot])
                    raise UserError(tr("{what} {tensor} has shape {shape}, expected {expected}",
                                       what=what, tensor=f"{layer.name}/{k}", shape=a.shape,
                                       expected=v.shape))
            layer.params[k] = arrays.pop("param")
            for slot, a in arrays.items():
                self._slots[slot][(layer.name, k)] = a
        if int(step) < 0:
            raise UserError(tr("step count {step} is negative", step=int(step)))
        self.step = int(step)

    # ----------------------------------------------------------------------- checkpoints
    def save(self, path, lr: float | None = None) -> None:
        """Write an ``.npz`` checkpoint atomically (a temporary file in the same folder, then a
        rename), so a crash never leaves a half-written file in place of a good one.

        Every field is a plain number, string or float64 array, so that it reads back with
        ``allow_pickle=False``. Raises CheckpointError, writing nothing, for what ``load``
        would refuse: a seed out of range, NaN or infinite weights."""
        path = Path(path)
        fields = _checkpoint_fields(self, path, lr)
        if not path.parent.is_dir():
            raise CheckpointError(f"{path}: the folder {path.parent} does not exist")
        with atomic_write(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, **fields)

    @classmethod
    def load(cls, path) -> Network:
        """Read a checkpoint written by ``save``; the learning rate it stored is ``net.saved_lr``
        (None when it had none). Raises ``CheckpointError`` for anything else, NaN or infinite
        weights included. Each array's header is checked against the file's size first, and
        nothing is ever unpickled."""
        return _loaded(cls, Path(path))


def _loaded(cls, path: Path) -> Network:
    """``Network.load``: a network of class ``cls`` from the checkpoint at ``path``."""
    data = _read_checkpoint(path)
    try:
        version = data.get("version")
        if version is None or version.shape != () or int(version) not in READABLE_VERSIONS:
            raise CheckpointError(tr("{path}: checkpoint version {version} is not supported "
                                     "(expected {expected} or 1)", path=path,
                                     version=brief(version), expected=CHECKPOINT_VERSION))
        # Version 1 knew SGD with optional momentum and He weights only.
        extras = {} if int(version) == 1 else {
            "optimizer": str(data["optimizer"]), "init": str(data["init"]),
            "weight_decay": float(data["weight_decay"])}
        net = cls(str(data["arch"]), tuple(int(s) for s in data["input_shape"]),
                  int(data["classes"]), int(data["seed"]), float(data["momentum"]),
                  **extras)
        net.set_state(data, int(data["step"]))
        lr = float(data["lr"]) if "lr" in data else float("nan")
    except KeyError as e:
        raise CheckpointError(tr("{path}: damaged checkpoint, {key} is missing", path=path,
                                 key=e.args[0])) from None
    except CheckpointError:
        raise
    except UserError as e:
        raise CheckpointError(tr("{path}: damaged checkpoint, {reason}", path=path,
                                 reason=brief(e))) from None
    except (ValueError, TypeError, OverflowError) as e:  # a value of the wrong type or shape
        raise CheckpointError(tr("{path}: damaged checkpoint ({reason})", path=path,
                                 reason=brief(e))) from None
    bad = _first_not_finite(net.get_state())
    if bad is not None:
        raise CheckpointError(tr("{path}: {tensor} holds NaN or infinite values", path=path,
                                 tensor=bad))
    if math.isinf(lr):  # NaN stands for "no learning rate stored"
        raise CheckpointError(tr("{path}: damaged checkpoint, the learning rate is {lr}",
                                 path=path, lr=lr))
    net.saved_lr = None if math.isnan(lr) else lr
    return net


def _checkpoint_fields(net: Network, path: Path, lr: float | None) -> dict[str, np.ndarray]:
    """What ``Network.save`` writes: metadata, then every parameter and velocity. Raises
    CheckpointError for what ``load`` would refuse."""
    try:
        seed = _checked_seed(net.seed)
    except UserError as e:
        raise CheckpointError(tr("{path}: cannot save: {reason}", path=path, reason=e)) from None
    state = net.get_state()
    bad = _first_not_finite(state)
    if bad is not None:
        raise CheckpointError(tr("{path}: cannot save: {tensor} holds NaN or infinite values "
                                 "(the training diverged)", path=path, tensor=bad))
    return {
        "format": np.array(CHECKPOINT_FORMAT),
        "version": np.array(CHECKPOINT_VERSION),
        "arch": np.array(net.arch),
        "input_shape": np.array(net.input_shape, dtype=np.int64),
        "classes": np.array(net.classes, dtype=np.int64),
        "seed": np.array(seed, dtype=np.int64),
        "momentum": np.array(net.momentum, dtype=np.float64),
        "optimizer": np.array(net.optimizer),
        "weight_decay": np.array(net.weight_decay, dtype=np.float64),
        "init": np.array(net.init),
        "step": np.array(net.step, dtype=np.int64),
        "lr": np.array(np.nan if lr is None else float(lr), dtype=np.float64),
        **state,
    }


def _read_checkpoint(path: Path) -> dict[str, np.ndarray]:
    """Every array of the checkpoint at ``path``, once it is known to be a visualcnn
    checkpoint of real numbers and text; CheckpointError otherwise."""
    if not path.is_file():
        raise CheckpointError(tr("{path}: no such checkpoint file", path=path))
    if not zipfile.is_zipfile(path):
        # np.load would take it for a pickle and advise unpickling it: never.
        raise CheckpointError(tr("{path}: not a .npz checkpoint (not a zip archive)",
                                 path=path))
    check_npz(path, path, CheckpointError)
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except Exception as e:  # zip, header and pickle refusals all mean "not a checkpoint"
        raise CheckpointError(tr("{path}: not a readable .npz checkpoint ({reason})",
                                 path=path, reason=brief(e))) from None
    if str(data.get("format", "")) != CHECKPOINT_FORMAT:
        raise CheckpointError(tr("{path}: not a visualcnn checkpoint (no format marker)",
                                 path=path))
    for key, value in data.items():
        # Real numbers and text only: a complex weight would lose its imaginary part
        # unnoticed, a date or raw bytes mean nothing here.
        if value.dtype.kind not in "biufU":
            raise CheckpointError(tr("{path}: damaged checkpoint, {key} has dtype {dtype}, "
                                     "expected real numbers or text", path=path, key=key,
                                     dtype=value.dtype))
    return data


def _first_not_finite(state: dict[str, np.ndarray]) -> str | None:
    """The name of the first tensor of ``get_state()`` output holding a NaN or an infinity:
    ``conv1/W`` for a parameter, ``velocity of conv1/W`` for its momentum, ``Adam's m of
    conv1/W``; None if none."""
    for key, value in state.items():
        if not np.isfinite(value).all():
            kind, name = key.split("/", 1)
            slot = optimizers.SLOT_NAMES.get(kind, kind)
            return name if kind == "param" else tr("{slot} of {tensor}", slot=lookup(slot),
                                                   tensor=name)
    return None
