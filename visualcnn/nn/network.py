"""The network: a stack of layers built from an architecture string, stepped one sample at a time.

    >>> net = Network.from_arch("conv8x3-pool2-dense10", seed=0)
    >>> trace = net.train_step(x, y=7, lr=0.01)   # x: (1, 28, 28) or (1, 1, 28, 28)
    >>> trace.loss, trace.layer("conv1").grads["W"].shape
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from visualcnn.common.errors import CheckpointError, UserError
from visualcnn.common.files import atomic_write, brief, check_npz
from visualcnn.nn.arch import DEFAULT_ARCH, canonical_arch, parse_arch
from visualcnn.nn.layers import (
    Conv2D,
    Dense,
    Flatten,
    Layer,
    MaxPool2D,
    ReLU,
    softmax,
    softmax_cross_entropy,
)
from visualcnn.nn.trace import LayerTrace, StepTrace, frozen_dict

CHECKPOINT_FORMAT = "visualcnn-checkpoint"
CHECKPOINT_VERSION = 1
# Seeds a checkpoint stores as a plain int64 (a larger Python int would need a pickled object).
MAX_SEED = 2 ** 63 - 1


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
        self.loss = float("nan")
        self.probs = None
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
        a.flags.writeable = False
    return a


def _record(cls, **fields):
    """A frozen dataclass instance built without its generated __init__, which sets each
    field through object.__setattr__: a third of the cost for the five records of a step."""
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def _readonly_dict(d: dict[str, np.ndarray]):
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
    ``correct``, ``dinput``, ``layer(name)``), without the activations and frozen copies a
    full trace keeps."""

    __slots__ = ("step", "label", "lr", "loss", "prediction", "dinput", "_layers")

    def __init__(self, net: Network, y: int, lr: float, work: _Work):
        self.step, self.label, self.lr, self.loss = net.step, y, float(lr), work.loss
        self.prediction = -1 if work.probs is None else int(np.argmax(work.probs[0]))
        self.dinput = work.dxs[0]
        self._layers = {layer.name: _LayerNumbers(work.grads[i], work.updates[i],
                                                  work.before[i])
                        for i, layer in enumerate(net.layers)}

    @property
    def correct(self) -> bool:
        return self.prediction == self.label

    def layer(self, name: str) -> _LayerNumbers:
        return self._layers[name]


def _trained(net: Network, x, y, lr: float):
    """Forward, backward and one SGD update of ``net`` on one sample: (x, y, the step's
    work), for ``train_step`` to make its trace of and ``replay_step`` its numbers."""
    x, y = net._as_sample(x), net._check_label(y)
    work = _Work(net, frozen_copies=False)
    with _quiet():
        for _ in net._passes(x, y, work):
            pass
        net._update(float(lr), work)
    return x, y, work


def replay_step(net: Network, x, y, lr: float) -> StepNumbers:
    """``net.train_step`` without its trace, for training logged steps again (the rewind):
    the very same step, so the weights and velocities come out bit for bit the same; returns
    only the numbers the curves record."""
    _x, y, work = _trained(net, x, y, lr)
    return StepNumbers(net, y, lr, work)


class Network:
    """A CNN for one-sample SGD with a full trace of every step.

    Build with ``Network.from_arch``. ``layers`` holds the layers in forward order; ``step``
    counts applied updates. Optional SGD momentum (``momentum`` > 0) keeps one velocity per
    parameter; with the default 0 the update is exactly ``-lr * grad``.
    """

    # (loss, probs, dlogits) of a step; an instance may use other code (a student's own).
    loss_function = staticmethod(softmax_cross_entropy)

    def __init__(self, arch: str, input_shape=(1, 28, 28), classes: int = 10, seed: int = 0,
                 momentum: float = 0.0):
        self.arch = canonical_arch(arch)
        self.input_shape = tuple(int(s) for s in input_shape)
        self.classes = int(classes)
        self.seed = _checked_seed(seed)
        if not 0.0 <= momentum < 1.0:
            raise UserError(f"momentum must be in [0, 1), got {momentum}")
        self.momentum = float(momentum)
        self.specs = parse_arch(self.arch, self.input_shape, self.classes)
        self.reset()

    @classmethod
    def from_arch(cls, arch: str = DEFAULT_ARCH, input_shape=(1, 28, 28), classes: int = 10,
                  seed: int = 0, momentum: float = 0.0) -> Network:
        return cls(arch, input_shape, classes, seed, momentum)

    def reset(self) -> None:
        """Fresh weights from the seed, step 0, no momentum."""
        rng = np.random.default_rng(self.seed)
        layers: list[Layer] = []
        for s in self.specs:
            if s.kind == "conv":
                layers.append(Conv2D(s.name, s.shape_in, s.filters, s.kernel, rng))
            elif s.kind == "relu":
                layers.append(ReLU(s.name))
            elif s.kind == "pool":
                layers.append(MaxPool2D(s.name, s.shape_in, s.kernel))
            elif s.kind == "flatten":
                layers.append(Flatten(s.name))
            else:
                layers.append(Dense(s.name, s.shape_in[0], s.units, rng))
        # The output layer starts at zero: every class starts equally likely (loss ln 10), and
        # the class templates the dense panel shows grow from the data rather than from noise.
        # Measured on the bundled set, it also trains slightly better than random weights there.
        out = layers[-1]
        out.params["W"] = np.zeros_like(out.params["W"])
        self.layers = layers
        self.step = 0
        self.velocity = {(lay.name, k): np.zeros_like(v)
                         for lay in layers for k, v in lay.params.items()}

    def __repr__(self) -> str:
        return f"Network({self.arch!r}, input_shape={self.input_shape}, step={self.step})"

    # ----------------------------------------------------------------- forward / backward
    def _as_sample(self, x) -> np.ndarray:
        x = np.array(x, dtype=np.float64, copy=True)
        if x.shape == self.input_shape:
            x = x[None]
        if x.shape != (1, *self.input_shape):
            raise UserError(f"a sample must have shape {self.input_shape} or "
                            f"{(1, *self.input_shape)}, got {x.shape}")
        return x

    def _check_label(self, y) -> int:
        if isinstance(y, bool) or not (isinstance(y, (int, np.integer))
                                       and 0 <= int(y) < self.classes):
            raise UserError(f"label must be an int in 0..{self.classes - 1}, got {y!r}")
        return int(y)

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

    def _passes(self, x, y, work: _Work) -> Iterator[tuple[str, int]]:
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
        work.loss, work.probs, d = self.loss_function(a, np.array([y]))
        yield "loss", len(self.layers) - 1
        for i in range(len(self.layers) - 1, -1, -1):
            work.douts[i] = d
            d = self.layers[i].backward(d)
            work.dxs[i] = d
            work.grads[i] = dict(self.layers[i].grads)
            yield "backward", i

    def _update(self, lr: float, work: _Work) -> None:
        """Apply the SGD step to every parameter, recording the old values and the changes."""
        momentum = self.momentum
        for i, layer in enumerate(self.layers):
            params = layer.params
            if not params:
                continue
            grads, old, upd = work.grads[i], {}, {}
            for k, p in params.items():
                if momentum:
                    v = momentum * self.velocity[(layer.name, k)] - lr * grads[k]
                    self.velocity[(layer.name, k)] = v
                    u = v.copy()
                else:
                    u = grads[k] * -lr
                # A new array rather than an in-place add: the old one now belongs to the trace.
                params[k] = p + u
                p.flags.writeable = u.flags.writeable = False
                old[k], upd[k] = p, u
            work.before[i] = MappingProxyType(old)
            work.updates[i] = MappingProxyType(upd)
        self.step += 1

    def _trace(self, x, y, lr, applied, work: _Work) -> StepTrace:
        """The step's record. Arrays the step has not computed yet (phase stepping) are None.

        Activations, gradients and extras are fresh arrays of this step that no layer writes
        to again, so freezing them in place is as safe as copying them, and much cheaper.
        """
        layers = []
        last = len(self.layers) - 1
        outs, dxs, douts = work.outs, work.dxs, work.douts
        for i, layer in enumerate(self.layers):
            # Each array is frozen once: a layer's input is the previous layer's output, and
            # its dL/d(output) the next layer's dL/d(input).
            layers.append(_record(
                LayerTrace, name=layer.name, kind=layer.kind,
                x=_readonly(x) if i == 0 else outs[i - 1], out=_readonly(outs[i]),
                dx=_readonly(dxs[i]), dout=_readonly(douts[i]) if i == last else douts[i],
                params=work.before[i], grads=_readonly_dict(work.grads[i]),
                updates=work.updates[i],
                extras=_readonly_dict(layer.extras) if outs[i] is not None else _EMPTY))
        probs = None if work.probs is None else _readonly(work.probs[0])
        logits = None if outs[-1] is None else outs[-1][0]
        return _record(StepTrace, step=self.step, applied=applied, label=y, probs=probs,
                       logits=logits, loss=work.loss, lr=float(lr), layers=tuple(layers),
                       prediction=-1 if probs is None else int(np.argmax(probs)))

    def forward_backward(self, x, y, lr: float = 0.0) -> StepTrace:
        """Forward and backward on one sample without changing the weights (a dry run)."""
        x, y = self._as_sample(x), self._check_label(y)
        work = _Work(self, frozen_copies=True)
        with _quiet():
            for _ in self._passes(x, y, work):
                pass
        return self._trace(x, y, lr, False, work)

    def train_step(self, x, y, lr: float) -> StepTrace:
        """Forward, backward and one SGD update on one sample; returns that step's trace."""
        x, y, work = _trained(self, x, y, lr)
        return self._trace(x, y, lr, True, work)

    def phases(self, x, y, lr: float, apply: bool = True) -> Iterator[PhaseEvent]:
        """Walk one step a phase at a time, as the app's "Step phase" does.

        Yields a ``PhaseEvent`` after each layer's forward pass, after the loss, after each
        layer's backward pass (last layer first) and, when ``apply``, after the update. Each
        event carries the trace so far: arrays not computed yet are None. The last event's
        trace equals what ``train_step`` (or, without ``apply``, ``forward_backward``) returns.
        Nothing else may run on this network until the walk ends: the layers keep the
        forward pass's caches for the backward pass.
        """
        x, y = self._as_sample(x), self._check_label(y)
        lr = float(lr)
        work = _Work(self, frozen_copies=True)
        passes = self._passes(x, y, work)
        while True:
            with _quiet():
                done = next(passes, None)
            if done is None:
                break
            phase, i = done
            yield PhaseEvent(phase, self.layers[i].name, i,
                             self._trace(x, y, lr, False, work))
        if apply:
            work.before = [_EMPTY] * len(self.layers)
            with _quiet():
                self._update(lr, work)
            yield PhaseEvent("update", None, None, self._trace(x, y, lr, True, work))

    # ------------------------------------------------------------------------ parameters
    def parameters(self):
        """Yield (layer, key, array) for every parameter tensor, in forward order."""
        for layer in self.layers:
            for k, v in layer.params.items():
                yield layer, k, v

    def get_state(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and velocity, keyed ``param/<layer>/<key>``."""
        state = {}
        for layer, k, v in self.parameters():
            state[f"param/{layer.name}/{k}"] = v.copy()
            state[f"velocity/{layer.name}/{k}"] = self.velocity[(layer.name, k)].copy()
        return state

    def set_state(self, state: dict[str, np.ndarray], step: int) -> None:
        """Put back what ``get_state`` returned (shapes must match this architecture)."""
        for layer, k, v in list(self.parameters()):
            p = np.array(state[f"param/{layer.name}/{k}"], dtype=np.float64)
            vel = np.array(state[f"velocity/{layer.name}/{k}"], dtype=np.float64)
            for what, a in (("parameter", p), ("velocity", vel)):
                if a.shape != v.shape:
                    raise UserError(f"{what} {layer.name}/{k} has shape {a.shape}, expected "
                                    f"{v.shape}")
            layer.params[k] = p
            self.velocity[(layer.name, k)] = vel
        if int(step) < 0:
            raise UserError(f"step count {int(step)} is negative")
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
        path = Path(path)
        data = _read_checkpoint(path)
        try:
            version = data.get("version")
            if version is None or version.shape != () or int(version) != CHECKPOINT_VERSION:
                raise CheckpointError(f"{path}: checkpoint version {brief(version)} is not "
                                      f"supported (expected {CHECKPOINT_VERSION})")
            net = cls(str(data["arch"]), tuple(int(s) for s in data["input_shape"]),
                      int(data["classes"]), int(data["seed"]), float(data["momentum"]))
            net.set_state(data, int(data["step"]))
            lr = float(data["lr"]) if "lr" in data else float("nan")
        except KeyError as e:
            raise CheckpointError(f"{path}: damaged checkpoint, {e.args[0]} is missing") from None
        except CheckpointError:
            raise
        except UserError as e:
            raise CheckpointError(f"{path}: damaged checkpoint, {brief(e)}") from None
        except (ValueError, TypeError, OverflowError) as e:  # a value of the wrong type or shape
            raise CheckpointError(f"{path}: damaged checkpoint ({brief(e)})") from None
        bad = _first_not_finite(net.get_state())
        if bad is not None:
            raise CheckpointError(f"{path}: {bad} holds NaN or infinite values")
        if math.isinf(lr):  # NaN stands for "no learning rate stored"
            raise CheckpointError(f"{path}: damaged checkpoint, the learning rate is {lr}")
        net.saved_lr = None if math.isnan(lr) else lr
        return net


def _checkpoint_fields(net: Network, path: Path, lr: float | None) -> dict[str, np.ndarray]:
    """What ``Network.save`` writes: metadata, then every parameter and velocity. Raises
    CheckpointError for what ``load`` would refuse."""
    try:
        seed = _checked_seed(net.seed)
    except UserError as e:
        raise CheckpointError(f"{path}: cannot save: {e}") from None
    state = net.get_state()
    bad = _first_not_finite(state)
    if bad is not None:
        raise CheckpointError(f"{path}: cannot save: {bad} holds NaN or infinite values "
                              "(the training diverged)")
    return {
        "format": np.array(CHECKPOINT_FORMAT),
        "version": np.array(CHECKPOINT_VERSION),
        "arch": np.array(net.arch),
        "input_shape": np.array(net.input_shape, dtype=np.int64),
        "classes": np.array(net.classes, dtype=np.int64),
        "seed": np.array(seed, dtype=np.int64),
        "momentum": np.array(net.momentum, dtype=np.float64),
        "step": np.array(net.step, dtype=np.int64),
        "lr": np.array(np.nan if lr is None else float(lr), dtype=np.float64),
        **state,
    }


def _read_checkpoint(path: Path) -> dict[str, np.ndarray]:
    """Every array of the checkpoint at ``path``, once it is known to be a visualcnn
    checkpoint of real numbers and text; CheckpointError otherwise."""
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    if not zipfile.is_zipfile(path):
        # np.load would take it for a pickle and advise unpickling it: never.
        raise CheckpointError(f"{path}: not a .npz checkpoint (not a zip archive)")
    check_npz(path, path, CheckpointError)
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except Exception as e:  # zip, header and pickle refusals all mean "not a checkpoint"
        raise CheckpointError(f"{path}: not a readable .npz checkpoint ({brief(e)})") from None
    if str(data.get("format", "")) != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not a visualcnn checkpoint (no format marker)")
    for key, value in data.items():
        # Real numbers and text only: a complex weight would lose its imaginary part
        # unnoticed, a date or raw bytes mean nothing here.
        if value.dtype.kind not in "biufU":
            raise CheckpointError(f"{path}: damaged checkpoint, {key} has dtype "
                                  f"{value.dtype}, expected real numbers or text")
    return data


def _first_not_finite(state: dict[str, np.ndarray]) -> str | None:
    """The name of the first tensor of ``get_state()`` output holding a NaN or an infinity:
    ``conv1/W`` for a parameter, ``velocity of conv1/W`` for its momentum; None if none."""
    for key, value in state.items():
        if not np.isfinite(value).all():
            kind, name = key.split("/", 1)
            return name if kind == "param" else f"{kind} of {name}"
    return None
