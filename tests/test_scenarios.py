"""Each library scenario, run for real (sped up), ends as the tutorial says it should."""
from __future__ import annotations

import pytest

from core.events import ERROR, GET, JOIN_RETURN, PUT, PUT_WAIT, TASK_DONE
from core.scenarios import SCENARIOS
from core.sessions.runner import COMPLETED, STALLED
from core.system import start_methods
from tests.runs import kinds, replay_mismatch, run_scenario


def queue_join_returns(events):
    return [e for e in events if e.kind == JOIN_RETURN and e.queue is not None]


def test_seed_is_the_tutorials_program():
    result, events = run_scenario("seed")
    assert result.outcome == COMPLETED
    assert len(kinds(events, PUT)) == 11 and len(kinds(events, GET)) == 11 and len(kinds(events, TASK_DONE)) == 11
    items = [e.item for e in kinds(events, PUT)]
    assert [i[0] for i in items[:10]] == list(range(10)) and items[10] is None
    assert all(0.0 <= i[1] < 1.0 for i in items[:10])
    assert replay_mismatch(events) is None
    # main joins the producer first, then the queue; the join is released by the last task_done.
    main_joins = [e for e in events if e.actor == "main" and e.kind == JOIN_RETURN]
    assert main_joins[0].item == "producer-0" and main_joins[1].queue == "tasks"
    last_done = kinds(events, TASK_DONE)[-1]
    entered = next(e for e in events if e.kind == "join_enter" and e.queue == "tasks")
    assert last_done.unfinished == 0
    if entered.unfinished > 0:  # main waited: the last task_done released it
        assert main_joins[1].released_by == last_done.seq and main_joins[1].waited > 0
    else:  # the consumer was done before main got there: join() returned at once
        assert main_joins[1].released_by is None and last_done.seq < entered.seq
    assert [e.t for e in events] == sorted(e.t for e in events)


def test_race_join_returns_before_the_producer_has_added_anything():
    result, events = run_scenario("race")
    assert result.outcome == COMPLETED
    early = queue_join_returns(events)[0]
    assert early.released_by is None and early.unfinished == 0
    assert early.seq < kinds(events, PUT)[0].seq
    assert result.model.joins[0].producers_unfinished == ("producer-0",)


def test_too_many_task_done_raises_value_error_and_the_run_completes():
    result, events = run_scenario("too-many-task-done")
    assert result.outcome == COMPLETED
    errors = kinds(events, ERROR)
    assert len(errors) == 1 and errors[0].error.startswith("ValueError") and errors[0].actor == "consumer-0"
    assert errors[0].unfinished == 0 and errors[0].queue == "tasks"
    assert len(kinds(events, TASK_DONE)) == 11  # the failing call is an error, not a task_done
    assert result.model.actors["consumer-0"].exitcode == 1
    assert replay_mismatch(events) is None


@pytest.mark.parametrize("name, clue", [
    ("forgot-task-done", "2 task_done() call(s) are missing"),
    ("crash", "consumer-0 crashed (exit code 1) holding task"),
    ("too-few-sentinels", "never received a sentinel (1 None sent for 3 consumers)"),
])
def test_pitfalls_that_hang_end_by_the_stall_timeout_with_a_diagnosis(name, clue):
    result, events = run_scenario(name, stall_timeout_s=1.0)
    assert result.outcome == STALLED
    assert clue in result.diagnosis
    assert replay_mismatch(events) is None
    assert result.model.live_processes() == 0


def test_too_few_sentinels_lets_the_queue_join_return():
    _result, events = run_scenario("too-few-sentinels", stall_timeout_s=1.0)
    assert queue_join_returns(events)[0].released_by is not None


def test_bounded_queue_blocks_producers():
    result, events = run_scenario("bounded")
    assert result.outcome == COMPLETED
    assert kinds(events, PUT_WAIT)
    assert max(e.depth for e in events if e.queue is not None) <= 3
    assert replay_mismatch(events) is None


def test_retry_puts_failed_tasks_back_and_all_finish():
    result, events = run_scenario("retry")
    assert result.outcome == COMPLETED
    retried = [e.item for e in kinds(events, PUT) if e.item is not None and len(e.item) == 3]
    assert retried, "with seed 3 some tasks fail"
    got = [e.item for e in kinds(events, GET) if e.item is not None]
    assert sorted(i[0] for i in got if len(i) == 2) == list(range(12))
    assert sorted(i[0] for i in got if len(i) == 3) == sorted(i[0] for i in retried)
    # unfinished never drops to 0 before the last retry is done
    zero = [e for e in kinds(events, TASK_DONE) if e.unfinished == 0]
    assert zero[0].seq > max(e.seq for e in kinds(events, GET) if e.item is not None)
    assert replay_mismatch(events) is None


def test_throughput_moves_every_task_exactly_once():
    result, events = run_scenario("throughput", tasks=3000)
    assert result.outcome == COMPLETED
    puts = [e.item for e in kinds(events, PUT) if e.item is not None]
    gets = [e.item for e in kinds(events, GET) if e.item is not None]
    assert len(puts) == 6000 and sorted(puts) == sorted(gets)
    assert len(kinds(events, TASK_DONE)) == 6002
    assert replay_mismatch(events) is None


@pytest.mark.parametrize("method", [m for m in start_methods() if m != "spawn"])
def test_seed_runs_on_other_start_methods(method):
    result, events = run_scenario("seed", start_method=method)
    assert result.outcome == COMPLETED
    assert len(kinds(events, TASK_DONE)) == 11
    assert replay_mismatch(events) is None


def test_every_scenario_is_listed_with_a_description():
    for config in SCENARIOS.values():
        assert config.description and config.title
