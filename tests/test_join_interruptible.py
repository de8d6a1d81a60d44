"""An interruptible join() (main in a session) never misses the notify that releases it."""
from __future__ import annotations

import multiprocessing
import threading
import time
from collections import deque

import pytest

import core.queues.observed as observed
from core.queues.acting import acting_as
from core.queues.observed import ObservedJoinableQueue
from core.queues.reporter import forget_reporter, install_local_reporter


@pytest.fixture
def reported():
    """An observed queue whose records land in a list in this process: (queue, records)."""
    ctx = multiprocessing.get_context("spawn")
    channel = ctx.Queue()
    inbox: deque = deque()
    install_local_reporter(channel, inbox.extend)
    queue = ObservedJoinableQueue(ctx=ctx, events=channel, name="tasks")
    yield queue, inbox
    queue.close()
    queue.join_thread()
    forget_reporter(channel)
    channel.close()
    channel.join_thread()


@pytest.mark.timeout(20)
def test_a_notify_racing_a_timed_out_slice_still_releases_join(monkeypatch, reported):
    # Tiny slices make the join time out constantly, so task_done's notify_all often
    # lands while a waiter is timing out: multiprocessing's Condition drops it then.
    monkeypatch.setattr(observed, "WAIT_SLICE_S", 0.0002)
    queue, inbox = reported
    for round_number in range(1, 151):
        queue.put(1)

        def finish(round_number: int = round_number) -> None:
            queue.get()
            while sum(r[1] == "join_enter" for r in list(inbox)) < round_number:
                pass  # main is not waiting yet
            queue.task_done()

        worker = threading.Thread(target=finish)
        with acting_as("main", lambda: None):
            worker.start()
            started = time.monotonic()
            queue.join()
            assert time.monotonic() - started < 2.0
        worker.join()
    returns = [r for r in inbox if r[1] == "join_return"]
    assert len(returns) == 150 and all(r[8] == 0 for r in returns)


class _Retired(Exception):
    pass


@pytest.mark.timeout(20)
def test_a_consumer_retired_while_it_waits_leaves_the_next_item_to_the_others(reported):
    # The session counts the sentinels out for the active consumers only: a consumer retired
    # while waiting in get() must not take one that arrives before its next look at the slider.
    queue, _ = reported
    retired = threading.Event()
    outcome: list = []

    def stop_if_retired() -> None:
        if retired.is_set():
            raise _Retired

    def consume() -> None:
        with acting_as("consumer-1", stop_if_retired):
            try:
                outcome.append(queue.get())
            except _Retired:
                outcome.append("retired")

    worker = threading.Thread(target=consume)
    worker.start()
    while queue._rlock.acquire(False):  # the consumer holds the read lock once it waits
        queue._rlock.release()
    retired.set()
    queue.put(None)  # the sentinel, at once: well within the consumer's 50 ms wait slice
    worker.join(5)
    assert outcome == ["retired"]
    assert queue.get(timeout=5) is None  # still there for another consumer
