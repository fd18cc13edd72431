"""`visualcnn template` and `visualcnn check`: the starting file, the report, one-line errors,
and a student's code that raises, returns the wrong thing, hangs or ends its process."""

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from visualcnn import cli
from visualcnn.yours.checker import check_file, synthetic_cases
from visualcnn.yours.contract import FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path, text, name="my_layers.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def by_name(report) -> dict:
    return {f["name"]: f for f in report["functions"]}


def check_json(capsys, path):
    code, out, err = run(capsys, "check", path, "--json")
    return code, json.loads(out), err


def test_the_plain_loop_reference_passes_every_function(capsys):
    code, report, _ = check_json(capsys, ROOT / "visualcnn" / "nn" / "reference.py")
    assert code == 0 and report["ok"] is True
    assert [f["status"] for f in report["functions"]] == ["passed"] * len(FUNCTIONS)


def test_the_template_is_every_function_not_written_yet(capsys, tmp_path):
    path = tmp_path / "my_layers.py"
    code, out, err = run(capsys, "template", "--out", path)
    assert code == 0 and err == ""
    text = path.read_text()
    for spec in FUNCTIONS.values():
        assert f"def {spec.signature}:" in text
    assert text.count("raise NotImplementedError") == len(FUNCTIONS)
    code, report, _ = check_json(capsys, path)
    assert code == 0 and report["ok"] is True
    for f in report["functions"]:
        assert f["status"] == "not written" and f["passed"] is None


def test_the_template_does_not_overwrite_a_file_unless_forced(capsys, tmp_path):
    path = write(tmp_path, "# my work of an evening\n")
    code, out, err = run(capsys, "template", "--out", path)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "--force" in err and str(path) in err
    assert path.read_text() == "# my work of an evening\n"
    code, _, _ = run(capsys, "template", "--out", path, "--force")
    assert code == 0 and "def conv_forward(x, W, b):" in path.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my_layers.py"]  # no temporaries


def test_the_template_into_a_missing_folder_is_one_line(capsys, tmp_path):
    code, out, err = run(capsys, "template", "--out", tmp_path / "no" / "such.py")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "does not exist" in err


@pytest.mark.parametrize("text, words", [
    ("def conv_forward(x, W, b):\n    return x +\n", ["line 2", "SyntaxError"]),
    ("import numpy as np\nimport no_such_module_here\n",
     ["line 2", "ModuleNotFoundError", "no_such_module_here"]),
    ("x = 1\nraise RuntimeError('not today')\n", ["line 2", "RuntimeError", "not today"]),
])
def test_a_file_that_cannot_be_loaded_is_one_line_and_status_2(capsys, tmp_path, text, words):
    path = write(tmp_path, text)
    code, out, err = run(capsys, "check", path)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for word in ["my_layers.py", *words]:
        assert word in lines[0]


@pytest.mark.parametrize("name", ["missing.py", "."])
def test_a_missing_file_or_a_folder_is_one_line(capsys, tmp_path, name):
    code, _, err = run(capsys, "check", tmp_path / name)
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_a_function_that_raises_fails_with_their_line_and_the_check_goes_on(capsys, tmp_path):
    path = write(tmp_path, """\
        import numpy as np


        def helper(x):
            return x / 0 if False else 1 // 0


        def conv_forward(x, W, b):
            return helper(x)


        def dense_forward(x, W, b):
            return x @ W.T + b
        """)
    code, report, _ = check_json(capsys, path)
    assert code == 1 and report["ok"] is False
    conv = by_name(report)["conv_forward"]
    assert conv["passed"] is False
    assert "ZeroDivisionError" in conv["reason"] and "line 5, in helper" in conv["reason"]
    assert by_name(report)["dense_forward"]["passed"] is True


def test_the_traceback_is_trimmed_to_their_own_frames(tmp_path):
    path = write(tmp_path, """\
        import numpy as np


        def relu_forward(x):
            return np.maximum(x, np.zeros(3))
        """)
    report = check_file(path, synthetic_cases())
    relu = next(f for f in report.functions if f.name == "relu_forward")
    assert relu.status == "failed" and "ValueError" in relu.reason
    assert 'my_layers.py", line 5, in relu_forward' in relu.details
    assert "sandbox.py" not in relu.details and "multiprocessing" not in relu.details


@pytest.mark.parametrize("body, words", [
    ("return x[:, :1]", ["relu_forward returned out of shape", "expected (1, 3, 5, 5)"]),
    ("return x.astype(complex)", ["relu_forward returned out of dtype complex128",
                                  "expected float64"]),
    ("return 'out'", ["relu_forward returned out of dtype <U3"]),
    ("return None", ["relu_forward returned out of dtype object"]),
    ("return ()", ["relu_forward returned an empty tuple, expected out"]),
])
def test_a_wrong_shape_or_dtype_names_the_function_and_what_was_expected(tmp_path, body,
                                                                         words):
    path = write(tmp_path, f"def relu_forward(x):\n    {body}\n")
    report = check_file(path, synthetic_cases())
    relu = next(f for f in report.functions if f.name == "relu_forward")
    assert relu.status == "failed"
    for word in words:
        assert word in relu.reason


def test_a_forward_may_return_a_tuple_whose_first_item_is_out(tmp_path):
    path = write(tmp_path, """\
        import numpy as np


        def relu_forward(x):
            return np.maximum(x, 0), x > 0
        """)
    relu = next(f for f in check_file(path, synthetic_cases()).functions
                if f.name == "relu_forward")
    assert relu.status == "passed"


def test_not_written_is_neither_a_pass_nor_a_failure(capsys, tmp_path):
    path = write(tmp_path, """\
        import numpy as np


        def relu_forward(x):
            raise NotImplementedError("tomorrow")


        def relu_backward(dout, x):
            return np.where(x > 0, dout, 0.0)
        """)
    code, report, _ = check_json(capsys, path)
    assert code == 0 and report["ok"] is True
    assert by_name(report)["relu_forward"]["status"] == "not written"
    assert by_name(report)["relu_forward"]["passed"] is None
    assert by_name(report)["relu_backward"]["passed"] is True
    assert by_name(report)["conv_forward"]["status"] == "not defined"


def test_their_prints_do_not_reach_the_json(capsys, tmp_path):
    path = write(tmp_path, """\
        import numpy as np

        print("loading my layers")


        def relu_forward(x):
            print("relu on", x.shape)
            return np.maximum(x, 0)
        """)
    code, report, _ = check_json(capsys, path)  # json.loads of the whole stdout
    assert code == 0 and by_name(report)["relu_forward"]["passed"] is True


def test_a_call_that_hangs_is_stopped_and_the_next_function_still_runs(tmp_path):
    path = write(tmp_path, """\
        import numpy as np


        def conv_forward(x, W, b):
            while True:
                pass


        def relu_forward(x):
            return np.maximum(x, 0)
        """)
    report = check_file(path, synthetic_cases(), timeout=2.0)
    results = {f.name: f for f in report.functions}
    assert results["conv_forward"].status == "failed"
    assert "did not finish within 2 s" in results["conv_forward"].reason
    assert results["relu_forward"].status == "passed"  # in a fresh worker, file reloaded


def test_code_that_ends_its_process_fails_and_the_check_goes_on(tmp_path):
    path = write(tmp_path, """\
        import os
        import sys

        import numpy as np


        def conv_forward(x, W, b):
            os._exit(3)


        def dense_forward(x, W, b):
            sys.exit("bye")


        def relu_forward(x):
            return np.maximum(x, 0)
        """)
    results = {f.name: f for f in check_file(path, synthetic_cases()).functions}
    assert "exit code 3" in results["conv_forward"].reason
    assert "SystemExit: bye" in results["dense_forward"].reason
    assert results["relu_forward"].status == "passed"


# A mistake of each kind the shipped examples do not show, and a wrong result that looks like
# no classic mistake (which must get no hint).
@pytest.mark.parametrize("text, function, mistake", [
    ("""\
     import numpy as np
     def relu_backward(dout, x):
         return np.where(x >= 0, dout, 0.0)
     """, "relu_backward", "relu_at_zero"),
    ("""\
     def dense_forward(x, W, b):
         return x @ W + b
     """, "dense_forward", "transposed_weights"),
    ("""\
     import numpy as np
     def maxpool_backward(dout, x, k):
         n, c, h, w = x.shape
         ho, wo = h // k, w // k
         win = x[:, :, :ho * k, :wo * k].reshape(n, c, ho, k, wo, k)
         top = win.max(axis=(3, 5), keepdims=True)
         dx = np.zeros(x.shape)
         share = (win == top) * dout[:, :, :, None, :, None]
         dx[:, :, :ho * k, :wo * k] = share.reshape(n, c, ho * k, wo * k)
         return dx
     """, "maxpool_backward", "pool_ties"),
    ("""\
     import numpy as np
     def conv_backward(dout, x, W):
         n, f, ho, wo = dout.shape
         k = W.shape[2]
         dx = np.zeros(x.shape)
         dW = np.zeros(W.shape)
         for i in range(ho):
             for j in range(wo):
                 dW += np.einsum("nf,nckl->fckl", dout[:, :, i, j], x[:, :, i:i+k, j:j+k])
                 dx[:, :, i:i+k, j:j+k] += np.einsum("nf,fckl->nckl", dout[:, :, i, j], W)
         return dx, dW, dout.sum(axis=(2, 3))
     """, "conv_backward", "bias_not_summed"),
    ("""\
     import numpy as np
     def softmax_cross_entropy(logits, y):
         z = logits - logits.max(axis=1, keepdims=True)
         p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
         d = p.copy()
         d[np.arange(len(y)), y] -= 1
         return -np.log(p[np.arange(len(y)), y]).sum(), p, d / len(y)
     """, "softmax_cross_entropy", "mean_forgotten"),
    ("""\
     def dense_forward(x, W, b):
         return x @ W.T + b * 1.001
     """, "dense_forward", None),
])
def test_hints_name_the_mistake_a_result_shows(tmp_path, text, function, mistake):
    path = write(tmp_path, text)
    result = next(f for f in check_file(path, synthetic_cases()).functions
                  if f.name == function)
    assert result.status == "failed"
    assert result.mistake == mistake
    assert (result.hint is None) == (mistake is None)


def test_text_report_gives_the_reason_and_the_hint(capsys, tmp_path):
    path = write(tmp_path, """\
        import numpy as np
        def relu_backward(dout, x):
            return np.where(x >= 0, dout, 0.0)
        """)
    code, out, _ = run(capsys, "check", path)
    assert code == 1
    assert "relu_backward" in out and "FAILED" in out and "hint: the gradient passes" in out
    assert np.isfinite(float(out.split("largest relative error ")[1].split()[0]))


def test_a_file_beside_the_visualcnn_package_keeps_only_its_own_frames():
    # Run from a checkout, a student's file may sit in the folder that holds visualcnn/.
    path = ROOT / "tmp_my_layers_for_frames_test.py"
    path.write_text("def relu_forward(x):\n    raise KeyError('mine')\n")
    try:
        report = check_file(path, synthetic_cases())
    finally:
        path.unlink()
    relu = next(f for f in report.functions if f.name == "relu_forward")
    assert "tmp_my_layers_for_frames_test.py\", line 2, in relu_forward" in relu.details
    assert "sandbox.py" not in relu.details
