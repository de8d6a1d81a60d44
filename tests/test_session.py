"""The session: live changes of actors, stopping, and what it leaves behind."""
from __future__ import annotations

import itertools
import time
from pathlib import Path

import psutil

from core.events import ACTOR_EXIT, ACTOR_START, CONSUMER, GET, PRODUCER, TASK_DONE
from core.scenarios import scenario
from core.sessions.processes import ProcessSession
from core.sources import STOPPED
from tests.runs import kinds, live_children, poll_until, replay_mismatch

ROOT = Path(__file__).resolve().parent.parent


def test_consumers_can_be_added_and_retired_while_running():
    config = scenario("seed", tasks=60, work_ms=15.0, interval_ms=25.0, speed=1.0, consumers=1)
    events = []
    with ProcessSession(config) as session:
        session.start()
        poll_until(session, events, lambda: kinds(events, GET))
        assert session.set_count(CONSUMER, 3) is None
        poll_until(session, events, lambda: len(kinds(events, ACTOR_START)) == 5)  # main, producer, 3 consumers
        assert session.live_processes() == live_children() == 4
        assert session.set_count(CONSUMER, 1) is None
        poll_until(session, events, lambda: len([e for e in kinds(events, ACTOR_EXIT)
                                                 if e.actor.startswith("consumer")]) == 2)
        retired = [e for e in kinds(events, ACTOR_EXIT) if e.actor.startswith("consumer")]
        assert all(e.exitcode == 0 for e in retired)
        assert session.live_processes() == live_children()
        poll_until(session, events, lambda: session.finished)
    # every task was done once, by whichever consumer had it, and the queue's join returned
    done = kinds(events, TASK_DONE)
    assert len(done) == 61 and done[-1].unfinished == 0
    assert "consumer-0" in {e.actor for e in kinds(events, GET)}
    assert replay_mismatch(events) is None


def test_a_retired_consumer_finishes_the_task_it_holds():
    config = scenario("seed", tasks=6, work_ms=300.0, interval_ms=200.0, speed=1.0, consumers=2)
    events = []
    with ProcessSession(config) as session:
        session.start()
        poll_until(session, events, lambda: kinds(events, GET, "consumer-1"))
        assert session.retire(CONSUMER) is None  # the newest: consumer-1, busy with a task
        poll_until(session, events, lambda: kinds(events, ACTOR_EXIT, "consumer-1"))
        mine = [e for e in events if e.actor == "consumer-1" and e.kind in (GET, TASK_DONE)]
        assert [e.kind for e in mine][-2:] == [GET, TASK_DONE]
        poll_until(session, events, lambda: session.finished)
    assert len(kinds(events, TASK_DONE)) == 7


def test_a_consumer_added_after_the_sentinels_gets_one_of_its_own():
    config = scenario("seed", tasks=8, work_ms=100.0, speed=1.0, consumers=1)
    events = []
    with ProcessSession(config) as session:
        session.start()
        poll_until(session, events, lambda: any(e.kind == "put" and e.item is None for e in events))
        assert session.retire(CONSUMER) == "the sentinels are already queued: each consumer stops when it takes one"
        assert session.add(CONSUMER) is None
        poll_until(session, events, lambda: session.finished)
    sentinels = [e for e in events if e.kind == "put" and e.item is None]
    assert [e.actor for e in sentinels] == ["producer-0", "main"]
    assert {e.actor for e in kinds(events, GET) if e.item is None} == {"consumer-0", "consumer-1"}
    assert kinds(events, TASK_DONE)[-1].unfinished == 0
    assert replay_mismatch(events) is None


def test_producers_can_be_added_while_running():
    config = scenario("seed", tasks=20, work_ms=5.0, interval_ms=20.0, speed=1.0, producers=1)
    events = []
    with ProcessSession(config) as session:
        session.start()
        poll_until(session, events, lambda: kinds(events, GET))
        assert session.add(PRODUCER) is None
        poll_until(session, events, lambda: session.finished)
    puts = [e for e in events if e.kind == "put" and e.item is not None]
    assert {e.actor for e in puts} == {"producer-0", "producer-1"}
    assert len(puts) == 40 and kinds(events, TASK_DONE)[-1].unfinished == 0


def test_every_actor_is_counted_in_before_the_first_one_starts(monkeypatch):
    # Else a quick producer could finish before the next was counted, take itself for the
    # only one, and put the sentinels while the others still had tasks to add.
    config = scenario("seed", tasks=2, work_ms=1.0, speed=100.0, producers=3, consumers=2)
    events = []
    with ProcessSession(config) as session:
        free_at_first_start = []
        launch = session._launch

        def launch_counting(role: str, claim: tuple) -> None:
            if not free_at_first_start:
                free_at_first_start.append((session._control.free_slot(PRODUCER),
                                            session._control.free_slot(CONSUMER)))
            launch(role, claim)

        monkeypatch.setattr(session, "_launch", launch_counting)
        session.start()
        poll_until(session, events, lambda: session.finished)
    assert free_at_first_start == [(3, 2)]  # the next free slots: three producers and two consumers in
    assert len([e for e in kinds(events, "put") if e.item is not None]) == 6
    assert kinds(events, TASK_DONE)[-1].unfinished == 0


def test_stop_ends_everything_within_a_second():
    config = scenario("seed", tasks=1000, work_ms=50.0, producers=2, consumers=3)
    events = []
    with ProcessSession(config) as session:
        session.start()
        poll_until(session, events, lambda: len(kinds(events, ACTOR_START)) == 6)
        pids = [a.process.pid for a in session.actors()]
        started = time.monotonic()
        session.stop()
        assert time.monotonic() - started < 1.0
        assert session.state == STOPPED
        assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                       for pid in pids)
        poll_until(session, events, lambda: session.finished)
    exits = kinds(events, ACTOR_EXIT)
    assert {e.actor for e in exits} == {"producer-0", "producer-1", "consumer-0", "consumer-1", "consumer-2", "main"}
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


def test_stop_interrupts_main_waiting_in_queue_join():
    config = scenario("forgot-task-done", speed=20.0)
    events = []
    with ProcessSession(config) as session:
        session.start()
        poll_until(session, events, lambda: any(e.kind == "join_enter" and e.queue for e in events))
        started = time.monotonic()
        session.stop()
        assert time.monotonic() - started < 1.0
        poll_until(session, events, lambda: session.finished)
    assert kinds(events, ACTOR_EXIT, "main")[0].exitcode is None


def _got_out_of_put_order(events: list, tasks: int) -> list[str]:
    """Each producer's items that were got before an item it had put earlier (in the order the gets were counted)."""
    problems = []
    gets = sorted((e for e in events if e.kind == GET and e.item is not None), key=lambda e: e.op)
    for producer in range(2):
        numbers = [e.item[0] for e in gets if producer * tasks <= e.item[0] < (producer + 1) * tasks]
        late = [(before, after) for before, after in itertools.pairwise(numbers) if after < before]
        if late:
            problems.append(f"producer-{producer}: {len(late)} item(s) got out of order, first {late[0]}")
    return problems


def test_items_are_got_in_the_order_they_left_the_queue():
    """Two producers and three consumers at full rate: each producer's items leave the pipe in
    the order it put them, and the gets are counted in the order the items leave it."""
    from tests.runs import run_scenario

    tasks = 4_000
    result, events = run_scenario("throughput", producers=2, consumers=3, tasks=tasks, producer_code="producer")
    assert result.outcome == "completed"
    assert len(kinds(events, GET)) == 2 * tasks + 3
    assert _got_out_of_put_order(events, tasks) == []
    assert replay_mismatch(events) is None
