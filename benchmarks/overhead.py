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
import statistics
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from functools import partial
from operator import itemgetter
from queue import Empty
from typing import Any, Callable

from core.events import GET, JOIN_RETURN, PUT, TASK_DONE
from core.queues.merge import EventMerger
from core.queues.observed import ObservedJoinableQueue
from core.sessions.processes import CHANNEL_BATCHES
from core.queues.reporter import forget_reporter, install_local_reporter

QUEUE_NAME = "tasks"
#: How long the observer waits on the channel before it looks at the stop flag, and
#: how long it waits on the channel before it looks whether the program is over.
OBSERVER_POLL_S = 0.005
#: How long the observed run may take to deliver its last event after the consumer exited.
DRAIN_DEADLINE_S = 30.0
DEFAULT_ROUNDS = 5


@dataclass(frozen=True)
class Workload:
    name: str
    tasks: int
    work_s: float


WORKLOADS = (Workload("tiny-tasks", 100_000, 0.0), Workload("1ms-tasks", 2_000, 0.001))
QUICK_WORKLOADS = (Workload("tiny-tasks", 10_000, 0.0), Workload("1ms-tasks", 200, 0.001))


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
class Observer(threading.Thread):
    """Takes every record as it arrives (``take(timeout)`` returns those there are, waiting
    up to ``timeout`` for a first) and counts them by kind.  Merging them into one numbered
    stream is the window's and the CLI's work, not the cost of observing, so it happens
    after the clock stops, where :func:`_check` proves every event arrived exactly once."""

    def __init__(self, take: Callable[[float], list]) -> None:
        super().__init__(name="overhead-observer", daemon=True)
        self._take = take
        self._program_done = threading.Event()
        self.records: list[tuple] = []
        self.kinds: Counter[str] = Counter()

    def finish(self) -> None:
        """The program is over: drain what is left, then stop."""
        self._program_done.set()

    def run(self) -> None:
        take, records, kinds = self._take, self.records, self.kinds
        while True:
            done = self._program_done.is_set()  # read before taking: nothing can arrive after it
            received = take(OBSERVER_POLL_S)
            if received:
                kinds.update(map(_kind, received))
                records += received
            elif done:
                return


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


_kind = itemgetter(1)


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


def verify(observer: Observer, t0: float, workload: Workload) -> None:
    """Every operation was counted as it arrived, and the merged stream is exact (after the clock stopped)."""
    for kind in (PUT, GET, TASK_DONE):
        assert observer.kinds[kind] == workload.tasks + 1, f"{observer.kinds[kind]} {kind} events counted"
    merger = EventMerger(t0)
    merger.add(observer.records)
    _check(merger.pop_ready(final=True), workload.tasks, merger.lost_ops)


def _check(events: list, tasks: int, lost_ops: int) -> None:
    """Every event arrived exactly once, in a contiguous ``seq``, and the counts add up."""
    assert not lost_ops, f"{lost_ops} operations never reported"
    assert [e.seq for e in events] == list(range(1, len(events) + 1)), "seq not contiguous"
    kinds = Counter(e.kind for e in events)
    for kind in (PUT, GET, TASK_DONE):
        assert kinds[kind] == tasks + 1, f"{kinds[kind]} {kind} events for {tasks + 1} operations"
    done = [e for e in events if e.kind == TASK_DONE]
    assert done[-1].unfinished == 0, f"final unfinished {done[-1].unfinished}"
    queue_joins = [e for e in events if e.kind == JOIN_RETURN and e.queue == QUEUE_NAME]
    assert len(queue_joins) == 1 and queue_joins[0].unfinished == 0, queue_joins


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
        ratios = [o / p for p, o in zip(plain, observed)]
        print(f"{workload.name}: {workload.tasks} tasks x {rounds} rounds ({args.backend} backend)")
        print(f"  plain    tasks/s  median {statistics.median(plain):10.0f}  " + " ".join(f"{v:.0f}" for v in plain))
        print(f"  observed tasks/s  median {statistics.median(observed):10.0f}  "
              + " ".join(f"{v:.0f}" for v in observed))
        print("  ratios " + " ".join(f"{r:.2f}" for r in ratios))
        print(f"{workload.name} ratio {statistics.median(ratios):.2f}", flush=True)
    leftover = multiprocessing.active_children()
    assert not leftover, f"child processes left behind: {leftover}"


if __name__ == "__main__":
    main()
