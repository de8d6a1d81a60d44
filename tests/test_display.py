"""No display: every command that opens a window says so in one line, with what to do instead,
and exits with code 2 — before Qt, whose platform plugin would abort the process (code 134)
with advice that misleads ("xcb-cursor0 is needed… reinstalling may fix this")."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import display
from core.system import display_server_needed

ROOT = Path(__file__).resolve().parent.parent
NO_QUEUE = str(ROOT / "tests" / "programs" / "no_queue.py")

pytestmark = pytest.mark.skipif(not display_server_needed(),
                                reason="macOS and Windows draw on the session's desktop: there is always a display")

#: Each command that opens a window, with what it should suggest instead.
WINDOWS = {
    "joinscope": ([], "joinscope run"),
    "gui": (["gui", "--speed", "40"], "joinscope run"),
    "compare": (["compare"], "joinscope run --backend B"),
    "replay": (["replay", "{trace}", "--play"], "joinscope export FILE --to csv"),
    "trace": (["trace", NO_QUEUE], "joinscope trace --no-gui"),
}


def _unused_x_display() -> str:
    """A display number no X server listens on."""
    number = 987
    while os.path.exists(f"/tmp/.X11-unix/X{number}"):
        number += 1
    return f":{number}"


def _without_display(**variables: str) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE")}
    environment.update(variables)
    return environment


def joinscope(args: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env=environment)


@pytest.mark.parametrize("setting", ["unset", "pointing-nowhere"])
@pytest.mark.parametrize("window", WINDOWS)
def test_with_no_display_each_window_command_says_so_in_one_line_and_exits_2(seed_trace, window, setting):
    args, instead = WINDOWS[window]
    args = [arg.format(trace=seed_trace) for arg in args]
    display_name = _unused_x_display()
    environment = _without_display() if setting == "unset" else _without_display(DISPLAY=display_name)
    result = joinscope(args, environment)
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("joinscope") and ": error: " in line
    if setting == "unset":
        assert "no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set)" in line
    else:
        assert f"cannot open a window on the X display '{display_name}' (DISPLAY): no X server answers" in line
    assert instead in line
    if window != "trace":  # a traced program's window is for a person to look at and close
        assert "QT_QPA_PLATFORM=offscreen" in line
    assert "xcb-cursor" not in result.stderr and "Reinstalling" not in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""  # nor did the traced program run


def test_a_wayland_display_with_no_compositor_is_named(tmp_path):
    problem = display.display_problem({"WAYLAND_DISPLAY": "wayland-7", "XDG_RUNTIME_DIR": str(tmp_path),
                                       "XDG_SESSION_TYPE": "wayland"})
    assert problem is not None
    assert "DISPLAY is not set, so there is no X server" in problem  # Qt would fall back to X11: not there either
    assert f"cannot open a window on the Wayland display 'wayland-7' (WAYLAND_DISPLAY): nothing listens at " \
           f"{tmp_path / 'wayland-7'}" in problem


@pytest.mark.parametrize("platform", ["offscreen", "minimal", "vnc:size=800x600", "offscreen;xcb"])
def test_a_platform_that_needs_no_display_is_taken_at_its_word(platform):
    assert display.display_problem({"QT_QPA_PLATFORM": platform}) is None


def test_asking_for_xcb_with_no_display_is_refused():
    assert display.display_problem({"QT_QPA_PLATFORM": "xcb"}) == \
        "no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set)"


def test_a_platform_plugin_qt_cannot_load_is_named_with_the_loaders_words(tmp_path, monkeypatch):
    """Qt's plugin that cannot load (a library it needs is missing, or the file is damaged) is
    named, with what the system's loader said, instead of Qt's abort."""
    broken = tmp_path / "platforms" / "libqxcb.so"
    broken.parent.mkdir()
    broken.write_text("not a shared library")
    monkeypatch.setattr(display, "platform_plugin_files", lambda platform, environ: [str(broken)])
    problem = display.display_problem({"DISPLAY": _unused_x_display()})
    assert problem is not None and problem.startswith("Qt cannot load its xcb platform plugin: ")
    assert str(broken) in problem and "install the system package that provides it" in problem


def test_the_plugin_qt_loads_is_found_where_qt_looks_for_it(tmp_path):
    found = display.platform_plugin_files("xcb", {"QT_QPA_PLATFORM_PLUGIN_PATH": str(tmp_path)})
    assert found and all(path.endswith("libqxcb.so") for path in found)
    (tmp_path / "libqxcb.so").write_bytes(b"")
    assert display.platform_plugin_files("xcb", {"QT_QPA_PLATFORM_PLUGIN_PATH": str(tmp_path)})[0] == \
        str(tmp_path / "libqxcb.so")  # first, as Qt tries it first


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (an X server with no screen)")
def test_a_real_x_server_is_a_display():
    result = subprocess.run(["xvfb-run", "-a", sys.executable, "-c",
                             "from app.cli.display import display_problem; print(display_problem())"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60, env=_without_display())
    assert result.returncode == 0 and result.stdout.strip() == "None", result.stderr
