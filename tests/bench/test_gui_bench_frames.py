"""`visualcnn bench --gui` reports what a frame of Run cost, as the run loop measured it (no
time asserted, only that the figures are there and consistent)."""

from __future__ import annotations

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from visualcnn import cli  # noqa: E402


def test_gui_bench_reports_the_frame_cost_of_run(capsys):
    assert cli.main(["bench", "--gui", "--seconds", "0.5", "--json"]) == 0
    r = json.loads(capsys.readouterr()[0])
    assert isinstance(r["frame_ms"], float) and r["frame_ms"] > 0
    assert r["frame_ms"] <= r["frame_ms_p90"]
