"""Can Qt open a window here? Checked before a QApplication exists, without importing Qt.

When a system library that Qt's xcb platform plugin needs is missing, Qt prints a message that
blames ``libxcb-cursor0`` whatever is really missing, and aborts the process (exit 134). This
module reads the plugin's ELF dependencies, tries to load the ones the PyQt6 wheel does not
ship, and turns a failure into one line that names the missing libraries and the command that
installs them. It also says so when there is no display at all, where Qt again blames
``libxcb-cursor0``.
"""

from __future__ import annotations

import ctypes
import importlib.util
import mmap
import os
import struct
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

# soname -> (Debian/Ubuntu package, Fedora package): the system libraries that PyQt6's xcb
# plugin (plugins/platforms/libqxcb.so), libQt6XcbQpa, libQt6Gui, libQt6Core and libQt6DBus
# need, from their DT_NEEDED entries. Debian names: `dpkg -S` and `apt-cache show` on Debian 12
# (newer releases rename some with a t64 suffix, and apt then picks the renamed package by
# itself). Fedora names: the packages that ship each file, which follow the upstream tarballs
# (xcb-util-wm holds libxcb-icccm, xcb-util-renderutil libxcb-render-util).
PACKAGES = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libz.so.1": ("zlib1g", "zlib"),
    "libzstd.so.1": ("libzstd1", "libzstd"),
}

XCB_PLUGIN = Path("plugins") / "platforms" / "libqxcb.so"  # inside PyQt6/Qt6

# ELF constants (System V gABI)
_PT_LOAD, _PT_DYNAMIC = 1, 2
_DT_NULL, _DT_NEEDED, _DT_STRTAB, _DT_RPATH, _DT_RUNPATH = 0, 1, 5, 15, 29


def dynamic_entries(path) -> tuple[list[str], list[str]]:
    """(DT_NEEDED names, DT_RUNPATH or DT_RPATH folders) of an ELF shared object.

    Reads the program headers as the dynamic loader does, so a stripped file works too.
    Raises ValueError for a file that is not ELF or is damaged.
    """
    with open(path, "rb") as f:
        if f.read(4) != b"\x7fELF":
            raise ValueError(f"{path}: not an ELF file")
        # Mapped, not read: the headers are a few pages of files of up to 30 MB.
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _dynamic_entries(data, path)


def _dynamic_entries(data, path) -> tuple[list[str], list[str]]:
    if len(data) < 52:  # shorter than the smallest ELF header
        raise ValueError(f"{path}: damaged ELF header")
    wide = {1: False, 2: True}.get(data[4])
    order = {1: "<", 2: ">"}.get(data[5])
    if wide is None or order is None:
        raise ValueError(f"{path}: unknown ELF class or byte order")
    word = "Q" if wide else "I"
    try:
        if wide:
            phoff, = struct.unpack_from(order + "Q", data, 0x20)
            phentsize, phnum = struct.unpack_from(order + "HH", data, 0x36)
        else:
            phoff, = struct.unpack_from(order + "I", data, 0x1C)
            phentsize, phnum = struct.unpack_from(order + "HH", data, 0x2A)
        loads, dynamic = [], None
        for i in range(phnum):
            at = phoff + i * phentsize
            if wide:  # type, flags, offset, vaddr, paddr, filesz
                p_type, _, offset, vaddr, _, filesz = struct.unpack_from(order + "IIQQQQ", data, at)
            else:  # type, offset, vaddr, paddr, filesz
                p_type, offset, vaddr, _, filesz = struct.unpack_from(order + "IIIII", data, at)
            if p_type == _PT_LOAD:
                loads.append((vaddr, offset, filesz))
            elif p_type == _PT_DYNAMIC:
                dynamic = (offset, filesz)
        if dynamic is None:
            return [], []
        entry = struct.calcsize(order + word * 2)
        tags = []
        for at in range(dynamic[0], dynamic[0] + dynamic[1] - entry + 1, entry):
            tag, value = struct.unpack_from(order + word * 2, data, at)
            if tag == _DT_NULL:
                break
            tags.append((tag, value))
    except struct.error:
        raise ValueError(f"{path}: damaged ELF headers") from None

    # DT_STRTAB is an address in memory: find the file offset of the segment that holds it.
    strtab = next((v for t, v in tags if t == _DT_STRTAB), None)
    base = next((off + strtab - va for va, off, size in loads
                 if strtab is not None and va <= strtab < va + size), None)
    if base is None:
        raise ValueError(f"{path}: no string table for the dynamic section")

    def string(offset: int) -> str:
        end = data.find(b"\0", base + offset)
        if end < 0:
            raise ValueError(f"{path}: damaged string table")
        return data[base + offset:end].decode("utf-8", "replace")

    needed = [string(v) for t, v in tags if t == _DT_NEEDED]
    runpath = [string(v) for t, v in tags if t == _DT_RUNPATH]
    if not runpath:  # DT_RPATH counts only when there is no DT_RUNPATH
        runpath = [string(v) for t, v in tags if t == _DT_RPATH]
    folders = [f for entry in runpath for f in entry.split(":") if f]
    return needed, folders


def system_libraries(plugin, read=dynamic_entries) -> list[str]:
    """The libraries ``plugin`` needs, directly or through the libraries shipped beside it,
    that are not shipped beside it (found on its RUNPATH, as the loader would), in order."""
    found: list[str] = []
    seen: set[Path] = set()
    todo = [Path(plugin)]
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        needed, runpath = read(path)
        origin = str(path.parent)  # what $ORIGIN means to the loader: the file's own folder
        folders = [Path(f.replace("${ORIGIN}", origin).replace("$ORIGIN", origin))
                   for f in runpath]
        for name in needed:
            shipped = next((f / name for f in folders if (f / name).is_file()), None)
            if shipped is not None:
                todo.append(shipped.resolve())
            elif name not in found:
                found.append(name)
    return found


def open_library(name: str) -> str | None:
    """None when the dynamic loader opens ``name`` and all it needs; else the name of the
    library it could not find (``name`` itself or one of its dependencies)."""
    try:
        ctypes.CDLL(name)
    except OSError as e:
        # glibc's message starts with the file it could not open: "libx.so.1: cannot open ..."
        culprit = str(e).split(":", 1)[0].strip()
        return culprit if ".so" in culprit and "/" not in culprit else name
    return None


def missing_libraries(names: Iterable[str], load: Callable[[str], str | None]) -> list[str]:
    """The libraries among ``names`` (or ones they need) that ``load`` cannot find."""
    missing: list[str] = []
    for name in names:
        culprit = load(name)
        if culprit is not None and culprit not in missing:
            missing.append(culprit)
    return missing


def install_hint(missing: list[str]) -> str:
    """The sentence that names the missing libraries and the commands that install them."""
    noun = "library" if len(missing) == 1 else "libraries"
    text = f"missing system {noun} {', '.join(missing)}"
    known = [PACKAGES[m] for m in missing if m in PACKAGES]
    debian = list(dict.fromkeys(d for d, _ in known))
    fedora = list(dict.fromkeys(f for _, f in known))
    if debian:
        text += (f"; on Debian/Ubuntu: sudo apt-get install {' '.join(debian)} "
                 f"(Fedora: sudo dnf install {' '.join(fedora)})")
    unknown = [m for m in missing if m not in PACKAGES]
    if unknown:
        text += f"; `apt-file search {unknown[0]}` finds the package that has it"
    return text


def platform_order(environ: Mapping[str, str]) -> list[str]:
    """The platform plugins Qt 6 on Linux tries, in order, for a program run without a
    ``-platform`` argument: ``QT_QPA_PLATFORM`` when set, else Wayland in a Wayland session,
    then xcb when ``DISPLAY`` is set, and xcb (the built-in default) when neither is. Qt goes
    on to the next one when a plugin fails, and aborts when none is left."""
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        return [p.split(":", 1)[0].strip() for p in chosen.split(";") if p.strip()]
    order = []
    if environ.get("WAYLAND_DISPLAY") or environ.get("XDG_SESSION_TYPE") == "wayland":
        order.append("wayland")
    if environ.get("DISPLAY") or not order:
        order.append("xcb")
    return order


def qt_folder() -> Path | None:
    """PyQt6's Qt6 folder, found without importing PyQt6 (its modules load Qt)."""
    spec = importlib.util.find_spec("PyQt6")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "Qt6"


def window_problem(environ: Mapping[str, str] | None = None, platform: str | None = None,
                   qt: Path | None = None,
                   load: Callable[[str], str | None] | None = None) -> str | None:
    """Why Qt could not open a window on X here, in one sentence; None when nothing is known
    to stop it. Only for xcb, and only when Qt would try it first."""
    environ = os.environ if environ is None else environ
    if not (platform or sys.platform).startswith("linux"):
        return None
    order = platform_order(environ)
    if not order or order[0] != "xcb":
        return None
    if not environ.get("DISPLAY"):
        # Qt would try xcb anyway, fail to connect, then blame libxcb-cursor0 and abort.
        return ("Qt cannot show a window: there is no display (DISPLAY is not set); start it "
                "in a desktop session or under `xvfb-run -a visualcnn`, or draw the window "
                "offscreen to a PNG: visualcnn screenshot --out window.png")
    qt = qt or qt_folder()
    if qt is None:
        return None
    try:
        names = system_libraries(qt / XCB_PLUGIN)
    except (OSError, ValueError):
        return None  # not a wheel layout we know (a distribution's PyQt6): Qt speaks for itself
    missing = missing_libraries(names, load or open_library)
    if not missing:
        return None
    return f"Qt cannot show a window: {install_hint(missing)}"
