"""Helpers for tests of ``ObservedJoinableQueue``: watching its events, and the code its children run.

The worker functions live here, at the top level of an importable module, so that
``spawn`` and ``forkserver`` children can unpickle them by name (``tests.helpers``).
They import nothing from pytest, so a child starts quickly.
"""
from __future__ import annotations

import multiprocessing
import threading
import time
from collections import deque
from collections.abc import Callable
from queue import Empty
from typing import Any

from core.events import COUNT_DELTAS, ERROR, WIRE_FIELDS, Event
from core.queues.merge import EventMerger
from core.queues.observed import ObservedJoinableQueue
from core.queues.reporter import forget_reporter, install_local_reporter

#: Longest a test waits for a fact that normally takes milliseconds.
FACT_TIMEOUT_S = 10.0
#: Longest a child waits for the parent's go-ahead before giving up (so it never hangs).
CHILD_WAIT_S = 20.0
#: How long :meth:`Observation.close` lets a child that is still running end by itself.
EXIT_GRACE_S = 2.0


def wire(record: tuple) -> dict[str, Any]:
    """A wire record as a dict keyed by :data:`WIRE_FIELDS`."""
    return dict(zip(WIRE_FIELDS, record))


class Observation:
    """One observed run in this process: the channel, the queues, the children, every record.

    Records of this process go to a local inbox, as :class:`core.sessions.processes.ProcessSession` arranges;
    children report through the channel.  :meth:`close` releases everything, also when
    the test failed half-way.
    """

    def __init__(self, start_method: str | None = None) -> None:
        self.ctx = multiprocessing.get_context(start_method)
        self.t0 = time.monotonic()
        self.channel = self.ctx.Queue()
        self.inbox: deque[tuple] = deque()
        install_local_reporter(self.channel, self.inbox.extend)
        self.records: list[tuple] = []
        self.queues: list[ObservedJoinableQueue] = []
        self.processes: list[Any] = []

    def __enter__(self) -> Observation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def queue(self, maxsize: int = 0, name: str | None = None) -> ObservedJoinableQueue:
        queue = ObservedJoinableQueue(maxsize, ctx=self.ctx, events=self.channel, name=name)
        self.queues.append(queue)
        return queue

    def start(self, target: Callable[..., None], *args: Any, name: str | None = None) -> Any:
        process = self.ctx.Process(target=target, args=args, name=name, daemon=True)
        process.start()
        self.processes.append(process)
        return process

    # -- records ------------------------------------------------------------------------
    def collect(self, timeout: float = 0.0) -> list[tuple]:
        """Take what has arrived; wait up to ``timeout`` for a batch when nothing has."""
        inbox = self.inbox
        new = [inbox.popleft() for _ in range(len(inbox))]
        try:
            batch = self.channel.get(timeout=timeout) if timeout > 0 and not new else self.channel.get(False)
            while True:
                new.extend(batch)
                batch = self.channel.get(False)
        except Empty:
            pass
        self.records.extend(new)
        return new

    def wait_for(self, condition: Callable[[dict[str, Any]], bool], what: str,
                 timeout_s: float = FACT_TIMEOUT_S) -> dict[str, Any]:
        """The first record (as a dict) that satisfies ``condition``, waiting for it to arrive."""
        deadline = time.monotonic() + timeout_s
        seen = 0
        while True:
            for record in self.records[seen:]:
                found = wire(record)
                if condition(found):
                    return found
            seen = len(self.records)
            remaining = deadline - time.monotonic()
            assert remaining > 0, (f"no {what} within {timeout_s} s; what came: "
                                   + "; ".join(describe(Event(0, *r)) for r in self.records))
            self.collect(min(remaining, 0.05))

    def events(self) -> list[Event]:
        """Every event so far, merged and numbered (call when no child can still report)."""
        self.collect()
        merger = EventMerger(self.t0)
        merger.add(self.records)
        events = merger.pop_ready(final=True)
        assert merger.lost_ops == 0, (f"{merger.lost_ops} queue operation(s) were never reported; what came: "
                                      + "; ".join(map(describe, events)))
        return events

    # -- clean-up -----------------------------------------------------------------------
    def close(self) -> None:
        for process in self.processes:
            if process.exitcode is None:
                process.join(EXIT_GRACE_S)
            if process.exitcode is None:
                process.terminate()
                process.join(FACT_TIMEOUT_S)
            if process.exitcode is None:
                process.kill()
                process.join()
            self.collect()
            process.close()
        for queue in self.queues:
            queue.close()
            queue.join_thread()
        self.collect()
        self.channel.close()
        self.channel.join_thread()
        forget_reporter(self.channel)


# -- checks -------------------------------------------------------------------------------
def replay_mismatches(events: list[Event]) -> list[str]:
    """Replay each queue's depth and unfinished count in seq order; every disagreement.

    Also checks that ``seq`` runs 1, 2, 3, … and each queue's ``op`` runs 1, 2, 3, …
    in seq order, so no operation was lost, duplicated or reordered.
    """
    problems = []
    counts: dict[str, tuple[int, int]] = {}
    ops: dict[str, int] = {}
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            problems.append(f"seq {event.seq} where {expected_seq} was expected")
        if event.queue is None:
            continue
        expected_op = ops.get(event.queue, 0) + 1
        if event.op != expected_op:
            problems.append(f"event {event.seq} ({event.kind}) of {event.queue} has op {event.op}, "
                            f"expected {expected_op}")
        ops[event.queue] = event.op
        depth, unfinished = counts.get(event.queue, (0, 0))
        delta = COUNT_DELTAS.get(event.kind, (0, 0))
        depth, unfinished = depth + delta[0], unfinished + delta[1]
        if (depth, unfinished) != (event.depth, event.unfinished):
            problems.append(f"event {event.seq} ({event.kind} of {event.queue}) says "
                            f"{event.depth}/{event.unfinished}, replay gives {depth}/{unfinished}")
        counts[event.queue] = (event.depth, event.unfinished)
    return problems


def describe(event: Event) -> str:
    """``seq kind actor@pid queue#op depth/unfinished``, short enough for an assertion message."""
    where = f" {event.queue}#{event.op} {event.depth}/{event.unfinished}" if event.queue else ""
    text = f" {event.error}" if event.error else ""
    return f"{event.seq} {event.kind} {event.actor}@{event.pid}{where}{text}"


def of_queue(events: list[Event], queue: str, kind: str | None = None) -> list[Event]:
    return [e for e in events if e.queue == queue and (kind is None or e.kind == kind)]


def observer_errors(events: list[Event]) -> list[Event]:
    """Errors the merger itself reported (lost operations)."""
    return [e for e in events if e.kind == ERROR and e.queue is None]


# -- code the children run -------------------------------------------------------------------
def consume(queue: Any, count: int, go: Any) -> None:
    """Wait for ``go``, then take ``count`` tasks and mark each done."""
    if not go.wait(CHILD_WAIT_S):
        raise TimeoutError("never told to go")
    for _ in range(count):
        queue.get()
        queue.task_done()


def relay(tasks: Any, results: Any, count: int) -> None:
    """Take ``count`` tasks, put each one's double on ``results``, then mark the task done."""
    for _ in range(count):
        task = tasks.get()
        results.put(task * 2)
        tasks.task_done()


def get_one(queue: Any) -> None:
    """Block in ``get()`` until a task comes, then mark it done."""
    queue.get()
    queue.task_done()


def put_one(queue: Any, item: Any) -> None:
    """Put one task (blocking while a bounded queue is full)."""
    queue.put(item)


def put_then_idle(queue: Any, item: Any, stop: Any) -> None:
    """Put one task, then make no queue call until ``stop`` (only the flusher can report)."""
    queue.put(item)
    stop.wait(CHILD_WAIT_S)


# -- an item that is slow to arrive ---------------------------------------------------------
#: Gates by name; :class:`HeldOnArrival` items wait for theirs while ``get()`` unpickles them.
GATES: dict[str, threading.Event] = {}
#: How long an unpickling item waits for its gate at most.  A correct queue may never open
#: the gate during the ``get()`` (if it lets a blocked ``put()`` in only after unpickling),
#: so running out of patience here is not an error.
GATE_PATIENCE_S = 1.0


class HeldOnArrival:
    """An item whose unpickling, inside the getter's ``get()``, waits for ``GATES[gate]``.

    It stretches the time between the moment ``get()`` takes the item from the pipe and
    the moment it returns, as a large item would, but deterministically.
    """

    def __init__(self, gate: str, value: Any) -> None:
        self.gate = gate
        self.value = value

    def __reduce__(self) -> tuple:
        return _arrive, (self.gate, self.value)


def _arrive(gate: str, value: Any) -> Any:
    GATES[gate].wait(GATE_PATIENCE_S)
    return value
