"""``visualcnn check``: every function a student wrote, against the engine, on many cases.

Cases cover several shapes and seeds, batches of one and of several samples, odd sizes (rows
and columns a pooling window drops), ties inside pooling windows, large logits, and one real
sample through the default network. Each function gets a ``FunctionResult``: passed, failed
(with the largest relative error, the output and index where it occurs, and a hint when the
error has the shape of a classic mistake), not written (it raises NotImplementedError), or
not defined at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualcnn.nn.arch import DEFAULT_ARCH
from visualcnn.nn.network import Network
from visualcnn.yours.contract import FUNCTIONS
from visualcnn.yours.engine import TOLERANCE, engine_outputs, relative_error
from visualcnn.yours.hints import find_mistake, hint_text
from visualcnn.yours.sandbox import CallFailed, NotWritten, Sandbox

# Steps the default network trains before its real sample is taken: its output layer starts
# at zero, and untrained it would send no gradient back to the convolution.
REAL_SAMPLE_STEPS = 300


@dataclass(frozen=True)
class Case:
    """Arguments for one call of ``function`` and a label saying what they are."""

    function: str
    args: tuple
    label: str


@dataclass(frozen=True)
class FunctionResult:
    """The check of one function. ``status``: "passed", "failed", "not written" (raises
    NotImplementedError) or "not defined". For a failure: ``reason`` (one line), ``case``
    (the label of the case reported), ``details`` (their traceback, when it raised); the
    largest relative error, its ``output`` and ``index`` when the values were compared."""

    name: str
    status: str
    max_rel_error: float | None = None
    output: str | None = None
    index: tuple[int, ...] | None = None
    mistake: str | None = None
    reason: str | None = None
    case: str | None = None
    details: str = ""

    @property
    def passed(self) -> bool | None:
        """True or False for a function that was written; None otherwise."""
        return {"passed": True, "failed": False}.get(self.status)

    @property
    def hint(self) -> str | None:
        return hint_text(self.mistake)

    def to_json(self) -> dict:
        finite = self.max_rel_error is not None and np.isfinite(self.max_rel_error)
        return {"name": self.name, "status": self.status, "passed": self.passed,
                "max_rel_error": float(self.max_rel_error) if finite else None,
                "output": self.output, "index": None if self.index is None else list(self.index),
                "hint": self.hint, "mistake": self.mistake, "reason": self.reason,
                "case": self.case}


# ---------------------------------------------------------------------------------- cases
def _shape_text(a: np.ndarray) -> str:
    return "x".join(str(s) for s in a.shape)


def _conv_cases(rng) -> list[Case]:
    cases = []
    # (N, C, H, W, F, K): batch 1 and more, odd sizes, a 1x1 and a 5x5 kernel.
    for n, c, h, w, f, k in ((1, 1, 5, 5, 2, 3), (2, 3, 7, 6, 4, 3), (3, 2, 6, 9, 3, 2),
                             (2, 2, 9, 7, 3, 5), (1, 3, 4, 5, 2, 1)):
        x = rng.standard_normal((n, c, h, w))
        W = rng.standard_normal((f, c, k, k))
        b = rng.standard_normal(f)
        dout = rng.standard_normal((n, f, h - k + 1, w - k + 1))
        label = f"x {_shape_text(x)}, W {_shape_text(W)}"
        cases += [Case("conv_forward", (x, W, b), label),
                  Case("conv_backward", (dout, x, W), label)]
    return cases


def _relu_cases(rng) -> list[Case]:
    cases = []
    for shape in ((1, 3, 5, 5), (2, 4, 7, 3), (3, 10)):
        x = rng.standard_normal(shape)
        dout = rng.standard_normal(shape)
        label = f"x {_shape_text(x)}"
        cases += [Case("relu_forward", (x,), label), Case("relu_backward", (dout, x), label)]
    x = rng.standard_normal((2, 2, 4, 4))
    x.flat[::3] = 0.0  # exact zeros: a ReLU after a ReLU or a max-pool of one sees them
    dout = rng.standard_normal(x.shape)
    label = f"x {_shape_text(x)} with exact zeros"
    return cases + [Case("relu_forward", (x,), label), Case("relu_backward", (dout, x), label)]


def _pool_cases(rng) -> list[Case]:
    inputs = [(rng.standard_normal((1, 1, 4, 4)), 2, ""),
              (rng.standard_normal((2, 3, 7, 5)), 2, ", odd size"),
              (rng.standard_normal((3, 2, 9, 8)), 3, ", odd size"),
              # Few distinct values: most windows hold a tie for their maximum.
              (rng.integers(0, 3, (2, 3, 6, 6)).astype(np.float64), 2, ", ties"),
              (np.maximum(rng.standard_normal((2, 2, 7, 7)), 0.0), 3, ", ties at zero")]
    cases = []
    for x, k, note in inputs:
        n, c, h, w = x.shape
        dout = rng.standard_normal((n, c, h // k, w // k))
        label = f"x {_shape_text(x)}, k {k}{note}"
        cases += [Case("maxpool_forward", (x, k), label),
                  Case("maxpool_backward", (dout, x, k), label)]
    return cases


def _dense_cases(rng) -> list[Case]:
    cases = []
    for n, d, m in ((1, 7, 3), (4, 10, 5), (3, 6, 6), (2, 1, 4)):
        x = rng.standard_normal((n, d))
        W = rng.standard_normal((m, d))
        b = rng.standard_normal(m)
        dout = rng.standard_normal((n, m))
        label = f"x {_shape_text(x)}, W {_shape_text(W)}"
        cases += [Case("dense_forward", (x, W, b), label),
                  Case("dense_backward", (dout, x, W), label)]
    return cases


def _softmax_cases(rng) -> list[Case]:
    cases = []
    for n, m, scale, shift, note in ((1, 10, 1.0, 0.0, ""), (5, 10, 3.0, 0.0, ""),
                                     (4, 3, 1.0, 0.0, ""), (3, 10, 1000.0, 0.0, ", large logits"),
                                     (2, 10, 1.0, 800.0, ", large logits")):
        logits = rng.standard_normal((n, m)) * scale + shift
        y = rng.integers(0, m, n)
        cases.append(Case("softmax_cross_entropy", (logits, y),
                          f"logits {_shape_text(logits)}{note}"))
    return cases


def synthetic_cases(seed: int = 0) -> list[Case]:
    """Cases of every function on random arrays (several shapes, seeded)."""
    rng = np.random.default_rng(seed)
    return (_conv_cases(rng) + _relu_cases(rng) + _pool_cases(rng) + _dense_cases(rng)
            + _softmax_cases(rng))


def network_cases(images: np.ndarray, labels: np.ndarray, seed: int = 0) -> list[Case]:
    """Cases from one real sample through the default network: each layer's own arguments.

    images: (N, C, H, W) with N > REAL_SAMPLE_STEPS, labels: (N,). The network first trains
    on the first REAL_SAMPLE_STEPS images so that every layer has gradients worth checking.
    """
    net = Network.from_arch(DEFAULT_ARCH, input_shape=images.shape[1:],
                            classes=int(labels.max()) + 1, seed=seed)
    for i in range(REAL_SAMPLE_STEPS):
        net.train_step(images[i], int(labels[i]), 0.01)
    index = REAL_SAMPLE_STEPS
    trace = net.forward_backward(images[index], int(labels[index]))
    label = f"real sample {index} (digit {int(labels[index])}) in {DEFAULT_ARCH}"
    cases = []

    def copy(a):
        return np.array(a, dtype=np.float64)

    for layer in trace.layers:
        x, dout = copy(layer.x), copy(layer.dout)
        where = f"{layer.name}, {label}"
        if layer.kind == "conv":
            W, b = copy(layer.params["W"]), copy(layer.params["b"])
            cases += [Case("conv_forward", (x, W, b), where),
                      Case("conv_backward", (dout, x, W), where),
                      # The conv's output is what a ReLU would see there.
                      Case("relu_forward", (copy(layer.out),), where),
                      Case("relu_backward", (dout, copy(layer.out)), where)]
        elif layer.kind == "pool":
            k = x.shape[2] // layer.out.shape[2]
            cases += [Case("maxpool_forward", (x, k), where),
                      Case("maxpool_backward", (dout, x, k), where)]
        elif layer.kind == "dense":
            W, b = copy(layer.params["W"]), copy(layer.params["b"])
            cases += [Case("dense_forward", (x, W, b), where),
                      Case("dense_backward", (dout, x, W), where)]
    logits = copy(trace.layers[-1].out)
    cases.append(Case("softmax_cross_entropy", (logits, np.array([trace.label])), label))
    return cases


# ---------------------------------------------------------------------------------- check
def _compare(got: tuple[np.ndarray, ...], want: tuple[np.ndarray, ...], outputs):
    """(largest relative error, output name, index) over the outputs of one call."""
    worst = (0.0, None, None)
    for name, g, w in zip(outputs, got, want, strict=True):
        error, index = relative_error(g, w)
        if error > worst[0]:
            worst = (error, name, index)
    return worst


def _value_reason(name, got, want, outputs, output, index, case) -> str:
    i = outputs.index(output)
    mine, engine = got[i][index], want[i][index]
    at = f"[{', '.join(map(str, index))}]" if index else ""
    return (f"{name}: {output}{at} is {mine:.6g} where the engine has {engine:.6g} "
            f"({case.label})")


def check_function(box: Sandbox, name: str, cases: list[Case]) -> FunctionResult:
    """Run ``name`` on every case. A call that raises or returns the wrong kind of result
    fails the function with that reason; the other cases still run, as one of them may show
    a classic mistake, unless the call hung or ended the worker."""
    if name not in box.defined:
        return FunctionResult(name, "not defined")
    outputs = FUNCTIONS[name].outputs
    worst, worst_case, refused = (0.0, None, None), None, None
    wrong = []  # (case, what it returned) for every case that disagrees with the engine
    for case in cases:
        try:
            got = box.call(name, *case.args)
        except NotWritten:
            return FunctionResult(name, "not written")
        except CallFailed as e:
            refused = refused or (e, case)
            if e.outputs is not None:
                wrong.append((case, e.outputs))
            if e.kind in ("timeout", "crashed"):
                break
            continue
        want = engine_outputs(name, case.args)
        found = _compare(got, want, outputs)
        if found[0] > TOLERANCE:
            wrong.append((case, got))
        if worst_case is None or found[0] > worst[0]:
            worst, worst_case, worst_got, worst_want = found, case, got, want
    mistake = next((m for case, got in wrong
                    if (m := find_mistake(name, case.args, got)) is not None), None)
    if refused is not None:
        error, case = refused
        return FunctionResult(name, "failed", mistake=mistake, reason=str(error),
                              case=case.label, details=error.details)
    error, output, index = worst
    if not wrong:
        return FunctionResult(name, "passed", max_rel_error=error, output=output, index=index,
                              case=worst_case.label)
    return FunctionResult(name, "failed", max_rel_error=error, output=output, index=index,
                          mistake=mistake, case=worst_case.label,
                          reason=_value_reason(name, worst_got, worst_want, outputs, output,
                                               index, worst_case))


@dataclass(frozen=True)
class CheckReport:
    path: str
    functions: tuple[FunctionResult, ...]

    @property
    def ok(self) -> bool:
        """Every function that was written passes."""
        return all(f.passed is not False for f in self.functions)

    def to_json(self) -> dict:
        return {"file": self.path, "ok": self.ok,
                "functions": [f.to_json() for f in self.functions]}


def check_sandbox(box: Sandbox, cases: list[Case]) -> CheckReport:
    """Check every contract function the sandbox's file defines. Raises LoadError (one
    line) when the file cannot be loaded."""
    return CheckReport(str(box.path), tuple(
        check_function(box, name, [c for c in cases if c.function == name])
        for name in FUNCTIONS))


def check_file(path, cases: list[Case], timeout: float | None = None) -> CheckReport:
    """``check_sandbox`` on the file at ``path``, in a worker process of its own."""
    kwargs = {} if timeout is None else {"timeout": timeout}
    with Sandbox(path, **kwargs) as box:
        return check_sandbox(box, cases)


def _row(f: FunctionResult) -> list[str]:
    if f.status == "passed":
        return [f"  {f.name:<22} passed      largest relative error {f.max_rel_error:.1e}"]
    if f.status != "failed":
        return [f"  {f.name:<22} {f.status}"]
    lines = [f"  {f.name:<22} FAILED      {f.reason}"]
    if f.max_rel_error is not None:
        lines.append(f"  {'':<22}             largest relative error {f.max_rel_error:.1e} "
                     f"in {f.output}")
    if f.hint:
        lines.append(f"  {'':<22}             hint: {f.hint}")
    lines += [f"  {'':<22}             {line}" for line in f.details.splitlines()]
    return lines


def format_report(report: CheckReport) -> str:
    """The check as text: one row per function, then a verdict line."""
    lines = [f"{report.path} against the engine (tolerance {TOLERANCE:g}):"]
    for f in report.functions:
        if f.status != "not defined":
            lines += _row(f)
    absent = [f.name for f in report.functions if f.status == "not defined"]
    if absent:
        lines.append(f"  not defined: {', '.join(absent)}")
    written = [f for f in report.functions if f.passed is not None]
    failed = [f for f in written if not f.passed]
    if not written:
        lines.append("nothing written yet: every function raises NotImplementedError or is "
                     "not defined")
    elif failed:
        lines.append(f"FAILED: {len(failed)} of {len(written)} written functions disagree "
                     "with the engine")
    else:
        lines.append(f"ok: all {len(written)} written functions agree with the engine")
    return "\n".join(lines)
