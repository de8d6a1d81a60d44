"""What observing costs on the thread and asyncio backends (``python -m benchmarks.overhead --backend B``).

The same program and workloads as the process backend's benchmark
(:mod:`benchmarks.overhead`): one producer puts N tasks and a ``None``, one consumer
gets until ``None`` calling ``task_done()`` for each (the ``None`` too), ``main`` joins
the producer, then the queue, then the consumer — here as two threads on a
``queue.Queue`` or two tasks on an ``asyncio.Queue``, plain and observed
(:class:`~core.queues.thread_queue.ObservedQueue`,
:class:`~core.queues.async_queue.ObservedAsyncQueue`).  Observed, every record is
taken from the inbox and counted by an observer thread as it arrives, with the
inbox bounded as in a session; after the clock stops the records are merged to
prove that each operation was reported once, numbered without a gap, with counts
that add up.
"""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from benchmarks.workload import DRAIN_DEADLINE_S, QUEUE_NAME, Observer, Workload, verify
from core.queues.acting import acting_as
from core.queues.async_queue import ObservedAsyncQueue
from core.queues.inbox import Inbox
from core.queues.thread_queue import ObservedQueue


def _work(work_s: float) -> None:
    """``work_s`` of CPU work (a busy loop: the consumer competes for the CPU and the GIL)."""
    if work_s:
        clock = time.perf_counter
        deadline = clock() + work_s
        while clock() < deadline:
            pass


# -- threads on a queue.Queue ----------------------------------------------------------
def _thread_program(queue: Any, workload: Workload) -> None:
    def producer() -> None:
        with acting_as("producer-0"):
            for i in range(workload.tasks):
                queue.put(i)
            queue.put(None)

    def consumer() -> None:
        with acting_as("consumer-0"):
            while True:
                task = queue.get()
                if task is None:
                    break
                _work(workload.work_s)
                queue.task_done()
            queue.task_done()

    producing = threading.Thread(target=producer, name="producer-0")
    consuming = threading.Thread(target=consumer, name="consumer-0")
    producing.start()
    consuming.start()
    producing.join()
    queue.join()
    consuming.join()


# -- tasks on an asyncio.Queue ---------------------------------------------------------
async def _async_program(make_queue: Callable[[], Any], workload: Workload) -> None:
    queue = make_queue()

    async def producer() -> None:
        with acting_as("producer-0"):
            for i in range(workload.tasks):
                await queue.put(i)
            await queue.put(None)

    async def consumer() -> None:
        with acting_as("consumer-0"):
            while True:
                task = await queue.get()
                if task is None:
                    break
                _work(workload.work_s)
                queue.task_done()
            queue.task_done()

    producing = asyncio.create_task(producer())
    consuming = asyncio.create_task(consumer())
    await producing
    await queue.join()
    await consuming


def _run(backend: str, workload: Workload, inbox: Inbox | None) -> None:
    if backend == "thread":
        _thread_program(ObservedQueue(inbox=inbox, name=QUEUE_NAME), workload)
    else:
        asyncio.run(_async_program(lambda: ObservedAsyncQueue(inbox=inbox, name=QUEUE_NAME), workload))


def run_plain(backend: str, workload: Workload) -> float:
    """Tasks per second on the stdlib queue (an observed queue with no inbox is the plain class)."""
    started = time.perf_counter()
    if backend == "thread":
        import queue
        _thread_program(queue.Queue(), workload)
    else:
        asyncio.run(_async_program(asyncio.Queue, workload))
    return workload.tasks / (time.perf_counter() - started)


def run_observed(backend: str, workload: Workload) -> float:
    """Tasks per second on the observed queue, every record taken and counted by an observer thread."""
    inbox = Inbox()
    started = time.perf_counter()
    t0 = time.monotonic()
    observer = Observer(inbox.take)
    observer.start()
    _run(backend, workload, inbox)
    observer.finish()
    observer.join(DRAIN_DEADLINE_S)
    elapsed = time.perf_counter() - started
    assert not observer.is_alive(), "the observer did not finish draining"
    verify(observer, t0, workload)
    return workload.tasks / elapsed

