"""`visualcnn gradcheck --all`: one JSON object per tensor, exit status 1 on a failure."""

import json
import math

from visualcnn import cli
from visualcnn.nn import layers


def run_all(capsys, *extra):
    code = cli.main(["gradcheck", "--all", "--json", *extra])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_one_object_per_tensor_and_exit_0(capsys):
    code, rows, err = run_all(capsys)
    assert code == 0, err
    names = [r["tensor"] for r in rows]
    assert names == ["input", "conv1/W", "conv1/b", "conv1/out", "pool1/out", "flatten1/out",
                     "dense1/W", "dense1/b", "dense1/out"]
    for r in rows:
        assert {"tensor", "max_rel_error", "index", "checked", "kinks"} <= set(r)
        assert r["max_rel_error"] <= 1e-6 and r["passed"]
        assert len(r["index"]) == len(r["shape"])
        assert all(0 <= i < n for i, n in zip(r["index"], r["shape"], strict=True))
        assert r["checked"] == math.prod(r["shape"])  # every entry
    # The bundled digits have flat black borders: the pool's ties are flagged.
    assert next(r for r in rows if r["tensor"] == "conv1/out")["kinks"] > 0


def test_a_broken_pool_backward_exits_1_and_names_what_it_broke(capsys, monkeypatch):
    honest = layers.MaxPool2D.backward

    def a_bit_too_much(self, dout):
        return honest(self, dout) * 1.01

    monkeypatch.setattr(layers.MaxPool2D, "backward", a_bit_too_much)
    code, rows, _ = run_all(capsys, "--steps", "5")
    assert code == 1
    by_name = {r["tensor"]: r for r in rows}
    for name in ("conv1/out", "conv1/W", "conv1/b", "input"):
        assert not by_name[name]["passed"] and by_name[name]["max_rel_error"] > 1e-6
    for name in ("pool1/out", "dense1/W", "dense1/out"):
        assert by_name[name]["passed"]


def test_text_output_has_a_line_per_tensor(capsys):
    code = cli.main(["gradcheck", "--all", "--arch", "conv4x3-relu-pool2-dense10"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "relu1/out" in out and "corner" in out and out.strip().endswith("passed")


def test_steps_out_of_range_is_a_one_line_error(capsys):
    code = cli.main(["gradcheck", "--all", "--steps", "-1"])
    _, err = capsys.readouterr()
    assert code == 2 and len(err.strip().splitlines()) == 1
