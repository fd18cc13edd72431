"""A student's layer file, run in a worker process of its own.

Their code may loop forever, exit, crash the interpreter or print: none of it may freeze or
end the caller (the command, or later the window). So the file is loaded and its functions
are called in a separate process; a call that takes longer than ``CALL_TIMEOUT`` seconds is
stopped by ending that process, and the next call starts a fresh one. An exception comes back
as one line and a traceback trimmed to the student's own frames; a result that does not fit
the contract (a wrong shape or dtype) names the function and what was expected.

    >>> with Sandbox("my_layers.py") as box:
    ...     dx, dW, db = box.call("conv_backward", dout, x, W)
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import os
import subprocess
import sys
import time
import traceback
import warnings
from multiprocessing.connection import Connection
from pathlib import Path

from visualcnn.common import i18n
from visualcnn.common.errors import UserError
from visualcnn.common.files import brief
from visualcnn.common.i18n import tr
from visualcnn.yours.contract import FUNCTIONS, ContractError, as_arrays, check_shapes

CALL_TIMEOUT = 10.0
# Starting the worker (a Python with NumPy) is not the student's time: on a busy machine it
# may take seconds, so it has a limit of its own.
STARTUP_TIMEOUT = 60.0
# While waiting for the worker, ``Sandbox.waiting`` (when set) is called this often: a window
# keeps painting and answering its timers while a student's slow function runs.
WAIT_TICK_S = 0.05
USER_MODULE = "user_layers"
# The worker words its messages (a load failure, a wrong return) in the caller's language.
LANGUAGE_VARIABLE = "VISUALCNN_WORKER_LANGUAGE"


class LoadError(UserError):
    """The file cannot be loaded (missing, a syntax error, an import that fails): one line."""


class NotWritten(Exception):
    """The function raised NotImplementedError: the student has not written it yet."""


class CallFailed(Exception):
    """A call did not give a result that fits the contract.

    ``kind`` is "raised", "timeout", "crashed", "contract" or "unsupported" (the function
    does not take the keyword arguments it was called with); ``str(error)`` is one line;
    ``details`` the traceback trimmed to the student's frames (for "raised"); ``outputs`` the
    arrays returned when only their shapes were wrong (a hint may still recognise them).
    """

    def __init__(self, kind: str, message: str, details: str = "", outputs=None):
        super().__init__(message)
        self.kind, self.details, self.outputs = kind, details, outputs


# --------------------------------------------------------------------------- worker side
# Frames from these folders are never the student's, even when their file sits above them
# (a checkout of visualcnn, a virtual environment inside their project).
_NOT_THEIRS = tuple(os.path.realpath(p) + os.sep for p in (
    Path(__file__).resolve().parents[1], sys.prefix, sys.base_prefix))


def _user_frames(tb, folder: str) -> list[traceback.FrameSummary]:
    """The frames of ``tb`` in the student's folder: their file and helpers of theirs."""
    frames = []
    for f in traceback.extract_tb(tb):
        where = os.path.realpath(f.filename)
        if where.startswith(folder + os.sep) and not where.startswith(_NOT_THEIRS):
            frames.append(f)
    return frames


def _where(frame: traceback.FrameSummary | None) -> str:
    if frame is None:
        return ""
    return tr("{file}, line {line}, in {function}", file=Path(frame.filename).name,
              line=frame.lineno, function=frame.name)


def _explain(error: BaseException, folder: str) -> tuple[str, str]:
    """(one line, traceback trimmed to the student's frames) for an exception of theirs."""
    frames = _user_frames(error.__traceback__, folder)
    what = brief(f"{type(error).__name__}: {error}" if str(error) else type(error).__name__, 200)
    line = what + (f" ({_where(frames[-1])})" if frames else "")
    details = ("Traceback (your code, most recent call last):\n"
               + "".join(traceback.format_list(frames))
               + "".join(traceback.format_exception_only(type(error), error)))
    return line, details


def _load(path: str):
    """Import the student's file as a module; its folder goes on sys.path so that it may
    import helpers of its own beside it."""
    folder = os.path.dirname(path)
    sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(USER_MODULE, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[USER_MODULE] = module
    spec.loader.exec_module(module)
    return module


def _load_failure(error: BaseException, path: str, folder: str) -> str:
    if isinstance(error, SyntaxError) and error.lineno is not None:
        name = Path(error.filename or path).name
        return tr("{file}, line {line}: {error}", file=name, line=error.lineno,
                  error=f"{type(error).__name__}: {error.msg}")
    frames = _user_frames(error.__traceback__, folder)
    where = f"{_where(frames[-1])}: " if frames else ""
    return where + brief(f"{type(error).__name__}: {error}", 200)


def serve(path: str) -> None:
    """The worker (``python -m visualcnn.yours.worker PATH``): requests come on stdin and
    replies go out on what was stdout. Load ``path``, say which functions it defines, then
    answer calls until stdin closes."""
    requests = Connection(os.dup(0), writable=False)
    conn = Connection(os.dup(1), readable=False)
    # The student's prints must not mix with the replies, nor with the caller's output
    # (``check --json``): what they write to stdout goes to stderr.
    i18n.set_language(os.environ.get(LANGUAGE_VARIABLE, i18n.ENGLISH))
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    # Nor may their code read the requests: its stdin is empty.
    with open(os.devnull, "rb") as nothing:
        os.dup2(nothing.fileno(), 0)
    warnings.simplefilter("ignore")  # overflow and the like: the check reports the result
    folder = os.path.realpath(os.path.dirname(path))
    conn.send(("ready",))
    try:
        module = _load(path)
    except BaseException as e:  # anything their file does at import time
        conn.send(("load_failed", _load_failure(e, path, folder)))
        return
    defined = [name for name in FUNCTIONS if callable(getattr(module, name, None))]
    conn.send(("loaded", defined))
    while True:
        try:
            request = requests.recv()
        except EOFError:
            return
        name, args, keywords = request
        function = getattr(module, name)
        if keywords:
            # Keywords (a padded conv's pad=, stride=) that an older file does not take are
            # said so by name, not as the TypeError of a call.
            try:
                inspect.signature(function).bind(*args, **keywords)
            except TypeError:
                conn.send(("unsupported", sorted(keywords)))
                continue
            except ValueError:
                pass  # no signature to read: the call itself will tell
        try:
            returned = function(*args, **keywords)
        except NotImplementedError:
            conn.send(("not_written",))
            continue
        except BaseException as e:  # SystemExit from their code included
            conn.send(("raised", *_explain(e, folder)))
            continue
        try:
            conn.send(("ok", as_arrays(name, returned)))
        except ContractError as e:
            conn.send(("contract", str(e)))


# --------------------------------------------------------------------------- caller side
class Sandbox:
    """The student's file loaded in a worker process. ``defined`` lists the contract's
    functions the file defines; ``call`` runs one of them. The worker starts at once and loads
    the file while the caller goes on; the first use of ``defined`` or ``call`` waits for it
    and raises LoadError (one line) when the file cannot be loaded."""

    def __init__(self, path, timeout: float = CALL_TIMEOUT, waiting=None):
        self.path = Path(path)
        self.timeout = float(timeout)
        # Called as waiting(what, seconds so far) every WAIT_TICK_S while a reply is due.
        self.waiting = waiting
        if not self.path.exists():
            raise LoadError(tr("{path}: no such file", path=self.path))
        if not self.path.is_file():
            raise LoadError(tr("{path}: is not a file", path=self.path))
        self._process = None
        self._requests = self._conn = None
        self._defined: tuple[str, ...] | None = None
        self._start()

    def _start(self) -> None:
        # A process of its own started afresh (not forked: the caller may be running Qt),
        # whatever the caller's __main__ is. The package's folder goes on its path, so that
        # the worker imports this very visualcnn.
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [root, *filter(None, [os.environ.get("PYTHONPATH")])]))
        env[LANGUAGE_VARIABLE] = i18n.language()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "visualcnn.yours.worker", str(self.path.resolve())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self._requests = Connection(os.dup(self._process.stdin.fileno()), readable=False)
        self._conn = Connection(os.dup(self._process.stdout.fileno()), writable=False)
        self._process.stdin.close()
        self._process.stdout.close()
        self._loaded = False

    def wait_loaded(self) -> None:
        """Wait until the file is loaded; raise LoadError (one line) when it cannot be."""
        if self._process is None:
            self._start()  # the previous call was stopped: a fresh worker, the file reloaded
        if self._loaded:
            return
        reply = self._receive(tr("starting the worker process"), STARTUP_TIMEOUT)
        if not isinstance(reply, CallFailed):
            reply = self._receive(tr("loading {file}", file=self.path.name))
        if isinstance(reply, CallFailed):
            self.close()
            raise LoadError(f"{self.path}: {reply}")
        if reply[0] == "load_failed":
            self.close()
            raise LoadError(f"{self.path}: {reply[1]}")
        self._defined, self._loaded = tuple(reply[1]), True

    @property
    def defined(self) -> tuple[str, ...]:
        if self._defined is None:
            self.wait_loaded()
        return self._defined

    def _receive(self, doing: str, timeout: float | None = None):
        """The worker's next reply, or a CallFailed when it takes too long or dies."""
        timeout = self.timeout if timeout is None else timeout
        start = time.monotonic()
        while True:
            left = start + timeout - time.monotonic()
            if left <= 0:
                self.close()
                return CallFailed("timeout", tr("{doing} did not finish within {limit:g} s "
                                                "(stopped)", doing=doing, limit=timeout))
            if self._conn.poll(left if self.waiting is None else min(left, WAIT_TICK_S)):
                break
            if self.waiting is not None:
                self.waiting(doing, time.monotonic() - start)
                if self._conn is None:  # closed meanwhile (the caller gave up on it)
                    return CallFailed("crashed", tr("{doing} was stopped", doing=doing))
        try:
            return self._conn.recv()
        except (EOFError, OSError):
            try:
                code = self._process.wait(5.0)
            except subprocess.TimeoutExpired:
                code = None
            self.close()
            return CallFailed("crashed", tr("{doing} ended the worker process (exit code "
                                            "{code})", doing=doing, code=code))

    def call(self, name: str, *args, **keywords) -> tuple:
        """Call the student's ``name`` with ``args`` (and ``keywords``): one float64 array per
        output of the contract (a loss as shape ()). Raises NotWritten, or CallFailed with
        the reason."""
        if name not in self.defined:
            raise KeyError(f"{self.path.name} does not define {name}")
        try:
            self.wait_loaded()  # after a stopped call: the file loaded again, afresh
        except LoadError as e:
            raise CallFailed("crashed", tr("{function}: the file could not be loaded again: "
                                           "{error}", function=name, error=e)) from None
        try:
            self._requests.send((name, args, keywords))
        except (OSError, ValueError):
            self.close()
            raise CallFailed("crashed", tr("{function}: the worker process is gone",
                                           function=name)) from None
        reply = self._receive(name)
        if isinstance(reply, CallFailed):
            raise reply
        if reply[0] == "not_written":
            raise NotWritten(name)
        if reply[0] == "raised":
            raise CallFailed("raised", tr("{function} raised {error}", function=name,
                                          error=reply[1]), details=reply[2])
        if reply[0] == "contract":
            raise CallFailed("contract", reply[1])
        if reply[0] == "unsupported":
            raise CallFailed("unsupported", tr("{function} does not take {keywords}",
                                               function=name, keywords=", ".join(reply[1])))
        outputs = reply[1]
        try:
            check_shapes(name, args, outputs, keywords)
        except ContractError as e:
            raise CallFailed("contract", str(e), outputs=outputs) from None
        if FUNCTIONS[name].outputs[0] == "loss":
            outputs = (outputs[0].reshape(()), *outputs[1:])
        return outputs

    def close(self) -> None:
        """End the worker (at once: it may be stuck in the student's loop)."""
        for conn in (self._requests, self._conn):
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.close()
        self._requests = self._conn = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            self._process = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        with contextlib.suppress(Exception):
            self.close()
