"""Retake every screenshot the README and the docs/ pages show, by the app itself.

    .venv/bin/python docs/screenshots.py                    # all of them, into docs/images/
    .venv/bin/python docs/screenshots.py --only step-mode   # some of them (comma-separated)
    .venv/bin/python docs/screenshots.py --screen 1920x1080 --scale 1.5 --out /tmp/projector

Every shot runs in a process of its own on a virtual screen (``xvfb-run``, 1280 × 720 by default,
no window manager: the window's own sizing is what you see), with settings of its own (nothing a
developer's JoinScope remembers changes a picture), on fixed seeds.  Most shots are the command
line's own ``--screenshot FILE`` (the command is printed, and quoted under the picture in the docs);
the two that need a hand on the window — step mode after some steps, and a traced program — are
taken by this script driving the window as the tests do (``--drive NAME``).  A shot is written to
a temporary file and moved into place only when it was taken whole, so a failure leaves the old
picture.  The script says how big each picture came out, and warns when a window was larger than
the screen (it would not fit a real one).
"""
from __future__ import annotations

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
#: Where the pages find their pictures.
IMAGES = DOCS / "images"
#: Set in the environment of the script once it runs on the virtual screen.
INNER = "JOINSCOPE_SCREENSHOTS_SCREEN"
#: The longest a shot may take before it counts as failed.
SHOT_TIMEOUT_S = 120.0
#: The pace of the scenario runs: the tutorial's program in about 1.5 s.
SPEED = "4"


@dataclass(frozen=True)
class Shot:
    """One picture: ``name``.png, taken by the command line (``args``, after ``joinscope``) or by
    :func:`drive` (``args`` empty); ``before`` runs first (headless) to make what it needs."""

    name: str
    what: str
    args: tuple[str, ...] = ()
    before: tuple[str, ...] = ()


#: The recording ``replay`` shows, made by ``before`` in the folder the shots run in (the
#: replay's title names it as it was given).
RECORDING = "bounded.jsonl"

SHOTS = (
    Shot("seed-finished", "the tutorial's program, finished",
         ("gui", "--scenario", "seed", "--speed", SPEED, "--seed", "1", "--autostart")),
    Shot("race-early-join", "race: main's join() returns at once, too early",
         ("gui", "--scenario", "race", "--speed", SPEED, "--seed", "1", "--autostart")),
    Shot("crash-stalled", "crash: a consumer dies holding a task, the stall diagnosed",
         ("gui", "--scenario", "crash", "--speed", SPEED, "--seed", "1", "--autostart")),
    Shot("step-mode", "step mode: seed after 13 steps"),
    Shot("fix-it", "Fix it: forgot-task-done beside its fix"),
    Shot("trace-hang", "joinscope trace tests/programs/hang.py: a join() that never returns, diagnosed"),
    Shot("replay", "a recording of bounded, replayed to its end",
         ("replay", RECORDING, "--speed", "20"),
         ("run", "--scenario", "bounded", "--speed", SPEED, "--seed", "1", "--quiet", "--record", RECORDING)),
    Shot("compare", "seed on processes and threads, side by side",
         ("compare", "--scenario", "seed", "--speed", SPEED, "--seed", "1")),
    Shot("pool-finished", "pool: the reader's Pool program, 400 tasks on two workers",
         ("gui", "--scenario", "pool", "--workers", "2", "--tasks", "400", "--seed", "1", "--autostart")),
    Shot("throughput", "throughput: 20,000 tiny tasks, as fast as the queue goes",
         ("gui", "--scenario", "throughput", "--seed", "1", "--autostart")),
)


# -- on the virtual screen: one process per shot ---------------------------------------------------
def take_all(shots: list[Shot], out: Path, scale: str | None, screen: tuple[int, int]) -> int:
    out.mkdir(parents=True, exist_ok=True)
    failed = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="joinscope-shots-") as tmp:
        env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "xcb"),
               "JOINSCOPE_SETTINGS_DIR": str(Path(tmp) / "settings")}
        for shot in shots:
            began = time.monotonic()
            made = Path(tmp) / f"{shot.name}.png"
            error = _take(shot, made, scale, tmp, env)
            if error is None and not _is_png(made):
                error = "no PNG was written"
            if error is not None:
                failed.append(shot.name)
                print(f"  FAILED  {shot.name}: {error}", flush=True)
                continue
            shutil.move(str(made), out / made.name)
            width, height = _png_size(out / made.name)
            overflow = "  (larger than the screen!)" if width > screen[0] or height > screen[1] else ""
            print(f"  {shot.name + '.png':24} {width} x {height}{overflow}  {time.monotonic() - began:4.1f} s  "
                  f"{shot.what}", flush=True)
    print(f"{len(shots) - len(failed)} of {len(shots)} screenshots in {out} "
          f"({time.monotonic() - started:.0f} s)", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _take(shot: Shot, made: Path, scale: str | None, tmp: str, env: dict[str, str]) -> str | None:
    """Take ``shot`` into ``made``; what went wrong, or ``None``."""
    joinscope = [sys.executable, "-m", "app.cli.main"]
    scaled = ["--scale", scale] if scale else []
    commands = []
    if shot.before:
        commands.append(joinscope + list(shot.before))
    if shot.args:
        commands.append(joinscope + list(shot.args) + scaled
                        + ["--screenshot", str(made), "--exit-when-done"])
    else:
        commands.append([sys.executable, __file__, "--drive", shot.name, str(made)] + scaled)
    for command in commands:
        try:
            done = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True,
                                  timeout=SHOT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return f"took over {SHOT_TIMEOUT_S:g} s: {' '.join(command[1:])}"
        if done.returncode not in (0, 3):  # 3: a stalled run, which some shots are about
            tail = (done.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1]
            return f"exit code {done.returncode} from {' '.join(command[1:])}: {tail}"
    return None


def _is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _png_size(path: Path) -> tuple[int, int]:
    with path.open("rb") as png:
        header = png.read(24)
    width, height = struct.unpack(">II", header[16:24])  # the IHDR chunk comes first
    return width, height


# -- the shots a hand takes: driving the window, as the tests do -----------------------------------
def drive(name: str, out: str, scale: float | None) -> int:
    from app.windows.application import make_application

    app = make_application(scale)
    shoot = {"step-mode": _step_mode, "fix-it": _fix_it, "trace-hang": _trace_hang}[name]
    window = shoot()
    try:
        _settle()
        story = getattr(window, "story", None)
        if story is not None:
            story.flush()  # its newest lines, as --screenshot does
        _settle()
        if not window.grab().save(out):
            raise OSError(f"could not write {out}")
    finally:
        window.close()
        app.processEvents()
    return 0


def _step_mode():
    from app.bridge.controller import STEPPING
    from app.windows.main_window import MainWindow
    from core.scenarios import scenario

    window = MainWindow(remember_place=False, remember_recordings=False)
    config = scenario("seed", speed=float(SPEED), seed=1)
    window.controls.select_scenario(config.name)
    window.show()
    window.start_run(config, step=True)
    teaching = window.teaching

    def ready() -> bool:
        return bool(teaching.ready()) or window.controller.state != STEPPING

    for taken in range(13):
        _wait_until(ready, "the actors to be ready for a step")
        teaching.refresh()
        if not teaching.step():
            raise RuntimeError("a step was refused")
        _wait_until(lambda told=taken + 1: len(teaching.narrator.steps) >= told, "the step to be told")
    _wait_until(ready, "the actors to be ready for a step")
    teaching.refresh()
    return window


def _fix_it():
    from app.windows.fix_dialog import FixDialog
    from core.teaching.fixes import FIXES

    dialog = FixDialog(FIXES["forgot-task-done"])
    dialog.show()
    _wait_until(lambda: dialog.over, "both runs to end")
    return dialog


def _trace_hang():
    from app.bridge.controller import STALLED
    from app.cli.trace_cmd import trace_config
    from app.windows.trace_window import open_trace_window
    from core.tracing.session import TraceSession

    script = str(ROOT / "tests" / "programs" / "hang.py")
    window = open_trace_window(TraceSession(script), trace_config(script, []), remember_place=False)
    _wait_until(lambda: window.controller.state == STALLED, "the program's stall to be diagnosed")
    run_time = window.controller.run_time_now()
    _wait_until(lambda: window.controller.run_time_now() > run_time + 1.0, "the waits to grow on screen")
    return window


def _wait_until(fact: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    """Run Qt's event loop until ``fact`` holds (looked at every 20 ms), or fail naming ``what``."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: (fact() or time.monotonic() > deadline) and loop.quit())
    if not fact():
        timer.start()
        loop.exec()
        timer.stop()
    if not fact():
        raise TimeoutError(f"waited {timeout_s:g} s for {what}")


def _settle() -> None:
    """A few frames of the event loop (the window redraws at most every ~16 ms), so the picture
    shows what the window knows now."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(150, loop.quit)
    loop.exec()


# -- the command line --------------------------------------------------------------------------------
def _screen(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be WIDTHxHEIGHT, like 1280x720, not {text!r}") from None
    return width, height


def main() -> int:
    names = [shot.name for shot in SHOTS]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", metavar="NAMES", help=f"comma-separated, of: {', '.join(names)}")
    parser.add_argument("--out", type=Path, default=IMAGES, help="where the PNGs go (default: docs/images/)")
    parser.add_argument("--screen", type=_screen, default=(1280, 720), metavar="WxH",
                        help="the virtual screen's size (default 1280x720)")
    parser.add_argument("--scale", metavar="X", help="joinscope's --scale for every window")
    parser.add_argument("--no-xvfb", action="store_true", help="use the display there is, not a virtual screen")
    parser.add_argument("--drive", nargs=2, metavar=("NAME", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        return drive(args.drive[0], args.drive[1], float(args.scale) if args.scale else None)
    chosen = names if not args.only else [name.strip() for name in args.only.split(",")]
    unknown = [name for name in chosen if name not in names]
    if unknown:
        parser.error(f"no screenshot called {', '.join(unknown)} (there are: {', '.join(names)})")
    try:
        import app  # noqa: F401  (JoinScope must be installed where this Python looks)
    except ImportError:
        parser.error("JoinScope is not installed for this Python: run it with the venv's, .venv/bin/python")
    if not args.no_xvfb and os.environ.get(INNER) is None:
        xvfb = shutil.which("xvfb-run")
        if xvfb is None:
            parser.error("xvfb-run is not installed (apt-get install xvfb), or use --no-xvfb for your own screen")
        width, height = args.screen
        inner = {**os.environ, INNER: f"{width}x{height}", "QT_QPA_PLATFORM": "xcb"}
        return subprocess.call([xvfb, "-a", "-s", f"-screen 0 {width}x{height}x24",
                                sys.executable, __file__, *sys.argv[1:]], env=inner)
    print(f"Screenshots at {args.screen[0]} x {args.screen[1]}"
          f"{f', --scale {args.scale}' if args.scale else ''}:", flush=True)
    return take_all([shot for shot in SHOTS if shot.name in chosen], args.out.resolve(), args.scale, args.screen)


if __name__ == "__main__":
    sys.exit(main())
