"""The check that runs before Qt is asked for a window: the ELF reader, the walk through the
libraries the wheel ships, the loader, the message, Qt's choice of platform, and the app
command's one line and exit status 2."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from visualcnn import cli
from visualcnn.app import launch, system_check
from visualcnn.app.system_check import (
    PACKAGES,
    XCB_PLUGIN,
    dynamic_entries,
    install_hint,
    missing_libraries,
    open_library,
    platform_order,
    system_libraries,
    window_problem,
)

# What every Linux that runs Python has: not in the package table on purpose.
C_RUNTIME = {"libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libpthread.so.0",
             "libdl.so.2", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}


def write_elf(path: Path, needed, runpath=None, wide=True, order="<", vaddr=0x40_0000) -> Path:
    """A minimal ELF shared object: headers, one PT_LOAD (mapped at ``vaddr``, so the reader
    must translate DT_STRTAB's address to an offset) and a PT_DYNAMIC segment."""
    word = "Q" if wide else "I"
    ehsize, phentsize = (64, 56) if wide else (52, 32)
    strtab = b"\0"
    offsets = []
    for name in [*needed, *([runpath] if runpath else [])]:
        offsets.append(len(strtab))
        strtab += name.encode() + b"\0"
    str_off = ehsize + 2 * phentsize
    dyn_off = str_off + len(strtab) + (-len(strtab)) % 8
    tags = [(1, off) for off in offsets[:len(needed)]]
    if runpath:
        tags.append((29, offsets[-1]))
    tags += [(5, vaddr + str_off), (10, len(strtab)), (0, 0)]
    dynamic = b"".join(struct.pack(order + word * 2, t, v) for t, v in tags)
    size = dyn_off + len(dynamic)
    ident = b"\x7fELF" + bytes([2 if wide else 1, 1 if order == "<" else 2, 1]) + bytes(9)
    if wide:
        header = ident + struct.pack(order + "HHIQQQIHHHHHH", 3, 62, 1, 0, ehsize, 0, 0,
                                     ehsize, phentsize, 2, 64, 0, 0)
        load = struct.pack(order + "IIQQQQQQ", 1, 5, 0, vaddr, vaddr, size, size, 0x1000)
        dyn = struct.pack(order + "IIQQQQQQ", 2, 6, dyn_off, vaddr + dyn_off, vaddr + dyn_off,
                          len(dynamic), len(dynamic), 8)
    else:
        header = ident + struct.pack(order + "HHIIIIIHHHHHH", 3, 20, 1, 0, ehsize, 0, 0,
                                     ehsize, phentsize, 2, 40, 0, 0)
        load = struct.pack(order + "IIIIIIII", 1, 0, vaddr, vaddr, size, size, 5, 0x1000)
        dyn = struct.pack(order + "IIIIIIII", 2, dyn_off, vaddr + dyn_off, vaddr + dyn_off,
                          len(dynamic), len(dynamic), 6, 4)
    body = header + load + dyn + strtab
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body + bytes(dyn_off - len(body)) + dynamic)
    return path


def real_qt() -> Path:
    qt = system_check.qt_folder()
    if qt is None or not (qt / XCB_PLUGIN).is_file():
        pytest.skip("PyQt6's wheel with its xcb plugin is not installed here")
    return qt


# ------------------------------------------------------------------------------ ELF reader
def test_reads_needed_libraries_and_runpath_of_a_64_bit_library(tmp_path):
    path = write_elf(tmp_path / "libplugin.so", ["libQt6Fake.so.6", "libxcb-icccm.so.4"],
                     runpath="$ORIGIN/../../lib:/opt/qt")
    assert dynamic_entries(path) == (["libQt6Fake.so.6", "libxcb-icccm.so.4"],
                                     ["$ORIGIN/../../lib", "/opt/qt"])


def test_reads_a_32_bit_big_endian_library(tmp_path):
    path = write_elf(tmp_path / "libbe.so", ["libfoo.so.1", "libbar.so.2"], wide=False,
                     order=">", vaddr=0x1_0000)
    assert dynamic_entries(path) == (["libfoo.so.1", "libbar.so.2"], [])


@pytest.mark.parametrize("content", [b"#!/bin/sh\n", b"", b"\x7fELF\x02\x01\x01" + bytes(20),
                                     b"\x7fELF\x09\x01\x01" + bytes(60)],
                         ids=["script", "empty", "short-header", "unknown-class"])
def test_a_file_that_is_not_a_whole_elf_library_is_a_value_error(tmp_path, content):
    path = tmp_path / "libbroken.so"
    path.write_bytes(content)
    with pytest.raises(ValueError):
        dynamic_entries(path)


def test_a_library_cut_short_is_a_value_error(tmp_path):
    path = write_elf(tmp_path / "libcut.so", ["libfoo.so.1"])
    path.write_bytes(path.read_bytes()[:80])  # the program headers run past the end
    with pytest.raises(ValueError):
        dynamic_entries(path)


def test_reads_the_real_xcb_plugin_as_readelf_does():
    plugin = real_qt() / XCB_PLUGIN
    needed, runpath = dynamic_entries(plugin)
    assert {"libQt6XcbQpa.so.6", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"} <= set(needed)
    assert runpath == ["$ORIGIN/../../lib"]
    if shutil.which("readelf"):
        shown = subprocess.run(["readelf", "-d", str(plugin)], capture_output=True, text=True,
                               check=True).stdout
        listed = [line.split("[", 1)[1].rstrip("]") for line in shown.splitlines()
                  if "(NEEDED)" in line]
        assert needed == listed


# --------------------------------------------------------------- walk and loader
def test_walk_goes_through_shipped_libraries_and_lists_only_system_ones(tmp_path):
    qt = tmp_path / "Qt6"
    plugin = write_elf(qt / XCB_PLUGIN, ["libQt6XcbQpa.so.6", "libxcb-icccm.so.4", "libc.so.6"],
                       runpath="$ORIGIN/../../lib")
    write_elf(qt / "lib" / "libQt6XcbQpa.so.6",
              ["libxcb-keysyms.so.1", "libQt6Core.so.6", "libxcb-icccm.so.4"], runpath="$ORIGIN")
    write_elf(qt / "lib" / "libQt6Core.so.6", ["libicuuc.so.73", "libglib-2.0.so.0"],
              runpath="$ORIGIN")
    write_elf(qt / "lib" / "libicuuc.so.73", ["libQt6Core.so.6"], runpath="$ORIGIN")  # a cycle
    assert system_libraries(plugin) == ["libxcb-icccm.so.4", "libc.so.6", "libxcb-keysyms.so.1",
                                        "libglib-2.0.so.0"]


def test_a_library_without_runpath_does_not_see_the_shipped_folder(tmp_path):
    plugin = write_elf(tmp_path / "plugins" / "libqxcb.so", ["libQt6XcbQpa.so.6"])
    write_elf(tmp_path / "plugins" / "libQt6XcbQpa.so.6", ["libxcb-icccm.so.4"])
    assert system_libraries(plugin) == ["libQt6XcbQpa.so.6"]


def test_missing_libraries_names_what_the_loader_could_not_find():
    # libxkbcommon-x11 is there but needs libxcb-xkb, which is not: the loader names the latter.
    culprits = {"libxcb-icccm.so.4": "libxcb-icccm.so.4",
                "libxkbcommon-x11.so.0": "libxcb-xkb.so.1",
                "libxcb-xkb.so.1": "libxcb-xkb.so.1"}
    names = ["libGL.so.1", "libxcb-icccm.so.4", "libxkbcommon-x11.so.0", "libxcb-xkb.so.1"]
    assert missing_libraries(names, culprits.get) == ["libxcb-icccm.so.4", "libxcb-xkb.so.1"]
    assert missing_libraries(names, lambda name: None) == []


def test_open_library_loads_a_present_library_and_names_an_absent_one():
    assert open_library("libc.so.6") is None
    assert open_library("libvisualcnn-absent.so.7") == "libvisualcnn-absent.so.7"


def test_open_library_names_the_dependency_the_loader_reports(monkeypatch):
    def cdll(name):
        raise OSError("libxcb-xkb.so.1: cannot open shared object file: No such file or directory")

    monkeypatch.setattr(system_check.ctypes, "CDLL", cdll)
    assert open_library("libxkbcommon-x11.so.0") == "libxcb-xkb.so.1"


# --------------------------------------------------------------------------- the message
def test_message_names_libraries_and_the_commands_that_install_them():
    assert install_hint(["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]) == (
        "missing system libraries libxcb-icccm.so.4, libxcb-keysyms.so.1; on Debian/Ubuntu: "
        "sudo apt-get install libxcb-icccm4 libxcb-keysyms1 "
        "(Fedora: sudo dnf install xcb-util-wm xcb-util-keysyms)")


def test_message_for_one_library_and_packages_named_once():
    assert install_hint(["libxcb-shm.so.0"]).startswith("missing system library libxcb-shm.so.0;")
    hint = install_hint(["libglib-2.0.so.0", "libgthread-2.0.so.0"])
    assert hint.endswith("apt-get install libglib2.0-0 (Fedora: sudo dnf install glib2)")


def test_message_for_a_library_without_a_known_package():
    hint = install_hint(["libxcb-icccm.so.4", "libnew.so.3"])
    assert "apt-get install libxcb-icccm4 " in hint and "apt-file search libnew.so.3" in hint
    assert install_hint(["libnew.so.3"]) == ("missing system library libnew.so.3; "
                                             "`apt-file search libnew.so.3` finds the package "
                                             "that has it")


def test_every_system_library_of_the_real_plugin_has_its_packages():
    names = set(system_libraries(real_qt() / XCB_PLUGIN)) - C_RUNTIME
    assert names - set(PACKAGES) == set()


# -------------------------------------------------------------------- Qt's choice of platform
@pytest.mark.parametrize("environ, order", [
    ({"DISPLAY": ":0"}, ["xcb"]),
    ({}, ["xcb"]),
    ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, ["wayland", "xcb"]),
    ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland"}, ["wayland", "xcb"]),
    ({"WAYLAND_DISPLAY": "wayland-0"}, ["wayland"]),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, ["offscreen"]),
    ({"QT_QPA_PLATFORM": "xcb:nograb"}, ["xcb"]),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland;xcb"}, ["wayland", "xcb"]),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": ""}, ["xcb"]),
])
def test_platform_order_follows_qt(environ, order):
    assert platform_order(environ) == order


def fake_qt(tmp_path) -> Path:
    qt = tmp_path / "Qt6"
    write_elf(qt / XCB_PLUGIN, ["libQt6XcbQpa.so.6", "libGL.so.1"], runpath="$ORIGIN/../../lib")
    write_elf(qt / "lib" / "libQt6XcbQpa.so.6", ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    return qt


def gone(*names):
    return lambda name: name if name in names else None


def test_window_problem_names_missing_libraries_when_qt_would_use_xcb(tmp_path):
    qt = fake_qt(tmp_path)
    load = gone("libxcb-icccm.so.4", "libxcb-keysyms.so.1")
    assert window_problem({"DISPLAY": ":0"}, "linux", qt, load) == (
        "Qt cannot show a window: missing system libraries libxcb-icccm.so.4, "
        "libxcb-keysyms.so.1; on Debian/Ubuntu: sudo apt-get install libxcb-icccm4 "
        "libxcb-keysyms1 (Fedora: sudo dnf install xcb-util-wm xcb-util-keysyms)")
    assert window_problem({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux", qt, load)
    assert window_problem({"DISPLAY": ":0"}, "linux", qt, gone()) is None


@pytest.mark.parametrize("environ, platform", [
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux"),
    ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux"),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland;xcb"}, "linux"),
    ({"DISPLAY": ":0"}, "darwin"),
    ({}, "win32"),
])
def test_no_check_where_qt_would_not_try_xcb_first(tmp_path, environ, platform):
    load = gone("libxcb-icccm.so.4")
    assert window_problem(environ, platform, fake_qt(tmp_path), load) is None


def test_no_display_is_its_own_message(tmp_path):
    problem = window_problem({}, "linux", fake_qt(tmp_path), gone())
    assert "DISPLAY is not set" in problem and "visualcnn screenshot --out" in problem
    assert window_problem({"QT_QPA_PLATFORM": "xcb"}, "linux", fake_qt(tmp_path), gone())


def test_a_qt_without_the_wheels_plugin_is_left_to_qt(tmp_path):
    assert window_problem({"DISPLAY": ":0"}, "linux", tmp_path, gone("libGL.so.1")) is None
    (tmp_path / XCB_PLUGIN).parent.mkdir(parents=True)
    (tmp_path / XCB_PLUGIN).write_bytes(b"not ELF")
    assert window_problem({"DISPLAY": ":0"}, "linux", tmp_path, gone("libGL.so.1")) is None


def test_the_check_loads_no_qt():
    code = ("import sys; from visualcnn.app import launch, system_check; "
            "system_check.window_problem({'DISPLAY': ':0'}, 'linux'); "
            "print(sorted(m for m in sys.modules if m.startswith(('PyQt6', 'pyqtgraph'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.strip() == "[]"


# ------------------------------------------------------------------------- the app command
@pytest.fixture
def x_desktop(monkeypatch):
    """Linux with an X display and no platform chosen; a window or a QApplication created
    after this fails the test (here the check must have stopped the start)."""
    for name in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(system_check.sys, "platform", "linux")

    def no_qt(*args, **kwargs):
        raise AssertionError("Qt was asked for a window despite the check")

    monkeypatch.setattr(launch, "application", no_qt)
    monkeypatch.setattr(launch, "open_window", no_qt)
    return monkeypatch


def test_app_command_is_one_line_and_status_2_when_a_library_is_missing(x_desktop, capsys):
    x_desktop.setattr(system_check, "open_library", gone("libxcb-icccm.so.4"))
    real_qt()
    code = cli.main([])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err == ("visualcnn: Qt cannot show a window: missing system library "
                   "libxcb-icccm.so.4; on Debian/Ubuntu: sudo apt-get install libxcb-icccm4 "
                   "(Fedora: sudo dnf install xcb-util-wm)\n")


def test_app_command_is_one_line_and_status_2_without_a_display(x_desktop, capsys):
    x_desktop.delenv("DISPLAY")
    code = cli.main([])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("visualcnn: Qt cannot show a window: there is no display")


def test_screenshot_needs_no_display_and_no_check(monkeypatch, tmp_path, capsys, qapp):
    def no_check(*args, **kwargs):
        raise AssertionError("the screenshot draws offscreen and needs no check")

    monkeypatch.setattr(launch, "window_problem", no_check)
    monkeypatch.delenv("DISPLAY", raising=False)
    out = tmp_path / "window.png"
    assert cli.main(["screenshot", "--out", str(out), "--steps", "0", "--size", "640x480"]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
