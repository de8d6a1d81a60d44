"""Linux, macOS and Windows: what can be proved of the other two from here, and the limits each has.

Every OS-specific call lives in ``core/system.py``; the other modules read the same on all three.
From Linux this checks that every module imports as Windows would let it
(``tests/as_on_windows.py``), that no POSIX-only name is used outside ``core/system.py``, that
stopping a traced program's tree needs no ``/proc`` of ours (psutil's is the only path, and
psutil has one for each system), that a run stops by its own stop flag (no signal: Windows has
none to ask with), what each system's exit codes read as, and that output survives a legacy
code page and a reader that leaves.  ``.ci/portability.py`` adds ``mypy --platform win32|darwin``.
"""
from __future__ import annotations

import ast
import builtins
import errno
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from app.cli.main import main
from app.cli.pipe_output import PipeSafeOutput
from core import system
from core.events import ACTOR_EXIT, GET, GET_WAIT
from core.program import termination
from core.scenarios import scenario
from core.sessions.processes import ProcessSession
from core.tracing.session import TraceSession
from tests.as_on_windows import POSIX_MODULES, POSIX_ONLY
from tests.runs import kinds, live_children, poll_until

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "tests" / "programs"

pytestmark = pytest.mark.timeout(120)


# -- the house: one module owns the operating system ------------------------------------------
def test_every_module_imports_as_on_windows():
    result = subprocess.run([sys.executable, "-m", "tests.as_on_windows"], cwd=ROOT, capture_output=True, text=True,
                            timeout=90)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["modules"] >= 90, "every module of core/ and app/ is imported"
    assert report["failures"] == {}
    # What the commands exit with there: Ctrl-C as Windows ends a program, SIGTERM's number for a stop.
    assert report["exit_codes"]["EXIT_INTERRUPTED"] == 0xC000013A
    assert report["exit_codes"]["EXIT_TERMINATED"] == 143


def _project_sources() -> list[Path]:
    return sorted([*(ROOT / "core").rglob("*.py"), *(ROOT / "app").rglob("*.py")])


def test_no_module_but_core_system_uses_a_posix_only_name():
    """``os.nice``, ``signal.SIGKILL``, ``socket.AF_UNIX``, ``import resource``…: only in core/system.py
    (where each sits in a ``sys.platform`` branch that mypy checks per platform)."""
    found = []
    for path in _project_sources():
        if path == ROOT / "core" / "system.py":
            continue
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text, str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.attr in POSIX_ONLY.get(node.value.id, ()):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value.id}.{node.attr}")
            elif isinstance(node, ast.ImportFrom) and node.module in POSIX_ONLY:
                found += [f"{path.relative_to(ROOT)}:{node.lineno} from {node.module} import {alias.name}"
                          for alias in node.names if alias.name in POSIX_ONLY[node.module]]
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.relative_to(ROOT)}:{node.lineno} import {name}" for name in names
                      if name.split(".")[0] in POSIX_MODULES]
        if '"/proc' in text:
            found.append(f"{path.relative_to(ROOT)}: reads /proc")
    assert not found, found


# -- stopping ----------------------------------------------------------------------------------
def test_stop_needs_no_signal_every_actor_exits_by_the_stop_flag(monkeypatch):
    """What Windows has is ``TerminateProcess``, which ends a process wherever it is: Stop must not
    need it.  Every actor — one sleeping in its work, one waiting in get() — leaves by the run's
    stop flag at a lock-free point, with the exit code of a stop, well within the grace."""
    def no_terminate(self):
        raise AssertionError("Stop sent a termination: the stop flag should have been enough")
    monkeypatch.setattr("multiprocessing.process.BaseProcess.terminate", no_terminate)
    monkeypatch.setattr("multiprocessing.process.BaseProcess.kill", no_terminate)
    # One task and one None for three consumers: one works on the task (20 s), one takes the None
    # and ends, one waits in get() for ever.
    config = scenario("too-few-sentinels", tasks=1, work_ms=20_000.0, speed=1.0, stall_timeout_s=60.0)
    events = []
    with ProcessSession(config) as session:
        session.start()
        poll_until(session, events, lambda: len(kinds(events, ACTOR_EXIT)) >= 2  # the producer, a consumer
                   and len(kinds(events, GET)) >= 2 and kinds(events, GET_WAIT))
        stopped = time.monotonic()
        session.stop()
        took = time.monotonic() - stopped
        poll_until(session, events, lambda: session.finished)
    assert took < 0.5, f"the actors took {took:.2f} s to notice the stop"
    exits = {e.actor: e.exitcode for e in kinds(events, ACTOR_EXIT) if e.actor != "main"}
    working = next(e.actor for e in kinds(events, GET) if e.item is not None)
    ended = next(e.actor for e in kinds(events, GET) if e.item is None)
    waiting = ({"consumer-0", "consumer-1", "consumer-2"} - {working, ended}).pop()
    assert exits == {"producer-0": 0, ended: 0, working: termination.EXIT_TERMINATED,
                     waiting: termination.EXIT_TERMINATED}
    assert live_children() == 0


def test_a_traced_programs_children_are_all_stopped_with_proc_hidden(monkeypatch):
    """The stop finds the program's processes through psutil only (which on macOS and Windows asks
    the system, not /proc): with /proc hidden from every caller but psutil, nothing is left."""
    real_open, real_listdir, real_scandir = builtins.open, os.listdir, os.scandir

    def hidden(real):
        def call(path=".", *args, **kwargs):
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if os.fsdecode(path if isinstance(path, (str, bytes)) else str(path)).startswith("/proc") \
                    and not caller.startswith("psutil"):
                raise FileNotFoundError(errno.ENOENT, "no /proc here (as on macOS and Windows)", path)
            return real(path, *args, **kwargs)
        return call

    with TraceSession(str(PROGRAMS / "hang.py")) as session:
        session.start()
        events = []
        while not any(e.kind == "join_enter" and e.queue for e in events):
            events += session.poll(0.05)
        tree = psutil.Process(session.process.pid).children(recursive=True)
        assert tree, "the program has started its consumer"
        monkeypatch.setattr(builtins, "open", hidden(real_open))
        monkeypatch.setattr(os, "listdir", hidden(real_listdir))
        monkeypatch.setattr(os, "scandir", hidden(real_scandir))
        assert system.descendants(session.process.pid), "psutil still finds them"
        session.stop()
        while not session.finished:
            events += session.poll(0.05)
        monkeypatch.undo()
    _, alive = psutil.wait_procs(tree, timeout=3.0)
    assert not alive, [p.pid for p in alive]
    assert session.forced and session.returncode not in (None, 0)  # ended by the stop


# -- pause ---------------------------------------------------------------------------------------
def test_a_refused_suspend_is_said_and_leaves_no_process_frozen(monkeypatch):
    frozen: list[int] = []
    real_suspend = psutil.Process.suspend

    def suspend_the_first_then_refuse(self):
        if frozen:
            raise psutil.AccessDenied(self.pid)
        real_suspend(self)
        frozen.append(self.pid)

    monkeypatch.setattr(psutil.Process, "suspend", suspend_the_first_then_refuse)
    config = scenario("seed", tasks=4, consumers=2, work_ms=200.0, speed=1.0)
    events = []
    with ProcessSession(config) as session:
        session.start()
        poll_until(session, events, lambda: len(kinds(events, "actor_start")) >= 4)
        refusal = session.pause()
        assert refusal is not None and "access denied" in refusal and "Pause" in refusal
        assert not session.paused
        assert frozen and psutil.Process(frozen[0]).status() != psutil.STATUS_STOPPED  # let go again
        session.stop()


def test_when_the_system_refuses_to_suspend_pause_is_disabled_and_says_why(window, qtbot, monkeypatch):
    def refuse(pids):
        raise system.SuspendRefused("Windows refused to suspend process 1 (access denied): Pause cannot freeze "
                                    "this run's processes")
    monkeypatch.setattr("core.sessions.processes.suspend", refuse)
    window.start_run(scenario("seed", tasks=50, work_ms=200.0, speed=1.0))  # (over only after Pause was tried)
    qtbot.waitUntil(lambda: window.controller.state == "running" and window.controls.pause_button.isEnabled(),
                    timeout=10_000)
    window.controls.pause_button.click()
    assert window.controller.state == "running"
    assert not window.controls.pause_button.isEnabled()
    assert "access denied" in window.controls.pause_button.toolTip()
    window.controls.set_run_state("running", False)  # a later state change keeps it off
    assert not window.controls.pause_button.isEnabled()
    with qtbot.waitSignal(window.run_over, timeout=10_000):
        window.controller.stop()
    # The next run is another: on threads, which never refuse, Pause is there again.
    window.start_run(scenario("seed", tasks=50, work_ms=200.0, speed=1.0, backend="thread"))
    qtbot.waitUntil(lambda: window.controller.state == "running" and window.controls.pause_button.isEnabled(),
                    timeout=10_000)
    assert "access denied" not in window.controls.pause_button.toolTip()


# -- what each system calls an ending ---------------------------------------------------------------
POSIX_SIGNAL_NAMES = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="Windows' signal module has no "
                                                                            "SIGKILL to name -9 after")


@pytest.mark.parametrize("platform, exitcode, words", [
    pytest.param("linux", -9, "was killed by SIGKILL (exit code -9)", marks=POSIX_SIGNAL_NAMES),
    ("darwin", -15, "was killed by SIGTERM (exit code -15)"),
    ("linux", 3, "exited with code 3"),
    ("win32", -15, "was terminated (exit code -15)"),  # multiprocessing's terminate() and kill() there
    ("win32", 0xC000013A, "was interrupted by Ctrl-C (exit code 0xC000013A)"),
    ("win32", 0xC0000005, "crashed with an access violation (exit code 0xC0000005)"),
    ("win32", 3, "exited with code 3"),
])
def test_exit_codes_read_in_the_words_of_their_system(monkeypatch, platform, exitcode, words):
    monkeypatch.setattr(sys, "platform", platform)
    assert system.how_it_ended(exitcode) == words


def test_a_shell_sees_a_signal_as_128_plus_it():
    assert system.exit_code_for_shell(-15) == 143 and system.exit_code_for_shell(5) == 5


# -- honest limits -----------------------------------------------------------------------------------
def _one_line_error(capsys, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_fork_is_not_offered_on_macos(monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert "fork" not in system.start_methods()
    err = _one_line_error(capsys, ["run", "--start-method", "fork"])
    assert "unsafe on macOS" in err and "spawn" in err


def test_a_maxsize_above_what_the_system_allows_is_one_line(monkeypatch, capsys):
    """As on macOS, where a process queue's semaphore counts to 32,767 at most."""
    monkeypatch.setattr("core.scenarios.max_queue_size", lambda: 32_767)
    monkeypatch.setattr("core.scenarios.PLATFORM_NAME", "macOS")
    err = _one_line_error(capsys, ["run", "--maxsize", "40000"])
    assert "at most 32,767 for processes on macOS" in err and "semaphore" in err
    assert main(["run", "--maxsize", "40000", "--backend", "thread", "--speed", "100", "--quiet"]) == 0


def test_unbounded_is_explained_where_the_system_bounds_it(monkeypatch, window):
    assert system.unbounded_queue_note() in window.controls.maxsize.toolTip()
    monkeypatch.setattr(system, "max_queue_size", lambda: 32_767)
    monkeypatch.setattr(system, "PLATFORM_NAME", "macOS")
    note = system.unbounded_queue_note()
    assert "0 means unbounded; on macOS a process queue still holds at most 32,767 items" in note


def test_the_real_queue_limit_is_the_systems_semaphore_limit():
    from _multiprocessing import SemLock
    assert system.max_queue_size() == SemLock.SEM_VALUE_MAX
    if sys.platform == "darwin":
        assert system.max_queue_size() == 32_767


# -- output --------------------------------------------------------------------------------------------
def test_a_legacy_code_page_never_fails_the_output(tmp_path):
    env = dict(os.environ, PYTHONIOENCODING="cp932", QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-m", "app", "run", "--scenario", "seed", "--speed", "50"], cwd=ROOT,
                            env=env, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode("cp932", "replace")
    out = result.stdout.decode("cp932")
    assert "JoinScope \\xb7 seed" in out and "seed completed" in out  # "·" is not in cp932: escaped
    traced = subprocess.run([sys.executable, "-m", "app", "trace", "--no-gui", str(PROGRAMS / "plain_module.py")],
                            cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert traced.returncode == 0, traced.stderr.decode("cp932", "replace")
    assert "puts 21 \\xb7 gets 21" in traced.stderr.decode("cp932")


class _ClosedPipe(io.StringIO):
    """A stream whose reader has gone, failing as ``error`` says."""

    def __init__(self, error: OSError) -> None:
        super().__init__()
        self.error = error

    def write(self, text: str) -> int:
        raise self.error


@pytest.mark.parametrize("platform, error", [
    ("linux", BrokenPipeError(errno.EPIPE, "Broken pipe")),
    ("win32", BrokenPipeError(errno.EPIPE, "Broken pipe")),
    ("win32", OSError(errno.EINVAL, "Invalid argument")),  # how Windows may say it
])
def test_a_reader_that_leaves_ends_the_output_quietly(monkeypatch, platform, error):
    monkeypatch.setattr(sys, "platform", platform)
    out = PipeSafeOutput(_ClosedPipe(error))  # type: ignore[arg-type]
    out.write("first line\n")
    out.write("second line\n")
    assert out.broken


def test_einval_is_a_real_error_where_a_closed_pipe_never_says_it(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    out = PipeSafeOutput(_ClosedPipe(OSError(errno.EINVAL, "Invalid argument")))  # type: ignore[arg-type]
    with pytest.raises(OSError):
        out.write("x\n")


# -- settings ---------------------------------------------------------------------------------------
def test_the_settings_folder_can_be_named_on_every_system(monkeypatch, tmp_path, qapp):
    """``JOINSCOPE_SETTINGS_DIR`` (a portable install, the tests' own commands): unlike
    ``XDG_CONFIG_HOME``, which Qt reads on Linux only."""
    from app import preferences
    folder = tmp_path / "portable"
    monkeypatch.setenv(preferences.SETTINGS_DIR_VARIABLE, str(folder))
    preferences.use_folder_from_environment()
    recording = tmp_path / "run.jsonl"
    recording.write_text("{}\n")
    preferences.remember_recording(str(recording))
    assert preferences.recent_recordings() == [str(recording)]
    assert any(path.suffix == ".ini" for path in folder.rglob("*")), list(folder.rglob("*"))
