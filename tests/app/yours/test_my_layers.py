"""A student's own layers in the window: File > Use my layers…, the My layers dock with yours
against the engine, the "my layers disagree" breakpoint, and the file reloaded on save."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtWidgets import QFileDialog

from visualcnn.yours.stepping import YourLayer

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"


@pytest.fixture
def correct_file(tmp_path):
    path = tmp_path / "my_layers.py"
    shutil.copy(EXAMPLES / "correct_loops.py", path)
    return path


def _rewrite(path: Path, source: str) -> None:
    path.write_text(source)
    # A later mtime than the first write, so that the watcher sees a change.
    stamp = time.time() + 2
    os.utime(path, (stamp, stamp))


def test_use_my_layers_from_the_file_menu_steps_with_them_and_shows_every_call(
        window, correct_file, monkeypatch, qtbot):
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(correct_file), "")))
    file_menu = window.menu("File")
    use = next(a for a in file_menu.actions() if a.text().startswith("Use my layers"))
    use.trigger()
    my = window.my_layers
    assert my.yours is not None
    assert any(isinstance(layer, YourLayer) for layer in window.session.net.layers)
    window.actions["step"].trigger()
    functions = {c.function for c in my.widget.comparisons}
    assert {"conv_forward", "conv_backward", "dense_backward"} <= functions
    assert all(c.agrees for c in my.widget.comparisons)
    assert "agree" in my.widget.status.text()
    table = my.widget.table
    assert table.rowCount() == len(my.widget.comparisons)
    assert table.item(0, 2).text().startswith("agrees")


def test_a_bug_shows_as_a_difference_with_its_worst_entry_outlined(window, tmp_path):
    buggy = tmp_path / "flipped.py"
    shutil.copy(EXAMPLES / "flipped_kernel.py", buggy)
    assert window.my_layers.use(buggy)
    window.actions["step"].trigger()
    w = window.my_layers.widget
    bad = [c for c in w.comparisons if not c.agrees]
    assert bad, "the flipped kernel must differ from the engine"
    chosen = w.selected()
    assert chosen is bad[0]
    view = w.detail
    assert view is not None and view.worst is not None
    assert len(view.outlines) == 3
    # The difference drawn is yours minus the engine's, and the worst entry is outlined
    # where the largest error is.
    diff = chosen.yours[view.output] - chosen.engine[view.output]
    assert np.allclose(view.difference.ravel(), diff.ravel())
    assert "worst at" in view.numbers.text()


def test_the_disagree_breakpoint_pauses_run_on_the_first_differing_step(window, tmp_path,
                                                                         qtbot):
    buggy = tmp_path / "flipped.py"
    shutil.copy(EXAMPLES / "flipped_kernel.py", buggy)
    assert window.my_layers.use(buggy)
    reasons = []
    window.loop.breakpoint_hit.connect(reasons.append)
    # Unticked, the disagreement is shown but does not stop a run.
    window.actions["run"].setChecked(True)
    qtbot.waitUntil(lambda: window.session.net.step >= 3, timeout=60_000)
    window.actions["run"].setChecked(False)
    assert not reasons
    window.my_layers.widget.pause_box.setChecked(True)
    start = window.session.net.step
    window.actions["run"].setChecked(True)
    qtbot.waitUntil(lambda: not window.loop.running, timeout=60_000)
    assert reasons and reasons[0].startswith("my layers disagree: conv1")
    # It stopped on the first step it ran: the flipped kernel differs on every sample.
    assert window.session.net.step == start + 1
    assert window.my_layers.yours.disagreement() is not None


def test_saving_the_file_reloads_it_and_updates_the_shown_sample(window, tmp_path, qtbot):
    path = tmp_path / "my_layers.py"
    shutil.copy(EXAMPLES / "flipped_kernel.py", path)
    assert window.my_layers.use(path)
    window.actions["step"].trigger()
    assert window.my_layers.yours.disagreement() is not None
    step = window.session.net.step
    _rewrite(path, (EXAMPLES / "correct_loops.py").read_text())
    qtbot.waitUntil(lambda: window.my_layers.yours.disagreement() is None, timeout=15_000)
    assert window.session.net.step == step  # the shown sample ran again, without an update
    assert "reloaded" in window.my_layers.widget.status.text()


def test_a_file_that_does_not_load_is_a_message_and_the_old_code_stays(window, tmp_path,
                                                                       correct_file):
    assert window.my_layers.use(correct_file)
    broken = tmp_path / "broken.py"
    broken.write_text("def conv_forward(x, W, b)\n    return x\n")
    assert not window.my_layers.use(broken)
    assert "My layers" in window.banner.text() and "broken.py" in window.banner.text()
    assert window.my_layers.path == correct_file
    window.actions["step"].trigger()
    assert window.my_layers.widget.comparisons


def test_layers_stay_theirs_after_a_reset(window, correct_file, qtbot):
    assert window.my_layers.use(correct_file)
    window.actions["reset"].trigger()
    qtbot.waitUntil(lambda: window.my_layers.attached(), timeout=5_000)
    window.actions["step"].trigger()
    assert window.my_layers.widget.comparisons


def test_a_slow_function_leaves_the_event_loop_running(make_window, tmp_path, qtbot):
    from PyQt6.QtCore import QTimer

    window = make_window("conv8x3-relu-pool2-conv16x3-relu-pool2-dense10")
    slow = tmp_path / "slow.py"
    slow.write_text(
        (EXAMPLES / "correct_loops.py").read_text()
        + "\n\nimport time as _time\n_loop_relu = relu_forward\n\n\n"
          "def relu_forward(x):\n    _time.sleep(0.8)\n    return _loop_relu(x)\n")
    assert window.my_layers.use(slow)
    fired, step_done = [], []
    QTimer.singleShot(200, lambda: fired.append(time.monotonic()))
    window.actions["step"].trigger()  # two ReLU calls of 0.8 s each
    step_done.append(time.monotonic())
    assert fired and fired[0] < step_done[0]  # the timer ran during the step, not after
    assert window.my_layers.yours.disagreement() is None
