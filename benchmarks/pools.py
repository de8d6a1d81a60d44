"""What observing a pool costs: ``python -m benchmarks.pools [--rounds N] [--quick] [--only POOL]``.

The reader's program — a pool of ``cpu_count() - 1`` worker processes (at least one) given
one task per ``apply_async`` with a callback (``multiprocessing.Pool``), or per ``submit``
(``concurrent.futures.ProcessPoolExecutor``), then waiting for every result — runs on the
stdlib's pool and on the same pool observed (:func:`core.queues.pools.observe_pools`), with
every event of the program's process and of its workers delivered over a bounded event
channel to an observer — a process of its own, as JoinScope is to a pool scenario's program —
and counted there as it arrives.  After the clock stops the
events are merged by :class:`~core.queues.merge.EventMerger` to prove each task was
submitted, started, finished and delivered exactly once with counts that replay exactly.
Plain and observed alternate for several rounds, for two workloads:

* ``tiny-tasks``: 100,000 tasks with no work, where nothing hides the cost of observing;
* ``1ms-tasks``: 2,000 tasks of 1 ms of CPU work each (a busy loop).

Throughput is tasks per second from the first submission to the last result delivered
(observed: and every event drained by the observer); the pool is started, and its
workers warmed up, before the clock starts.  It prints the throughputs and the median of
the per-round ratios observed/plain, as ``Pool tiny-tasks ratio 0.xx``.  The goals:
1 ms tasks >= 0.95; tiny tasks reported (goal >= 0.70).
"""
from __future__ import annotations

import argparse
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, wait
from typing import Any

from benchmarks.workload import DRAIN_DEADLINE_S, QUICK_WORKLOADS, WORKLOADS, Workload, report
from core.events import DELIVER, SUBMIT, TASK_FINISH, TASK_START
from core.queues.merge import EventMerger
from core.queues.pools import observe_pools, stop_observing_pools
from core.queues.reporter import forget_reporter, reporter_for
from core.recordings.trace import check_counts
from core.scenarios import default_pool_workers
from core.sessions.processes import CHANNEL_BATCHES

DEFAULT_ROUNDS = 5
POOLS = ("Pool", "ProcessPoolExecutor")
WORKERS = default_pool_workers()


def work(work_s: float) -> None:
    """One task: ``work_s`` of CPU (top-level: spawn pickles it by name)."""
    if work_s:
        deadline = time.perf_counter() + work_s
        while time.perf_counter() < deadline:
            pass


def run_pool(ctx: Any, workload: Workload) -> float:
    """``multiprocessing.Pool``: one ``apply_async`` with a callback per task, ``close()``, ``join()``."""
    done: list[None] = []
    pool = ctx.Pool(WORKERS)
    pool.map(work, [0.0] * WORKERS)  # the workers are up
    started = time.perf_counter()
    for _ in range(workload.tasks):
        pool.apply_async(work, (workload.work_s,), callback=done.append)
    pool.close()
    pool.join()
    elapsed = time.perf_counter() - started
    assert len(done) == workload.tasks
    return elapsed


def run_executor(ctx: Any, workload: Workload) -> float:
    """``ProcessPoolExecutor``: one ``submit`` per task, ``wait()`` for all, ``shutdown()``."""
    executor = ProcessPoolExecutor(WORKERS, mp_context=ctx)
    list(executor.map(work, [0.0] * WORKERS))  # the workers are up
    started = time.perf_counter()
    futures = [executor.submit(work, workload.work_s) for _ in range(workload.tasks)]
    wait(futures)
    executor.shutdown(wait=True)
    elapsed = time.perf_counter() - started
    assert all(f.exception() is None for f in futures)
    return elapsed


PROGRAMS: dict[str, Callable[[Any, Workload], float]] = {"Pool": run_pool, "ProcessPoolExecutor": run_executor}


def run_plain(ctx: Any, pool: str, workload: Workload) -> float:
    stop_observing_pools()
    return workload.tasks / PROGRAMS[pool](ctx, workload)


def observe(channel: Any, replies: Any) -> None:
    """The observer, a process of its own as JoinScope is: take every batch as it arrives and count
    it; at the marker (``None``) say so at once, then hand the records over for checking."""
    records: list[tuple] = []
    kinds: Counter[str] = Counter()
    while True:
        batch = channel.get()
        if batch is None:
            break
        records += batch
        kinds.update(record[1] for record in batch)
    replies.send("drained")
    replies.send((records, kinds))


def run_observed(ctx: Any, pool: str, workload: Workload) -> float:
    """Tasks per second with the pool observed and every event delivered to an observer process,
    counted, and checked after the clock stopped."""
    channel = ctx.Queue(CHANNEL_BATCHES)  # bounded as in a session: the processes wait for the observer
    replies, reply_end = ctx.Pipe(duplex=False)
    observer = ctx.Process(target=observe, args=(channel, reply_end), name="observer")
    observer.start()
    observe_pools(channel)
    t0 = time.monotonic()
    elapsed = PROGRAMS[pool](ctx, workload)
    started_drain = time.perf_counter()
    reporter_for(channel).flush()  # what the program's own process holds, then the marker after it
    channel.put(None)
    assert replies.poll(DRAIN_DEADLINE_S) and replies.recv() == "drained", "the observer did not finish draining"
    elapsed += time.perf_counter() - started_drain
    records, kinds = replies.recv()
    observer.join()
    stop_observing_pools()
    channel.close()
    channel.join_thread()
    forget_reporter(channel)
    verify(records, kinds, t0, workload)
    return workload.tasks / elapsed


def verify(records: list[tuple], kinds: Counter, t0: float, workload: Workload) -> None:
    """Every task (and the warm-up's) went through each stage once, and the counts replay exactly."""
    for kind in (SUBMIT, TASK_START, TASK_FINISH, DELIVER):
        assert kinds[kind] == workload.tasks + WORKERS, f"{kinds[kind]} {kind} events for {workload.tasks} tasks"
    merger = EventMerger(t0)
    merger.add(records)
    events = merger.pop_ready(final=True)
    assert not merger.lost_ops and [e.seq for e in events] == list(range(1, len(events) + 1))
    assert check_counts(events) is None, check_counts(events)
    last = [e for e in events if e.kind == DELIVER][-1]
    assert (last.depth, last.unfinished) == (0, 0), last


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pools", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, help=f"plain/observed pairs per workload (default {DEFAULT_ROUNDS})")
    parser.add_argument("--quick", action="store_true", help="a smoke run: small workloads, 1 round unless --rounds")
    parser.add_argument("--only", choices=POOLS, help="measure one kind of pool")
    parser.add_argument("--workload", choices=[w.name for w in WORKLOADS], help="run one workload")
    args = parser.parse_args(argv)
    workloads = QUICK_WORKLOADS if args.quick else WORKLOADS
    rounds = args.rounds or (1 if args.quick else DEFAULT_ROUNDS)
    ctx = multiprocessing.get_context("spawn")
    print(f"{WORKERS} worker process(es) (cpu_count() - 1), spawn")
    for pool in POOLS:
        if args.only and pool != args.only:
            continue
        for workload in workloads:
            if args.workload and workload.name != args.workload:
                continue
            plain, observed = [], []
            for _ in range(rounds):
                plain.append(run_plain(ctx, pool, workload))
                observed.append(run_observed(ctx, pool, workload))
            report(f"{pool} {workload.name}: {workload.tasks} tasks x {rounds} rounds", f"{pool} {workload.name}",
                   plain, observed)
    leftover = multiprocessing.active_children()
    assert not leftover, f"child processes left behind: {leftover}"


if __name__ == "__main__":
    main()
