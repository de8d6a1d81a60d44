"""``joinscope run`` as a user types it: narration, exit codes, bad input, signals, traces."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import psutil
import pytest

from core.recordings.trace import read_trace
from tests.runs import replay_mismatch
from tests.signals import CAN_INTERRUPT_A_GROUP, OWN_GROUP, TERMINATED, ask_to_end, interrupt

ROOT = Path(__file__).resolve().parent.parent


def joinscope(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_run_narrates_the_seed_scenario_and_summarises():
    result = joinscope("run", "--scenario", "seed", "--speed", "20", "--seed", "1")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "producer-0 added (0, " in out and "producer-0 added None, the sentinel" in out
    assert "consumer-0 got (9, " in out and "consumer-0 marked (9, " in out
    assert "main found that producer-0 has finished" in out
    assert "puts 11 · gets 11 · task_done calls 11 · errors 0" in out
    assert "seed completed in" in out
    assert result.stderr == ""


def test_joinscope_opens_the_window_and_screenshots_a_finished_seed_run(tmp_path):
    shot = tmp_path / "seed.png"
    result = joinscope("--speed", "30", "--autostart", "--screenshot", str(shot), "--exit-when-done")
    assert result.returncode == 0, result.stderr
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")  # the IHDR chunk


def test_scale_draws_the_window_bigger_for_a_projector_and_never_past_its_screen(tmp_path):
    screen = tmp_path / "projector.json"  # Qt's offscreen platform, with a 1920 × 1080 screen
    screen.write_text('{"screens": [{"name": "projector", "x": 0, "y": 0, "width": 1920, "height": 1080, '
                      '"logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}')
    environment = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={screen}"}
    sizes, said = {}, {}
    for scale in ("1", "1.5", "2"):
        shot = tmp_path / f"scale-{scale}.png"
        result = subprocess.run([sys.executable, "-m", "app", "--scale", scale, "--speed", "40", "--tasks", "3",
                                 "--autostart", "--screenshot", str(shot), "--exit-when-done"],
                                cwd=ROOT, capture_output=True, text=True, timeout=60, env=environment)
        assert result.returncode == 0, result.stderr
        sizes[scale], said[scale] = _png_size(shot), result.stderr
    assert sizes["1"] == (1500, 950)  # the size it likes: the screen has room
    for scale in ("1.5", "2"):
        width, height = sizes[scale]
        assert sizes["1"][0] < width <= 1920 and height <= 1080, (scale, sizes[scale])  # bigger, and on screen
    assert "--scale 1.5" not in said["1.5"]
    assert "--scale 2 would not fit this 1920 × 1080 screen" in said["2"] and "drawn at 1.7" in said["2"]


def test_scenarios_are_listed():
    result = joinscope("scenarios")
    assert result.returncode == 0
    for name in ("seed", "race", "too-many-task-done", "forgot-task-done", "crash", "too-few-sentinels",
                 "bounded", "retry", "throughput", "walrus", "pool", "pool-retry", "executor", "pool-recycle",
                 "queue-fed-pool"):
        assert name in result.stdout


@pytest.mark.parametrize("args, clue", [
    (["--producers", "x"], "--producers"),
    (["--producers", "99"], "--producers"),
    (["--consumers", "-1"], "--consumers"),
    (["--speed", "0"], "--speed"),
    (["--speed", "nan"], "--speed"),
    (["--scenario", "nope"], "unknown scenario 'nope'"),
    (["--start-method", "teleport"], "--start-method"),
    (["--timeout", "-3"], "--timeout"),
    (["--work-ms", "soon"], "--work-ms"),
    (["--tasks", "1.5"], "--tasks"),
    (["--no-such-option"], "unrecognized arguments"),
    (["--scenario", "pool", "--backend", "thread"], "runs a process pool: it runs on the process backend only"),
    (["--scenario", "pool", "--step", "round-robin"], "step mode steps the queue scenarios' own code"),
    (["--scenario", "pool", "--workers", "99"], "--workers"),
])
def test_bad_arguments_get_one_line_and_exit_2(args, clue):
    result = joinscope("run", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and clue in lines[0] and "Traceback" not in result.stderr


@pytest.mark.parametrize("args, clue", [
    (["gui", "--scale", "9"], "argument --scale: must be a number from 0.5 to 4"),
    (["compare", "--scale", "big"], "argument --scale: must be a number from 0.5 to 4"),
    (["replay", "--scale", "nan", "x.jsonl"], "argument --scale: must be a number from 0.5 to 4"),
    (["trace", "--no-gui", "--scale", "2", "tests/programs/no_queue.py"], "--no-gui opens no window to scale"),
])
def test_a_bad_scale_gets_one_line_and_exit_2(args, clue):
    result = joinscope(*args)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and clue in lines[0]


def _with_reader_gone(*args: str) -> subprocess.CompletedProcess:
    """``joinscope ARGS | head`` after head has left: standard output is a pipe nobody reads
    (and block-buffered, as in a user's shell: not ``PYTHONUNBUFFERED``)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    try:
        return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=60, env=environment)
    finally:
        os.close(write_end)


def test_a_reader_that_leaves_early_ends_the_narration_not_the_run(tmp_path):
    trace = tmp_path / "piped.jsonl"
    result = _with_reader_gone("run", "--scenario", "seed", "--speed", "40", "--record", str(trace))
    assert result.returncode == 0 and result.stderr == ""
    recorded = read_trace(trace)
    assert sum(e.kind == "task_done" for e in recorded.events) == 11  # the whole run was recorded
    assert replay_mismatch(recorded.events) is None
    quiet = _with_reader_gone("run", "--scenario", "seed", "--speed", "40", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""
    listed = _with_reader_gone("scenarios")
    assert listed.returncode == 0 and listed.stderr == ""
    exported = _with_reader_gone("export", str(trace), "--to", "csv", str(tmp_path / "piped.csv"))
    assert exported.returncode == 0 and exported.stderr == ""
    assert len((tmp_path / "piped.csv").read_text().splitlines()) == len(recorded.events) + 1


def test_a_stall_ends_with_a_diagnosis_and_exit_3():
    result = joinscope("run", "--scenario", "forgot-task-done", "--speed", "40", "--timeout", "1")
    assert result.returncode == 3
    assert "forgot-task-done STALLED" in result.stdout
    assert "Diagnosis: main's tasks.join() waits with unfinished=2" in result.stdout
    assert "2 task_done() call(s) are missing" in result.stdout


def test_record_writes_a_trace_that_replays_exactly(tmp_path):
    trace = tmp_path / "seed.jsonl"
    result = joinscope("run", "--speed", "40", "--record", str(trace), "--quiet")
    assert result.returncode == 0, result.stderr
    recorded = read_trace(trace)
    assert recorded.header["format"] == "joinscope-trace" and recorded.header["version"] == 1
    assert recorded.header["scenario"]["name"] == "seed"
    assert replay_mismatch(recorded.events) is None
    assert sum(e.kind == "task_done" for e in recorded.events) == 11
    assert f"trace: {trace} ({len(recorded.events)} events)" in result.stdout


def test_record_never_overwrites_silently(tmp_path):
    trace = tmp_path / "keep.jsonl"
    trace.write_text("precious\n")
    result = joinscope("run", "--record", str(trace))
    assert result.returncode == 2 and "already exists" in result.stderr
    assert trace.read_text() == "precious\n"
    result = joinscope("run", "--record", str(tmp_path / "missing" / "dir" / "t.jsonl"))
    assert result.returncode == 2 and "cannot write" in result.stderr


@pytest.mark.parametrize("send, code", [
    pytest.param(interrupt, 130, id="ctrl-c",
                 marks=pytest.mark.skipif(not CAN_INTERRUPT_A_GROUP, reason="Windows: Ctrl-C reaches a console")),
    pytest.param(ask_to_end, TERMINATED, id="a-request-to-end"),  # SIGTERM; Windows: Ctrl-Break
])
def test_a_signal_stops_the_run_cleanly_and_keeps_the_trace(tmp_path, send, code):
    trace = tmp_path / "cut.jsonl"
    process = subprocess.Popen([sys.executable, "-m", "app", "run", "--tasks", "500", "--consumers", "3",
                                "--work-ms", "50", "--record", str(trace)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **OWN_GROUP)
    try:
        deadline = time.monotonic() + 30
        while not any('"consumer-2"' in line and '"get"' in line
                      for line in (trace.read_text().splitlines() if trace.exists() else [])):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        workers = psutil.Process(process.pid).children(recursive=True)
        sent = time.monotonic()
        send(process)
        out, err = process.communicate(timeout=10)
        assert time.monotonic() - sent < 2.0
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == code
    assert "Traceback" not in err and "leaked" not in err
    assert "interrupted" in out
    _, alive = psutil.wait_procs(workers, timeout=2.0)  # the workers, and multiprocessing's resource tracker
    assert not alive
    recorded = read_trace(trace)
    assert replay_mismatch(recorded.events) is None
    exited = {e.actor for e in recorded.events if e.kind == "actor_exit"}
    assert exited == {"main", "producer-0", "consumer-0", "consumer-1", "consumer-2"}


def test_version_is_printed():
    result = joinscope("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"joinscope {metadata.version('joinscope')}"
