"""``ObservedJoinableQueue``: a real ``multiprocessing.JoinableQueue`` that reports every operation.

It is the stdlib class (a subclass), so a program using it blocks, raises and pickles
exactly as before.  What it adds is a small block of shared counters — operation
number, depth, unfinished tasks, and the operation that last brought unfinished to
zero — updated under the queue's own condition lock (``_cond``, the lock the stdlib
already takes in ``put``, ``task_done`` and ``join``).  Each event therefore carries
the counts as they were right after its operation, and replaying the events in
operation order reproduces them exactly.  Nothing is reconstructed from timestamps
and ``qsize()`` is never polled.

The methods below mirror the CPython 3.10–3.13 bodies of ``put``, ``get``,
``task_done`` and ``join`` (``multiprocessing/queues.py``) with the recording added
inside the same critical sections.  ``put``, ``get`` and ``task_done`` build their
wire record inline (no helper calls): with tiny
tasks the queue does little else, so every step per event shows in the throughput
(``python -m benchmarks.overhead``).
"""
from __future__ import annotations

import itertools
import os
import time
from multiprocessing import get_context, parent_process
from multiprocessing.reduction import ForkingPickler
from queue import Empty, Full
from typing import Any

from core.events import (
    _BIG_INT,
    ERROR,
    GET,
    GET_EMPTY,
    GET_WAIT,
    ITEM_TEXT_LIMIT,
    JOIN_ENTER,
    JOIN_RETURN,
    PUT,
    PUT_FULL,
    PUT_WAIT,
    TASK_DONE,
    jsonable_item,
    wire_record,
)
from core.queues import acting as _acting
from core.queues.acting import WAIT_SLICE_S, current_actor, current_pid, interrupt_check, named
from core.queues.reporter import BATCH_EVENTS, Reporter, reporter_for
from core.queues.stdlib import StdlibJoinableQueue

#: The shared counts: operation number, depth, unfinished, and the op of the task_done
#: that last brought unfinished to 0.  The hot paths index them as 0..3 literally.
_OP, _DEPTH, _UNFINISHED, _LAST_ZERO = range(4)
_queue_numbers = itertools.count(1)
_monotonic = time.monotonic
_loads = ForkingPickler.loads


def _put_item(obj: Any) -> Any:
    """``obj`` as a put event shows it: an address in its repr becomes an id taken from the
    bytes the feeder thread will send, which the get computes from the bytes it receives."""
    return jsonable_item(obj, lambda: ForkingPickler.dumps(obj))


#: How many times a contended lock is tried again before the caller sleeps on it.
SPINS_BEFORE_SLEEP = 200


def _acquire_soon(lock: Any, spins: int = SPINS_BEFORE_SLEEP) -> None:
    """Acquire a process-shared lock, spinning briefly first (``spins`` tries).

    Producers and consumers on different cores take the queue's lock for well under
    a microsecond at a time; sleeping in the kernel when it is busy, and being woken,
    costs tens of microseconds.  A few tries in a row almost always get it first."""
    acquire = lock.acquire
    for _ in range(spins):
        if acquire(False):
            return
    acquire()


def _new_queue_id() -> str:
    number = next(_queue_numbers)
    return f"queue-{number}" if parent_process() is None else f"queue-{number}@{os.getpid()}"


class ObservedJoinableQueue(StdlibJoinableQueue):
    """A ``JoinableQueue`` whose ``put``, ``get``, ``task_done`` and ``join`` are reported.

    ``events`` is the channel (a multiprocessing queue) that receives batches of wire
    records; without it the queue reports nothing and behaves as the plain class.
    ``name`` identifies the queue in events (unique within a run).
    """

    def __init__(self, maxsize: int = 0, *, ctx: Any = None, events: Any = None, name: str | None = None) -> None:
        ctx = ctx if ctx is not None else get_context()
        super().__init__(maxsize, ctx=ctx)
        self._events = events
        self._shared_counts = ctx.RawArray("q", 4)
        self.name = name or _new_queue_id()
        self._bind()

    def __getstate__(self) -> Any:
        return super().__getstate__() + (self._events, self._shared_counts, self.name)

    def __setstate__(self, state: Any) -> None:
        super().__setstate__(state[:-3])
        self._events, self._shared_counts, self.name = state[-3:]
        self._bind()

    def _bind(self) -> None:
        self._counts = memoryview(self._shared_counts).cast("B").cast("q")
        self._cond_lock = self._cond._lock
        self._reporter: Reporter | None = reporter_for(self._events) if self._events is not None else None

    # -- counts, for tests and the curious; the events are the real interface ---------
    @property
    def unfinished(self) -> int:
        return self._counts[_UNFINISHED]

    @property
    def depth(self) -> int:
        return self._counts[_DEPTH]

    def _record(self, kind: str, item: Any, op: int, depth: int, unfinished: int, t: float,
                released_by: int | None = None, waited: float | None = None, error: str | None = None) -> None:
        self._reporter.record(wire_record(t, kind, current_actor(), current_pid(), self.name, op, item,  # type: ignore[union-attr]
                                          depth, unfinished, released_by, waited, error))

    def _note(self, kind: str, item: Any = None, error: str | None = None) -> None:
        """Record an event that changes no count (a wait, an error); call under ``_cond``."""
        counts = self._counts
        op = counts[_OP] + 1
        counts[_OP] = op
        self._record(kind, item, op, counts[_DEPTH], counts[_UNFINISHED], _monotonic(), error=error)

    def _on_queue_feeder_error(self, error: Exception, obj: Any) -> None:
        """An item put on the queue could not be sent (it cannot be pickled, say): the
        feeder thread drops it, so it will never be got, and a ``join()`` would wait for
        its ``task_done()`` forever.  Say so as an error event, then do what the stdlib
        does (print the traceback)."""
        reporter = self._reporter
        if reporter is not None:
            problem = f"{type(error).__name__}: {error}"
            with self._cond:
                self._note(ERROR, jsonable_item(obj),  # it could not be pickled: an address-made id
                           error=f"an item put on {self.name} could not be sent and is lost ({problem}); "
                                 "a join() will wait for its task_done() forever")
            reporter.flush()
        super()._on_queue_feeder_error(error, obj)

    def discard_unsent(self) -> None:
        """Drop what this process has put but its feeder thread has not sent yet."""
        with self._notempty:
            self._buffer.clear()

    def discard_queued(self, timeout: float) -> None:
        """Read and drop the items in the pipe (a stopped run: nobody will get them), so
        that feeder threads blocked on a full pipe can finish and their processes exit.
        Takes the read lock like ``get()``, waiting for it at most ``timeout``."""
        if not self._rlock.acquire(True, timeout):
            return
        try:
            while self._reader.poll():
                self._reader.recv_bytes()
        finally:
            self._rlock.release()

    # -- put -----------------------------------------------------------------------------
    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        reporter = self._reporter
        if reporter is None:
            return super().put(obj, block, timeout)
        if self._closed:
            raise ValueError(f"Queue {self!r} is closed")
        if not self._sem.acquire(False):
            item = _put_item(obj)
            if not block:
                self._give_up(PUT_FULL, item)
                raise Full
            with self._cond:
                self._note(PUT_WAIT, item)
                reporter.flush()  # under the lock: see _announce_get_wait
            if not self._wait_for_slot(timeout):
                self._give_up(PUT_FULL, item)
                raise Full
        with self._notempty:
            lock = self._cond_lock
            if not lock.acquire(False):
                _acquire_soon(lock)
            try:
                if self._thread is None:
                    self._start_thread()
                self._buffer.append(obj)
                self._unfinished_tasks.release()
                self._notempty.notify()
                counts = self._counts
                op = counts[0] + 1
                counts[0] = op
                depth = counts[1] + 1
                counts[1] = depth
                unfinished = counts[2] + 1
                counts[2] = unfinished
                t = _monotonic()
            finally:
                lock.release()
        kind = type(obj)
        item = obj if (kind is int and -_BIG_INT < obj < _BIG_INT) or obj is None \
            or (kind is str and len(obj) <= ITEM_TEXT_LIMIT and obj.isascii()) else _put_item(obj)
        buffer = reporter.buffer
        buffer.append((t, PUT, named() or _acting.process_actor or current_actor(), _acting.pid, self.name, op, item,
                       depth, unfinished))
        if t >= reporter.flush_due or len(buffer) >= BATCH_EVENTS:
            reporter.flush()

    def _wait_for_slot(self, timeout: float | None) -> bool:
        check = interrupt_check()
        if check is None or timeout is not None:
            return self._sem.acquire(True, timeout)
        while not self._sem.acquire(True, WAIT_SLICE_S):
            check()
        return True

    # -- get -----------------------------------------------------------------------------
    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        reporter = self._reporter
        if reporter is None:
            return super().get(block, timeout)
        if self._closed:
            raise ValueError(f"Queue {self!r} is closed")
        check = interrupt_check()
        if check is not None:
            check()
        if block and timeout is None:
            res, op, depth, unfinished, t = self._receive(reporter, check)
        else:
            res, op, depth, unfinished, t = self._receive_within(reporter, block, timeout)
        self._sem.release()
        obj = _loads(res)
        kind = type(obj)
        item = obj if (kind is int and -_BIG_INT < obj < _BIG_INT) or obj is None \
            or (kind is str and len(obj) <= ITEM_TEXT_LIMIT and obj.isascii()) else jsonable_item(obj, lambda: res)
        buffer = reporter.buffer
        buffer.append((t, GET, named() or _acting.process_actor or current_actor(), _acting.pid, self.name, op, item,
                       depth, unfinished))
        if t >= reporter.flush_due or len(buffer) >= BATCH_EVENTS:
            reporter.flush()
        return obj

    def _take_item(self) -> tuple[bytes, int, int, int, float]:
        """Read the next item's bytes and count its get: ``(bytes, op, depth, unfinished, t)``.

        Call holding the read lock, with an item in the pipe.  The get is numbered before
        the lock is let go, so the gets are counted in the order their items leave the pipe
        (another consumer cannot take and count the next item first); and before its slot
        goes back to the putters, so a put that was waiting on a full queue is not counted
        first (its depth would read maxsize + 1)."""
        data = self._recv_bytes()
        lock = self._cond_lock
        if not lock.acquire(False):
            _acquire_soon(lock)
        try:
            counts = self._counts
            op = counts[0] + 1
            counts[0] = op
            depth = counts[1] - 1
            counts[1] = depth
            return data, op, depth, counts[2], _monotonic()
        finally:
            lock.release()

    def _receive(self, reporter: Reporter, check: Any) -> tuple[bytes, int, int, int, float]:
        """The next item, counted (see :meth:`_take_item`), waiting as long as it takes
        (``get()`` with no timeout); reports a ``get_wait`` and flushes before it waits."""
        rlock = self._rlock
        waiting = False
        if not rlock.acquire(False):
            # Another getter holds the read lock; with an empty queue we will wait long.
            if self._counts[_DEPTH] <= 0:
                waiting = self._announce_get_wait(reporter)
            if check is None:
                rlock.acquire()
            else:
                while not rlock.acquire(True, WAIT_SLICE_S):
                    check()
        try:
            if not waiting and self._counts[_DEPTH] <= 0 and not self._poll():
                self._announce_get_wait(reporter)
            if check is not None:
                while not self._poll(WAIT_SLICE_S):
                    check()
                # Once more with an item there: a consumer retired while it waited must leave
                # it (it may be a sentinel, counted out for it) to the others.
                check()
            return self._take_item()
        finally:
            rlock.release()

    def _receive_within(self, reporter: Reporter, block: bool,
                        timeout: float | None) -> tuple[bytes, int, int, int, float]:
        """The stdlib's non-blocking and timed receive, counted, without giving the slot back."""
        if block:
            if self._counts[_DEPTH] <= 0:
                self._announce_get_wait(reporter)
            deadline = _monotonic() + timeout  # type: ignore[operator]
        if not self._rlock.acquire(block, timeout):
            self._give_up(GET_EMPTY)
            raise Empty
        try:
            if not self._poll(deadline - _monotonic() if block else 0.0):
                self._give_up(GET_EMPTY)
                raise Empty
            return self._take_item()
        finally:
            self._rlock.release()

    def _give_up(self, kind: str, item: Any = None) -> None:
        """A put() or get() is about to raise Full or Empty: an event of its own."""
        with self._cond:
            self._note(kind, item)

    def _announce_get_wait(self, reporter: Reporter) -> bool:
        with self._cond:
            self._note(GET_WAIT)
            # Sent before the lock is released, so no later operation of the queue (a join()
            # returning, after which a program may end and kill this waiting process) can
            # be reported while this one is still only in the buffer.
            reporter.flush()
        return True

    # -- task_done -----------------------------------------------------------------------
    def task_done(self) -> None:
        reporter = self._reporter
        if reporter is None:
            return super().task_done()
        lock = self._cond_lock
        if not lock.acquire(False):
            _acquire_soon(lock)
        try:
            if not self._unfinished_tasks.acquire(False):
                self._note(ERROR, error="ValueError: task_done() called too many times")
                error = ValueError("task_done() called too many times")
                error.joinscope_reported = True  # type: ignore[attr-defined]
                raise error
            counts = self._counts
            op = counts[0] + 1
            counts[0] = op
            unfinished = counts[2] - 1
            counts[2] = unfinished
            depth = counts[1]
            t = _monotonic()
            record = (t, TASK_DONE, named() or _acting.process_actor or current_actor(), _acting.pid,
                      self.name, op, None, depth, unfinished)
            if self._unfinished_tasks._semlock._is_zero():
                counts[3] = op
                # Sent before a join() can return: a program may end right after its join,
                # and terminate the process that made these operations before its next flush.
                reporter.buffer.append(record)
                reporter.flush()
                self._cond.notify_all()
                return
        finally:
            lock.release()
        buffer = reporter.buffer
        buffer.append(record)
        if t >= reporter.flush_due or len(buffer) >= BATCH_EVENTS:
            reporter.flush()

    # -- join ----------------------------------------------------------------------------
    def _before_join_wait(self) -> None:
        """Called when ``join()`` is about to wait, its ``join_enter`` sent (a hook for
        :mod:`core.stepping.gate`, which must know who is blocked)."""

    def join(self) -> None:
        reporter = self._reporter
        if reporter is None:
            return super().join()
        check = interrupt_check()
        cond = self._cond
        if check is None:
            cond.acquire()
        else:
            while not cond.acquire(True, WAIT_SLICE_S):
                check()
        try:
            counts = self._counts
            op = counts[_OP] + 1
            counts[_OP] = op
            entered = _monotonic()
            self._record(JOIN_ENTER, None, op, counts[_DEPTH], counts[_UNFINISHED], entered)
            released_by = None
            if not self._unfinished_tasks._semlock._is_zero():
                reporter.flush()
                self._before_join_wait()
                if check is None:
                    cond.wait()
                else:
                    # A notify that races a timed-out wait is lost by multiprocessing's
                    # Condition (it re-zeroes the semaphore), so each slice also looks.
                    while not cond.wait(WAIT_SLICE_S) and not self._unfinished_tasks._semlock._is_zero():
                        check()
                released_by = counts[_LAST_ZERO]
            op = counts[_OP] + 1
            counts[_OP] = op
            t = _monotonic()
            self._record(JOIN_RETURN, None, op, counts[_DEPTH], counts[_UNFINISHED], t,
                         released_by=released_by, waited=t - entered)
        finally:
            cond.release()
