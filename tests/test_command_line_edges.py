"""The command line's edges: outputs it cannot write (with the system's reason), an export over
its own input, limits written as numbers, ``--exit-when-done`` without ``--autostart``."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.system import display_server_needed
from tests.command_line import run_cli

ROOT = Path(__file__).resolve().parent.parent
NO_QUEUE = str(ROOT / "tests" / "programs" / "no_queue.py")


def the_systems_reason(path: Path) -> str:
    """What the system says when ``path`` is opened to be written (asked here, not by JoinScope)."""
    try:
        with open(path, "ab"):
            pass
    except OSError as error:
        return error.strerror
    os.unlink(path)
    raise AssertionError(f"{path} can be written")


#: Every option that names a file to write, with what the command needs besides.
WRITERS = {
    "run --record": lambda out, trace: ["run", "--record", out],
    "run --record --overwrite": lambda out, trace: ["run", "--record", out, "--overwrite"],
    "gui --screenshot": lambda out, trace: ["gui", "--screenshot", out],
    "compare --screenshot": lambda out, trace: ["compare", "--screenshot", out],
    "replay --screenshot": lambda out, trace: ["replay", trace, "--screenshot", out],
    "export": lambda out, trace: ["export", trace, "--to", "csv", out],
    "trace --record": lambda out, trace: ["trace", "--no-gui", "--record", out, NO_QUEUE],
}


def refused_in_one_line(code: int, out: str, err: str) -> str:
    assert code == 2 and out == "", (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("writer", WRITERS)
def test_a_folder_named_as_the_file_to_write_is_refused_with_the_systems_reason(capsys, tmp_path, seed_trace,
                                                                                   writer):
    folder = tmp_path / "shots"
    folder.mkdir()
    line = refused_in_one_line(*run_cli(capsys, *WRITERS[writer](str(folder), str(seed_trace))))
    assert line.endswith(f"cannot write {folder}: {os.strerror(errno.EISDIR)}"), line
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("writer", WRITERS)
def test_a_file_that_cannot_be_made_is_refused_with_the_systems_reason(capsys, tmp_path, seed_trace, writer):
    """A path under a plain file: no one can make it, root included (the suite may run as root)."""
    plain_file = tmp_path / "notes.txt"
    plain_file.write_text("not a folder")
    target = plain_file / "out.png"
    line = refused_in_one_line(*run_cli(capsys, *WRITERS[writer](str(target), str(seed_trace))))
    assert line.endswith(f"cannot write {target}: {the_systems_reason(target)}"), line
    assert plain_file.read_text() == "not a folder"


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0,
                    reason="root writes anywhere; on Windows chmod cannot take writing away from a folder")
@pytest.mark.parametrize("writer", ["run --record", "gui --screenshot", "export"])
def test_a_read_only_folder_is_refused_with_the_systems_reason(capsys, tmp_path, seed_trace, writer):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        target = folder / "out.png"
        line = refused_in_one_line(*run_cli(capsys, *WRITERS[writer](str(target), str(seed_trace))))
        assert line.endswith(f"cannot write {target}: {os.strerror(errno.EACCES)}"), line
    finally:
        folder.chmod(0o755)


@pytest.mark.skipif(not display_server_needed(), reason="macOS and Windows always have a display")
def test_the_checks_leave_no_file_behind(capsys, tmp_path, seed_trace, monkeypatch):
    """Whether a screenshot can be written is found out by making the file and taking it away again:
    a command refused after that (here: no display) leaves nothing."""
    for variable in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(variable, raising=False)
    line = refused_in_one_line(*run_cli(capsys, "replay", str(seed_trace), "--screenshot", str(tmp_path / "s.png")))
    assert "no display" in line and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["same", "link", "relative"])
def test_an_export_over_its_own_recording_is_refused_even_with_overwrite(capsys, tmp_path, seed_trace, monkeypatch,
                                                                         name):
    recording = tmp_path / "seed.jsonl"
    recording.write_bytes(seed_trace.read_bytes())
    out = {"same": recording, "link": tmp_path / "link.jsonl", "relative": Path("seed.jsonl")}[name]
    if name == "link":
        try:
            out.symlink_to(recording)
        except OSError:
            pytest.skip("this system makes no symbolic links for this user")
    monkeypatch.chdir(tmp_path)
    for to in ("csv", "perfetto"):
        line = refused_in_one_line(*run_cli(capsys, "export", str(recording), "--to", to, str(out), "--overwrite"))
        assert f"{out} is the recording {recording} itself" in line
    assert recording.read_bytes() == seed_trace.read_bytes()


@pytest.mark.parametrize("args, limits", [
    (["run", "--seed", "soon"], "from -9,223,372,036,854,775,808 to 9,223,372,036,854,775,807"),
    (["run", "--tasks", "many"], "from 0 to 1,000,000,000"),
    (["run", "--work-ms", "-1"], "from 0 to 3,600,000"),
    (["run", "--interval-ms", "inf"], "from 0 to 3,600,000"),
    (["run", "--maxsize", "1e9"], "from 0 to 1,000,000"),
    (["run", "--speed", "0"], "from 0.001 to 100,000"),
    (["run", "--timeout", "0"], "from 0.1 to 86,400"),
    (["gui", "--scale", "8"], "from 0.5 to 4"),
    (["replay", "x.jsonl", "--speed", "1000"], "from 0.1 to 100"),
    (["trace", "--timeout", "1e6", "x.py"], "above 0 and up to 86,400"),
])
def test_limits_are_written_as_numbers(capsys, args, limits):
    line = refused_in_one_line(*run_cli(capsys, *args))
    assert limits in line and "e+" not in line, line


def joinscope(*args: str, timeout: float = 90, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, **options)


def test_exit_when_done_starts_the_run_it_waits_for(tmp_path):
    """Without ``--autostart`` the window used to wait for a Start nobody would press, forever."""
    shot = tmp_path / "seed"  # no suffix: a PNG all the same
    result = joinscope("--backend", "thread", "--speed", "40", "--tasks", "3", "--screenshot", str(shot),
                       "--exit-when-done")
    assert result.returncode == 0, result.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(sys.platform == "win32", reason="Windows cannot cap a file's size from outside")
def test_a_screenshot_that_cannot_be_written_at_the_end_says_why_in_one_line(tmp_path):
    """The file could be made at the start, but the disk is full by the end (a cap on file sizes)."""
    import resource

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    shot = tmp_path / "seed.png"
    result = joinscope("--backend", "thread", "--speed", "40", "--tasks", "3", "--autostart", "--screenshot",
                       str(shot), "--exit-when-done", preexec_fn=small_files)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == f"joinscope gui: error: argument --screenshot: cannot write {shot}: File too large", lines
    assert "Traceback" not in result.stderr and not shot.exists() and list(tmp_path.iterdir()) == []


def refuse_the_second_actor(monkeypatch) -> None:
    """The system refuses the run's second process (as it does with too many open files): the
    first is started already, and must not outlive the refusal."""
    from core.sessions.processes import ProcessSession

    launch = ProcessSession._launch
    launched: list[str] = []

    def launch_once(self, role, claim):
        if launched:
            raise OSError(errno.EMFILE, "Too many open files")
        launched.append(role)
        return launch(self, role, claim)

    monkeypatch.setattr(ProcessSession, "_launch", launch_once)


def test_a_run_the_system_will_not_start_is_one_line_and_exit_1(capsys, monkeypatch):
    from tests.runs import live_children

    refuse_the_second_actor(monkeypatch)
    code, out, err = run_cli(capsys, "run", "--scenario", "seed", "--quiet")
    assert code == 1, err
    assert err.strip() == "joinscope run: could not start the run: OSError: [Errno 24] Too many open files"
    assert "Traceback" not in out + err
    assert live_children() == 0
