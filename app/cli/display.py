"""Whether a window can open here, asked before Qt is: with no display, Qt's platform plugin
aborts the process (exit code 134) with advice that misleads (\"… xcb-cursor0 is needed …
reinstalling the application may fix this problem\").  The commands that open a window ask
:func:`display_problem` first and, when there is one, say it in one line with what to do
instead (``joinscope run``, ``joinscope trace --no-gui``, ``QT_QPA_PLATFORM=offscreen``), and
exit with code 2.

Qt picks its platform from ``QT_QPA_PLATFORM`` (``xcb``, ``wayland``, ``offscreen``…; a list
separated by ``;`` is tried in order), or, unset, the system's own: on Linux and the BSDs the
X server in ``DISPLAY`` or the Wayland compositor in ``WAYLAND_DISPLAY``; on macOS and Windows
the desktop of the session, which is always there.  For xcb it loads its plugin (which needs
system libraries, ``libxcb-cursor0`` among them) and connects to the X server; both are tried
here the same way, cheaply (a library load, one connection; no Qt application).  A platform the
user names that needs no display server (``offscreen``, ``minimal``, ``vnc``, ``eglfs``…) is
taken at its word.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

from core import system

#: The platforms that draw through a display server, whose presence is checked.
X11, WAYLAND = "xcb", "wayland"


def display_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """Why no window can open with ``environ`` (by default the process's), in a few words; ``None``
    if one can (or if it cannot be told)."""
    environ = os.environ if environ is None else environ
    asked = [part.split(":")[0].strip() for part in environ.get("QT_QPA_PLATFORM", "").split(";") if part.strip()]
    if asked:
        platforms = [name for name in asked if name == X11 or name.startswith(WAYLAND)]
        if len(platforms) < len(asked):  # a platform with no display server is among those Qt may pick
            return None
    elif system.display_server_needed():
        platforms = [WAYLAND, X11] if environ.get("WAYLAND_DISPLAY") else [X11]
    else:
        return None
    if not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        return "no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set)"
    problems = []
    for platform in platforms:
        problem = _x11_problem(environ) if platform == X11 else _wayland_problem(environ)
        if problem is None:
            return None
        problems.append(problem)
    return "; ".join(problems)


def _x11_problem(environ: Mapping[str, str]) -> str | None:
    display = environ.get("DISPLAY")
    if not display:
        return "DISPLAY is not set, so there is no X server to open a window on"
    plugin_problem = platform_plugin_problem(X11, environ)
    if plugin_problem is not None:
        return plugin_problem
    server_problem = system.x_display_problem(display)
    if server_problem is not None:
        return f"cannot open a window on the X display {display!r} (DISPLAY): {server_problem}"
    return None


def _wayland_problem(environ: Mapping[str, str]) -> str | None:
    display = environ.get("WAYLAND_DISPLAY")
    if not display:
        return "WAYLAND_DISPLAY is not set, so there is no Wayland compositor to open a window on"
    problem = system.wayland_display_problem(display, environ.get("XDG_RUNTIME_DIR"))
    if problem is not None:
        return f"cannot open a window on the Wayland display {display!r} (WAYLAND_DISPLAY): {problem}"
    return None


def platform_plugin_problem(platform: str, environ: Mapping[str, str]) -> str | None:
    """Why Qt could not load the plugin of ``platform`` (the system's words, which name a missing
    library), or ``None`` if one of its copies loads (or none is found: Qt then says so itself)."""
    import ctypes
    failures = []
    for path in platform_plugin_files(platform, environ):
        try:
            ctypes.CDLL(path)
        except OSError as error:
            failures.append(str(error))
            continue
        return None
    if not failures:
        return None
    missing = failures[0]
    hint = " (on Debian and Ubuntu: apt install libxcb-cursor0)" if "xcb-cursor" in missing else \
        " (install the system package that provides it)"
    return f"Qt cannot load its {platform} platform plugin: {missing}{hint}"


def platform_plugin_files(platform: str, environ: Mapping[str, str]) -> list[str]:
    """The files Qt would load ``platform``'s plugin from, in its order: the folder
    ``QT_QPA_PLATFORM_PLUGIN_PATH`` names, then each of ``QT_PLUGIN_PATH``'s, then Qt's own."""
    from PySide6.QtCore import QLibraryInfo  # a window is about to open: Qt is loaded anyway

    folders = [environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", "")]
    folders += [os.path.join(folder, "platforms") for folder in environ.get("QT_PLUGIN_PATH", "").split(os.pathsep)
                if folder]
    folders.append(os.path.join(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath), "platforms"))
    files = [os.path.join(folder, f"libq{platform}.so") for folder in folders if folder]
    return [path for path in dict.fromkeys(files) if os.path.isfile(path)]
