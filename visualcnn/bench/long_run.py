"""The long-run benchmark behind ``visualcnn bench --gui --long SECONDS``: the real window at
full speed for a lesson's worth of Run, offscreen, with throw-away settings.

It reports what a teacher would feel after an hour: the process's resident memory (at the
start, once the rewind history has filled its byte budget, and at the end, once the last
Pause's evaluation is done), each also after the memory the app has freed went back to the
system (the run loop gives it back every second: in between, up to a second's worth of freed
blocks stays resident, a few MB that come and go), how late a 10 ms
timer of the window fires (p50, p99 and the worst, over the whole run and over its last
fifth), and how long Pause takes to stop the run and let the window answer the next event,
measured every ``PAUSE_EVERY_S``. With ``trace_memory`` it also lists the source lines whose
Python allocations grew most between the history filling and the end (tracemalloc; it slows
the run down, so its steps per second are not comparable).
"""

from __future__ import annotations

import gc
import resource
import tempfile
import time
from array import array

from visualcnn.app.launch import application
from visualcnn.bench.gui import shown_window
from visualcnn.training.memory import return_freed_memory

PROBE_MS = 10           # the period of the timer whose lateness is measured
PAUSE_EVERY_S = 15.0    # a Pause (and Run again) this often
FILLED_SHARE = 0.99     # the rewind history counts as filled at this share of its budget
TOP_LINES = 15


def rss_mb() -> float:
    """The process's resident memory now, in MB (Linux); the peak where /proc is absent."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pss_mb(pid: int | str = "self") -> float | None:
    """A process's proportional share of memory in MB (Linux): pages it shares with another
    process (Run's worker, forked from the window's) count half in each."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def whole_app_mb(window) -> float | None:
    """The window's process and, during Run, its worker process: the sum of their PSS."""
    worker = window.loop.worker
    mine = pss_mb()
    theirs = pss_mb(worker.pid) if worker is not None and worker.pid is not None else 0.0
    return None if mine is None or theirs is None else mine + theirs


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p99": None, "max": None}
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": pick(0.5), "p99": pick(0.99), "max": ordered[-1]}


class _Probe:
    """A PROBE_MS timer that notes how late each of its ticks came, in ms."""

    def __init__(self):
        from PyQt6.QtCore import Qt, QTimer

        # Seconds since the start and lateness of each tick: flat arrays, so that the probe
        # itself adds 16 bytes a tick to the memory measured rather than a tuple's 100.
        self.at_s, self.late_ms = array("d"), array("d")
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(PROBE_MS)
        self._timer.timeout.connect(self._tick)
        self._start = self._last = time.perf_counter()
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.at_s.append(now - self._start)
        self.late_ms.append(max(0.0, (now - self._last) * 1000 - PROBE_MS))
        self._last = now

    def stop(self) -> None:
        self._timer.stop()


def _wait(seconds: float) -> None:
    from PyQt6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(max(0, int(seconds * 1000)), loop.quit)
    loop.exec()


def _pause_ms(window) -> float | None:
    """Pause as the Run/Pause button does, from the event queue; ms until the run has stopped
    and the window has handled the event after it (the evaluation and redraw at a pause)."""
    from PyQt6.QtCore import QEventLoop, QTimer

    if not window.loop.running:  # a breakpoint or a divergence paused it already
        return None
    done = QEventLoop()
    answered = []
    start = time.perf_counter()

    def after():
        answered.append(time.perf_counter())
        done.quit()

    QTimer.singleShot(0, window.actions["run"].trigger)
    QTimer.singleShot(0, after)
    done.exec()
    if window.loop.running:
        raise RuntimeError("Pause did not stop the run")
    return (answered[0] - start) * 1000


def _rss_pair() -> tuple[float, float]:
    """RSS now, and again once the memory freed since the run loop last gave it back has
    gone back too: what the process holds, without what it has freed and not yet returned."""
    now = rss_mb()
    return_freed_memory()
    return now, rss_mb()


def _history_filled(session) -> bool:
    hook = session.step_hook
    nbytes = getattr(hook, "history_nbytes", None)
    budget = getattr(hook, "budget_bytes", None)
    return nbytes is not None and budget is not None and nbytes() >= FILLED_SHARE * budget


def _spread(values: list[float]) -> dict:
    # Rounded as the samples are, so that a spread of one sample equals that sample.
    if not values:
        return {"min": None, "max": None}
    return {"min": round(min(values), 1), "max": round(max(values), 1)}


def _grown_lines(before, after) -> list[dict]:
    stats = after.compare_to(before, "lineno")
    return [{"where": f"{s.traceback[0].filename}:{s.traceback[0].lineno}",
             "grew_bytes": s.size_diff, "blocks": s.count_diff}
            for s in stats[:TOP_LINES]]


def long_run_benchmark(dataset, net, seconds: float, trace_memory: bool = False) -> dict:
    """Run the window at full speed for ``seconds``; see the module's docstring.

    Keys: ``seconds``, ``steps``, ``steps_per_s``, ``rss_mb`` {start, history_filled (None
    when the budget never filled), end}, ``history_filled_at_s`` and ``_step``,
    ``rss_growth_after_filled_mb``, ``rss_mb_returned`` {history_filled, end} and
    ``returned_growth_after_filled_mb`` (the same once freed memory went back),
    ``bytes_per_step_after_filled``, ``timer_delay_ms`` and
    ``timer_delay_last_fifth_ms`` {p50, p99, max}, ``pause_ms`` (each Pause measured) and
    ``pause_ms_max``, ``rss_mb_samples`` [[seconds, MB, MB once freed memory went back]]
    taken while running before each Pause, ``rss_mb_second_half`` and
    ``returned_mb_second_half`` {min, max} of those in the run's second half,
    ``whole_app_pss_mb_max`` the largest PSS of the window's and the worker's processes
    together at those moments (None without /proc); with
    ``trace_memory`` also ``grown_lines`` [{where, grew_bytes, blocks}].
    """
    app = application(offscreen=True)
    from visualcnn.app.run_loop import MAX_SPEED

    if trace_memory:
        import tracemalloc

        tracemalloc.start()
    with tempfile.TemporaryDirectory() as folder:
        window = shown_window(app, dataset, net, folder)
        session = window.session
        window.loop.set_speed(MAX_SPEED)
        gc.collect()
        rss_start, start = rss_mb(), time.perf_counter()
        probe = _Probe()
        filled = None  # (seconds, step, rss, rss returned) when the history filled
        snapshot_filled = snapshot_end = None
        pauses, next_pause = [], PAUSE_EVERY_S
        samples = []  # (seconds, RSS MB, returned MB) every PAUSE_EVERY_S
        whole = []  # the whole app's PSS at the same moments (with Run's worker process)
        window.actions["run"].trigger()
        while (elapsed := time.perf_counter() - start) < seconds:
            _wait(min(0.5, seconds - elapsed))
            elapsed = time.perf_counter() - start
            if filled is None and _history_filled(session):
                filled = (elapsed, session.net.step, *_rss_pair())
            # The baseline of the growth: the history filled, or a fifth of the run gone.
            if trace_memory and snapshot_filled is None and (
                    filled is not None or elapsed >= 0.2 * seconds):
                snapshot_filled, baseline = tracemalloc.take_snapshot(), elapsed
            if elapsed >= next_pause and elapsed < seconds:
                samples.append((elapsed, *_rss_pair()))  # while running, before the Pause
                whole.append(whole_app_mb(window))
                pauses.append(_pause_ms(window))
                next_pause += PAUSE_EVERY_S
                window.actions["run"].trigger()
        pauses.append(_pause_ms(window))
        pauses = [p for p in pauses if p is not None]
        elapsed = time.perf_counter() - start
        probe.stop()
        steps = session.net.step
        while window.test_evaluation.busy:  # the last Pause's evaluation, between events
            _wait(0.05)
        rss_end, returned_end = _rss_pair()
        if trace_memory:
            snapshot_end = tracemalloc.take_snapshot()
            tracemalloc.stop()
        window.close()
        window.deleteLater()
        app.processEvents()
    late_all = list(probe.late_ms)
    late_last = [late for t, late in zip(probe.at_s, probe.late_ms, strict=True)
                 if t >= 0.8 * elapsed]
    result = {
        "seconds": elapsed,
        "steps": steps,
        "steps_per_s": steps / elapsed,
        "whole_app_pss_mb_max": max((m for m in whole if m is not None), default=None),
        "rss_mb": {"start": rss_start, "history_filled": filled[2] if filled else None,
                   "end": rss_end},
        "history_filled_at_s": filled[0] if filled else None,
        "history_filled_at_step": filled[1] if filled else None,
        "rss_growth_after_filled_mb": rss_end - filled[2] if filled else None,
        "rss_mb_returned": {"history_filled": filled[3] if filled else None,
                            "end": returned_end},
        "returned_growth_after_filled_mb": returned_end - filled[3] if filled else None,
        "bytes_per_step_after_filled": ((rss_end - filled[2]) * 2**20 / (steps - filled[1])
                                        if filled and steps > filled[1] else None),
        # Where the memory went over the run, and its spread over the second half (what a
        # long lesson settles into): each sample is taken while running, before a Pause.
        "rss_mb_samples": [[round(t, 1), round(mb, 1), round(kept, 1)]
                           for t, mb, kept in samples],
        "rss_mb_second_half": _spread([mb for t, mb, _ in samples if t >= elapsed / 2]),
        "returned_mb_second_half": _spread([kept for t, _, kept in samples
                                            if t >= elapsed / 2]),
        "timer_delay_ms": _percentiles(late_all),
        "timer_delay_last_fifth_ms": _percentiles(late_last),
        "pause_ms": pauses,
        "pause_ms_max": max(pauses, default=None),
    }
    if trace_memory and snapshot_filled is not None:
        result["grown_lines"] = _grown_lines(snapshot_filled, snapshot_end)
        result["grown_since_s"] = baseline
    return result


def format_long_run(r: dict) -> str:
    rss = r["rss_mb"]
    filled = (f"{rss['history_filled']:.0f} MB when the rewind history filled (step "
              f"{r['history_filled_at_step']}, {r['history_filled_at_s']:.0f} s)"
              if rss["history_filled"] is not None else "rewind history never filled")
    d, last = r["timer_delay_ms"], r["timer_delay_last_fifth_ms"]
    lines = [
        f"{r['steps']} steps in {r['seconds']:.0f} s ({r['steps_per_s']:.0f} steps/s)",
        f"RSS {rss['start']:.0f} MB at start, {filled}, {rss['end']:.0f} MB at the end",
        "RSS while running, every 15 s: " + (", ".join(f"{mb:.0f}" for _t, mb, _k in
                                                        r["rss_mb_samples"]) or "none"),
        "the same once freed memory went back: " + (", ".join(
            f"{kept:.0f}" for _t, _mb, kept in r["rss_mb_samples"]) or "none"),
        f"timer delay p50/p99/max {d['p50']:.1f}/{d['p99']:.1f}/{d['max']:.1f} ms "
        f"(last fifth {last['p50']:.1f}/{last['p99']:.1f}/{last['max']:.1f} ms)",
        f"pause {', '.join(f'{p:.0f}' for p in r['pause_ms'])} ms",
    ]
    if "grown_lines" in r:
        lines.append(f"Python allocations grown since {r['grown_since_s']:.0f} s, by line:")
    for g in r.get("grown_lines", []):
        lines.append(f"  {g['grew_bytes'] / 1024:+10.1f} KiB {g['blocks']:+8d} blocks  "
                     f"{g['where']}")
    return "\n".join(lines)
