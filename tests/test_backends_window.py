"""The window runs the lesson on threads and on asyncio tasks, picked next to the scenario."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from app.bridge.controller import FINISHED_STATE, STOPPED
from core.scenarios import scenario
from core.sessions.asyncio_tasks import AsyncioSession
from core.sessions.threads import ThreadSession


@pytest.mark.timeout(60)
def test_a_thread_backend_seed_run_completes_in_the_window(window, qtbot):
    with qtbot.waitSignal(window.run_over, timeout=30_000) as over:
        window.start_run(scenario("seed", speed=40.0, backend="thread"))
    assert over.args == [FINISHED_STATE]
    assert isinstance(window.controller.session, ThreadSession)
    model = window.controller.model
    assert (model.puts, model.gets, model.task_dones) == (11, 11, 11)
    assert next(j for j in window.controller.timeline.joins if j.on_queue).returned is not None
    assert window.controls.backend.currentData() == "thread"
    assert "task_done 11" in window.status.text() and "live threads 0" in window.status.text()
    assert not [t for t in threading.enumerate() if t.name.startswith("joinscope-")]


@pytest.mark.timeout(60)
def test_the_backend_picker_runs_asyncio_and_keeps_its_choice_across_scenarios(window, qtbot):
    controls = window.controls
    controls.backend.setCurrentIndex(controls.backend.findData("asyncio"))
    controls.select_scenario("too-many-task-done")
    assert controls.backend.currentData() == "asyncio" and controls.config().backend == "asyncio"
    controls.speed.set_value(40.0)
    with qtbot.waitSignal(window.run_over, timeout=30_000) as over:
        qtbot.mouseClick(controls.start_button, Qt.MouseButton.LeftButton)
        assert not controls.backend.isEnabled()  # fixed while the run goes on
    assert over.args == [FINISHED_STATE]
    assert isinstance(window.controller.session, AsyncioSession)
    assert [e.error for e in window.controller.model.errors] == ["ValueError: task_done() called too many times"]
    assert controls.backend.isEnabled()


@pytest.mark.timeout(60)
def test_pause_and_stop_work_on_threads_in_the_window(window, qtbot):
    window.start_run(scenario("seed", tasks=500, work_ms=20.0, speed=1.0, consumers=2, backend="thread"))
    qtbot.waitUntil(lambda: window.controller.model.task_dones > 2, timeout=20_000)
    window.controller.pause()
    assert window.controller.state == "paused" and window.controller.session.paused
    window.controller.resume()
    with qtbot.waitSignal(window.run_over, timeout=10_000) as over:
        window.controller.stop()
    assert over.args == [STOPPED] and window.controller.live_processes() == 0


def test_the_title_names_the_backend_picked_before_any_run(window):
    """``joinscope --backend thread`` showed "processes on a JoinableQueue" until Start."""
    window.controls.select_scenario("seed")
    window.controls.show_config(scenario("seed", backend="thread"))  # as the command line does
    assert window.windowTitle() == "JoinScope — seed: threads on a queue.Queue"
    window.controls.backend.setCurrentIndex(window.controls.backend.findData("asyncio"))  # picked by hand
    assert window.windowTitle() == "JoinScope — seed: asyncio tasks on an asyncio.Queue"
    window.controls.select_scenario("race")
    assert window.windowTitle() == "JoinScope — race: asyncio tasks on an asyncio.Queue"
    assert "JoinableQueue" not in window.windowTitle()

