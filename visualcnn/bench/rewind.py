"""The rewind benchmark: how long a jump to a random step of a long run takes, and what the
rewind history holds.

``rewind_benchmark(data, steps=100_000)`` trains the default network (SGD, one sample a step,
learning rate 0.01) for ``steps`` steps under the debugger with the default 100 MB budget,
then jumps to ``jumps`` random steps of the run (seeded) and times each ``Debugger.go_to``
(snapshot restored, steps trained again, curves rewound), checking on the way that jumps to a
few steps saved during the run give their weights back bit for bit. Run it with

    python -m visualcnn.bench.rewind [--steps N] [--jumps J] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np

from visualcnn.nn.arch import DEFAULT_ARCH
from visualcnn.nn.network import Network
from visualcnn.training.debugger import Debugger
from visualcnn.training.memory import DEFAULT_BUDGET_MB, MB
from visualcnn.training.session import Session

TARGET_JUMP_MS = 50.0
TARGET_HISTORY_MB = 100.0


def _history_nbytes(history) -> int:
    """Bytes of the arrays the curves' history holds (whatever its layout)."""
    return sum(a.nbytes for a in vars(history).values() if isinstance(a, np.ndarray)) + sum(
        a.nbytes for d in vars(history).values() if isinstance(d, dict)
        for a in d.values() if isinstance(a, np.ndarray))


def rewind_benchmark(data, steps: int = 100_000, jumps: int = 200, seed: int = 0,
                     budget_mb: int = DEFAULT_BUDGET_MB) -> dict:
    load_before = _load_average()
    session = Session(data, Network.from_arch(DEFAULT_ARCH, data.input_shape, data.classes),
                      lr=0.01, seed=0)
    debugger = Debugger(session, budget_bytes=budget_mb * MB)
    rng = np.random.default_rng(seed)
    checked = set(int(s) for s in rng.integers(1, steps + 1, 5))
    saved = {}
    start = time.perf_counter()
    for _ in range(steps):
        session.step()
        if session.net.step in checked:
            saved[session.net.step] = session.net.get_state()
    train_s = time.perf_counter() - start
    held = debugger.history_nbytes()
    curves = _history_nbytes(debugger.run_history())
    targets = [int(s) for s in rng.integers(1, steps + 1, jumps)] + sorted(checked)
    times, cpu_times, replayed = [], [], []
    exact = True
    for target in targets:
        replayed.append(debugger.rewind.replay_length(target))
        start, cpu_start = time.perf_counter(), time.process_time()
        debugger.go_to(target)
        times.append((time.perf_counter() - start) * 1000)
        cpu_times.append((time.process_time() - cpu_start) * 1000)
        if target in saved:
            state = session.net.get_state()
            exact &= all(np.array_equal(v, saved[target][k]) for k, v in state.items())
    rewind = debugger.rewind
    gaps = np.diff(rewind.checkpoint_steps())
    # The cost of one replayed step, from jumps long enough for it to outweigh what a jump
    # costs once: the longest jump is about ``every`` of them, on the machine as it is now.
    per_step = [t * 1000 / r for t, r in zip(times, replayed, strict=True) if r >= 64]
    return {
        "steps": steps, "jumps": len(targets), "budget_mb": budget_mb,
        "jump_ms_p50": statistics.median(times), "jump_ms_p90": float(np.percentile(times, 90)),
        "jump_ms_max": max(times), "history_bytes": held,
        # The processor time of the jumps (every thread of the process): on a shared
        # machine it leaves out the time spent waiting for a core, which the above include.
        "jump_cpu_ms_p50": statistics.median(cpu_times),
        "jump_cpu_ms_p90": float(np.percentile(cpu_times, 90)), "jump_cpu_ms_max": max(cpu_times),
        # Steps each jump trained again: the jump time without the machine's load in it.
        "replay_steps_p50": statistics.median(replayed), "replay_steps_max": max(replayed),
        "replayed_step_us_p50": statistics.median(per_step) if per_step else None,
        "history_bytes_after_jumps": debugger.history_nbytes(), "curves_bytes": curves,
        "checkpoints": len(rewind.checkpoint_steps()),
        "checkpoint_spacing_max": int(gaps.max()) if len(gaps) else 0,
        "step_us_while_recording": train_s / steps * 1e6, "bit_exact": bool(exact),
        "target_jump_ms": TARGET_JUMP_MS, "target_history_mb": TARGET_HISTORY_MB,
        # Processes waiting for the cores before and after: a busy machine slows each jump.
        "load_average_1min": [load_before, _load_average()],
    }


def _load_average() -> float | None:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def _per_step(r: dict) -> str:
    us = r.get("replayed_step_us_p50")
    return "" if us is None else f" ({us:.0f} us a replayed step)"


def format_rewind(r: dict) -> str:
    return (f"{r['steps']:,} steps ({r['step_us_while_recording']:.0f} us a step while "
            f"recording); {r['jumps']} jumps to random steps: p50 {r['jump_ms_p50']:.1f} ms, "
            f"p90 {r['jump_ms_p90']:.1f} ms, max {r['jump_ms_max']:.1f} ms (target "
            f"{r['target_jump_ms']:g}), replaying {r['replay_steps_p50']:.0f} steps (median) "
            f"and at most {r['replay_steps_max']}{_per_step(r)}; rewind history "
            f"{r['history_bytes'] / MB:.1f} MB in "
            f"{r['checkpoints']} snapshots (budget {r['budget_mb']} MB), curves "
            f"{r['curves_bytes'] / MB:.1f} MB; bit for bit: {r['bit_exact']}")


def main(argv=None) -> int:
    from visualcnn.data import load_dataset

    parser = argparse.ArgumentParser(prog="python -m visualcnn.bench.rewind",
                                     description="time jumps to random steps of a long run")
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--jumps", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not 1 <= args.steps <= 10_000_000 or not 1 <= args.jumps <= 100_000:
        parser.error("--steps must be 1 to 10,000,000 and --jumps 1 to 100,000")
    result = rewind_benchmark(load_dataset("bundled"), args.steps, args.jumps)
    print(json.dumps(result) if args.json else format_rewind(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
