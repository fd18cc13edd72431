"""`visualcnn bench --gui`: Run's speed with slow drawing, and the long run's report (never a
time asserted, only that each figure is there and sensible)."""

from __future__ import annotations

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from visualcnn import cli  # noqa: E402
from visualcnn.bench.gui import RUN_ROUNDS  # noqa: E402


def run_cli(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_gui_bench_reports_run_with_slow_drawing(capsys):
    code, out, _ = run_cli(capsys, "bench", "--gui", "--seconds", "0.5", "--json")
    assert code == 0
    r = json.loads(out)
    for key in ("redraw_ms", "run_steps_per_s", "headless_steps_per_s", "run_ratio", "fps",
                "run_ratio_slow_draw", "fps_slow_draw", "run_training_share",
                "run_training_share_slow_draw"):
        assert isinstance(r[key], float) and r[key] > 0, key
    # Shares of each Run's time: training and drawing both take some of it.
    assert all(0 < share < 1 for share in (*r["run_training_shares"],
                                           r["run_training_share_slow_draw"]))
    rounds = len(r["run_ratios"])
    assert rounds == RUN_ROUNDS == len(r["run_training_shares"]) and rounds % 2 == 1
    assert r["run_training_share"] == pytest.approx(
        sorted(r["run_training_shares"])[rounds // 2], abs=1e-3)
    # The ratio given is the middle one of the rounds, each a Run between two headless spells.
    assert r["run_ratio"] == pytest.approx(sorted(r["run_ratios"])[rounds // 2], abs=1e-3)


def test_long_run_reports_memory_timer_delay_and_pause(capsys):
    code, out, _ = run_cli(capsys, "bench", "--gui", "--long", "17", "--trace-memory", "--json")
    assert code == 0
    r = json.loads(out)
    assert r["steps"] > 0 and r["seconds"] >= 2
    assert r["rss_mb"]["start"] > 0 and r["rss_mb"]["end"] > 0
    for group in ("timer_delay_ms", "timer_delay_last_fifth_ms"):
        delays = r[group]
        assert 0 <= delays["p50"] <= delays["p99"] <= delays["max"], group
    assert len(r["pause_ms"]) >= 1 and r["pause_ms_max"] == max(r["pause_ms"]) > 0
    # One sample while running, before the Pause at 15 s, in the second half of the run.
    (seconds, mb, kept), = r["rss_mb_samples"]
    assert 15 <= seconds < 17 and 0 < kept <= mb + 0.05  # giving memory back takes none
    spread = r["rss_mb_second_half"]
    assert spread["min"] == spread["max"] == pytest.approx(mb, abs=0.05)
    assert r["returned_mb_second_half"]["max"] == pytest.approx(kept, abs=0.05)
    returned = r["rss_mb_returned"]
    if returned["history_filled"] is not None:
        assert 0 < returned["history_filled"] <= r["rss_mb"]["history_filled"] + 0.05
    assert 0 < returned["end"] <= r["rss_mb"]["end"] + 0.05
    # The whole app: the window's process and Run's worker process, their shared pages once.
    whole = r["whole_app_pss_mb_max"]
    assert whole is None or 0 < whole < mb + 400
    lines = r["grown_lines"]
    assert lines and all(":" in line["where"] for line in lines)


@pytest.mark.parametrize("argv, words", [
    (["bench", "--long", "5"], ["--long", "--gui"]),
    (["bench", "--gui", "--trace-memory"], ["--trace-memory", "--long"]),
    (["bench", "--gui", "--long", "5", "--seconds", "3"], ["--seconds", "--long"]),
    (["bench", "--gui", "--long", "0"], ["--long"]),
])
def test_long_run_options_are_checked_in_one_line(capsys, argv, words):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert all(word in err for word in words), err


def test_gui_bench_on_data_of_three_classes_resizes_the_output_layer(capsys, tmp_path):
    from tests.data.image_files import write_colour_squares

    folder = write_colour_squares(tmp_path / "squares", train=4, test=2)
    code, out, err = run_cli(capsys, "bench", "--gui", "--seconds", "0.5", "--data",
                             str(folder), "--json")
    assert code == 0, err
    assert "dense10 -> dense3 for 3 classes" in err
    assert json.loads(out)["run_steps_per_s"] > 0


@pytest.mark.parametrize("mb", [281.25, 99.95, 130.0])
def test_a_spread_of_one_sample_equals_that_sample_as_reported(mb):
    from visualcnn.bench.long_run import _spread

    # A sample of x.x5 MB used to be reported rounded but its spread not.
    assert _spread([mb]) == {"min": round(mb, 1), "max": round(mb, 1)}
