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
from visualcnn.common.files import check_writable
from visualcnn.nn.arch import DEFAULT_ARCH, PRESETS, canonical_arch, parse_arch
from visualcnn.nn.network import MAX_SEED
from visualcnn.training.session import BATCH_MAX, BATCH_MIN, LR_MAX, LR_MIN

DEFAULT_LR = 0.01
GRADCHECK_STEPS = 20
USAGE_ERROR = 2


# Ranges of the number options, stated in --help and checked while parsing: a value outside
# them is refused before any data is loaded or any window opens.
EPOCHS = (1, 1000)
BENCH_SECONDS = (0.5, 600.0)
LONG_RUN_SECONDS = (1.0, 86_400.0)
SCREENSHOT_STEPS = (0, 100_000)
REWIND_STEPS = (1, 10_000_000)
WINDOW_SIZE = ((320, 240), (7680, 4320))
# Options of the app (no command): given before a command, they would be ignored.
APP_OPTIONS = ("data", "classes", "image_size", "arch", "seed", "lr", "init", "optimizer",
               "weight_decay", "momentum", "batch", "checkpoint", "layers")


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, like every other user error; `--help` still shows the full usage.
        raise UserError(f"{self.prog}: {message} (see --help)")


def _echo(text: str) -> str:
    """``text`` quoted for a message, cut short: a number typed may run to thousands of
    digits."""
    return repr(text) if len(text) <= 40 else f"{text[:37]!r}..."


def _whole_number(low: int, high: int, what: str):
    """An argparse type: a whole number from ``low`` to ``high``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:  # also for more digits than Python converts
            raise argparse.ArgumentTypeError(f"expected a whole number, got {_echo(text)}"
                                             ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be between {low} and {high}, got "
                                             f"{_echo(text)}")
        return value

    parse.range_text = f"{low} to {high}"
    return parse


def _real_number(low: float, high: float, what: str):
    """An argparse type: a finite number from ``low`` to ``high``."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {_echo(text)}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"{what} must be between {low:g} and {high:g}, "
                                             f"got {_echo(text)}")
        return value

    parse.range_text = f"{low:g} to {high:g}"
    return parse


# The app's range, so that every checkpoint `train --save` writes opens in the app.
_learning_rate = _real_number(LR_MIN, LR_MAX, "learning rate")
# What a checkpoint stores as a plain integer.
_seed = _whole_number(0, MAX_SEED, "seed")
_weight_decay = _real_number(0.0, 1.0, "weight decay")
_momentum = _real_number(0.0, 0.999, "momentum")
_batch = _whole_number(BATCH_MIN, BATCH_MAX, "the batch size")


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1366x768, got "
                                         f"{_echo(text)}") from None
    (w_min, h_min), (w_max, h_max) = WINDOW_SIZE
    if not (w_min <= w <= w_max and h_min <= h <= h_max):
        raise argparse.ArgumentTypeError(f"size {w}x{h} is outside {_size.range_text}")
    return w, h


_size.range_text = "{}x{} to {}x{}".format(*WINDOW_SIZE[0], *WINDOW_SIZE[1])


def _not_empty(what: str):
    """An argparse type: any text but an empty one, which would silently mean "none"."""
    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"empty {what}")
        return text

    return parse


def _architecture(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("empty architecture: expected tokens like "
                                         f"{DEFAULT_ARCH} or a preset ({', '.join(PRESETS)})")
    return text


def _png_path(text: str) -> str:
    # The window is always written as PNG: any other name would hold bytes it does not name.
    if not text.lower().endswith(".png") or not text[:-4].strip():
        raise argparse.ArgumentTypeError(f"expected a file name ending in .png, got "
                                         f"{_echo(text)}")
    return text


def _gif_path(text: str) -> str:
    if not text.lower().endswith(".gif") or not text[:-4].strip():
        raise argparse.ArgumentTypeError(f"expected a file name ending in .gif, got "
                                         f"{_echo(text)}")
    return text


def _add_classes_option(p: argparse.ArgumentParser, dest: str) -> None:
    p.add_argument("--classes", dest=dest, type=_not_empty("class names"), default=None,
                   metavar="NAMES|FILE",
                   help="the classes' names, in label order: separated by commas "
                        "(--classes cat,dog,...) or a text file with one per line; default: "
                        "a classes.txt beside the data, else the names of Fashion-MNIST or "
                        "KMNIST when their files are recognised, else the digits")


def _image_size(text: str) -> tuple[int, int]:
    from visualcnn.data.image_folder import parse_image_size

    try:
        return parse_image_size(text)
    except UserError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _add_model_options(p: argparse.ArgumentParser, with_lr=True, app=False):
    """--data, --arch, --seed (and --lr) for a command, or with ``app`` for the app itself,
    whose values land in ``app_data`` and so on, None when not given."""
    dest = (lambda name: f"app_{name}") if app else (lambda name: name)
    p.add_argument("--data", dest=dest("data"), type=_not_empty("dataset path"),
                   default=None if app else "bundled", metavar="bundled|PATH",
                   help="'bundled' (default), an IDX folder or one of its files, a Keras "
                        "mnist.npz, a Kaggle CSV, CIFAR-10's binary version (its folder), or "
                        "an image folder: DIR/train/<class>/*.png|jpg and DIR/test/<class>/*")
    _add_classes_option(p, dest("classes"))
    p.add_argument("--image-size", dest=dest("image_size"), type=_image_size, default=None,
                   metavar="HxW", help="resize an image folder's images to H x W pixels; "
                                       "default: their own size, when they all have one")
    p.add_argument("--arch", dest=dest("arch"), type=_architecture, default=None, metavar="A",
                   help=f"architecture string or preset ({', '.join(PRESETS)}); "
                        f"default {DEFAULT_ARCH}")
    p.add_argument("--seed", dest=dest("seed"), type=_seed, default=None if app else 0,
                   metavar="N", help=f"seed for weights and sample order, {_seed.range_text} "
                                     "(2**63-1, what a checkpoint stores); default 0")
    if with_lr:
        p.add_argument("--lr", dest=dest("lr"), type=_learning_rate, default=None,
                       metavar="RATE", help=f"learning rate, {_learning_rate.range_text}; "
                                            f"default {DEFAULT_LR}")
    _add_training_options(p, dest)


def _add_training_options(p: argparse.ArgumentParser, dest) -> None:
    """--init, --optimizer, --weight-decay and --momentum: how the network starts and learns."""
    from visualcnn.nn.init import INIT_HELP, INITIALISERS
    from visualcnn.nn.optimizers import OPTIMIZERS

    p.add_argument("--init", dest=dest("init"), choices=INITIALISERS, default=None,
                   help="starting weights; default he. " + "; ".join(
                       f"{name}: {text}" for name, text in INIT_HELP.items()))
    p.add_argument("--optimizer", dest=dest("optimizer"), choices=OPTIMIZERS, default=None,
                   help="sgd (default), momentum (SGD with momentum, 0.9 unless --momentum) "
                        "or adam (beta1 0.9, beta2 0.999, eps 1e-8, PyTorch's formula; it moves "
                        "each weight about lr a step: try --lr 0.001)")
    p.add_argument("--weight-decay", dest=dest("weight_decay"), type=_weight_decay,
                   default=None, metavar="W",
                   help=f"L2 weight decay added to every gradient as W x weight (as PyTorch's "
                        f"weight_decay), {_weight_decay.range_text}; default 0")
    p.add_argument("--momentum", dest=dest("momentum"), type=_momentum, default=None,
                   metavar="M", help=f"SGD momentum, {_momentum.range_text}; implies "
                                     "--optimizer momentum; default 0 (0.9 with it)")


def _add_batch_option(p: argparse.ArgumentParser, dest: str, default_text: str) -> None:
    p.add_argument("--batch", dest=dest, type=_batch, default=None, metavar="B",
                   help=f"samples per step (a mini-batch: the mean loss and gradient of B "
                        f"samples), {_batch.range_text}; default {default_text}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="visualcnn", description=(
        "Watch backpropagation in a small CNN, one training sample at a time. With no "
        "command, opens the app; the options below are the app's."))
    _add_model_options(parser, app=True)
    _add_batch_option(parser, "app_batch", "the last one used in the app, else 1")
    parser.add_argument("--checkpoint", dest="app_checkpoint", type=_not_empty("file name"),
                        metavar="FILE", help="open this checkpoint in the app (--arch and "
                                             "--seed, if given, must be the checkpoint's)")
    parser.add_argument("--layers", dest="app_layers", type=_not_empty("file name"),
                        metavar="FILE", help="step with your own layer functions from FILE "
                                             "(see `visualcnn template` and `check`)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("train", help="train one sample (or mini-batch) per step and report "
                                     "test accuracy")
    _add_model_options(p)
    _add_batch_option(p, "batch", "1")
    epochs = _whole_number(*EPOCHS, "the number of epochs")
    p.add_argument("--epochs", type=epochs, default=3, metavar="N",
                   help=f"passes over the training set, {epochs.range_text}; default 3")
    p.add_argument("--save", metavar="FILE", type=_not_empty("file name"),
                   help="write a checkpoint at the end")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    p = sub.add_parser("eval", help="test accuracy and loss of a checkpoint")
    p.add_argument("--checkpoint", required=True, metavar="FILE")
    p.add_argument("--data", default="bundled", metavar="bundled|PATH",
                   type=_not_empty("dataset path"))
    _add_classes_option(p, "classes")
    p.add_argument("--image-size", type=_image_size, default=None, metavar="HxW",
                   help="resize an image folder's images to H x W pixels")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("gradcheck", help="finite differences against backprop on one sample")
    _add_model_options(p, with_lr=False)
    steps = _whole_number(*SCREENSHOT_STEPS, "the number of steps")
    p.add_argument("--steps", type=steps, default=GRADCHECK_STEPS, metavar="N",
                   help=f"training steps (learning rate {DEFAULT_LR}) before the check, "
                        f"{steps.range_text}; default {GRADCHECK_STEPS}: the output layer "
                        "starts at zero, which makes every earlier gradient zero at step 0")
    p.add_argument("--all", action="store_true",
                   help="also every layer's dL/d(output); with --json one object per tensor")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("bench", help="measure the engine's speed (or the app's, with --gui)")
    p.add_argument("--gui", action="store_true", help="measure redraw and run mode offscreen")
    p.add_argument("--data", default=None, metavar="bundled|PATH",
                   type=_not_empty("dataset path"), help="data for --gui (default bundled)")
    seconds = _real_number(*BENCH_SECONDS, "the run-mode duration")
    p.add_argument("--seconds", type=seconds, default=None, metavar="S",
                   help=f"--gui: each of the three full-speed Runs lasts S seconds, "
                        f"{seconds.range_text}; default 5")
    long_s = _real_number(*LONG_RUN_SECONDS, "the long run's duration")
    p.add_argument("--long", type=long_s, default=None, metavar="S",
                   help="with --gui: Run the window at full speed for S seconds "
                        f"({long_s.range_text}) and report memory, timer delay and Pause")
    p.add_argument("--trace-memory", action="store_true",
                   help="with --long: the source lines whose allocations grew (slower)")
    p.add_argument("--rewind", action="store_true",
                   help="train a long run under the debugger and time jumps to random steps")
    rewind_steps = _whole_number(*REWIND_STEPS, "the rewind run's steps")
    p.add_argument("--steps", type=rewind_steps, default=None, metavar="N",
                   help=f"with --rewind: steps of the run, {rewind_steps.range_text}; "
                        "default 100000")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("screenshot", help="train N steps offscreen and save the window as PNG")
    _add_model_options(p)
    p.add_argument("--out", required=True, metavar="FILE.png", type=_png_path,
                   help="the PNG file to write")
    steps = _whole_number(*SCREENSHOT_STEPS, "the number of steps")
    p.add_argument("--steps", type=steps, default=200, metavar="N",
                   help=f"training steps before the picture, {steps.range_text}; default 200")
    p.add_argument("--size", type=_size, default=(1366, 768), metavar="WxH",
                   help=f"window size, {_size.range_text}; default 1366x768")
    p.add_argument("--presenter", action="store_true",
                   help="presenter mode: large fonts, secondary controls hidden")
    p.add_argument("--theme", choices=("light", "dark"), default="light",
                   help="the window's colours; default light")
    p.add_argument("--language", choices=("en", "zh_CN"), default=None,
                   help="the window's language; default the system's, as the app")
    p.add_argument("--lesson", metavar="NAME|FILE.json", default=None,
                   help="open this lesson (its setup replaces the model options) first")
    card = _whole_number(1, 100, "the card")
    p.add_argument("--card", type=card, default=1, metavar="N",
                   help=f"with --lesson: the card shown, {card.range_text}; default 1")
    phases = _whole_number(0, 1000, "the phases")
    p.add_argument("--phases", type=phases, default=0, metavar="K",
                   help=f"then step K phases of the next sample (Step phase), "
                        f"{phases.range_text}; default 0")
    _add_batch_option(p, "batch", "1")

    p = sub.add_parser("gif", help="train N steps offscreen and record the window as a GIF")
    _add_model_options(p)
    p.add_argument("--out", required=True, metavar="FILE.gif", type=_gif_path,
                   help="the GIF file to write")
    steps = _whole_number(1, SCREENSHOT_STEPS[1], "the number of steps")
    p.add_argument("--steps", type=steps, required=True, metavar="N",
                   help=f"training steps to record, {steps.range_text}")
    p.add_argument("--size", type=_size, default=(1280, 720), metavar="WxH",
                   help=f"window size, {_size.range_text}; default 1280x720")
    p.add_argument("--presenter", action="store_true", help="large fonts, as on a projector")

    p = sub.add_parser("template", help="write a starting file for your own layers")
    p.add_argument("--out", required=True, metavar="FILE.py", type=_not_empty("file name"),
                   help="the file to write (refused if it exists, unless --force)")
    p.add_argument("--force", action="store_true", help="overwrite FILE.py if it exists")

    p = sub.add_parser("check", help="check your own layers' forward and backward passes "
                                     "against the engine")
    p.add_argument("file", metavar="FILE.py", type=_not_empty("file name"),
                   help="a Python file defining any of the functions `template` writes")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    p = sub.add_parser("lesson", help="open the app on a lesson (--list: the lessons)")
    p.add_argument("lesson", nargs="?", metavar="NAME|FILE.json",
                   type=_not_empty("lesson name"), help="a lesson's name or a lesson file")
    p.add_argument("--list", action="store_true", help="print each lesson's name and title")
    return parser


def parse_args(argv=None) -> argparse.Namespace:
    """Parse and check the command line; every refusal is a one-line UserError."""
    args = build_parser().parse_args(argv)
    if args.command is not None:
        given = [f"--{name.replace('_', '-')}" for name in APP_OPTIONS
                 if getattr(args, f"app_{name}") is not None]
        if given:
            raise UserError(f"{' '.join(given)} before the command {args.command!r} would be "
                            f"ignored: give the options of {args.command!r} after it (see "
                            f"visualcnn {args.command} --help)")
    if args.command == "bench" and not args.gui:
        given = [f"--{name}" for name in ("data", "seconds", "long")
                 if getattr(args, name) is not None]
        if given:
            raise UserError(f"{' '.join(given)} only apply to bench --gui")
    if args.command == "bench" and args.trace_memory and args.long is None:
        raise UserError("--trace-memory only applies to bench --gui --long")
    if args.command == "bench" and args.long is not None and args.seconds is not None:
        raise UserError("--seconds and --long are two different runs: give one")
    return args


# ---------------------------------------------------------------------------------- helpers
def _load_data(spec, classes=None, image_size=None):
    from visualcnn.data import load_dataset

    data = load_dataset(spec, classes, image_size)
    if data.note:
        print(f"visualcnn: {data.name}: {data.note}", file=sys.stderr)
    return data


def _training(args, app: bool = False) -> dict:
    """The initialiser and optimiser the options ask for, as ``Network`` keywords, checked
    (an adam with --momentum is refused) before any data is loaded."""
    from visualcnn.nn.init import DEFAULT_INIT
    from visualcnn.nn.optimizers import resolve

    given = {name: getattr(args, f"app_{name}" if app else name)
             for name in ("init", "optimizer", "weight_decay", "momentum")}
    optimizer, momentum, weight_decay = resolve(given["optimizer"], given["momentum"] or 0.0,
                                                given["weight_decay"] or 0.0)
    return {"init": given["init"] or DEFAULT_INIT, "optimizer": optimizer,
            "momentum": momentum, "weight_decay": weight_decay}


def _build_network(arch, data, seed, training=None):
    from visualcnn.nn import Network

    arch = canonical_arch(arch or DEFAULT_ARCH)
    parse_arch(arch, data.input_shape, data.classes)  # a bad string fails before any work
    return Network.from_arch(arch, input_shape=data.input_shape, classes=data.classes, seed=seed,
                             **(training or {}))


def _arch_for_data(arch, data):
    """The default architecture or a preset with its last dense layer resized to the data's
    classes, saying so when it changes: dense10 -> dense3 for 3 classes. A string typed out
    is the user's own: it must already end with one unit per class (parse_arch says so)."""
    from visualcnn.nn.arch import arch_for_classes

    given = canonical_arch(arch or DEFAULT_ARCH)
    if given not in PRESETS.values():
        return given
    resized = arch_for_classes(given, data.classes)
    if resized != given:
        last = given.rsplit("-", 1)[-1]
        print(f"visualcnn: {last} -> dense{data.classes} for {data.classes} classes: "
              f"{resized}", file=sys.stderr)
    return resized


def _load_checkpoint(path, data):
    return _check_fits(path, _load_network(path), data)


def _load_network(path):
    from visualcnn.nn import Network

    return Network.load(path)


def _check_budget(arch, data, optimizer=None):
    """The window's rewind history (at its default budget) must hold two steps of ``arch``
    trained by ``optimizer``: refused before any array is allocated."""
    from visualcnn.training.memory import check_arch_budget

    check_arch_budget(canonical_arch(arch or DEFAULT_ARCH), data.input_shape, data.classes,
                      optimizer=optimizer)


def _check_fits(path, net, data):
    if net.input_shape != tuple(data.input_shape) or net.classes != data.classes:
        raise UserError(f"{path}: the checkpoint expects inputs {net.input_shape} and "
                        f"{net.classes} classes; the data has {tuple(data.input_shape)} and "
                        f"{data.classes}")
    return net


class _Progress:
    """Progress of ``train`` on stderr. On a terminal, a tqdm bar redrawn in place; on a pipe
    or in a log, nothing until one summary line at the end, however many epochs run."""

    def __init__(self, total: int, epochs: int, batch: int = 1):
        from tqdm import tqdm

        self.tty = sys.stderr.isatty()
        self.epochs, self.batch = epochs, batch
        self.done, self.epoch, self.loss, self.acc = 0, 0, math.nan, math.nan
        self.bar = tqdm(total=total, unit="step" if batch == 1 else "sample", file=sys.stderr,
                        disable=not self.tty, mininterval=0.1, dynamic_ncols=True)

    def update(self, done, epoch, loss, acc):
        self.done, self.epoch, self.loss, self.acc = done, epoch, loss, acc
        if self.tty:
            self.bar.set_postfix_str(f"epoch {epoch}/{self.epochs} loss {loss:.3f} "
                                     f"acc {acc:.3f}", refresh=False)
            self.bar.update(done - self.bar.n)

    def close(self, summary: bool = True):
        """End the bar; off a terminal, write the summary line unless ``summary`` is False
        (an error is about to be the one line)."""
        self.bar.close()
        if summary and not self.tty:
            what = "steps" if self.batch == 1 else f"samples in batches of {self.batch}"
            print(f"trained {self.done} {what} in {self.epoch} epoch"
                  f"{'' if self.epoch == 1 else 's'}: running loss {self.loss:.3f}, "
                  f"accuracy {self.acc:.3f}", file=sys.stderr)


# --------------------------------------------------------------------------------- commands
def cmd_train(args) -> int:
    if args.save:  # before the data and the training, not after them
        check_writable(args.save)
    training = _training(args)
    data = _load_data(args.data, args.classes, args.image_size)
    net = _build_network(_arch_for_data(args.arch, data), data, args.seed, training)
    lr = args.lr or DEFAULT_LR
    batch = args.batch or 1
    rng = np.random.default_rng(args.seed)
    n = len(data.y_train)
    progress = _Progress(n * args.epochs, args.epochs, batch)
    # Running figures over the last 1,000 steps, as an exponential moving average.
    avg_loss, avg_acc, alpha = math.log(data.classes), 1.0 / data.classes, 1e-3 * 2
    train_seconds = 0.0
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(n)
        start = time.perf_counter()
        # Batches of the epoch's order, the last one what is left.
        for i in range(0, n, batch):
            if batch == 1:
                idx = order[i]
                trace = net.train_step(data.x_train[idx], int(data.y_train[idx]), lr)
            else:
                chosen = order[i:i + batch]
                trace = net.train_step(data.x_train[chosen], data.y_train[chosen], lr)
            if not math.isfinite(trace.loss):
                progress.close(summary=False)
                raise UserError(f"the loss became {trace.loss} at step {net.step} with learning "
                                f"rate {lr:g}: lower the learning rate (--lr)")
            avg_loss += alpha * (trace.loss - avg_loss)
            avg_acc += alpha * (trace.accuracy - avg_acc)
            if i // batch % 64 == 0:
                progress.update((epoch - 1) * n + i + 1, epoch, avg_loss, avg_acc)
        train_seconds += time.perf_counter() - start
        progress.update(epoch * n, epoch, avg_loss, avg_acc)
    progress.close()
    test_accuracy, test_loss = net.evaluate(data.x_test, data.y_test)
    if args.save:
        net.save(args.save, lr=lr)
    result = {"arch": net.arch, "data": data.name, "epochs": args.epochs, "lr": lr,
              "seed": args.seed, "init": net.init, "optimizer": net.optimizer,
              "momentum": net.momentum, "weight_decay": net.weight_decay, "batch": batch,
              "steps": net.step,
              "seconds": round(train_seconds, 3), "test_accuracy": test_accuracy,
              "test_loss": test_loss}
    if args.json:
        print(json.dumps(result))
    else:
        per_step = f", batches of {batch}" if batch > 1 else ""
        print(f"{net.arch} ({net.optimizer_text()}, init {net.init}{per_step}): test accuracy "
              f"{test_accuracy:.4f}, test loss {test_loss:.4f} after {net.step} steps in "
              f"{train_seconds:.1f} s")
    return 0


def cmd_eval(args) -> int:
    data = _load_data(args.data, args.classes, args.image_size)
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
    from visualcnn.nn.gradcheck import TOLERANCE, gradcheck, gradcheck_all

    training = _training(args)
    data = _load_data(args.data, args.classes, args.image_size)
    net = _build_network(_arch_for_data(args.arch, data), data, args.seed, training)
    rng = np.random.default_rng(args.seed)
    idx = int(rng.integers(len(data.y_train)))
    with np.errstate(all="ignore"):  # a diverging step shows as a failed check, not warnings
        for i in rng.integers(len(data.y_train), size=args.steps):
            net.train_step(data.x_train[i], int(data.y_train[i]), DEFAULT_LR)
    if args.all:
        report = gradcheck_all(net, data.x_train[idx], int(data.y_train[idx]))
        _print_whole_gradcheck(report, net, idx, int(data.y_train[idx]), args.json)
        return 0 if report.passed else 1
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


def _print_whole_gradcheck(report, net, idx: int, label: int, as_json: bool) -> None:
    """One line per tensor: its worst relative error off the kinks and where it sits."""
    from visualcnn.nn.gradcheck import TOLERANCE

    for t in report.tensors:
        w = t.worst
        row = {"tensor": t.name, "shape": list(t.shape), "max_rel_error": t.max_error,
               "index": None if w is None else list(t.worst_index),
               "backprop": None if w is None else float(t.analytic[w]),
               "numeric": None if w is None else float(t.numeric[w]),
               "checked": int(t.index.size), "kinks": t.kinks,
               "passed": t.max_error <= TOLERANCE, "arch": net.arch, "sample": idx,
               "steps": net.step}
        if as_json:
            print(json.dumps(row))
            continue
        where = "" if w is None else (f" at {tuple(t.worst_index)}: backprop "
                                      f"{row['backprop']:.6g}, numeric {row['numeric']:.6g}")
        kinks = f"  ({t.kinks} on a max-pool or ReLU corner, skipped)" if t.kinks else ""
        print(f"  {t.name:<13} {t.index.size:>6} entries  largest relative error "
              f"{t.max_error:.2e}{where}  {'ok' if row['passed'] else 'FAIL'}{kinks}")
    if not as_json:
        print(f"{net.arch} after {net.step} steps, training sample {idx} (label {label}): "
              + ("passed" if report.passed else f"FAILED: above {TOLERANCE:g}"))


def cmd_bench(args) -> int:
    if args.steps is not None and not args.rewind:
        raise UserError("bench: --steps goes with --rewind")
    if args.rewind:
        if args.gui:
            raise UserError("bench: --rewind and --gui are separate benchmarks; give one")
        from visualcnn.bench.rewind import format_rewind, rewind_benchmark

        result = rewind_benchmark(_load_data("bundled"),
                                  steps=100_000 if args.steps is None else args.steps)
        print(json.dumps(result) if args.json else format_rewind(result))
        return 0
    if args.gui and args.long is not None:
        from visualcnn.bench.long_run import format_long_run, long_run_benchmark

        data = _load_data(args.data or "bundled")
        result = long_run_benchmark(data, _build_network(_arch_for_data(None, data), data, 0),
                                    args.long,
                                    trace_memory=args.trace_memory)
        print(json.dumps(result) if args.json else format_long_run(result))
        return 0
    if args.gui:
        from visualcnn.bench.gui import gui_benchmark

        data = _load_data(args.data or "bundled")
        result = gui_benchmark(data, _build_network(_arch_for_data(None, data), data, 0),
                               seconds=5.0 if args.seconds is None else args.seconds)
        if args.json:
            print(json.dumps(result))
        else:
            print(f"redraw {result['redraw_ms']:.2f} ms (median); run mode "
                  f"{result['run_steps_per_s']:.0f} steps/s at {result['fps']:.1f} fps; headless "
                  f"{result['headless_steps_per_s']:.0f} steps/s; ratio {result['run_ratio']:.2f} "
                  f"(median of {', '.join(f'{r:.2f}' for r in result['run_ratios'])}), "
                  f"training {result['run_training_share']:.2f} of Run's time; "
                  f"with 50 ms frames ratio {result['run_ratio_slow_draw']:.2f} at "
                  f"{result['fps_slow_draw']:.1f} fps, training "
                  f"{result['run_training_share_slow_draw']:.2f}")
        return 0
    from visualcnn.bench.engine import format_bench, run_bench

    result = run_bench()
    print(json.dumps(result) if args.json else format_bench(result))
    return 0


def _offscreen_model(args):
    """Data and network of a command that draws the window offscreen (screenshot, gif), the
    output file checked first: before the data and the steps, not after them."""
    check_writable(args.out)
    training = _training(args)
    data = _load_data(args.data, args.classes, args.image_size)
    arch = _arch_for_data(args.arch, data)
    _check_budget(arch, data, training["optimizer"])
    return data, _build_network(arch, data, args.seed, training)


def cmd_screenshot(args) -> int:
    from visualcnn.app.launch import save_screenshot
    from visualcnn.lessons import find_lesson

    lesson = find_lesson(args.lesson) if args.lesson else None  # a bad name: before any work
    data, net = _offscreen_model(args)
    path = save_screenshot(args.out, data, net, steps=args.steps, size=args.size,
                           lr=args.lr or DEFAULT_LR, seed=args.seed,
                           presenter=args.presenter, theme=args.theme, batch=args.batch or 1,
                           language=args.language, lesson=lesson, card=args.card,
                           phases=args.phases)
    print(path)
    return 0


def cmd_gif(args) -> int:
    data, net = _offscreen_model(args)
    from visualcnn.app.recording import record_gif

    try:
        path = record_gif(args.out, data, net, steps=args.steps, size=args.size,
                          lr=args.lr or DEFAULT_LR, seed=args.seed, presenter=args.presenter)
    except OSError as e:
        raise UserError(f"{args.out}: {e.strerror or e}") from None
    print(path)
    return 0


def _check_checkpoint_training(path, net, args) -> None:
    """The checkpoint holds its initialiser and optimiser: options may only repeat them."""
    wanted = _training(args, app=True)
    for name, option in (("init", "--init"), ("optimizer", "--optimizer"),
                         ("weight_decay", "--weight-decay"), ("momentum", "--momentum")):
        if getattr(args, f"app_{name}") is not None and wanted[name] != getattr(net, name):
            raise UserError(f"{path} was trained with {name.replace('_', ' ')} "
                            f"{getattr(net, name)}, not {option} {wanted[name]}: leave "
                            f"{option} out to open the checkpoint")


def cmd_app(args) -> int:
    lr, seed = args.app_lr, args.app_seed
    training = _training(args, app=True)  # checked before any data is loaded
    if args.app_checkpoint:
        path = args.app_checkpoint
        from visualcnn.app.rewind_budget import check_checkpoint

        check_checkpoint(path)  # the rewind history must hold two steps of it
        net = _load_network(path)
        # The checkpoint holds the network: --arch and --seed may only repeat what it says.
        if args.app_arch is not None and canonical_arch(args.app_arch) != net.arch:
            raise UserError(f"{path} holds {net.arch}, not --arch {_echo(args.app_arch)}: "
                            "leave --arch out to open the checkpoint")
        if seed is not None and seed != net.seed:
            raise UserError(f"{path} was built with seed {net.seed}, not --seed {seed}: "
                            "leave --seed out to open the checkpoint")
        _check_checkpoint_training(path, net, args)
        data = _load_data(args.app_data or "bundled", args.app_classes, args.app_image_size)
        _check_fits(path, net, data)
        saved = getattr(net, "saved_lr", None)
        if lr is None and saved is not None and not LR_MIN <= saved <= LR_MAX:
            raise UserError(f"{path}: the checkpoint's learning rate {saved:g} is outside "
                            f"{LR_MIN:g} to {LR_MAX:g}; give one with --lr")
        lr = lr or saved
        seed = net.seed
    else:
        data = _load_data(args.app_data or "bundled", args.app_classes, args.app_image_size)
        seed = seed or 0
        arch = _arch_for_data(args.app_arch, data)
        from visualcnn.app.rewind_budget import check_history_budget

        # Refused before any array exists when the rewind history cannot hold two steps.
        check_history_budget(arch, data.input_shape, data.classes,
                             optimizer=training["optimizer"])
        net = _build_network(arch, data, seed, training)
    if args.app_layers:
        from visualcnn.yours.sandbox import LoadError
        from visualcnn.yours.stepping import YourLayers

        try:  # a file that does not load is refused before any window opens
            YourLayers(args.app_layers).close()
        except LoadError as e:
            raise UserError(str(e)) from None
    # Qt is imported only now, after every argument has been checked.
    from visualcnn.app.launch import run_app

    # --batch only when given: without it the app takes the last batch size it kept.
    given = {} if args.app_batch is None else {"batch": args.app_batch}
    return run_app(data, net, lr=lr, seed=seed, layers=args.app_layers, **given)


def cmd_template(args) -> int:
    from visualcnn.common.files import atomic_write
    from visualcnn.yours.template import template_text

    path = Path(args.out)
    if path.exists() and not args.force:
        raise UserError(f"{path}: already exists; give --force to overwrite it")
    check_writable(path)
    with atomic_write(path) as tmp:
        tmp.write_text(template_text(path.name))
    print(path)
    return 0


def cmd_check(args) -> int:
    from visualcnn.yours.checker import (
        check_sandbox,
        format_report,
        network_cases,
        synthetic_cases,
    )
    from visualcnn.yours.sandbox import Sandbox

    with Sandbox(args.file) as box:  # it loads the file while the cases are made
        data = _load_data("bundled")  # its real sample goes through the default network
        cases = synthetic_cases() + network_cases(data.x_train, data.y_train)
        report = check_sandbox(box, cases)  # a file that cannot load: one line, status 2
    print(json.dumps(report.to_json()) if args.json else format_report(report))
    return 0 if report.ok else 1


def cmd_lesson(args) -> int:
    from visualcnn.lessons import find_lesson, list_lessons, text

    if args.list:
        for lesson in list_lessons():
            print(f"{lesson.name}\t{text(lesson, 'title')}")
        return 0
    if args.lesson is None:
        raise UserError("lesson: give a lesson's name or file, or --list to see them")
    lesson = find_lesson(args.lesson)  # a bad file is refused before any window opens
    session = lesson.build_session()
    from visualcnn.app.launch import run_app

    return run_app(session.dataset, session.net, lr=session.lr, seed=session.seed,
                   lesson=lesson)


COMMANDS = {"train": cmd_train, "eval": cmd_eval, "gradcheck": cmd_gradcheck,
            "bench": cmd_bench, "screenshot": cmd_screenshot, "gif": cmd_gif,
            "template": cmd_template, "check": cmd_check, "lesson": cmd_lesson,
            None: cmd_app}


def main(argv=None) -> int:
    try:
        args = parse_args(argv)
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
