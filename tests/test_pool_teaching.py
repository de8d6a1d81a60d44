"""What pools add to the model, the merger, the narration and the trace format, event by event (no Qt),
and the answer to the reader's task_done() question, told in every queue scenario."""
from __future__ import annotations

import json

import pytest

from core.analysis.model import EXITED, RUNNING_CALLBACK, WAITING_GET, RunModel, lane_order
from core.analysis.narrate import TASK_DONE_ANSWER, Narrator
from core.analysis.timeline import Timeline
from core.events import (
    ACTOR_EXIT,
    CALLBACK,
    CALLBACK_RETURN,
    DELIVER,
    JOIN_ENTER,
    JOIN_RETURN,
    POOL_KINDS,
    SUBMIT,
    TASK_FINISH,
    TASK_START,
    Event,
    role_of,
    wire_record,
)
from core.queues.merge import EventMerger
from core.recordings.trace import check_counts, read_trace, trace_header
from core.scenarios import scenario
from tests.runs import run_scenario
from tests.test_stepping import _stepped_run

POOL = "pool-1"


def pool_run() -> list[tuple]:
    """Wire records of a tiny pool run: main submits two tasks and joins; worker-0 runs them; the
    result handler delivers each and runs its callback; the join is released by the last delivery."""
    t, pid, wpid = 100.0, 10, 11
    records = [
        wire_record(t, JOIN_ENTER, "main", pid, POOL, 3, "join()", 2, 2),
        wire_record(t + 1, TASK_START, "worker-0", wpid, POOL, 4, 0, 1, 2),
        wire_record(t + 2, TASK_FINISH, "worker-0", wpid, POOL, 5, (0, True, 0), 1, 2),
        wire_record(t + 3, DELIVER, "result-handler", pid, POOL, 6, (0, True, True), 1, 1),
        wire_record(t + 4, CALLBACK, "result-handler", pid, POOL, 7, (0, "callback"), 1, 1),
        wire_record(t + 5, CALLBACK_RETURN, "result-handler", pid, POOL, 8, (0, "callback", True), 1, 1),
        wire_record(t + 6, TASK_START, "worker-0", wpid, POOL, 9, 1, 0, 1),
        wire_record(t + 7, TASK_FINISH, "worker-0", wpid, POOL, 10, (1, False, "ValueError: no"), 0, 1),
        wire_record(t + 8, DELIVER, "result-handler", pid, POOL, 11, (1, False, False), 0, 0),
        wire_record(t + 9, JOIN_RETURN, "main", pid, POOL, 12, "join()", 0, 0, 11, 9.0),
        wire_record(t + 10, ACTOR_EXIT, "main", pid, item="main", exitcode=0),
    ]
    return [wire_record(t - 1, SUBMIT, "main", pid, POOL, 1, (0, "work(0)"), 1, 1),
            wire_record(t - 0.5, SUBMIT, "main", pid, POOL, 2, (1, "work(1)"), 2, 2), *records]


def merged(records: list[tuple]) -> list[Event]:
    merger = EventMerger(99.0)
    merger.add(list(reversed(records)))  # in whatever order the batches came
    return merger.pop_ready(final=True)


def test_a_join_on_a_pool_is_released_by_the_delivery_that_ended_its_wait():
    events = merged(pool_run())
    assert check_counts(events) is None
    released = next(e for e in events if e.kind == JOIN_RETURN)
    releaser = next(e for e in events if e.seq == released.released_by)
    assert releaser.kind == DELIVER and releaser.unfinished == 0 and releaser.item[0] == 1


def test_the_model_folds_a_pools_lanes_counts_and_failures():
    model = RunModel()
    for event in merged(pool_run())[:-1]:
        model.apply([event])
    pool = model.queues[POOL]
    assert pool.is_pool and (pool.submitted, pool.started, pool.delivered, pool.callbacks) == (2, 2, 2, 1)
    assert (pool.raised, pool.unheard) == (1, 1)  # the second task's failure had no error_callback
    assert model.actors["worker-0"].state == WAITING_GET and model.actors["worker-0"].last_item == 1
    assert model.actors["result-handler"].state == WAITING_GET
    states = [model.transitions["result-handler"][1][i] for i in range(len(model.transitions["result-handler"][1]))]
    assert RUNNING_CALLBACK in [model_state(code) for code in states]
    model.apply(merged(pool_run())[-1:])
    # main's process ended: so did its pool's thread
    assert model.actors["result-handler"].state == EXITED


def model_state(code: int) -> str:
    from core.analysis.model import STATES
    return STATES[code]


def test_lanes_go_workers_then_the_pools_threads_then_main():
    names = ["main", "result-handler", "worker-1", "producer-0", "worker-0", "consumer-0", "task-handler"]
    assert sorted(names, key=lane_order) == ["producer-0", "consumer-0", "worker-0", "worker-1", "result-handler",
                                             "task-handler", "main"]
    assert role_of("result-handler-2") == "result-handler" and role_of("worker-3") == "worker"


def test_the_timeline_counts_deliveries_as_completions_and_names_the_releaser():
    timeline = Timeline()
    timeline.extend(merged(pool_run()))
    assert timeline.completed == 2
    mark = timeline.joins[0]
    assert mark.call == "join()" and mark.released_by_actor == "result-handler"
    assert mark.label().startswith("main waited 9.00 s in join() · released by delivery #")


def test_the_narration_tells_a_pools_story():
    model = RunModel()
    narrator = Narrator(model)
    lines = []
    for event in merged(pool_run()):
        model.apply([event])
        lines.append(narrator.line(event))
    text = "\n".join(line for line in lines if line)
    assert "main submitted task 0: work(0)" in text
    assert "worker-0 finished task 0 in 1000 ms → 0" in text
    assert "task 0's callback ran on result-handler (1000 ms); 1 task not yet delivered" in text
    assert ("result-handler delivered task 1's exception — it has no error_callback, so nobody hears of it "
            "until get() is called; 0 tasks not yet delivered") in text
    assert "main's pool-1.join() returned (waited 9.00 s, released by delivery #" in text


@pytest.mark.parametrize("name", ["seed", "throughput", "retry"])
def test_the_first_task_done_of_a_queue_scenario_answers_the_readers_question(name):
    _, events = run_scenario(name, tasks=20)
    model = RunModel(expected_producers=1)
    narrator = Narrator(model)
    told = []
    for event in events:
        model.apply([event])
        line = narrator.line(event)
        if line is not None:
            told.append(line)
    answers = [line for line in told if TASK_DONE_ANSWER in line]
    first_done = next(line for line in told if " done" in line and " marked " in line)
    assert answers == [first_done]  # at the first task_done(), and once


def test_step_mode_answers_it_at_the_first_task_done_step():
    _, _, narrator = _stepped_run("seed")
    stories = [narrator.story(step) for step in narrator.steps]
    answered = [i for i, story in enumerate(stories) if "Task_done() removes nothing" in story]
    first = next(i for i, step in enumerate(narrator.steps) if step.operation[0] == "task_done")
    assert answered == [first]


def test_an_old_reader_skips_a_pools_events(tmp_path, monkeypatch):
    """A reader that knows only the queue's kinds reads a pool's trace, skipping what it does not know."""
    path = tmp_path / "pool.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps(trace_header(scenario("pool"))) + "\n")
        from core.events import event_to_json
        for event in merged(pool_run()):
            out.write(json.dumps(event_to_json(event), separators=(",", ":")) + "\n")
    from core.recordings import trace
    monkeypatch.setattr(trace, "KINDS", trace.KINDS - POOL_KINDS)
    old = read_trace(path)
    assert [e.kind for e in old.events] == [JOIN_ENTER, JOIN_RETURN, ACTOR_EXIT]
    assert "skipped 10 events of kinds this version does not know" in old.warnings[0]


def test_a_pool_event_with_a_malformed_item_is_refused_in_one_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    event = {"seq": 1, "t": 0.1, "kind": "deliver", "actor": "result-handler", "pid": 1, "queue": POOL, "op": 1,
             "item": "task 3", "depth": 0, "unfinished": 0}
    path.write_text(json.dumps(trace_header(scenario("pool"))) + "\n" + json.dumps(event) + "\n", encoding="utf-8")
    with pytest.raises(ValueError) as refused:
        read_trace(path)
    assert str(refused.value) == (f"{path} line 2: a deliver event's item must be [int or str or null, bool, "
                                  "bool or null], not 'task 3'")
