"""``joinscope trace`` in the window (its default): the program's events, live, in the run's views."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from app.bridge.controller import FINISHED_STATE, STOPPED
from app.cli.trace_cmd import trace_config
from app.windows.trace_window import open_trace_window
from core.recordings.recording import RecordingSource
from core.recordings.trace import TraceWriter, check_counts, read_trace, trace_header
from core.tracing.session import TraceSession
from tests.signals import CAN_INTERRUPT_A_GROUP, OWN_GROUP, ask_to_end, interrupt_group

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "tests" / "programs"


def test_the_window_shows_a_traced_program_and_records_it(qtbot, tmp_path):
    script, args = str(PROGRAMS / "from_import.py"), ["spawn", "12"]
    config = trace_config(script, args)
    record = tmp_path / "live.jsonl"
    source = RecordingSource(TraceSession(script, args), TraceWriter(record, trace_header(config)))
    window = open_trace_window(source, config)
    qtbot.addWidget(window)
    # The run ends in a slot of this thread, so it cannot have ended before the wait begins.
    with qtbot.waitSignal(window.run_over, timeout=30_000) as over:
        pass
    assert over.args == [FINISHED_STATE]
    model = window.controller.model
    assert (model.puts, model.gets, model.task_dones) == (26, 26, 26)
    assert set(model.actors) == {"main", "worker-a", "worker-b"}
    assert all(actor.exitcode == 0 for actor in model.actors.values())
    assert window.log.model.rowCount() == model.events_seen
    assert "from_import.py spawn 12" in window.windowTitle()
    story = window.story.story()
    assert "worker-a finished" in story and "worker-b finished" in story
    assert "main waits for worker-a to finish" in story
    assert story.splitlines()[-1].endswith("main finished")
    assert window.controls.stop_button.isVisible() and not window.controls.start_button.isVisible()
    events = read_trace(record).events
    assert len(events) == model.events_seen and check_counts(events) is None
    window.close()


def test_a_hung_program_is_diagnosed_by_its_own_names_and_its_waits_grow_in_view(qtbot):
    session = TraceSession(str(PROGRAMS / "hang.py"))
    window = open_trace_window(session, trace_config("hang.py", []))
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.controller.stalled, timeout=20_000) as stalled:
        pass  # everyone waits: stalled after a second of quiet
    assert "1 task_done() call(s) are missing (forgetful got 5 item(s) and marked 4 done)" in stalled.args[0]
    assert "forgetful got 5 item(s) and marked 4 done" in window.banner.text()
    model = window.controller.model
    last_event = model.last_t
    qtbot.waitUntil(lambda: window.controller.run_time_now() > last_event + 0.5, timeout=5_000)
    window._redraw()
    x, unfinished = window.plots.unfinished_curve.getData()
    assert x[-1] > last_event + 0.5 and unfinished[-1] == 1  # the missing task_done, still missing now
    with qtbot.waitSignal(window.run_over, timeout=10_000):
        window.controls.stop_button.click()
    model = window.controller.model
    assert {a.name: a.state for a in model.actors.values()} == {"main": "stopped", "forgetful": "stopped"}
    assert "main was stopped" in window.story.story()  # not "crashed": JoinScope ended it
    window.close()


def test_closing_the_window_stops_the_program_and_all_its_processes(qtbot):
    session = TraceSession(str(PROGRAMS / "hang.py"))
    window = open_trace_window(session, trace_config("hang.py", []))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: any(w.target == "queue-1" for w in window.controller.model.open_joins()), timeout=20_000)
    tree = psutil.Process(session.process.pid).children(recursive=True) + [psutil.Process(session.process.pid)]
    window.close()
    assert window.controller.state == STOPPED
    _, alive = psutil.wait_procs(tree, timeout=3.0)
    assert not alive and session.closed


def test_joinscope_trace_opens_the_window_by_default(tmp_path):
    record = tmp_path / "default.jsonl"
    process = subprocess.Popen([sys.executable, "-m", "app", "trace", "--record", str(record),
                                str(PROGRAMS / "exit_code.py")], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, **OWN_GROUP)
    try:
        deadline = time.monotonic() + 30
        while not (record.exists() and '"exitcode":5' in record.read_text()):  # main's exit, recorded live
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        assert process.poll() is None  # the window stays open once the program has ended
        ask_to_end(process)  # closes the window
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 5, err
    assert out == "a\nb\n"
    assert "joinscope: 10 events on 1 queue(s)" in err and "Traceback" not in err
    assert check_counts(read_trace(record).events) is None


@pytest.mark.skipif(not CAN_INTERRUPT_A_GROUP, reason="Windows: Ctrl-C reaches a whole console, not one group")
def test_ctrl_c_lets_the_program_clean_up_and_end_by_itself_then_closes_the_window(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "app", "trace", str(PROGRAMS / "on_interrupt.py"), "cleanup"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **OWN_GROUP)
    try:
        assert process.stdout.readline() == "ready\n"  # its queue is observed, its worker running
        tree = psutil.Process(process.pid).children(recursive=True)
        interrupt_group(process)  # Ctrl-C in a terminal: the whole foreground group
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert out == "cleaned up\n", err  # its moment of cleaning up was not cut short by a stop
    assert process.returncode == 0, err  # its own exit code: it ended by itself
    assert "joinscope: interrupted" in err and "Traceback" not in err
    _, alive = psutil.wait_procs(tree, timeout=3.0)
    assert not alive


def test_scale_draws_the_window_bigger_and_leaves_the_programs_environment_alone(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import os\nprint('QT_SCALE_FACTOR', os.environ.get('QT_SCALE_FACTOR'), flush=True)\n")
    environment = {name: value for name, value in os.environ.items() if name != "QT_SCALE_FACTOR"}
    process = subprocess.Popen([sys.executable, "-m", "app", "trace", "--scale", "2", str(probe)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment, **OWN_GROUP)
    try:
        line = process.stdout.readline()
        ask_to_end(process)  # closes the window
        process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert line == "QT_SCALE_FACTOR None\n"  # the program is run as it would be without JoinScope


def test_the_status_bar_counts_the_traced_programs_live_processes(qtbot):
    session = TraceSession(str(PROGRAMS / "hang.py"))
    window = open_trace_window(session, trace_config("hang.py", []))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: any(w.target == "queue-1" for w in window.controller.model.open_joins()), timeout=20_000)
    main = psutil.Process(session.process.pid)

    def shows_the_real_count() -> bool:
        window._update_status()
        return f"live processes {1 + len(main.children(recursive=True))} " in window.status.text()

    qtbot.waitUntil(shows_the_real_count, timeout=5_000)
    assert window.controller.live_processes() >= 2  # main and its consumer, at least
    window.close()
    assert window.controller.live_processes() == 0
