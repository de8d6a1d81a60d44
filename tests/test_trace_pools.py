"""``joinscope trace`` on pool programs: output, errors and exit codes unchanged, every task exact.

Real programs of both kinds — ``multiprocessing.Pool`` (every start method) and
``concurrent.futures`` executors (processes and threads) — with callbacks, errors, retries,
``map`` with a chunksize and ``imap_unordered``, and two examples from the Python
documentation as they are written there.
"""
from __future__ import annotations

from collections import Counter

import pytest

from core.events import (
    CALLBACK,
    CALLBACK_RETURN,
    CANCEL,
    DELIVER,
    JOIN_ENTER,
    JOIN_RETURN,
    MAP_LISTED,
    RESULT_HANDLER,
    SUBMIT,
    TASK_FINISH,
    TASK_HANDLER,
    TASK_START,
)
from tests.test_trace_cmd import METHODS, assert_exact, trace_and_compare


def tasks_of(events: list) -> dict[str, Counter]:
    """Each pool task (by pool and key): how many times each of its kinds happened."""
    tasks: dict[str, Counter] = {}
    for event in events:
        if event.kind in (SUBMIT, TASK_START, TASK_FINISH, DELIVER, CANCEL):
            key = event.item[0] if type(event.item) is tuple else event.item
            tasks.setdefault(f"{event.queue}/{key}", Counter())[event.kind] += 1
    return tasks


def assert_every_task_once(events: list) -> None:
    """Each task submitted once, then either started, finished and delivered once — or cancelled once."""
    for task, kinds in tasks_of(events).items():
        assert kinds[SUBMIT] == 1, (task, kinds)
        if kinds[CANCEL]:
            assert kinds == Counter({SUBMIT: 1, CANCEL: 1}), (task, kinds)
        else:
            assert kinds[TASK_START] == kinds[DELIVER] == 1 and kinds[TASK_FINISH] >= 1, (task, kinds)


def assert_joins_released_by_deliveries(events: list) -> None:
    """Every join on a pool that was released names a delivery made while it waited."""
    by_seq = {e.seq: e for e in events}
    pools = {e.queue for e in events if e.kind == SUBMIT}
    entered = {}
    for event in events:
        if event.kind == JOIN_ENTER and event.queue in pools:
            entered[event.actor] = event
        elif event.kind == JOIN_RETURN and event.queue in pools and event.released_by is not None:
            releaser = by_seq[event.released_by]
            assert releaser.kind in (DELIVER, CANCEL) and releaser.queue == event.queue, (event, releaser)
            assert releaser.seq < event.seq
            # A wait on results may be released by a delivery numbered just before it began (reported,
            # then the waiter woken); join() and shutdown(), by the one that left nothing undelivered.
            if event.item in ("join()", "shutdown()"):
                assert entered[event.actor].seq < releaser.seq and releaser.unfinished == 0


@pytest.mark.parametrize("method", METHODS)
def test_a_pool_with_callbacks_is_traced_exactly(tmp_path, method):
    events, notes, result = trace_and_compare(tmp_path, "pool_callbacks.py", method, "40")
    assert result.stdout.startswith("36 results")
    assert_exact(events)
    assert_every_task_once(events)
    assert_joins_released_by_deliveries(events)
    kinds = Counter(e.kind for e in events)
    assert kinds[SUBMIT] == 41 and kinds[CANCEL] == 1  # the lambda's task never ran
    delivered = [e for e in events if e.kind == DELIVER]
    assert {e.actor for e in delivered} == {RESULT_HANDLER}
    assert sum(1 for e in delivered if not e.item[1]) == 4  # the four ValueErrors
    # Every callback (36 results, 4 failures, the PicklingError heard in the task handler) ran and returned.
    assert kinds[CALLBACK] == kinds[CALLBACK_RETURN] == 41
    # Each on the lane of the thread that ran it: the unsent task's error_callback runs in the task
    # handler (which hands its error over itself: it is cancelled, never delivered), the rest in the
    # result handler, each starting right after its task's delivery.
    unsent = next(e.item[0] for e in events if e.kind == CANCEL)
    callbacks = [e for e in events if e.kind in (CALLBACK, CALLBACK_RETURN)]
    assert {e.actor for e in callbacks if e.item[0] == unsent} == {TASK_HANDLER}
    assert {e.actor for e in callbacks if e.item[0] != unsent} == {RESULT_HANDLER}
    pool_events = [e for e in events if e.queue == delivered[0].queue]
    for at, event in enumerate(pool_events):
        if event.kind == DELIVER:
            started = pool_events[at + 1]
            assert started.kind == CALLBACK and started.item[0] == event.item[0], (event, started)
    workers = {e.actor for e in events if e.kind == TASK_START}
    assert workers and workers <= {"worker-0", "worker-1", "worker-2"}
    join = [e for e in events if e.kind == JOIN_RETURN and e.item == "join()"]
    assert len(join) == 1 and join[0].unfinished == 0
    assert any("pool(s): 41 tasks submitted · 40 started · 40 delivered (4 raised) · 1 cancelled" in n for n in notes)


@pytest.mark.parametrize("method", METHODS)
def test_map_with_a_chunksize_and_imap_unordered_are_traced_exactly(tmp_path, method):
    events, _, _ = trace_and_compare(tmp_path, "pool_map_chunks.py", method)
    assert_exact(events)
    assert_every_task_once(events)
    assert_joins_released_by_deliveries(events)
    submits = [e for e in events if e.kind == SUBMIT]
    assert {e.actor for e in submits} == {TASK_HANDLER}  # a map's tasks are made by the pool's task handler
    chunks = [e for e in submits if "×" in e.item[1]]
    # map 200 by 16, imap_unordered 100 by 7, starmap's 3 items one by one, map of 500 in 8 (2 workers × 4)
    assert len(chunks) == 13 + 15 + 3 + 8
    assert len(submits) - len(chunks) == 10  # imap_unordered with chunksize 1: a task per item
    listed = [e for e in events if e.kind == MAP_LISTED]
    assert [e.item[0] for e in listed] == [500]  # only the generator was read into a list first


@pytest.mark.parametrize("method", METHODS)
def test_retries_on_a_process_pool_executor_are_traced_exactly(tmp_path, method):
    events, _, result = trace_and_compare(tmp_path, "executor_retries.py", method, "30")
    assert result.stdout == "30 tasks done after 60 attempts, sum 870\n"
    assert_exact(events)
    assert_every_task_once(events)
    assert_joins_released_by_deliveries(events)
    kinds = Counter(e.kind for e in events)
    assert kinds[SUBMIT] == kinds[DELIVER] == 60
    assert sum(1 for e in events if e.kind == DELIVER and not e.item[1]) == 30  # the failed attempts
    waits = [e for e in events if e.kind == JOIN_RETURN and e.item == "as_completed()"]
    assert waits and all(e.released_by is not None for e in waits)
    assert [e.item for e in events if e.kind == JOIN_RETURN][-1] == "shutdown()"


def test_a_thread_pool_executor_is_traced_on_its_threads(tmp_path):
    events, _, _ = trace_and_compare(tmp_path, "thread_executor.py")
    assert_exact(events)
    assert_every_task_once(events)
    assert_joins_released_by_deliveries(events)
    kinds = Counter(e.kind for e in events)
    assert kinds[CANCEL] == 2  # cancelled before a worker took them
    workers = {e.actor for e in events if e.kind == TASK_START}
    assert workers == {e.actor for e in events if e.kind == DELIVER}  # a thread pool's workers deliver
    assert all(actor.startswith("ThreadPoolExecutor-") for actor in workers)
    assert kinds[CALLBACK] == 1  # the done callback
    assert "wait()" in {e.item for e in events if e.kind == JOIN_ENTER}


@pytest.mark.parametrize("method", METHODS)
def test_the_documentations_pool_example_is_traced_exactly(tmp_path, method):
    events, _, result = trace_and_compare(tmp_path, "docs_pool.py", method)
    assert result.stdout.endswith("Now the pool is closed and no longer available\n")
    assert_exact(events)
    assert_every_task_once(events)
    # map() of 10 items on 4 workers: chunks of 1; imap_unordered: 10; apply_async: 1, 1 and 4
    assert Counter(e.kind for e in events)[SUBMIT] == 10 + 10 + 1 + 1 + 4


def test_the_documentations_process_pool_example_is_traced_exactly(tmp_path):
    events, _, result = trace_and_compare(tmp_path, "docs_executor_primes.py")
    assert result.stdout.count("is prime") == 6
    assert_exact(events)
    assert_every_task_once(events)
    assert Counter(e.kind for e in events)[SUBMIT] == 6
