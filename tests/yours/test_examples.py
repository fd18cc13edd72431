"""`visualcnn check` on the shipped examples: it passes the correct loop-style file and names
the one classic mistake in each of the others, by what their functions return."""

import json

import pytest

from visualcnn import cli
from visualcnn.yours.template import examples_folder

EXAMPLES = examples_folder()
# example file -> (the function with the mistake, the mistake the check must name)
MISTAKES = {
    "flipped_kernel.py": ("conv_forward", "flipped_kernel"),
    "bias_not_summed.py": ("conv_backward", "bias_not_summed"),
    "pool_every_entry.py": ("maxpool_backward", "pool_every_entry"),
    "pool_ties.py": ("maxpool_backward", "pool_ties"),
    "softmax_overflow.py": ("softmax_cross_entropy", "softmax_overflow"),
    "mean_forgotten.py": ("softmax_cross_entropy", "mean_forgotten"),
    "transposed_weights.py": ("dense_backward", "transposed_weights"),
}


def check_json(capsys, path):
    code = cli.main(["check", str(path), "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_every_example_is_covered():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(
        [*MISTAKES, "correct_loops.py"])


def test_the_correct_loop_file_passes_every_function(capsys):
    code, report, _ = check_json(capsys, EXAMPLES / "correct_loops.py")
    assert code == 0 and report["ok"] is True
    assert [f["name"] for f in report["functions"]] == [
        "conv_forward", "conv_backward", "relu_forward", "relu_backward", "maxpool_forward",
        "maxpool_backward", "dense_forward", "dense_backward", "softmax_cross_entropy"]
    for f in report["functions"]:
        assert f["passed"] is True, f
        assert f["max_rel_error"] < 1e-9 and f["hint"] is None


@pytest.mark.parametrize("example", sorted(MISTAKES))
def test_each_mistake_is_named(capsys, example):
    wrong, mistake = MISTAKES[example]
    code, report, _ = check_json(capsys, EXAMPLES / example)
    assert code == 1 and report["ok"] is False
    by_name = {f["name"]: f for f in report["functions"]}
    assert by_name[wrong]["passed"] is False
    assert by_name[wrong]["mistake"] == mistake
    assert by_name[wrong]["hint"]  # the sentence a student reads
    # The file's other functions are right, and nothing else is blamed.
    written = [f for f in report["functions"] if f["status"] != "not defined"]
    for f in written:
        if f["name"] != wrong:
            assert f["passed"] is True, f
