"""The rewind benchmark on a short run: jumps to random steps come back bit for bit, and the
report says what was measured."""

import pytest

from tests.app.conftest import make_dataset
from visualcnn.bench.rewind import format_rewind, main, rewind_benchmark


def test_a_short_run_reports_jump_times_bytes_and_exactness():
    result = rewind_benchmark(make_dataset(), steps=300, jumps=6, budget_mb=1)
    assert result["bit_exact"] is True
    assert result["jumps"] >= 6 and result["steps"] == 300
    assert result["history_bytes"] <= 1_000_000
    assert 0 < result["jump_ms_p50"] <= result["jump_ms_max"]
    assert 0 <= result["jump_cpu_ms_p50"] <= result["jump_cpu_ms_p90"] <= result["jump_cpu_ms_max"]
    assert 0 <= result["replay_steps_p50"] <= result["replay_steps_max"] <= 300
    assert "bit for bit: True" in format_rewind(result)
    # How busy the machine was, before and after (None where the system cannot tell).
    assert all(load is None or load >= 0 for load in result["load_average_1min"])


def test_the_command_refuses_a_bad_count_in_one_line(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--steps", "0"])
    assert stopped.value.code == 2
    assert "--steps must be 1 to 10,000,000" in capsys.readouterr().err
