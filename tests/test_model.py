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
