"""What observing a JoinableQueue costs: ``python -m benchmarks.overhead [--backend B] [--rounds N] [--quick]``.

The same plain program — one producer puts N tasks and a ``None``, one consumer gets
until ``None`` calling ``task_done()`` for each (the ``None`` too), ``main`` joins the
producer, then the queue, then the consumer — runs on a stdlib ``JoinableQueue`` and
on an :class:`~core.queues.observed.ObservedJoinableQueue` whose every event is delivered
to an observer thread and counted there as it arrives (after the clock stops the
events are merged by :class:`~core.queues.merge.EventMerger` to prove that each arrived
exactly once, numbered without a gap, with counts that add up).  The
two alternate for several rounds in one run, for two workloads:

* ``tiny-tasks``: 100,000 tasks with no work, the worst case, where nothing hides
  the cost of observing;
* ``1ms-tasks``: 2,000 tasks of 1 ms of CPU work each (a busy loop, so the consumer
  really competes with the feeders and the observer for the two cores).

Throughput is tasks per second of wall time from starting the processes to the end
of the consumer's join (for the observed run: to the end of the observer's drain,
with every event checked).  It prints the absolute throughputs and the median of
the per-round ratios observed/plain, as ``tiny-tasks ratio 0.xx``.  The goals, on
a 2-core machine: tiny tasks >= 0.70, 1 ms tasks >= 0.95.

``--backend thread`` and ``--backend asyncio`` run the same program and workloads on
threads and a ``queue.Queue``, or tasks and an ``asyncio.Queue``
(:mod:`benchmarks.overhead_backends`).
"""
from __future__ import annotations

import argparse
import multiprocessing
import time
from collections import deque
from collections.abc import Callable
from functools import partial
from queue import Empty
from typing import Any

from benchmarks.workload import (
    DRAIN_DEADLINE_S,
    QUEUE_NAME,
    QUICK_WORKLOADS,
    WORKLOADS,
    Observer,
    Workload,
    report,
    verify,
)
from core.queues.observed import ObservedJoinableQueue
from core.queues.reporter import forget_reporter, install_local_reporter
from core.sessions.processes import CHANNEL_BATCHES

DEFAULT_ROUNDS = 5


# -- the plain program (top-level: spawn pickles these by name) ------------------------
def producer(queue: Any, tasks: int) -> None:
    for i in range(tasks):
        queue.put(i)
    queue.put(None)


def consumer(queue: Any, work_s: float) -> None:
    clock = time.perf_counter
    while True:
        task = queue.get()
        if task is None:
            break
        if work_s:
            deadline = clock() + work_s
            while clock() < deadline:
                pass
        queue.task_done()
    queue.task_done()  # the sentinel was a task too


def _run_program(ctx: Any, queue: Any, workload: Workload) -> tuple[Any, Any]:
    """Start the producer and consumer, and play ``main``; returns the two processes."""
    producing = ctx.Process(target=producer, args=(queue, workload.tasks), name="producer-0")
    consuming = ctx.Process(target=consumer, args=(queue, workload.work_s), name="consumer-0")
    producing.start()
    consuming.start()
    producing.join()
    queue.join()
    consuming.join()
    assert producing.exitcode == 0 and consuming.exitcode == 0, (producing.exitcode, consuming.exitcode)
    return producing, consuming


def _release(queue: Any, processes: tuple[Any, Any]) -> None:
    for process in processes:
        process.join()
        process.close()
    queue.close()
    queue.join_thread()


# -- plain ----------------------------------------------------------------------------
def run_plain(ctx: Any, workload: Workload) -> float:
    """Tasks per second on a stdlib ``JoinableQueue``."""
    queue = ctx.JoinableQueue()
    started = time.perf_counter()
    processes = _run_program(ctx, queue, workload)
    elapsed = time.perf_counter() - started
    _release(queue, processes)
    return workload.tasks / elapsed


# -- observed -------------------------------------------------------------------------
def channel_taker(channel: Any, inbox: deque) -> Callable[[float], list]:
    """Takes what the parent's local inbox holds and every batch the event channel has."""
    def take(timeout: float) -> list:
        received = [inbox.popleft() for _ in range(len(inbox))]
        try:
            batch = channel.get(timeout=timeout)
            while True:
                received += batch
                batch = channel.get(False)
        except Empty:
            pass
        return received
    return take




def run_observed(ctx: Any, workload: Workload) -> float:
    """Tasks per second on an ``ObservedJoinableQueue`` with every event delivered and counted."""
    channel = ctx.Queue(CHANNEL_BATCHES)  # bounded as in a session: the workers wait for the observer
    inbox: deque = deque()
    install_local_reporter(channel, inbox.extend)  # main's own join is observed without a feeder
    queue = ObservedJoinableQueue(ctx=ctx, events=channel, name=QUEUE_NAME)
    started = time.perf_counter()
    t0 = time.monotonic()
    observer = Observer(channel_taker(channel, inbox))
    observer.start()
    processes = _run_program(ctx, queue, workload)
    observer.finish()
    observer.join(DRAIN_DEADLINE_S)
    elapsed = time.perf_counter() - started
    alive = observer.is_alive()
    _release(queue, processes)
    channel.close()
    channel.join_thread()
    forget_reporter(channel)
    assert not alive, "the observer did not finish draining"
    verify(observer, t0, workload)
    return workload.tasks / elapsed


# -- the run --------------------------------------------------------------------------
def measure(plain_run: Callable[[Workload], float], observed_run: Callable[[Workload], float], workload: Workload,
            rounds: int) -> tuple[list[float], list[float]]:
    """Alternate plain and observed runs; the throughputs of each, in round order."""
    plain: list[float] = []
    observed: list[float] = []
    for _ in range(rounds):
        plain.append(plain_run(workload))
        observed.append(observed_run(workload))
    return plain, observed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.overhead", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, help=f"plain/observed pairs per workload (default {DEFAULT_ROUNDS})")
    parser.add_argument("--quick", action="store_true", help="a smoke run: small workloads, 1 round unless --rounds")
    parser.add_argument("--only", choices=[w.name for w in WORKLOADS], help="run one workload")
    parser.add_argument("--backend", choices=("process", "thread", "asyncio"), default="process",
                        help="processes on a JoinableQueue (default), threads on a queue.Queue, or asyncio tasks")
    args = parser.parse_args(argv)
    workloads = QUICK_WORKLOADS if args.quick else WORKLOADS
    rounds = args.rounds or (1 if args.quick else DEFAULT_ROUNDS)
    ctx = multiprocessing.get_context("spawn")
    for workload in workloads:
        if args.only and workload.name != args.only:
            continue
        if args.backend == "process":
            runs = partial(run_plain, ctx), partial(run_observed, ctx)
        else:
            from benchmarks import overhead_backends
            runs = (partial(overhead_backends.run_plain, args.backend),
                    partial(overhead_backends.run_observed, args.backend))
        plain, observed = measure(*runs, workload, rounds)
        report(f"{workload.name}: {workload.tasks} tasks x {rounds} rounds ({args.backend} backend)", workload.name,
               plain, observed)
    leftover = multiprocessing.active_children()
    assert not leftover, f"child processes left behind: {leftover}"


if __name__ == "__main__":
    main()
