"""The claims a lesson card can make, each measured by training the lesson's setup headless.

A card's ``check`` is ``{"kind": K, ...its numbers...}`` and optionally ``"with": {...}``, setup
keys that differ for this claim (lesson 6 checks zeros as well as constant weights). ``run_check``
trains a fresh session and returns a ``CheckResult``: whether the claim holds and the figures
measured. The test suite runs every shipped lesson's checks, so a claim that stops being true
fails it; a teacher's own lesson can use the same kinds (see resources/lessons/README.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from visualcnn.common.errors import UserError
from visualcnn.lessons.running import build_session
from visualcnn.training.session import joint_norm


@dataclass(frozen=True)
class CheckResult:
    """``passed``: the claim holds; ``figures``: what was measured, by name; ``summary``:
    one line saying it."""

    passed: bool
    figures: dict
    summary: str


def _train(session, steps: int):
    trace = None
    for _ in range(steps):
        trace = session.step()
    return trace


def _layer(session, name: str, kinds: tuple[str, ...]):
    for layer, spec in zip(session.net.layers, session.net.specs, strict=True):
        if layer.name == name:
            if spec.kind not in kinds:
                raise UserError(f"layer {name!r} is a {spec.kind} layer, the claim needs "
                                f"a {' or '.join(kinds)} layer")
            return layer, spec
    raise UserError(f"the network has no layer {name!r}")


# ------------------------------------------------------------------------- the claims
def phase_count(session, phases: int) -> CheckResult:
    """One sample walked phase by phase: ``phases`` phases, in the order forward (each
    layer), loss, backward (each layer, last first), update."""
    net = session.net
    index = session.next_sample_index
    events = list(net.phases(session.dataset.x_train[index],
                             int(session.dataset.y_train[index]), session.lr))
    n = len(net.layers)
    expected = ["forward"] * n + ["loss"] + ["backward"] * n + ["update"]
    seen = [e.phase for e in events]
    ok = seen == expected and len(seen) == phases
    return CheckResult(ok, {"phases": len(seen)},
                       f"{len(seen)} phases: {n} forward, loss, {n} backward, update")


def pool_one_winner(session, steps: int, layer: str) -> CheckResult:
    """After ``steps`` steps, every window of max-pool ``layer`` passes the gradient to at
    most one of its inputs (and some window passes a non-zero one)."""
    trace = _train(session, steps)
    _, spec = _layer(session, layer, ("pool",))
    k = spec.kernel
    dx = np.asarray(trace.layer(layer).dx[0])
    c, h, w = dx.shape
    windows = dx[:, :h // k * k, :w // k * k].reshape(c, h // k, k, w // k, k)
    nonzero = (windows != 0).sum(axis=(2, 4))
    most, routed = int(nonzero.max()), int((nonzero > 0).sum())
    return CheckResult(most <= 1 and routed > 0,
                       {"most_per_window": most, "windows_with_gradient": routed,
                        "windows": int(nonzero.size)},
                       f"at most {most} non-zero per window; {routed} of {nonzero.size} "
                       "windows pass a gradient")


def class_templates(session, steps: int, min_correlation: float) -> CheckResult:
    """After ``steps`` steps, each row of the output layer's weights correlates at least
    ``min_correlation`` with its class's mean image minus the mean of all images."""
    _train(session, steps)
    W = session.net.layers[-1].params["W"]
    X = np.asarray(session.dataset.x_train, dtype=np.float64).reshape(
        len(session.dataset.y_train), -1)
    if W.shape[1] != X.shape[1]:
        raise UserError("class_templates needs an output layer that reads the image itself "
                        "(an architecture such as dense10)")
    y = np.asarray(session.dataset.y_train)
    overall = X.mean(axis=0)
    corr = [float(np.corrcoef(W[c], X[y == c].mean(axis=0) - overall)[0, 1])
            for c in range(W.shape[0]) if (y == c).any()]
    low = min(corr)
    return CheckResult(low >= min_correlation, {"lowest_correlation": low},
                       f"the lowest correlation of a class's weights with its mean image "
                       f"is {low:.3f}")


def diverges_within(session, steps: int, grad_rise: float) -> CheckResult:
    """Training pauses for divergence (or goes non-finite) within ``steps`` steps, and in the
    steps before, the largest gradient norm rose to at least ``grad_rise`` times step 1's."""
    peaks = []
    at = None
    for _ in range(steps):
        trace = session.step()
        peaks.append(max(joint_norm(lt.grads.values()) for lt in trace.layers if lt.grads))
        if session.divergence is not None or session.failure is not None:
            at = trace.step
            break
    before = peaks[:-1]
    rise = max(before) / peaks[0] if at is not None and before and peaks[0] > 0 else math.nan
    ok = at is not None and rise >= grad_rise
    said = f"diverged at step {at}" if at is not None else f"no divergence in {steps} steps"
    return CheckResult(ok, {"diverged_at": at, "grad_rise": rise},
                       f"{said}; the largest gradient norm before it was {rise:.2f} times "
                       "step 1's")


def update_ratio_between(session, steps: int, low: float, high: float) -> CheckResult:
    """Over ``steps`` steps, each layer's median ratio of update size to weight size is
    between ``low`` and ``high``."""
    ratios: dict[str, list[float]] = {}
    for _ in range(steps):
        trace = session.step()
        for lt in trace.layers:
            if lt.params:
                weight = joint_norm(lt.params.values())
                ratios.setdefault(lt.name, []).append(
                    joint_norm(lt.updates.values()) / weight if weight > 0 else math.inf)
    medians = {name: float(np.median(r)) for name, r in ratios.items()}
    ok = all(low <= m <= high for m in medians.values())
    listed = ", ".join(f"{name} {m:.2g}" for name, m in medians.items())
    return CheckResult(ok, {"median_ratio": medians}, f"median update/weight: {listed}")


def filters_identical(session, steps: int, layer: str) -> CheckResult:
    """After ``steps`` steps every filter of conv ``layer`` (weights and bias) is still
    exactly the same as the first, and they have moved from where they started."""
    start = {k: v.copy() for k, v in _layer(session, layer, ("conv",))[0].params.items()}
    _train(session, steps)
    params = _layer(session, layer, ("conv",))[0].params
    spread = max(float(np.abs(v - v[:1]).max()) for v in params.values())
    moved = max(float(np.abs(params[k] - start[k]).max()) for k in params)
    return CheckResult(spread == 0.0 and moved > 0.0, {"spread": spread, "moved": moved},
                       f"largest difference between two filters {spread:g}; the filters "
                       f"moved by up to {moved:.3g}")


def upstream_frozen(session, steps: int) -> CheckResult:
    """After ``steps`` steps no layer before the output layer has changed a single weight,
    and the output layer has (its biases)."""
    layers = [layer for layer in session.net.layers if layer.params]
    start = {(layer.name, k): v.copy() for layer in layers for k, v in layer.params.items()}
    _train(session, steps)
    change = {layer.name: max(float(np.abs(v - start[(layer.name, k)]).max())
                              for k, v in layer.params.items()) for layer in layers}
    upstream = max((change[layer.name] for layer in layers[:-1]), default=0.0)
    last = change[layers[-1].name]
    return CheckResult(upstream == 0.0 and last > 0.0,
                       {"upstream_change": upstream, "output_change": last},
                       f"largest change upstream {upstream:g}; output layer {last:.3g}")


def dead_relus(session, steps: int, samples: int, at_least: float | None = None,
               at_most: float | None = None) -> CheckResult:
    """After ``steps`` steps, the fraction of ReLU units that no one of the first ``samples``
    test images makes active is at least ``at_least`` (or at most ``at_most``)."""
    _train(session, steps)
    a = np.asarray(session.dataset.x_test[:samples], dtype=np.float64)
    never, units = 0, 0
    for layer in session.net.layers:
        a = layer.infer(a)
        if layer.kind == "relu":
            active = (a > 0).any(axis=0)
            never += int((~active).sum())
            units += active.size
    if units == 0:
        raise UserError("dead_relus needs an architecture with a relu layer")
    dead = never / units
    ok = (at_least is None or dead >= at_least) and (at_most is None or dead <= at_most)
    return CheckResult(ok, {"dead_fraction": dead},
                       f"{never} of {units} ReLU units ({dead:.1%}) never active on "
                       f"{len(a)} test images")


def gradient_shrinks(session, steps: int, factor: float) -> CheckResult:
    """Over ``steps`` steps, the gradient norm of the last layer with weights is, in the
    median step, at least ``factor`` times that of the first one."""
    ratios = []
    for _ in range(steps):
        trace = session.step()
        norms = [joint_norm(lt.grads.values()) for lt in trace.layers if lt.grads]
        if norms[0] > 0:
            ratios.append(norms[-1] / norms[0])
    median = float(np.median(ratios)) if ratios else math.nan
    return CheckResult(median >= factor, {"median_factor": median},
                       f"the last layer's gradient norm is {median:.0f} times the first's "
                       f"(median over {len(ratios)} steps)")


# Each kind: its function and its numbers ({name: (type, required)}).
CLAIMS = {
    "phase_count": (phase_count, {"phases": (int, True)}),
    "pool_one_winner": (pool_one_winner, {"steps": (int, True), "layer": (str, True)}),
    "class_templates": (class_templates, {"steps": (int, True),
                                          "min_correlation": (float, True)}),
    "diverges_within": (diverges_within, {"steps": (int, True), "grad_rise": (float, True)}),
    "update_ratio_between": (update_ratio_between, {"steps": (int, True), "low": (float, True),
                                                    "high": (float, True)}),
    "filters_identical": (filters_identical, {"steps": (int, True), "layer": (str, True)}),
    "upstream_frozen": (upstream_frozen, {"steps": (int, True)}),
    "dead_relus": (dead_relus, {"steps": (int, True), "samples": (int, True),
                                "at_least": (float, False), "at_most": (float, False)}),
    "gradient_shrinks": (gradient_shrinks, {"steps": (int, True), "factor": (float, True)}),
}
MAX_STEPS = 100_000


def checked_claim(obj: dict, where: str, reader, setup) -> dict:
    """``obj`` (a card's "check") checked by ``reader`` (format._Reader: its ``get``,
    ``fail`` and ``setup``); returns it with "with" made the Setup the claim runs on."""
    kind = reader.get(obj, "kind", str, where)
    if kind not in CLAIMS:
        reader.fail(where, f"unknown kind {kind!r} (expected {', '.join(CLAIMS)})")
    numbers = CLAIMS[kind][1]
    reader.unknown_keys(obj, ("kind", "with", *numbers), where)
    claim = {"kind": kind}
    for name, (kind_of, required) in numbers.items():
        value = reader.get(obj, name, kind_of, where, None, required)
        if value is None:
            continue
        if kind_of is int and not 0 < value <= MAX_STEPS:
            reader.fail(where, f"{name!r} must be between 1 and {MAX_STEPS}, got {value}")
        claim[name] = value
    if kind == "dead_relus" and "at_least" not in claim and "at_most" not in claim:
        reader.fail(where, "dead_relus needs 'at_least' or 'at_most'")
    overrides = reader.get(obj, "with", dict, where, None, False)
    claim["with"] = (reader.setup(overrides, where + "'with': ", setup) if overrides is not None
                     else setup)
    return claim


def run_check(claim: dict, dataset=None, where="lesson") -> CheckResult:
    """Train a fresh session of the claim's setup on ``dataset`` (loaded when None) and
    measure the claim. A claim the network cannot take is a UserError naming ``where``."""
    session = build_session(claim["with"], dataset, where)
    function = CLAIMS[claim["kind"]][0]
    numbers = {k: v for k, v in claim.items() if k not in ("kind", "with")}
    try:
        return function(session, **numbers)
    except UserError as e:
        raise UserError(f"{where}: {claim['kind']}: {e}") from None
