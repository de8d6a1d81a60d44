"""The pool scenarios headless: real pools run to their end, traces whose counts replay exactly,
each pitfall diagnosed, each fix completing.  (No Qt.)"""
from __future__ import annotations

import dataclasses
import time
from collections import Counter

import pytest

from core.analysis.diagnosis import diagnose
from core.analysis.model import CRASHED, EXITED, STOPPED, RunModel
from core.analysis.narrate import Narrator
from core.analysis.pool_diagnosis import pool_findings
from core.events import (
    CALLBACK,
    CALLBACK_RETURN,
    DELIVER,
    JOIN_RETURN,
    MAP_LISTED,
    RESULT_HANDLER,
    SUBMIT,
    TASK_FINISH,
    TASK_START,
)
from core.program.pool_programs import PROGRAMS
from core.recordings.trace import TraceWriter, check_counts, read_trace, trace_header
from core.scenarios import POOL_PROGRAMS, SCENARIOS, scenario
from core.sessions import open_session
from core.sessions.pools import PoolSession
from core.sessions.runner import COMPLETED, STALLED, run_session
from core.teaching.fixes import FIXES
from tests.runs import replay_mismatch, run_scenario
from tests.test_trace_pools import assert_every_task_once, assert_joins_released_by_deliveries

POOL_SCENARIOS = [name for name, config in SCENARIOS.items() if config.pooled]
#: Small enough to run in a second or two on a loaded machine, big enough for every stage to show.
SMALL = {"workers": 2, "tasks": 120}


def recorded(tmp_path, name: str, **overrides: object):
    """Run scenario ``name`` with a trace; the result and the events read back from the file."""
    overrides.setdefault("speed", 4.0)
    config = scenario(name, **overrides)
    path = tmp_path / f"{name}.jsonl"
    writer = TraceWriter(path, trace_header(config))
    try:
        with open_session(config) as session:
            result = run_session(session, on_events=writer.write)
    finally:
        writer.close()
    trace = read_trace(path)
    assert not trace.warnings
    return result, trace.events


def test_the_library_names_every_pool_program_there_is():
    assert set(PROGRAMS) == POOL_PROGRAMS
    assert {"pool", "pool-retry", "executor", "pool-recycle", "queue-fed-pool", "walrus"} <= set(SCENARIOS)


@pytest.mark.parametrize("name", [n for n in POOL_SCENARIOS if SCENARIOS[n].expected == "completed"])
def test_each_pool_scenario_runs_to_its_end_with_a_trace_that_replays_exactly(tmp_path, name):
    tasks = {"pool-huge-map": 3000}.get(name, SMALL["tasks"])
    result, events = recorded(tmp_path, name, workers=2, tasks=tasks)
    assert result.outcome == COMPLETED, result.diagnosis
    assert check_counts(events) is None and replay_mismatch(events) is None
    if name != "pool-join-before-close":  # that program dies before a task starts
        assert_every_task_once(events)
    assert_joins_released_by_deliveries(events)
    pools = [q for q in result.model.queues.values() if q.is_pool]
    assert len(pools) == 1
    pool = pools[0]
    if name != "pool-join-before-close":
        assert pool.submitted == pool.started == pool.delivered > 0
        assert pool.depth == pool.unfinished == 0
    states = {a.name: a.state for a in result.model.actors.values()}
    # Two pitfalls end in main dying of its exception (the ValueError of join(), a task's at get()).
    assert states.pop("main") == (CRASHED if name in ("pool-join-before-close", "pool-no-error-callback") else EXITED)
    # Leaving `with Pool(...)` terminates the workers: those lanes end stopped, not crashed.
    assert set(states.values()) <= {EXITED, STOPPED}


def test_the_readers_pool_hands_results_to_callbacks_on_the_result_handler_thread():
    result, events = run_scenario("pool", **SMALL)
    model = result.model
    assert result.outcome == COMPLETED
    callbacks = [e for e in events if e.kind in (CALLBACK, CALLBACK_RETURN)]
    assert callbacks and {e.actor for e in callbacks} == {RESULT_HANDLER}
    failed = [e for e in events if e.kind == TASK_FINISH and not e.item[1]]
    assert len(failed) == SMALL["tasks"] // 50  # every 50th task raises
    assert Counter(e.item[1] for e in events if e.kind == CALLBACK)["error_callback"] == len(failed)
    workers = {e.actor for e in events if e.kind == TASK_START}
    assert workers <= {"worker-0", "worker-1"}  # Pool(2): the Workers setting
    lanes = set(model.transitions)
    assert {"main", RESULT_HANDLER, "worker-0", "worker-1"} <= lanes
    join = [w for w in model.joins if w.call == "join()"]
    assert len(join) == 1 and join[0].released_by is not None
    assert pool_findings(model) == []


def test_narration_tells_each_task_finished_delivered_and_its_callback(tmp_path):
    _, events = run_scenario("pool", **SMALL)
    model = RunModel()
    narrator = Narrator(model)
    lines = []
    for event in events:
        model.apply([event])
        lines.append(narrator.line(event))
    text = "\n".join(line for line in lines if line)
    assert "main submitted task 0: work((0, " in text
    assert any(line and line.startswith("worker-") and " finished task " in line and " ms → " in line
               for line in lines)
    assert f"task 0's callback ran on {RESULT_HANDLER}" in text
    assert f"delivered task {SMALL['tasks'] - 1}'s" in text or "0 tasks not yet delivered" in text
    assert "error_callback" in text
    assert "main's pool-1.join() returned" in text and "released by delivery #" in text


def test_pool_recycle_replaces_each_worker_after_its_tasks():
    result, events = run_scenario("pool-recycle", workers=2, tasks=120, maxtasksperchild=10)
    assert result.outcome == COMPLETED
    started = Counter(e.actor for e in events if e.kind == TASK_START)
    assert len(started) >= 120 // 10  # new workers, new lanes
    assert max(started.values()) <= 10
    exits = [e for e in events if e.kind == "actor_exit" and e.actor.startswith("worker-")]
    # Each worker exits after its 10 tasks; the last one started may get none before the pool closes.
    assert len(started) <= len(exits) <= len(started) + 2 and all(e.exitcode == 0 for e in exits)


def test_retries_go_on_until_every_task_has_succeeded():
    result, events = run_scenario("pool-retry", workers=2, tasks=100)
    assert result.outcome == COMPLETED
    delivered = [e for e in events if e.kind == DELIVER]
    succeeded = {e.item[0] for e in delivered if e.item[1]}
    assert len(succeeded) == len({e.item[0] for e in events if e.kind == SUBMIT}) - sum(
        1 for e in delivered if not e.item[1])  # each failure was submitted again, as a new task
    assert sum(1 for e in delivered if e.item[1]) == 100
    waits = [e for e in events if e.kind == JOIN_RETURN and e.item == "as_completed()"]
    assert waits and all(e.released_by is not None for e in waits)


def test_the_queue_fed_pool_marks_each_task_done_when_its_result_is_delivered():
    result, events = run_scenario("queue-fed-pool", **SMALL)
    assert result.outcome == COMPLETED
    model = result.model
    queue = next(q for q in model.queues.values() if not q.is_pool)
    pool = next(q for q in model.queues.values() if q.is_pool)
    assert queue.puts == queue.task_dones == SMALL["tasks"] + 1  # and the sentinel
    assert pool.delivered == SMALL["tasks"]
    done_by = Counter(e.actor for e in events if e.kind == "task_done")
    assert done_by[RESULT_HANDLER] == SMALL["tasks"]  # the callbacks call task_done()
    assert "producer-0" in model.actors


def test_a_task_that_never_returns_is_named_in_the_stall_diagnosis():
    result, events = run_scenario("pool-hung-task", workers=2, stall_timeout_s=1.5)
    assert result.outcome == STALLED
    hung = [e for e in events if e.kind == TASK_START and e.item == 39]
    assert len(hung) == 1
    assert result.diagnosis.startswith("main's pool-1.join() waits with 1 task(s) not delivered")
    assert f"{hung[0].actor} has been running task 39" in result.diagnosis
    assert "never returns" in result.diagnosis
    assert diagnose(result.model, 2.0) == diagnose(result.model, 2.0)  # the same line, whoever asks


@pytest.mark.parametrize("pitfall,finding", [
    ("pool-no-error-callback", "raised and no callback heard of it"),
    ("pool-join-before-close", "called join() on pool-1 before close(): ValueError"),
    ("pool-huge-map", "read all 3,000 items into a list"),
])
def test_each_pool_pitfall_shows_its_finding_and_its_fix_does_not(pitfall, finding):
    tasks = 3000 if pitfall == "pool-huge-map" else SMALL["tasks"]
    broken, _ = run_scenario(pitfall, workers=2, tasks=tasks)
    assert any(finding in line for line in pool_findings(broken.model)), pool_findings(broken.model)
    fixed, events = run_config(dataclasses.replace(FIXES[pitfall].fixed, workers=2, tasks=tasks, speed=40.0))
    assert fixed.outcome == COMPLETED
    assert pool_findings(fixed.model) == []
    assert check_counts(events) is None


def run_config(config):
    events: list = []
    with open_session(config) as session:
        result = run_session(session, on_events=events.extend)
    return result, events


def test_the_hung_task_fix_gives_up_at_a_deadline_and_completes():
    result, events = run_config(dataclasses.replace(FIXES["pool-hung-task"].fixed, workers=2, speed=40.0))
    assert result.outcome == COMPLETED
    assert any(e.kind == TASK_START and e.item == 39 for e in events)
    assert not any(e.kind == DELIVER and e.item[0] == 39 for e in events)  # given up on, then terminated
    assert any(e.kind == JOIN_RETURN and e.item == "get()" and e.released_by is None for e in events)


def test_map_of_a_generator_is_reported_before_its_first_task():
    _, events = run_scenario("pool-huge-map", workers=2, tasks=3000)
    listed = [e for e in events if e.kind == MAP_LISTED]
    assert len(listed) == 1 and listed[0].item[0] == 3000
    first_submit = next(e for e in events if e.kind == SUBMIT)
    assert listed[0].seq < first_submit.seq


def test_pool_scenarios_refuse_step_mode_other_backends_and_sliders():
    with pytest.raises(ValueError, match="process backend only"):
        scenario("pool", backend="thread")
    with pytest.raises(ValueError, match="step mode"):
        open_session(scenario("pool"), step="round-robin")
    session = open_session(scenario("pool", workers=2, tasks=4))
    assert isinstance(session, PoolSession)
    with session:
        assert session.set_count("consumer", 3) is not None
        assert session.step() is not None and not session.stepping and not session.stuck


#: The stdlib bodies :mod:`core.queues.observed_pool` mirrors (the same from CPython 3.6 to 3.13), by
#: the SHA-256 of their source: a Python that changes one must have its mirror brought up to date.
MIRRORED = {("Pool", "apply_async"): "a2857ed5a1d1496f", ("ApplyResult", "_set"): "2baa67064a2bcf87"}


def test_the_pool_methods_mirrored_are_the_ones_this_python_runs():
    import ast
    import hashlib
    import inspect
    from multiprocessing import pool

    source = inspect.getsource(pool)  # the module's file: whatever is patched in memory
    lines = source.splitlines(keepends=True)
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef):
            for method in node.body:
                if isinstance(method, ast.FunctionDef) and (node.name, method.name) in MIRRORED:
                    text = "".join(lines[method.lineno - 1:method.end_lineno])
                    found[node.name, method.name] = hashlib.sha256(text.encode()).hexdigest()[:16]
    assert found == MIRRORED, "the stdlib changed a method core/queues/observed_pool.py mirrors: update the mirror"


def test_pause_freezes_a_pool_run_says_so_in_its_events_and_resume_lets_it_finish():
    """Pause holds the program and its workers through core.system, as a queue run's actors are
    held; the pause and the resume are events of the run; a pause asked of a run that has ended
    pauses nothing."""
    from core.events import RUN_PAUSE, RUN_RESUME

    config = scenario("pool", workers=2, tasks=2000, speed=1.0)
    events: list = []
    with open_session(config) as session:
        session.start()
        while not any(e.kind == SUBMIT for e in events):
            events += session.poll(0.1)
        assert session.pause() is None and session.paused
        quiet_since = time.monotonic()  # what was on its way arrives; then nothing more
        while time.monotonic() - quiet_since < 0.5:
            batch = session.poll(0.1)
            if batch:
                events += batch
                quiet_since = time.monotonic()
        held = len(events)
        assert sum(1 for e in events if e.kind == DELIVER) < 2000  # quiet because frozen, not over
        events += session.poll(1.0)
        assert all(e.actor == "joinscope" for e in events[held:]), events[held:][:5]
        session.resume()
        while not session.finished:
            events += session.poll(0.1)
        assert session.pause() is None and not session.paused  # over: nothing to pause
    kinds = [e.kind for e in events]
    assert kinds.count(RUN_PAUSE) == kinds.count(RUN_RESUME) == 1 and kinds.index(RUN_PAUSE) < kinds.index(RUN_RESUME)
    assert kinds.count(DELIVER) == 2000 and check_counts(events) is None
    model = RunModel()
    model.apply(events)
    assert len(model.pauses) == 1 and None not in model.pauses[0]
