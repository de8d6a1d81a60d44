"""Ending JoinScope in the middle of a busy run leaves nothing behind.

Signals to the window and to ``joinscope run`` (Ctrl-C and SIGTERM; on Windows, Ctrl-Break);
a ``joinscope`` killed outright (its workers notice and exit on their own); and twenty
start → run → stop → close cycles in one process, after each of which no process, thread,
file descriptor or handle is left.
"""
from __future__ import annotations

import ctypes
import gc
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from PySide6.QtCore import QCoreApplication, QEvent

from app.bridge.pump import running_pump_threads
from app.windows.main_window import MainWindow
from core.scenarios import scenario
from tests.runs import live_children
from tests.signals import CAN_INTERRUPT_A_GROUP, OWN_GROUP, ask_to_end, interrupt

ROOT = Path(__file__).resolve().parent.parent
PR_SET_CHILD_SUBREAPER = 36
BUSY = ["--scenario", "throughput", "--producers", "2", "--consumers", "3", "--tasks", "100000000"]


def launch(*args: str) -> subprocess.Popen:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen([sys.executable, "-m", "app", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **OWN_GROUP)


def workers_of(process: subprocess.Popen, count: int, timeout_s: float = 30.0) -> list[psutil.Process]:
    """The worker processes of ``process`` once ``count`` of them run (the resource tracker aside)."""
    deadline = time.monotonic() + timeout_s
    while True:
        children = psutil.Process(process.pid).children(recursive=True)
        workers = [c for c in children if "resource_tracker" not in " ".join(c.cmdline())]
        if len(workers) >= count:
            return children
        assert time.monotonic() < deadline and process.poll() is None, "the workers did not start"
        time.sleep(0.05)


def finish(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.communicate()


@pytest.fixture(autouse=True)
def reap_orphans():
    """On Linux, orphans are re-parented to this process (not to the machine's init, which
    may leave them zombies in a container), so the tests can tell a process that ended from
    one that runs.  (macOS's launchd reaps them; Windows keeps no zombies.)"""
    if sys.platform == "linux":
        assert ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


#: How a user asks the window to end: Ctrl-C, or a request to end (SIGTERM; Windows: Ctrl-Break).
ENDINGS = [interrupt, ask_to_end] if CAN_INTERRUPT_A_GROUP else [ask_to_end]


@pytest.mark.parametrize("send", ENDINGS)
def test_a_signal_to_the_window_ends_every_child_within_two_seconds(send):
    process = launch("gui", *BUSY, "--autostart")
    try:
        children = workers_of(process, 5)
        qt_ready = time.monotonic() + 0.5
        while time.monotonic() < qt_ready:  # the window must be up to handle the signal as a user's would
            assert process.poll() is None
            time.sleep(0.05)
        sent = time.monotonic()
        send(process)
        _, alive = psutil.wait_procs(children, timeout=2.0)
        ended = time.monotonic() - sent
        _out, err = process.communicate(timeout=10)
    finally:
        finish(process)
    assert not alive, f"left behind: {[p.pid for p in alive]}"
    assert ended < 2.0
    assert "Traceback" not in err and "leaked" not in err, err


def _event(line: str) -> dict:
    try:
        return json.loads(line)
    except ValueError:  # the line being written
        return {}


def started_actors(record: Path, count: int, timeout_s: float = 30.0) -> None:
    """Wait until ``count`` producers and consumers have started their code (their
    ``actor_start`` is in ``record``): from then on each watches its parent.  (A worker
    still starting — a spawned interpreter importing its modules, which takes a second or
    more on a loaded machine — notices only once it gets there.)"""
    deadline = time.monotonic() + timeout_s
    while True:
        lines = record.read_text().splitlines()[1:] if record.exists() else []
        started = {event["actor"] for event in map(_event, lines)
                   if event.get("kind") == "actor_start" and event["actor"] != "main"}
        if len(started) >= count:
            return
        assert time.monotonic() < deadline, f"only {sorted(started)} started"
        time.sleep(0.02)


@pytest.mark.parametrize("while_stopping", [False, True])
def test_workers_exit_on_their_own_when_joinscope_is_killed(while_stopping, tmp_path):
    record = tmp_path / "busy.jsonl"
    process = launch("run", *BUSY, "--quiet", "--record", str(record))
    try:
        children = workers_of(process, 5)
        started_actors(record, 5)
        if while_stopping:  # killed mid-stop: workers already on their way out must not hang in it
            ask_to_end(process)
            time.sleep(0.03)  # a fixed moment on purpose: during the stop, not after it
        killed = time.monotonic()
        process.kill()
        process.wait()
        _, alive = psutil.wait_procs(children, timeout=2.0)
        assert not alive, f"still running {time.monotonic() - killed:.1f} s later: {[p.pid for p in alive]}"
    finally:
        finish(process)


def open_descriptors() -> int:
    """How many file descriptors (on Windows: handles) this process holds open."""
    me = psutil.Process()
    return me.num_handles() if sys.platform == "win32" else me.num_fds()


def _feeder_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("QueueFeederThread")]


def test_twenty_start_run_stop_close_cycles_leave_nothing(qtbot):
    baseline = None
    for cycle in range(20):
        window = MainWindow()
        window.show()
        window.start_run(scenario("throughput", producers=2, consumers=2, tasks=100_000_000))
        qtbot.waitUntil(lambda window=window: window.controller.model.task_dones > 200, timeout=20_000)
        with qtbot.waitSignal(window.run_over, timeout=2_000):
            window.controls.stop_button.click()
        window.close()
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        del window
        gc.collect()  # what a window held (its session's shared memory) is freed, not piled up
        qtbot.waitUntil(lambda: not _feeder_threads(), timeout=2_000)
        assert live_children() == 0, f"cycle {cycle}: a child process is left"
        assert not running_pump_threads(), f"cycle {cycle}: a QThread is left"
        held = open_descriptors()
        if baseline is None:
            baseline = held  # after the first cycle: lazily opened helpers (resource tracker) stay
        assert held <= baseline, f"cycle {cycle}: {held - baseline} more descriptor(s) open than after the first"


def test_nothing_listens_on_a_network_port_during_a_run():
    process = launch("run", *BUSY, "--quiet")
    try:
        children = workers_of(process, 5)
        for proc in [psutil.Process(process.pid), *children]:
            listening = [c for c in proc.net_connections(kind="all") if c.status == psutil.CONN_LISTEN]
            inet = [c for c in proc.net_connections(kind="inet")]
            assert not listening and not inet, f"{proc.pid} has {listening or inet}"
    finally:
        ask_to_end(process)
        finish(process)
