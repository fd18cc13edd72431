"""``visualcnn bench --rewind``: the rewind benchmark from the command line."""

from __future__ import annotations

import json

from visualcnn import cli


def test_bench_rewind_reports_jumps_and_bytes_and_is_bit_exact(capsys):
    assert cli.main(["bench", "--rewind", "--steps", "400", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["steps"] == 400 and result["bit_exact"] is True
    assert result["jumps"] >= 200 and result["history_bytes"] > 0
    assert result["replay_steps_max"] < 400  # jumps replay from a snapshot, not the start


def test_steps_without_rewind_and_rewind_with_gui_are_one_line_errors(capsys):
    assert cli.main(["bench", "--steps", "400"]) == 2
    assert "--steps goes with --rewind" in capsys.readouterr().err
    assert cli.main(["bench", "--rewind", "--gui"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--rewind" in err
