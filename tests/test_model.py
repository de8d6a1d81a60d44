"""The run model folds a batch exactly as it folds the same events one at a time."""
from __future__ import annotations

from core.analysis.model import BLOCKED_PUT, STATE_CODES, RunModel
from tests.runs import run_scenario


def snapshot(model: RunModel) -> tuple:
    actors = {name: (a.state, a.since, a.puts, a.gets, a.task_dones, a.last_item, a.sentinels_got, a.exitcode)
              for name, a in model.actors.items()}
    queues = {name: (q.depth, q.unfinished, q.puts, q.gets, q.task_dones, q.sentinels_put)
              for name, q in model.queues.items()}
    lanes = {name: (list(times), list(codes)) for name, (times, codes) in model.transitions.items()}
    joins = [(j.actor, j.target, j.released_by, j.producers_unfinished) for j in model.joins]
    return actors, queues, lanes, joins, model.events_seen, model.last_seq, len(model.errors)


def test_batches_and_single_events_give_the_same_model():
    _, events = run_scenario("bounded", speed=40.0)
    one_by_one, all_at_once, in_chunks = RunModel(2), RunModel(2), RunModel(2)
    for event in events:
        one_by_one.apply([event])
    all_at_once.apply(events)
    for start in range(0, len(events), 7):
        in_chunks.apply(events[start:start + 7])
    assert snapshot(one_by_one) == snapshot(all_at_once) == snapshot(in_chunks)
    producer = all_at_once.actors["producer-0"]
    assert producer.puts == 8 and producer.state == "exited"
    assert STATE_CODES[BLOCKED_PUT] in all_at_once.transitions["producer-0"][1]  # backpressure shows in its lane


def _events(*rows: tuple) -> list:
    """Events from (t, kind, actor, queue, item, depth, unfinished) rows, numbered in order."""
    from core.events import Event

    return [Event(seq, t, kind, actor, 1, queue, seq if queue else 0, item, depth, unfinished)
            for seq, (t, kind, actor, queue, item, depth, unfinished) in enumerate(rows, start=1)]


def test_a_lane_tells_a_queue_join_from_a_process_join_and_keeps_it():
    """A put in main's name while main waits in join() (the sentinel main puts for a consumer added
    late, from another thread) does not turn main's lane to running."""
    from core.analysis.model import JOINING_PROCESS, WAITING_JOIN
    from core.events import ACTOR_START, JOIN_ENTER, JOIN_RETURN, PUT

    events = _events((0.0, ACTOR_START, "main", None, "main", None, None),
                     (0.1, JOIN_ENTER, "main", None, "producer-0", None, None),
                     (0.2, JOIN_RETURN, "main", None, "producer-0", None, None),
                     (0.3, JOIN_ENTER, "main", "tasks", None, 2, 2),
                     (0.4, PUT, "main", "tasks", None, 3, 3))
    model = RunModel()
    model.apply(events[:2])
    assert model.actors["main"].state == JOINING_PROCESS
    model.apply(events[2:])
    assert model.actors["main"].state == WAITING_JOIN
    assert model.transitions["main"][1][-1] == STATE_CODES[WAITING_JOIN]


def test_a_step_gate_and_a_pause_show_in_the_model():
    from core.analysis.model import PAUSED, RUNNING
    from core.events import ACTOR_START, OBSERVER_ACTOR, RUN_PAUSE, RUN_RESUME, STEP_GRANT, STEP_READY

    put = ("put", "tasks", "producer", 22)
    events = _events((0.0, ACTOR_START, "producer-0", None, "producer", None, None),
                     (0.1, STEP_READY, "producer-0", None, put, None, None),
                     (0.5, STEP_GRANT, "producer-0", None, put, None, None),
                     (1.0, RUN_PAUSE, OBSERVER_ACTOR, None, None, None, None),
                     (3.5, RUN_RESUME, OBSERVER_ACTOR, None, None, None, None))
    model = RunModel()
    model.apply(events[:2])
    assert model.actors["producer-0"].state == PAUSED
    model.apply(events[2:4])
    assert model.actors["producer-0"].state == RUNNING
    assert model.paused and model.pauses == [[1.0, None]] and OBSERVER_ACTOR not in model.actors
    model.apply(events[4:])
    assert not model.paused and model.pauses == [[1.0, 3.5]]
