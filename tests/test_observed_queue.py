"""``ObservedJoinableQueue``: a drop-in ``multiprocessing.JoinableQueue`` whose every operation is reported.

The contract under test: the queue blocks, raises and pickles as the stdlib class does;
each operation becomes one event carrying the queue's depth and unfinished count right
after it, so that replaying the events in seq order reproduces the counts exactly; no
event is lost or duplicated; and a process flushes what it has recorded before it
blocks, and every few milliseconds while it does not.
"""
from __future__ import annotations

import os
import pickle
import queue as stdlib_queue
import threading
import time
from collections import deque
from multiprocessing.queues import JoinableQueue

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.events import (
    ERROR,
    GET,
    GET_EMPTY,
    GET_WAIT,
    JOIN_ENTER,
    JOIN_RETURN,
    MAIN_ACTOR,
    PUT,
    PUT_FULL,
    PUT_WAIT,
    TASK_DONE,
    Event,
)
from core.queues.observed import ObservedJoinableQueue
from core.system import start_methods
from tests import helpers
from tests.helpers import FACT_TIMEOUT_S, Observation, observer_errors, of_queue, replay_mismatches

#: The start methods JoinScope offers on this system (macOS: not fork, which CPython calls unsafe there).
START_METHODS = start_methods()
TOO_MANY = "task_done() called too many times"
#: A short timeout for calls that are meant to time out.
SHORT_TIMEOUT_S = 0.05
#: How soon the flusher thread must deliver an event of a process that makes no queue call.
FLUSH_DEADLINE_S = 1.0


def kinds(events: list[Event], queue: str = "tasks") -> list[str]:
    return [e.kind for e in of_queue(events, queue)]


def assert_clean(events: list[Event]) -> None:
    """No lost operation, seq and every queue's op contiguous, counts replay exactly, time never runs back."""
    assert not observer_errors(events), observer_errors(events)
    assert replay_mismatches(events) == []
    times = [e.t for e in events]
    assert times == sorted(times)


# -- a real JoinableQueue ------------------------------------------------------------------------
def test_is_a_stdlib_joinable_queue_that_reports_nothing_without_a_channel():
    queue = ObservedJoinableQueue(2)
    try:
        assert isinstance(queue, JoinableQueue)
        queue.put("a")
        queue.put("b")
        assert queue.full()
        with pytest.raises(stdlib_queue.Full):
            queue.put("c", block=False)
        assert queue.get(timeout=FACT_TIMEOUT_S) == "a"
        assert queue.get(timeout=FACT_TIMEOUT_S) == "b"
        with pytest.raises(stdlib_queue.Empty):
            queue.get(block=False)
        queue.task_done()
        queue.task_done()
        with pytest.raises(ValueError, match=r"task_done\(\) called too many times"):
            queue.task_done()
        queue.join()
    finally:
        queue.close()
        queue.join_thread()


def test_refuses_to_be_pickled_outside_spawning_like_the_stdlib():
    with Observation() as obs:
        observed = obs.queue(name="tasks")
        plain = obs.ctx.JoinableQueue()
        try:
            for queue in (plain, observed):
                with pytest.raises(RuntimeError, match="only be shared between processes through inheritance"):
                    pickle.dumps(queue)
        finally:
            plain.close()
            plain.join_thread()


# -- one process ------------------------------------------------------------------------------------
def test_put_get_task_done_are_reported_once_each_with_their_counts():
    with Observation() as obs:
        queue = obs.queue(name="tasks")
        items = [1, "two", (3, 4.5), None]
        for item in items:
            queue.put(item)
        assert [queue.get(timeout=FACT_TIMEOUT_S) for _ in items] == items
        for _ in items:
            queue.task_done()
        assert (queue.depth, queue.unfinished) == (0, 0)
        events = obs.events()

    assert_clean(events)
    assert kinds(events) == [PUT] * 4 + [GET] * 4 + [TASK_DONE] * 4
    assert [e.item for e in events if e.kind == PUT] == items
    assert [e.item for e in events if e.kind == GET] == items
    assert [(e.depth, e.unfinished) for e in events] == [(1, 1), (2, 2), (3, 3), (4, 4), (3, 4), (2, 4), (1, 4),
                                                         (0, 4), (0, 3), (0, 2), (0, 1), (0, 0)]
    assert {(e.actor, e.pid) for e in events} == {(MAIN_ACTOR, os.getpid())}


def test_extra_task_done_raises_value_error_and_is_reported_as_an_error():
    with Observation() as obs:
        queue = obs.queue(name="tasks")
        queue.put("x")
        queue.get(timeout=FACT_TIMEOUT_S)
        queue.task_done()
        with pytest.raises(ValueError, match=r"task_done\(\) called too many times"):
            queue.task_done()
        queue.put("y")
        queue.task_done()  # legal, though nobody got "y" yet: it only counts unfinished tasks
        with pytest.raises(ValueError, match=r"task_done\(\) called too many times"):
            queue.task_done()
        events = obs.events()

    assert_clean(events)
    assert kinds(events) == [PUT, GET, TASK_DONE, ERROR, PUT, TASK_DONE, ERROR]
    errors = [e for e in events if e.kind == ERROR]
    assert all(TOO_MANY in e.error for e in errors)
    assert [(e.depth, e.unfinished) for e in errors] == [(0, 0), (1, 0)]


def test_full_and_empty_raise_and_wait_like_the_stdlib():
    with Observation() as obs:
        observed = obs.queue(1, name="tasks")
        plain = obs.ctx.JoinableQueue(1)
        try:
            for queue in (plain, observed):
                with pytest.raises(stdlib_queue.Empty):
                    queue.get(block=False)
                started = time.monotonic()
                with pytest.raises(stdlib_queue.Empty):
                    queue.get(timeout=SHORT_TIMEOUT_S)
                assert time.monotonic() - started >= SHORT_TIMEOUT_S * 0.9
                queue.put("only")
                assert queue.full()
                with pytest.raises(stdlib_queue.Full):
                    queue.put("more", block=False)
                with pytest.raises(stdlib_queue.Full):
                    queue.put_nowait("more")
                started = time.monotonic()
                with pytest.raises(stdlib_queue.Full):
                    queue.put("more", timeout=SHORT_TIMEOUT_S)
                assert time.monotonic() - started >= SHORT_TIMEOUT_S * 0.9
                assert queue.get(timeout=FACT_TIMEOUT_S) == "only"
                queue.task_done()
        finally:
            plain.close()
            plain.join_thread()
        events = obs.events()

    assert_clean(events)
    # A put that waits on a full queue says so first; a get or put that raises says that too.
    assert [k for k in kinds(events) if k != GET_WAIT] == [GET_EMPTY, GET_EMPTY, PUT, PUT_FULL, PUT_FULL, PUT_WAIT,
                                                          PUT_FULL, GET, TASK_DONE]
    put_wait = next(e for e in events if e.kind == PUT_WAIT)
    assert (put_wait.depth, put_wait.unfinished, put_wait.item) == (1, 1, "more")
    assert all((e.depth, e.unfinished, e.item) == (1, 1, "more") for e in events if e.kind == PUT_FULL)
    assert all((e.depth, e.unfinished) == (0, 0) for e in events if e.kind == GET_EMPTY)


@pytest.mark.parametrize("backend", ["thread", "asyncio"])
def test_full_and_empty_are_events_on_threads_and_asyncio_too(backend):
    import asyncio

    from core.queues.async_queue import ObservedAsyncQueue
    from core.queues.inbox import Inbox
    from core.queues.thread_queue import ObservedQueue

    inbox = Inbox()
    if backend == "thread":
        queue = ObservedQueue(1, inbox=inbox, name="tasks")
        with pytest.raises(stdlib_queue.Empty):
            queue.get(block=False)
        with pytest.raises(stdlib_queue.Empty):
            queue.get(timeout=SHORT_TIMEOUT_S)
        queue.put("only")
        with pytest.raises(stdlib_queue.Full):
            queue.put_nowait("more")
        with pytest.raises(stdlib_queue.Full):
            queue.put("more", timeout=SHORT_TIMEOUT_S)
        expected = [GET_EMPTY, GET_WAIT, GET_EMPTY, PUT, PUT_FULL, PUT_WAIT, PUT_FULL]
    else:
        async def program() -> None:
            queue = ObservedAsyncQueue(1, inbox=inbox, name="tasks")
            with pytest.raises(asyncio.QueueEmpty):
                queue.get_nowait()
            await queue.put("only")
            with pytest.raises(asyncio.QueueFull):
                queue.put_nowait("more")
        asyncio.run(program())
        expected = [GET_EMPTY, PUT, PUT_FULL]
    records = inbox.take()
    assert [record[1] for record in records] == expected
    assert [record[5] for record in records] == list(range(1, len(records) + 1))  # numbered as operations


def test_closed_queue_refuses_put_and_get_like_the_stdlib():
    with Observation() as obs:
        observed = obs.queue(name="tasks")
        plain = obs.ctx.JoinableQueue()
        for queue in (plain, observed):
            queue.put("before")
            assert queue.get(timeout=FACT_TIMEOUT_S) == "before"
            queue.task_done()
            queue.close()
            queue.join_thread()
            with pytest.raises(ValueError, match="is closed"):
                queue.put("after")
            with pytest.raises(ValueError, match="is closed"):
                queue.get()
            with pytest.raises(ValueError, match="is closed"):
                queue.get(timeout=SHORT_TIMEOUT_S)
        events = obs.events()

    assert_clean(events)
    assert kinds(events) == [PUT, GET, TASK_DONE]


def test_join_with_nothing_unfinished_returns_at_once():
    with Observation() as obs:
        queue = obs.queue(name="tasks")
        queue.join()
        queue.put("x")
        queue.get(timeout=FACT_TIMEOUT_S)
        queue.task_done()
        queue.join()
        events = obs.events()

    assert_clean(events)
    assert kinds(events) == [JOIN_ENTER, JOIN_RETURN, PUT, GET, TASK_DONE, JOIN_ENTER, JOIN_RETURN]
    for join_return in (e for e in events if e.kind == JOIN_RETURN):
        assert join_return.released_by is None
        assert 0 <= join_return.waited < 1.0
        assert (join_return.depth, join_return.unfinished) == (0, 0)


def test_join_in_a_thread_is_released_by_the_last_task_done():
    with Observation() as obs:
        queue = obs.queue(name="tasks")
        for item in range(3):
            queue.put(item)
        waiter = threading.Thread(target=queue.join, name="waiter", daemon=True)
        waiter.start()
        obs.wait_for(lambda r: r["kind"] == JOIN_ENTER, "join_enter")
        for _ in range(3):
            queue.get(timeout=FACT_TIMEOUT_S)
            queue.task_done()
        waiter.join(FACT_TIMEOUT_S)
        assert not waiter.is_alive()
        events = obs.events()

    assert_clean(events)
    last_done = [e for e in events if e.kind == TASK_DONE][-1]
    join_return = next(e for e in events if e.kind == JOIN_RETURN)
    assert last_done.unfinished == 0
    assert join_return.released_by == last_done.seq
    assert join_return.seq > last_done.seq
    assert join_return.waited > 0


def test_depth_never_exceeds_maxsize_while_a_getter_unpickles_its_item():
    """A bounded queue never holds more than ``maxsize`` items, so no event may say it does.

    The getter's item takes a while to unpickle (as a big one would); a ``put`` that was
    waiting for room gets in meanwhile.  Its event must still see the depth the queue had.
    """
    with Observation() as obs:
        queue = obs.queue(1, name="tasks")
        gate = helpers.GATES["depth"] = threading.Event()
        queue.put(helpers.HeldOnArrival("depth", "first"))

        def put_second() -> None:
            queue.put("second")
            gate.set()

        putter = threading.Thread(target=put_second, name="putter", daemon=True)
        try:
            putter.start()
            obs.wait_for(lambda r: r["kind"] == PUT_WAIT, "put_wait of the putter")
            assert queue.get(timeout=FACT_TIMEOUT_S) == "first"
            queue.task_done()
            putter.join(FACT_TIMEOUT_S)
            assert not putter.is_alive()
            assert queue.get(timeout=FACT_TIMEOUT_S) == "second"
            queue.task_done()
        finally:
            gate.set()
            del helpers.GATES["depth"]
        events = obs.events()

    assert_clean(events)
    assert [(e.kind, e.depth) for e in events if e.depth is not None and e.depth > 1] == []


# -- the same program on the stdlib queue and on the observed one ------------------------------------
OPERATIONS = ("put", "put_nowait", "put_timeout", "get", "get_nowait", "get_timeout", "task_done", "join")


def _apply(queue: JoinableQueue, operation: str, item: int, in_queue: int, unfinished: int,
           maxsize: int) -> tuple[str, object]:
    """Run ``operation`` on ``queue``; what it returned or raised.

    Calls that would block forever, or race with the queue's feeder thread, are replaced
    by their bounded twin: ``put`` on a full queue by ``put_nowait``, ``get`` and
    ``get_nowait`` by a ``get`` that waits for the item known to be there (or a
    ``get_nowait`` when none is), and ``join`` with unfinished tasks by nothing.
    """
    full = maxsize > 0 and in_queue >= maxsize
    try:
        if operation == "put" and not full:
            return "ok", queue.put(item)
        if operation in ("put", "put_nowait"):
            return "ok", queue.put(item, block=False)
        if operation == "put_timeout":
            return "ok", queue.put(item, timeout=0.01)
        if operation in ("get", "get_nowait") and in_queue == 0:
            return "ok", queue.get(block=False)
        if operation in ("get", "get_nowait", "get_timeout") and in_queue > 0:
            return "ok", queue.get(timeout=FACT_TIMEOUT_S)
        if operation == "get_timeout":
            return "ok", queue.get(timeout=0.01)
        if operation == "task_done":
            return "ok", queue.task_done()
        if operation == "join" and unfinished == 0:
            return "ok", queue.join()
        return "skipped", None
    except (stdlib_queue.Full, stdlib_queue.Empty, ValueError) as error:
        return "raised", type(error)


@settings(max_examples=100, deadline=None)
@given(maxsize=st.sampled_from([0, 1, 3]),
       operations=st.lists(st.sampled_from(OPERATIONS), max_size=24))
def test_any_program_behaves_as_with_the_stdlib_queue_and_its_counts_replay(maxsize, operations):
    with Observation() as obs:
        observed = obs.queue(maxsize, name="tasks")
        plain = obs.ctx.JoinableQueue(maxsize)
        expected_kinds: list[str] = []
        in_queue: deque[int] = deque()
        unfinished = 0
        try:
            for item, operation in enumerate(operations):
                args = (item, len(in_queue), unfinished, maxsize)
                outcome = _apply(plain, operation, *args)
                assert _apply(observed, operation, *args) == outcome, operation
                assert observed.full() == plain.full()  # (qsize() would fail on macOS: no sem_getvalue)
                if outcome == ("ok", None) and operation.startswith("put"):
                    in_queue.append(item)
                    unfinished += 1
                    expected_kinds.append(PUT)
                elif outcome[0] == "ok" and operation.startswith("get"):
                    assert outcome[1] == in_queue.popleft()
                    expected_kinds.append(GET)
                elif operation == "task_done" and outcome[0] == "ok":
                    unfinished -= 1
                    expected_kinds.append(TASK_DONE)
                elif operation == "task_done":
                    expected_kinds.append(ERROR)
                elif operation == "join" and outcome[0] == "ok":
                    expected_kinds += [JOIN_ENTER, JOIN_RETURN]
                elif operation == "put_timeout" and outcome[0] == "raised":
                    expected_kinds += [PUT_WAIT, PUT_FULL]
                elif operation.startswith("put") and outcome[0] == "raised":
                    expected_kinds.append(PUT_FULL)
                elif operation.startswith("get") and outcome[0] == "raised":
                    expected_kinds.append(GET_EMPTY)
                assert (observed.depth, observed.unfinished) == (len(in_queue), unfinished)
        finally:
            plain.close()
            plain.join_thread()
        events = obs.events()

    assert_clean(events)
    assert [k for k in kinds(events) if k != GET_WAIT] == expected_kinds
    got = [e.item for e in events if e.kind == GET]
    assert got == [e.item for e in events if e.kind == PUT][:len(got)]
    assert all(e.released_by is None for e in events if e.kind == JOIN_RETURN)


# -- children of every start method --------------------------------------------------------------------
@pytest.mark.parametrize("start_method", START_METHODS)
def test_child_consumer_is_observed_and_releases_the_join(start_method):
    tasks = [(i, f"task {i}") for i in range(6)]
    with Observation(start_method) as obs:
        queue = obs.queue(name="tasks")
        go = obs.ctx.Event()
        for task in tasks:
            queue.put(task)
        child = obs.start(helpers.consume, queue, len(tasks), go, name="consumer")
        waiter = threading.Thread(target=queue.join, name="waiter", daemon=True)
        waiter.start()
        obs.wait_for(lambda r: r["kind"] == JOIN_ENTER, "join_enter")
        go.set()
        waiter.join(FACT_TIMEOUT_S)
        assert not waiter.is_alive(), "join() was never released"
        child.join(FACT_TIMEOUT_S)
        assert child.exitcode == 0
        child_pid = child.pid
        events = obs.events()

    assert_clean(events)
    assert kinds(events) == [PUT] * 6 + [JOIN_ENTER] + [GET, TASK_DONE] * 6 + [JOIN_RETURN]
    by_child = [e for e in events if e.kind in (GET, TASK_DONE)]
    assert {(e.actor, e.pid) for e in by_child} == {("consumer", child_pid)}
    assert {(e.actor, e.pid) for e in events if e not in by_child} == {(MAIN_ACTOR, os.getpid())}
    assert [e.item for e in events if e.kind == GET] == tasks
    last_done = by_child[-1]
    join_return = events[-1]
    assert (last_done.kind, last_done.unfinished) == (TASK_DONE, 0)
    assert join_return.released_by == last_done.seq
    assert join_return.waited > 0


@pytest.mark.parametrize("start_method", START_METHODS)
def test_two_queues_in_one_run_replay_independently(start_method):
    count = 5
    with Observation(start_method) as obs:
        tasks = obs.queue(name="tasks")
        results = obs.queue(name="results")
        for i in range(count):
            tasks.put(i)
        child = obs.start(helpers.relay, tasks, results, count, name="relay")
        doubled = []
        for _ in range(count):
            doubled.append(results.get(timeout=FACT_TIMEOUT_S))
            results.task_done()
        child.join(FACT_TIMEOUT_S)
        assert child.exitcode == 0
        tasks.join()
        results.join()
        child_pid = child.pid
        events = obs.events()

    assert doubled == [2 * i for i in range(count)]
    assert_clean(events)
    assert kinds(events, "tasks") == [PUT] * count + [GET, TASK_DONE] * count + [JOIN_ENTER, JOIN_RETURN]
    # main's timed get()s may find the queue empty first: each such wait is a get_wait
    assert sorted(k for k in kinds(events, "results") if k != GET_WAIT) == sorted(
        [PUT, GET, TASK_DONE] * count + [JOIN_ENTER, JOIN_RETURN])
    assert {e.pid for e in of_queue(events, "tasks", GET)} == {child_pid}
    assert {e.pid for e in of_queue(events, "results", PUT)} == {child_pid}
    assert {e.pid for e in of_queue(events, "results", GET)} == {os.getpid()}
    assert [e.item for e in of_queue(events, "results", GET)] == doubled


@pytest.mark.parametrize("start_method", START_METHODS)
def test_blocked_get_in_a_child_reports_get_wait_before_blocking(start_method):
    with Observation(start_method) as obs:
        queue = obs.queue(name="tasks")
        child = obs.start(helpers.get_one, queue, name="consumer")
        get_wait = obs.wait_for(lambda r: r["kind"] == GET_WAIT, "get_wait of the blocked child")
        assert (get_wait["pid"], get_wait["actor"]) == (child.pid, "consumer")
        assert (get_wait["depth"], get_wait["unfinished"]) == (0, 0)
        assert child.is_alive()
        queue.put("wake up")
        child.join(FACT_TIMEOUT_S)
        assert child.exitcode == 0
        child_pid = child.pid
        events = obs.events()

    assert_clean(events)
    assert kinds(events) == [GET_WAIT, PUT, GET, TASK_DONE]
    got = next(e for e in events if e.kind == GET)
    assert (got.pid, got.item, got.depth, got.unfinished) == (child_pid, "wake up", 0, 1)


@pytest.mark.parametrize("start_method", START_METHODS)
def test_blocked_put_in_a_child_reports_put_wait_before_blocking(start_method):
    with Observation(start_method) as obs:
        queue = obs.queue(1, name="tasks")
        queue.put("first")
        child = obs.start(helpers.put_one, queue, "second", name="producer")
        put_wait = obs.wait_for(lambda r: r["kind"] == PUT_WAIT, "put_wait of the blocked child")
        assert (put_wait["pid"], put_wait["actor"], put_wait["item"]) == (child.pid, "producer", "second")
        assert (put_wait["depth"], put_wait["unfinished"]) == (1, 1)
        assert child.is_alive()
        assert not [r for r in obs.records if r[1] == PUT and r[3] == child.pid], "put before there was room"
        assert queue.get(timeout=FACT_TIMEOUT_S) == "first"
        queue.task_done()
        assert queue.get(timeout=FACT_TIMEOUT_S) == "second"
        queue.task_done()
        child.join(FACT_TIMEOUT_S)
        assert child.exitcode == 0
        child_pid = child.pid
        events = obs.events()

    assert_clean(events)
    assert kinds(events)[:2] == [PUT, PUT_WAIT]
    assert sorted(k for k in kinds(events) if k != GET_WAIT) == sorted(
        [PUT, PUT_WAIT, PUT, GET, GET, TASK_DONE, TASK_DONE])
    second = [e for e in events if e.kind == PUT][1]
    assert (second.pid, second.item) == (child_pid, "second")


@pytest.mark.parametrize("start_method", START_METHODS)
def test_flusher_sends_events_of_a_child_that_makes_no_queue_call(start_method):
    with Observation(start_method) as obs:
        queue = obs.queue(name="tasks")
        stop = obs.ctx.Event()
        child = obs.start(helpers.put_then_idle, queue, "hello", stop, name="producer")
        try:
            put = obs.wait_for(lambda r: r["kind"] == PUT, "put of the idle child")
            received = time.monotonic()
            assert child.is_alive(), "the event came with the exit, not from the flusher"
            assert received - put["t"] < FLUSH_DEADLINE_S
            assert (put["pid"], put["item"]) == (child.pid, "hello")
        finally:
            stop.set()
        assert queue.get(timeout=FACT_TIMEOUT_S) == "hello"
        queue.task_done()
        child.join(FACT_TIMEOUT_S)
        assert child.exitcode == 0
        events = obs.events()

    assert_clean(events)
    assert kinds(events) == [PUT, GET, TASK_DONE]


def test_an_item_that_cannot_be_pickled_is_reported_as_an_error_event(capfd):
    with Observation() as obs:
        queue = obs.queue(name="tasks")
        queue.put(lambda: None)  # put() returns; the feeder thread fails to pickle it
        error = obs.wait_for(lambda r: r["kind"] == ERROR, "the error event")
        queue.put("next")
        assert queue.get(timeout=FACT_TIMEOUT_S) == "next"  # the queue goes on working
        queue.task_done()
        events = obs.events()
    assert error["queue"] == "tasks" and "could not be sent and is lost" in error["error"]
    assert "PicklingError" in error["error"] or "AttributeError" in error["error"]
    assert error["unfinished"] == 1  # counted by put(), so join() would wait for it
    assert [e.kind for e in events] == [PUT, ERROR, PUT, GET, TASK_DONE]
    assert "Traceback" in capfd.readouterr().err  # the stdlib's own report is kept


def test_a_very_large_item_travels_but_its_event_stays_small():
    big = b"x" * 20_000_000
    with Observation() as obs:
        queue = obs.queue(name="tasks")
        queue.put(big)
        assert queue.get(timeout=FACT_TIMEOUT_S) == big
        queue.task_done()
        events = obs.events()
    assert [e.item for e in events if e.kind in (PUT, GET)] == ["<bytes of 20000000 bytes>"] * 2
