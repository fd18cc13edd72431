"""The wheel carries everything: built, installed into a fresh environment, run outside the tree."""

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_trains_on_bundled_data_outside_the_source_tree(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(ROOT)], check=True)
    wheel = next(dist.glob("visualcnn-*.whl"))

    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True)
    # numpy and friends come from this environment, read as a plain path (its .pth files, and
    # so an editable install of this very tree, are not processed).
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "zz_test_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run([py, "-c", "import visualcnn; print(visualcnn.__file__)"], cwd=work,
                           env=env, check=True, capture_output=True, text=True).stdout
    assert str(env_dir) in where, f"visualcnn was imported from {where}, not from the wheel"

    run = subprocess.run([env_dir / "bin" / "visualcnn", "train", "--epochs", "1", "--data",
                          "bundled", "--json"], cwd=work, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["steps"] == 4000
    assert result["test_accuracy"] > 0.8

    # The icon and the desktop entry the app loads at run time come from the wheel too.
    found = subprocess.run([py, "-c", "from visualcnn.app.app_icon import icon_path; "
                            "import pathlib; p = icon_path(); print(p); "
                            "print((p.parent.parent / 'visualcnn.desktop').is_file())"],
                           cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    icon, desktop = found.stdout.split()
    assert str(env_dir) in icon and desktop == "True"

    # The example layer files ship too, and `check` passes the correct one from the wheel.
    found = subprocess.run([py, "-c", "from visualcnn.yours.template import examples_folder; "
                            "print(examples_folder())"], cwd=work, env=env,
                           capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    examples = Path(found.stdout.strip())
    assert str(env_dir) in str(examples)
    assert {"correct_loops.py", "pool_ties.py"} <= {p.name for p in examples.glob("*.py")}
    run = subprocess.run([env_dir / "bin" / "visualcnn", "check",
                          str(examples / "correct_loops.py"), "--json"], cwd=work, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["ok"] is True

    # The lessons ship too: `lesson --list` reads them from the wheel.
    run = subprocess.run([env_dir / "bin" / "visualcnn", "lesson", "--list"], cwd=work,
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.splitlines()) == 8
    found = subprocess.run([py, "-c", "from visualcnn.lessons import lessons_folder; "
                            "print(lessons_folder())"], cwd=work, env=env,
                           capture_output=True, text=True, timeout=120)
    assert str(env_dir) in found.stdout, found.stdout + found.stderr

    # The translations ship too: the Chinese catalogue is read from the wheel, whole.
    found = subprocess.run([py, "-c", "from visualcnn.common import i18n; "
                            "print(i18n.translations_folder()); "
                            "print(len(i18n.catalogue(i18n.CHINESE)))"], cwd=work, env=env,
                           capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    folder, entries = found.stdout.split()
    from visualcnn.common import i18n

    assert str(env_dir) in folder
    assert int(entries) == len(i18n.catalogue(i18n.CHINESE)) > 500
