"""Every scenario on threads (``queue.Queue``) and asyncio (``asyncio.Queue``): the same
lesson, the same events, the same exactness as on processes."""
from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.events import (
    ACTOR_EXIT,
    ACTOR_START,
    CONSUMER,
    ERROR,
    GET,
    JOIN_ENTER,
    PUT,
    RUN_PAUSE,
    RUN_RESUME,
    RUN_STOP,
    TASK_DONE,
)
from core.recordings.trace import check_counts, read_trace
from core.scenarios import SCENARIOS, scenario
from core.sessions import open_session
from core.sessions.runner import COMPLETED, STALLED
from tests.runs import kinds, poll_until, replay_mismatch, run_scenario

ROOT = Path(__file__).resolve().parent.parent
IN_PROCESS_BACKENDS = ("thread", "asyncio")
#: Quick stalls: the pitfalls that hang are declared stalled after this much silence.
STALL_S = 1.0
#: Each scenario's process run, to compare the others with.
_PROCESS_COUNTS: dict[str, tuple] = {}
#: Settings that make a scenario's counts independent of timing.  ``crash``: consumer-0
#: must get its second task before consumer-1 has taken them all, also when a spawned
#: process starts late on a busy machine (consumer-1 alone would need 2 s here).
STEADY = {"throughput": {"tasks": 2000}, "crash": {"tasks": 20, "work_ms": 100.0, "speed": 1.0}}


def counts_of(name: str, backend: str) -> tuple:
    """Run ``name`` on ``backend``; its outcome, counts, errors and diagnosis's first words."""
    result, events = run_scenario(name, backend=backend, stall_timeout_s=STALL_S, **STEADY.get(name, {}))
    assert replay_mismatch(events) is None
    assert check_counts(events) is None
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    model = result.model
    errors = tuple(sorted((e.actor, e.error.split(":")[0]) for e in kinds(events, ERROR)))
    # How each actor ended, as the model says it (a stopped process exits 143, a stopped thread
    # with no code; both are "stopped"), by role: which consumer took the one sentinel may vary.
    exits = tuple(sorted((actor.role, actor.state) for actor in model.actors.values()))
    diagnosis = re.sub(r"consumer-\d", "consumer-N", result.diagnosis.split(":")[0]) if result.diagnosis else None
    return result.outcome, model.puts, model.gets, model.task_dones, errors, exits, diagnosis


@pytest.mark.timeout(120)
@pytest.mark.parametrize("backend", IN_PROCESS_BACKENDS)
@pytest.mark.parametrize("name", [name for name, config in SCENARIOS.items() if not config.pooled])
def test_every_scenario_ends_as_on_processes(name, backend):
    if name not in _PROCESS_COUNTS:
        _PROCESS_COUNTS[name] = counts_of(name, "process")
    expected = _PROCESS_COUNTS[name]
    assert expected[0] == (STALLED if SCENARIOS[name].expected == "stalled" else COMPLETED)
    assert counts_of(name, backend) == expected


@pytest.mark.timeout(60)
@pytest.mark.parametrize("backend", IN_PROCESS_BACKENDS)
@pytest.mark.parametrize("name, clue", [
    ("forgot-task-done", "2 task_done() call(s) are missing (consumer-0 got 11 item(s) and marked 9 done)"),
    ("crash", "consumer-0 crashed (its {unit} died) holding task"),
    ("too-few-sentinels", "never received a sentinel (1 None sent for 3 consumers)"),
    ("walrus", "consumer-0 left its loop on 0, a falsy task: `while task := queue.get():` stops at 0"),
])
def test_pitfalls_get_the_same_diagnosis(name, clue, backend):
    result, _events = run_scenario(name, backend=backend, stall_timeout_s=STALL_S, **STEADY.get(name, {}))
    clue = clue.format(unit={"thread": "thread", "asyncio": "task"}[backend])
    assert result.outcome == STALLED and clue in result.diagnosis
    assert result.model.live_processes() == 0


@pytest.mark.timeout(60)
@pytest.mark.parametrize("backend", IN_PROCESS_BACKENDS)
def test_a_crashed_actor_reports_its_exception_and_exit_code_1(backend):
    result, events = run_scenario("crash", backend=backend, stall_timeout_s=STALL_S, **STEADY["crash"])
    error, = kinds(events, ERROR)
    assert error.actor == "consumer-0" and error.error.startswith("RuntimeError: consumer-0 crashed")
    exit_, = kinds(events, ACTOR_EXIT, "consumer-0")
    assert exit_.exitcode == 1 and exit_.seq > error.seq
    assert result.model.actors["consumer-0"].state == "crashed"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("backend", IN_PROCESS_BACKENDS)
def test_too_many_task_done_is_the_queues_own_value_error(backend):
    result, events = run_scenario("too-many-task-done", backend=backend)
    error, = kinds(events, ERROR)
    assert error.queue == "tasks" and error.error == "ValueError: task_done() called too many times"
    assert error.unfinished == 0 and result.model.actors["consumer-0"].exitcode == 1


@pytest.mark.timeout(60)
@pytest.mark.parametrize("backend", IN_PROCESS_BACKENDS)
def test_race_join_returns_before_the_first_put(backend):
    result, events = run_scenario("race", backend=backend)
    early = next(e for e in events if e.kind == "join_return" and e.queue is not None)
    assert early.released_by is None and early.seq < kinds(events, PUT)[0].seq
    assert result.model.joins[0].producers_unfinished == ("producer-0",)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("backend", IN_PROCESS_BACKENDS)
def test_consumers_can_be_added_and_retired_while_running(backend):
    config = scenario("seed", tasks=60, work_ms=15.0, interval_ms=25.0, speed=1.0, consumers=1, backend=backend)
    events = []
    with open_session(config) as session:
        session.start()
        poll_until(session, events, lambda: kinds(events, GET))
        assert session.set_count(CONSUMER, 3) is None
        poll_until(session, events, lambda: len(kinds(events, ACTOR_START)) == 5)  # main, producer, 3 consumers
        assert session.live_processes() == 4
        assert session.set_count(CONSUMER, 1) is None
        poll_until(session, events, lambda: len([e for e in kinds(events, ACTOR_EXIT)
                                                 if e.actor.startswith("consumer")]) == 2)
        assert all(e.exitcode == 0 for e in kinds(events, ACTOR_EXIT))
        poll_until(session, events, lambda: session.finished)
    done = kinds(events, TASK_DONE)
    assert len(done) == 61 and done[-1].unfinished == 0
    assert replay_mismatch(events) is None


@pytest.mark.timeout(60)
@pytest.mark.parametrize("backend", IN_PROCESS_BACKENDS)
def test_a_consumer_added_after_the_sentinels_gets_one_from_main(backend):
    config = scenario("seed", tasks=8, work_ms=100.0, speed=1.0, consumers=1, backend=backend)
    events = []
    with open_session(config) as session:
        session.start()
        poll_until(session, events, lambda: any(e.kind == PUT and e.item is None for e in events))
        assert session.retire(CONSUMER) == "the sentinels are already queued: each consumer stops when it takes one"
        assert session.add(CONSUMER) is None
        poll_until(session, events, lambda: session.finished)
    assert [e.actor for e in events if e.kind == PUT and e.item is None] == ["producer-0", "main"]
    assert {e.actor for e in kinds(events, GET) if e.item is None} == {"consumer-0", "consumer-1"}
    assert replay_mismatch(events) is None


def _our_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("joinscope")]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("backend", IN_PROCESS_BACKENDS)
@pytest.mark.parametrize("name, waiting", [
    ("seed", ACTOR_START),  # actors asleep in their work, blocked in put() and get()
    ("forgot-task-done", JOIN_ENTER),  # main in queue.join() forever
    ("too-few-sentinels", JOIN_ENTER),  # consumers in get() forever
])
def test_stop_ends_every_thread_and_task_within_a_second(name, waiting, backend):
    config = scenario(name, tasks=1000, work_ms=200.0, producers=2, consumers=3, maxsize=2, backend=backend)
    events = []
    with open_session(config) as session:
        session.start()
        poll_until(session, events, lambda: len(kinds(events, ACTOR_START)) == 6 and kinds(events, waiting))
        started = time.monotonic()
        session.stop()
        assert time.monotonic() - started < 1.0
        assert session.live_processes() == 0 and not _our_threads()
        poll_until(session, events, lambda: session.finished)
    exits = kinds(events, ACTOR_EXIT)
    assert {e.actor for e in exits} == {"producer-0", "producer-1", "consumer-0", "consumer-1", "consumer-2", "main"}
    assert all(e.exitcode is None for e in exits) and all(e.seq > kinds(events, RUN_STOP)[0].seq for e in exits)
    assert result_states(events) == {"stopped"}
    assert check_counts(events) is None


def result_states(events) -> set[str]:
    from core.analysis.model import RunModel
    model = RunModel()
    model.apply(events)
    return {actor.state for actor in model.actors.values()}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("backend", IN_PROCESS_BACKENDS)
def test_pause_holds_the_actors_and_resume_lets_them_finish(backend):
    config = scenario("seed", tasks=40, work_ms=10.0, interval_ms=10.0, speed=1.0, backend=backend)
    events = []
    with open_session(config) as session:
        session.start()
        poll_until(session, events, lambda: len(kinds(events, TASK_DONE)) >= 3)
        session.pause()
        poll_until(session, events, lambda: kinds(events, RUN_PAUSE))  # the pause is an event of the run
        events.extend(session.poll(0.2))  # what was under way when the pause came
        held = len(events)
        for _ in range(10):  # ten work times: nothing moves
            events.extend(session.poll(0.05))
        assert len(events) == held
        session.resume()
        poll_until(session, events, lambda: session.finished)
    assert len(kinds(events, RUN_PAUSE)) == len(kinds(events, RUN_RESUME)) == 1
    assert len(kinds(events, TASK_DONE)) == 41 and replay_mismatch(events) is None


@pytest.mark.timeout(60)
def test_closing_an_unstarted_session_leaves_nothing():
    for backend in IN_PROCESS_BACKENDS:
        with open_session(scenario("seed", backend=backend)) as session:
            assert session.poll() == [] and not session.finished
    assert not _our_threads()


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend must be one of process, thread, asyncio, not 'fibers'"):
        scenario("seed", backend="fibers")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("backend", IN_PROCESS_BACKENDS)
def test_joinscope_run_records_the_backend(tmp_path, backend):
    path = tmp_path / "run.jsonl"
    result = subprocess.run([sys.executable, "-m", "app", "run", "--backend", backend, "--speed", "40", "--seed", "1",
                             "--record", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=50)
    assert result.returncode == 0, result.stderr
    assert "seed completed" in result.stdout and "puts 11 · gets 11 · task_done calls 11" in result.stdout
    assert ("threads" if backend == "thread" else "asyncio tasks") in result.stdout.splitlines()[0]
    trace = read_trace(path)
    assert trace.header["backend"] == backend and trace.header["scenario"]["backend"] == backend
    assert check_counts(trace.events) is None and len(kinds(trace.events, TASK_DONE)) == 11


@pytest.mark.timeout(30)
def test_a_bad_backend_gets_one_line_and_exit_2():
    result = subprocess.run([sys.executable, "-m", "app", "run", "--backend", "fibers"], cwd=ROOT,
                            capture_output=True, text=True, timeout=25)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "--backend" in result.stderr


class _Retired(Exception):
    pass


@pytest.mark.timeout(20)
def test_a_thread_retired_while_it_waits_leaves_the_item_and_the_wake_up_to_the_others(monkeypatch):
    from core.queues import thread_queue
    from core.queues.acting import acting_as
    from core.queues.inbox import Inbox
    from core.queues.thread_queue import ObservedQueue

    monkeypatch.setattr(thread_queue, "WAIT_SLICE_S", 60.0)  # only a wake-up passed on can wake consumer-0

    inbox = Inbox()
    queue = ObservedQueue(inbox=inbox, name="tasks")
    retired = threading.Event()
    got: dict[str, object] = {}

    def consume(name: str, check) -> None:
        with acting_as(name, check):
            try:
                got[name] = queue.get()
            except _Retired:
                got[name] = "retired"

    def stop_if_retired() -> None:
        if retired.is_set():
            raise _Retired

    def waiting(name: str) -> bool:
        return any(r[1] == "get_wait" and r[2] == name for r in list(inbox.pending))

    first = threading.Thread(target=consume, args=("consumer-1", stop_if_retired))
    second = threading.Thread(target=consume, args=("consumer-0", lambda: None))
    first.start()  # the first to wait is the one a put wakes
    while not waiting("consumer-1"):
        time.sleep(0.001)
    second.start()
    while not waiting("consumer-0"):
        time.sleep(0.001)
    retired.set()
    queue.put(None)  # the sentinel counted out for consumer-0 alone
    try:
        first.join(5)
        second.join(5)
        assert got == {"consumer-1": "retired", "consumer-0": None}
    finally:
        for _ in range(2):
            queue.put("unblock")  # whoever still waits (only if the test failed)
        first.join(5)
        second.join(5)
