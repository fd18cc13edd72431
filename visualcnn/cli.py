"""The ``visualcnn`` command: the app (no subcommand), train, eval, gradcheck, bench, screenshot.

A user error (bad path, bad architecture, bad number, damaged file) prints one line to stderr
and exits with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from visualcnn.common.errors import UserError
from visualcnn.nn.arch import DEFAULT_ARCH, PRESETS, canonical_arch, parse_arch
from visualcnn.training.session import LR_MAX, LR_MIN

DEFAULT_LR = 0.01
USAGE_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, like every other user error; `--help` still shows the full usage.
        raise UserError(f"{self.prog}: {message} (see --help)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def _learning_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    # The app's range, so that every checkpoint `train --save` writes opens in the app.
    if not (math.isfinite(value) and LR_MIN <= value <= LR_MAX):
        raise argparse.ArgumentTypeError(f"learning rate must be between {LR_MIN:g} and "
                                         f"{LR_MAX:g}, got {text}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"seed must be 0 or more, got {value}")
    return value


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1366x768, got {text!r}"
                                         ) from None
    if not (320 <= w <= 7680 and 240 <= h <= 4320):
        raise argparse.ArgumentTypeError(f"size {w}x{h} is outside 320x240 .. 7680x4320")
    return w, h


def _add_model_options(p: argparse.ArgumentParser, with_lr=True):
    p.add_argument("--data", default="bundled", metavar="bundled|PATH",
                   help="'bundled' (default), an IDX folder, a Keras mnist.npz or a Kaggle CSV")
    p.add_argument("--arch", default=None, metavar="A",
                   help=f"architecture string or preset ({', '.join(PRESETS)}); "
                        f"default {DEFAULT_ARCH}")
    p.add_argument("--seed", type=_seed, default=0, help="seed for weights and sample order")
    if with_lr:
        p.add_argument("--lr", type=_learning_rate, default=None,
                       help=f"learning rate (default {DEFAULT_LR})")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="visualcnn", description=(
        "Watch backpropagation in a small CNN, one training sample at a time. With no "
        "command, opens the app."))
    _add_model_options(parser)
    parser.add_argument("--checkpoint", metavar="FILE", help="open this checkpoint in the app")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("train", help="train one sample per step and report test accuracy")
    _add_model_options(p)
    p.add_argument("--epochs", type=_positive_int, default=3)
    p.add_argument("--save", metavar="FILE", help="write a checkpoint at the end")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    p = sub.add_parser("eval", help="test accuracy and loss of a checkpoint")
    p.add_argument("--checkpoint", required=True, metavar="FILE")
    p.add_argument("--data", default="bundled", metavar="bundled|PATH")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("gradcheck", help="finite differences against backprop on one sample")
    _add_model_options(p, with_lr=False)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("bench", help="measure the engine's speed (or the app's, with --gui)")
    p.add_argument("--gui", action="store_true", help="measure redraw and run mode offscreen")
    p.add_argument("--data", default="bundled", metavar="bundled|PATH",
                   help="data for --gui (default bundled)")
    p.add_argument("--seconds", type=float, default=5.0, help="run-mode duration for --gui")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("screenshot", help="train N steps offscreen and save the window as PNG")
    _add_model_options(p)
    p.add_argument("--out", required=True, metavar="FILE.png")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--size", type=_size, default=(1366, 768), metavar="WxH")
    return parser


# ---------------------------------------------------------------------------------- helpers
def _load_data(spec):
    from visualcnn.data import load_dataset

    return load_dataset(spec)


def _build_network(arch, data, seed):
    from visualcnn.nn import Network

    arch = canonical_arch(arch or DEFAULT_ARCH)
    parse_arch(arch, data.input_shape, data.classes)  # a bad string fails before any work
    return Network.from_arch(arch, input_shape=data.input_shape, classes=data.classes, seed=seed)


def _load_checkpoint(path, data):
    from visualcnn.nn import Network

    net = Network.load(path)
    if net.input_shape != tuple(data.input_shape) or net.classes != data.classes:
        raise UserError(f"{path}: the checkpoint expects inputs {net.input_shape} and "
                        f"{net.classes} classes; the data has {tuple(data.input_shape)} and "
                        f"{data.classes}")
    return net


class _Progress:
    """A one-line progress bar on stderr; on a non-terminal, one line per epoch instead."""

    def __init__(self, total: int):
        self.total, self.stream = total, sys.stderr
        self.tty = self.stream.isatty()
        self._last = 0.0

    def update(self, done, epoch, loss, acc, force=False):
        now = time.perf_counter()
        if not force and (not self.tty or now - self._last < 0.1):
            return
        self._last = now
        width = 30
        filled = int(width * done / self.total)
        line = (f"epoch {epoch} [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} "
                f"loss {loss:.3f} acc {acc:.3f}")
        self.stream.write(("\r" + line) if self.tty else (line + "\n"))
        self.stream.flush()

    def close(self):
        if self.tty:
            self.stream.write("\n")


# --------------------------------------------------------------------------------- commands
def cmd_train(args) -> int:
    if args.save and not Path(args.save).parent.is_dir():  # before training, not after it
        raise UserError(f"{args.save}: the folder {Path(args.save).parent} does not exist")
    data = _load_data(args.data)
    net = _build_network(args.arch, data, args.seed)
    lr = args.lr or DEFAULT_LR
    rng = np.random.default_rng(args.seed)
    n = len(data.y_train)
    progress = _Progress(n * args.epochs)
    # Running figures over the last 1,000 steps, as an exponential moving average.
    avg_loss, avg_acc, alpha = math.log(data.classes), 1.0 / data.classes, 1e-3 * 2
    train_seconds = 0.0
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(n)
        start = time.perf_counter()
        for i, idx in enumerate(order):
            trace = net.train_step(data.x_train[idx], int(data.y_train[idx]), lr)
            if not math.isfinite(trace.loss):
                progress.close()
                raise UserError(f"the loss became {trace.loss} at step {net.step} with learning "
                                f"rate {lr:g}: lower the learning rate (--lr)")
            avg_loss += alpha * (trace.loss - avg_loss)
            avg_acc += alpha * (trace.correct - avg_acc)
            if i % 64 == 0:
                progress.update((epoch - 1) * n + i + 1, epoch, avg_loss, avg_acc)
        train_seconds += time.perf_counter() - start
        progress.update(epoch * n, epoch, avg_loss, avg_acc, force=True)
    progress.close()
    test_accuracy, test_loss = net.evaluate(data.x_test, data.y_test)
    if args.save:
        net.save(args.save, lr=lr)
    result = {"arch": net.arch, "data": data.name, "epochs": args.epochs, "lr": lr,
              "seed": args.seed, "steps": net.step, "seconds": round(train_seconds, 3),
              "test_accuracy": test_accuracy, "test_loss": test_loss}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{net.arch}: test accuracy {test_accuracy:.4f}, test loss {test_loss:.4f} "
              f"after {net.step} steps in {train_seconds:.1f} s")
    return 0


def cmd_eval(args) -> int:
    data = _load_data(args.data)
    net = _load_checkpoint(args.checkpoint, data)
    accuracy, loss = net.evaluate(data.x_test, data.y_test)
    result = {"arch": net.arch, "data": data.name, "steps": net.step,
              "test_accuracy": accuracy, "test_loss": loss, "samples": int(len(data.y_test))}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{net.arch} after {net.step} steps: test accuracy {accuracy:.4f}, "
              f"test loss {loss:.4f} on {len(data.y_test)} samples")
    return 0


def cmd_gradcheck(args) -> int:
    from visualcnn.nn.gradcheck import TOLERANCE, gradcheck

    data = _load_data(args.data)
    net = _build_network(args.arch, data, args.seed)
    idx = int(np.random.default_rng(args.seed).integers(len(data.y_train)))
    report = gradcheck(net, data.x_train[idx], int(data.y_train[idx]))
    rows = {t.name: t.max_error for t in report.tensors}
    kinks = {t.name: int(t.at_kink.sum()) for t in report.tensors}
    if args.json:
        print(json.dumps({"arch": net.arch, "sample": idx, "max_relative_error": rows,
                          "entries_at_kink": kinks, "tolerance": TOLERANCE,
                          "passed": report.passed}))
    else:
        print(f"{net.arch}, training sample {idx} (label {int(data.y_train[idx])})")
        for t in report.tensors:
            skipped = (f"  ({kinks[t.name]} of {t.index.size} entries sit on a max-pool or "
                       "ReLU corner, skipped)") if kinks[t.name] else ""
            print(f"  {t.name:<10} largest relative error {t.max_error:.2e}  "
                  f"{'ok' if t.max_error <= TOLERANCE else 'FAIL'}{skipped}")
        print("passed" if report.passed else f"FAILED: above {TOLERANCE:g}")
    return 0 if report.passed else 1


def cmd_bench(args) -> int:
    if args.gui:
        from visualcnn.bench.gui import gui_benchmark

        data = _load_data(args.data)
        result = gui_benchmark(data, _build_network(None, data, 0), seconds=args.seconds)
        if args.json:
            print(json.dumps(result))
        else:
            print(f"redraw {result['redraw_ms']:.2f} ms (median); run mode "
                  f"{result['run_steps_per_s']:.0f} steps/s at {result['fps']:.1f} fps; headless "
                  f"{result['headless_steps_per_s']:.0f} steps/s; ratio {result['run_ratio']:.2f}")
        return 0
    from visualcnn.bench.engine import format_bench, run_bench

    result = run_bench()
    print(json.dumps(result) if args.json else format_bench(result))
    return 0


def cmd_screenshot(args) -> int:
    from visualcnn.app.launch import save_screenshot

    if args.steps < 0:
        raise UserError(f"--steps must be 0 or more, got {args.steps}")
    data = _load_data(args.data)
    net = _build_network(args.arch, data, args.seed)
    path = save_screenshot(args.out, data, net, steps=args.steps, size=args.size,
                           lr=args.lr or DEFAULT_LR, seed=args.seed)
    print(path)
    return 0


def cmd_app(args) -> int:
    data = _load_data(args.data)
    if args.checkpoint:
        net = _load_checkpoint(args.checkpoint, data)
        lr = args.lr or getattr(net, "saved_lr", None)
    else:
        net = _build_network(args.arch, data, args.seed)
        lr = args.lr
    # Qt is imported only now, after every argument has been checked.
    from visualcnn.app.launch import run_app

    return run_app(data, net, lr=lr, seed=args.seed)


COMMANDS = {"train": cmd_train, "eval": cmd_eval, "gradcheck": cmd_gradcheck,
            "bench": cmd_bench, "screenshot": cmd_screenshot, None: cmd_app}


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except UserError as e:
        print(f"visualcnn: {e}" if not str(e).startswith("visualcnn") else str(e),
              file=sys.stderr)
        return USAGE_ERROR
    except OSError as e:  # e.g. --save into a folder that does not exist
        print(f"visualcnn: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("visualcnn: interrupted", file=sys.stderr)
        return 130
