"""Faults in workers, seen in the window: a process killed mid-task or mid-put, one that
hangs.  Each is reported with its actor and exit code, named in the stall diagnosis,
the window stays responsive, and Stop still ends everything within a second."""
from __future__ import annotations

import sys

import psutil
from PySide6.QtCore import QTimer

from app.bridge.controller import STOPPED
from core.analysis.model import BLOCKED_PUT, WORKING
from core.scenarios import scenario
from core.system import how_it_ended
from tests.runs import live_children

#: What a process killed from outside exits with: -9 (SIGKILL) on POSIX; on Windows, the code
#: ``TerminateProcess`` was given (psutil gives 15).
KILLED = 15 if sys.platform == "win32" else -9


def kill(pid: int) -> None:
    """Kill the process outright: SIGKILL, or ``TerminateProcess`` on Windows."""
    psutil.Process(pid).kill()


def pid_when(window, qtbot, actor: str, state: str) -> int:
    """The pid of ``actor`` once the window shows it in ``state``."""
    model = window.controller.model
    qtbot.waitUntil(lambda: actor in model.actors and model.actors[actor].state == state
                    and model.actors[actor].pid is not None, timeout=20_000)
    return model.actors[actor].pid


def assert_responsive(qtbot) -> None:
    """The GUI thread still runs its event loop (a timer fires promptly)."""
    timer = QTimer()
    timer.setSingleShot(True)
    with qtbot.waitSignal(timer.timeout, timeout=500):
        timer.start(10)


def stop_within_a_second(window, qtbot) -> None:
    with qtbot.waitSignal(window.run_over, timeout=1_000) as over:
        window.controls.stop_button.click()
    assert over.args == [STOPPED]
    assert live_children() == 0 and window.controller.live_processes() == 0


def test_a_consumer_killed_mid_task_is_named_with_its_signal(window, qtbot):
    window.start_run(scenario("seed", consumers=2, tasks=6, work_ms=300.0, speed=1.0, stall_timeout_s=1.0))
    kill(pid_when(window, qtbot, "consumer-0", WORKING))
    with qtbot.waitSignal(window.controller.stalled, timeout=20_000) as stalled:
        pass
    assert f"consumer-0 crashed (exit code {KILLED}) holding task" in stalled.args[0]
    assert f"consumer-0 crashed: it {how_it_ended(KILLED)}" in window.controls.problems.text()
    if sys.platform != "win32":
        assert how_it_ended(KILLED) == "was killed by SIGKILL (exit code -9)"
    assert window.controller.model.actors["consumer-0"].state == "crashed"
    assert_responsive(qtbot)
    stop_within_a_second(window, qtbot)


def test_a_producer_killed_while_blocked_in_put_is_reported(window, qtbot):
    window.start_run(scenario("bounded", work_ms=400.0, speed=1.0, stall_timeout_s=1.0))
    kill(pid_when(window, qtbot, "producer-0", BLOCKED_PUT))
    qtbot.waitUntil(lambda: f"producer-0 crashed: it {how_it_ended(KILLED)}" in window.controls.problems.text(),
                    timeout=10_000)
    assert window.controller.model.actors["producer-0"].exitcode == KILLED
    assert_responsive(qtbot)
    if window.controller.state in ("running", "stalled"):
        stop_within_a_second(window, qtbot)
    assert live_children() == 0


def test_a_hung_consumer_is_named_and_stop_still_ends_it(window, qtbot):
    window.start_run(scenario("seed", consumers=1, tasks=4, work_ms=200.0, speed=1.0, stall_timeout_s=1.0))
    pid = pid_when(window, qtbot, "consumer-0", WORKING)
    psutil.Process(pid).suspend()  # hangs for good: frozen, it cannot even look at the stop flag
    with qtbot.waitSignal(window.controller.stalled, timeout=20_000) as stalled:
        pass
    assert "consumer-0 is still working on" in stalled.args[0]
    assert_responsive(qtbot)
    stop_within_a_second(window, qtbot)


def test_a_run_the_system_will_not_start_says_so_in_red(window, qtbot, monkeypatch):
    from tests.test_command_line_edges import refuse_the_second_actor

    refuse_the_second_actor(monkeypatch)
    with qtbot.waitSignal(window.run_over, timeout=20_000) as over:
        window.start_run(scenario("seed"))
    assert over.args == [STOPPED]
    assert window.banner.isVisible() and window.banner.property("level") == "failed"
    assert "Could not start the run." in window.banner.text() and "Too many open files" in window.banner.text()
    assert window.controls.start_button.isEnabled()  # and another run may be tried
    assert live_children() == 0
    low, high = window.plots.counts.viewRange()[0]
    assert high - low > 1  # the empty plots' axes, not 0 to 0.1 s of a run with no event
