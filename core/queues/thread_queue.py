"""``ObservedQueue``: a real ``queue.Queue`` (the threads' JoinableQueue) that reports every operation.

``queue.Queue`` has had ``task_done()`` and ``join()`` all along; its three conditions
(``not_empty``, ``not_full``, ``all_tasks_done``) share one lock, ``mutex``.  The
methods below mirror the CPython 3.10–3.12 bodies of ``put``, ``get``, ``task_done``
and ``join`` (``Lib/queue.py``; 3.13's ``shutdown()`` is not mirrored) and, inside the
same ``with`` block, number the operation, read the queue's own depth (``_qsize()``)
and ``unfinished_tasks`` and append the wire record.  Each event therefore carries
the counts right after its operation, exactly as the lock saw them; nothing is read
from outside the critical section.

Threads cannot be killed or signalled.  So that a session can stop them, every
blocking wait of a thread running under :class:`core.queues.acting.acting_as` with a ``check`` waits in
slices of :data:`~core.queues.acting.WAIT_SLICE_S` and calls ``check`` between them
(``check`` raises to end the wait — the run was stopped, the consumer retired);
``check`` also runs before a ``get`` or ``put`` begins, where nothing is held.
Without ``check`` (a plain program) the waits are the stdlib's.
"""
from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from queue import Empty, Full
from typing import Any

from core.events import (
    _BIG_INT,
    ERROR,
    GET,
    GET_EMPTY,
    GET_WAIT,
    JOIN_ENTER,
    JOIN_RETURN,
    PUT,
    PUT_FULL,
    PUT_WAIT,
    TASK_DONE,
    jsonable_item,
    wire_record,
)
from core.queues.acting import WAIT_SLICE_S, interrupt_check, named, unnamed_actor
from core.queues.inbox import BACKLOG_RECORDS, Inbox, RecordingQueue

_monotonic = time.monotonic
#: The event a wait that timed out raises with, by what it raises.
_GAVE_UP: dict[type[Exception], str] = {Empty: GET_EMPTY, Full: PUT_FULL}
#: More records than this not yet taken by the observer: put() and get() wait for it.
_BACKLOG_LIMIT = BACKLOG_RECORDS


class ObservedQueue(RecordingQueue, queue.Queue):
    """A ``queue.Queue`` whose ``put``, ``get``, ``task_done`` and ``join`` are reported to ``inbox``.

    Without an ``inbox`` it reports nothing and behaves as the plain class.
    ``name`` identifies the queue in events (unique within a run)."""

    def __init__(self, maxsize: int = 0, *, inbox: Inbox | None = None, name: str | None = None) -> None:
        super().__init__(maxsize)
        self._start_recording(inbox, name)

    # -- counts, for tests and the curious; the events are the real interface ---------
    @property
    def depth(self) -> int:
        with self.mutex:
            return self._qsize()

    def _note(self, kind: str, item: Any = None, error: str | None = None) -> None:
        """Record an event that changes no count (a wait, an error); call holding ``mutex``."""
        self._op += 1
        self._record(wire_record(_monotonic(), kind, named() or unnamed_actor(), self._pid, self.name,  # type: ignore[misc]
                                 self._op, item, self._qsize(), self.unfinished_tasks, error=error))

    def _wait(self, condition: threading.Condition, blocked: Callable[[], Any], timeout: float | None,
              check: Callable[[], None] | None, timed_out: type[Exception]) -> None:
        """Wait on ``condition`` (held) while ``blocked()``; sliced and polling ``check`` when given.
        ``check`` runs only while still blocked, so a thread never gives up a wake-up it was sent."""
        if timeout is None:
            if check is None:
                while blocked():
                    condition.wait()
            else:
                while blocked():
                    condition.wait(WAIT_SLICE_S)
                    if blocked():
                        check()
            return
        endtime = _monotonic() + timeout
        while blocked():
            remaining = endtime - _monotonic()
            if remaining <= 0.0:
                if timed_out in _GAVE_UP:
                    self._note(_GAVE_UP[timed_out])
                raise timed_out
            condition.wait(remaining if check is None else min(remaining, WAIT_SLICE_S))
            if check is not None and blocked():
                check()

    # -- put -----------------------------------------------------------------------------
    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        record = self._record
        if record is None:
            return super().put(item, block, timeout)
        check = interrupt_check()
        if check is not None:
            check()
        with self.not_full:
            if self.maxsize > 0:
                if not block:
                    if self._qsize() >= self.maxsize:
                        self._note(PUT_FULL, jsonable_item(item))
                        raise Full
                elif timeout is not None and timeout < 0:
                    raise ValueError("'timeout' must be a non-negative number")
                elif self._qsize() >= self.maxsize:
                    self._note(PUT_WAIT, jsonable_item(item))
                    self._wait(self.not_full, self._is_full, timeout, check, Full)
            self._put(item)
            unfinished = self.unfinished_tasks = self.unfinished_tasks + 1
            self.not_empty.notify()
            op = self._op = self._op + 1
            kind = type(item)
            record((_monotonic(), PUT, named() or unnamed_actor(), self._pid, self.name, op,
                    item if (kind is int and -_BIG_INT < item < _BIG_INT) or item is None else jsonable_item(item),
                    self._qsize(), unfinished))
        if len(self._backlog) > _BACKLOG_LIMIT:
            self._inbox.wait_for_room(check)  # type: ignore[union-attr]

    def _is_full(self) -> bool:
        return self._qsize() >= self.maxsize

    def _is_empty(self) -> bool:
        return not self._qsize()

    # -- get -----------------------------------------------------------------------------
    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        record = self._record
        if record is None:
            return super().get(block, timeout)
        check = interrupt_check()
        if check is not None:
            check()  # before taking anything: a retired consumer stops here
        with self.not_empty:
            waited = False
            if not block:
                if not self._qsize():
                    self._note(GET_EMPTY)
                    raise Empty
            elif timeout is not None and timeout < 0:
                raise ValueError("'timeout' must be a non-negative number")
            elif not self._qsize():
                self._note(GET_WAIT)
                self._wait(self.not_empty, self._is_empty, timeout, check, Empty)
                waited = True
            if check is not None:
                # Once more under the lock, an item there: a consumer retired since its first
                # look must leave it (it may be a sentinel, counted out for it) — and, if a
                # put woke it, the wake-up too.
                try:
                    check()
                except BaseException:
                    if waited:
                        self.not_empty.notify()
                    raise
            item = self._get()
            self.not_full.notify()
            op = self._op = self._op + 1
            kind = type(item)
            record((_monotonic(), GET, named() or unnamed_actor(), self._pid, self.name, op,
                    item if (kind is int and -_BIG_INT < item < _BIG_INT) or item is None else jsonable_item(item),
                    self._qsize(), self.unfinished_tasks))
        if len(self._backlog) > _BACKLOG_LIMIT:
            self._inbox.wait_for_room(check)  # type: ignore[union-attr]
        return item

    # -- task_done -----------------------------------------------------------------------
    def task_done(self) -> None:
        record = self._record
        if record is None:
            return super().task_done()
        with self.all_tasks_done:
            unfinished = self.unfinished_tasks - 1
            if unfinished <= 0:
                if unfinished < 0:
                    self._note(ERROR, error="ValueError: task_done() called too many times")
                    error = ValueError("task_done() called too many times")
                    error.joinscope_reported = True  # type: ignore[attr-defined]
                    raise error
                self.all_tasks_done.notify_all()
            self.unfinished_tasks = unfinished
            op = self._op = self._op + 1
            if not unfinished:
                self._last_zero = op
            record((_monotonic(), TASK_DONE, named() or unnamed_actor(), self._pid, self.name, op, None, self._qsize(),
                    unfinished))

    # -- join ----------------------------------------------------------------------------
    def join(self) -> None:
        record = self._record
        if record is None:
            return super().join()
        check = interrupt_check()
        with self.all_tasks_done:
            self._op += 1
            entered = _monotonic()
            actor = named() or unnamed_actor()
            record(wire_record(entered, JOIN_ENTER, actor, self._pid, self.name, self._op, None, self._qsize(),
                               self.unfinished_tasks))
            released_by = None
            if self.unfinished_tasks:
                self._wait(self.all_tasks_done, self._has_unfinished, None, check, TimeoutError)
                released_by = self._last_zero
            self._op += 1
            t = _monotonic()
            record(wire_record(t, JOIN_RETURN, actor, self._pid, self.name, self._op, None, self._qsize(),
                               self.unfinished_tasks, released_by, t - entered))

    def _has_unfinished(self) -> bool:
        return self.unfinished_tasks > 0
