"""The real app on a real X server: `visualcnn` starts on Xvfb through Qt's xcb plugin, shows
its window, draws it on the server and exits 0.

The rest of tests/app runs offscreen in-process; this one starts Xvfb and the app in
subprocesses with their own environment. Without Xvfb it is skipped, except in CI (CI=true),
where it fails: CI installs Xvfb and the xcb libraries so that this test runs.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.xserver

# Runs `visualcnn` (cli.main with no command) and, 3 s after its window exists, grabs the
# window's area from the X server, reports what it saw as JSON and quits the app.
APP = """
import json, sys
from visualcnn import cli
from visualcnn.app import launch

opened = launch.open_window


def open_window(*args, **kwargs):
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    window = opened(*args, **kwargs)

    def report():
        box = window.frameGeometry()
        shot = window.screen().grabWindow(0, box.x(), box.y(), box.width(), box.height())
        shot.save(sys.argv[1])
        image = shot.toImage()
        colours = {image.pixel(x, y) for x in range(0, image.width(), 5)
                   for y in range(0, image.height(), 5)}
        print(json.dumps({"platform": QApplication.platformName(),
                          "visible": window.isVisible(),
                          "exposed": window.windowHandle().isExposed(),
                          "size": [box.width(), box.height()], "colours": len(colours)}),
              flush=True)
        QApplication.quit()

    QTimer.singleShot(3000, report)
    return window


launch.open_window = open_window
sys.exit(cli.main([]))
"""


@pytest.fixture
def x_display():
    """A fresh Xvfb on a display number it chooses itself (-displayfd); its DISPLAY value."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        reason = "Xvfb is not installed (Debian/Ubuntu: apt-get install xvfb)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: CI must run the real-X-server test, not skip it")
        pytest.skip(reason)
    read, write = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1280x720x24",
                               "-nolisten", "tcp"], pass_fds=(write,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(write)
    try:
        # Xvfb writes the display number once it accepts connections.
        ready, _, _ = select.select([read], [], [], 30)
        number = os.read(read, 32).decode().strip() if ready else ""
        if not number.isdigit():
            server.kill()
            pytest.fail(f"Xvfb did not start: {server.communicate()[1].decode()[-500:]}")
        yield f":{number}"
    finally:
        os.close(read)
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_app_shows_its_window_on_a_real_x_server(x_display, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
    # The user's settings stay untouched: QSettings writes under XDG_CONFIG_HOME.
    env.update(DISPLAY=x_display, QT_QPA_PLATFORM="xcb", XDG_CONFIG_HOME=str(tmp_path / "config"))
    shot = tmp_path / "screen.png"
    done = subprocess.run([sys.executable, "-c", APP, str(shot)], env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["platform"] == "xcb"
    assert seen["visible"] and seen["exposed"]
    # The server's copy of the window: a drawn window has many colours, a blank area one.
    assert seen["size"][0] >= 640 and seen["size"][1] >= 400
    assert seen["colours"] > 50, seen
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
