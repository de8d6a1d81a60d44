"""``ObservedAsyncQueue``: a real ``asyncio.Queue`` that reports every operation.

``asyncio.Queue`` has ``task_done()`` and ``join()`` like the other two.  Its state
changes only on the event loop's thread, in the synchronous methods ``put_nowait``,
``get_nowait`` and ``task_done`` (the coroutines ``put`` and ``get`` wait for room or
an item, then call those).  These three mirror the CPython 3.10–3.12 bodies (3.13's
``shutdown()`` is not mirrored) and record right after them, with no ``await`` in
between, which gives each event the exact counts right after its operation: on the
loop, nothing else can run in between.  The depth is the length of the queue's own
``_queue`` and unfinished its ``_unfinished_tasks``, read at that moment; nothing is
polled from outside.

The actor of an event is the task's :class:`core.queues.acting.acting_as` name (a
context variable, so each task has its own).  Tasks are stopped the asyncio way, by cancellation; a
retired consumer is cancelled only while it waits in ``get()`` (see
:attr:`ObservedAsyncQueue.waiting_getters`), where the stdlib gives the wake-up it
may have been sent to the next getter, so no item is ever lost.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING, Any

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
from core.queues.acting import interrupt_check, named, unnamed_actor
from core.queues.inbox import BACKLOG_RECORDS, Inbox, RecordingQueue

if TYPE_CHECKING:
    class _StdlibAsyncQueue(asyncio.Queue[Any]):
        """The private parts of ``asyncio.Queue`` the methods below mirror (typeshed does not declare them)."""

        _queue: deque[Any]
        _unfinished_tasks: int
        _finished: asyncio.Event
        _getters: deque[asyncio.Future[None]]
        _putters: deque[asyncio.Future[None]]

        def _wakeup_next(self, waiters: deque[asyncio.Future[None]]) -> None: ...
else:
    _StdlibAsyncQueue = asyncio.Queue

_monotonic = time.monotonic
#: More records than this not yet taken by the observer: put() and get() wait for it.
_BACKLOG_LIMIT = BACKLOG_RECORDS


class ObservedAsyncQueue(RecordingQueue, _StdlibAsyncQueue):
    """An ``asyncio.Queue`` whose ``put``, ``get``, ``task_done`` and ``join`` are reported to ``inbox``.

    Without an ``inbox`` it reports nothing and behaves as the plain class."""

    def __init__(self, maxsize: int = 0, *, inbox: Inbox | None = None, name: str | None = None) -> None:
        super().__init__(maxsize)
        self._start_recording(inbox, name)
        #: Tasks waiting in ``get()`` for an item (cancelling one there takes nothing from the queue).
        self.waiting_getters: set[asyncio.Task] = set()

    def _note(self, kind: str, item: Any = None, error: str | None = None) -> None:
        """Record an event that changes no count (a wait, an error)."""
        self._op += 1
        self._record(wire_record(_monotonic(), kind, named() or unnamed_actor(), self._pid, self.name,  # type: ignore[misc]
                                 self._op, item, len(self._queue), self._unfinished_tasks, error=error))

    # -- put -----------------------------------------------------------------------------
    async def put(self, item: Any) -> None:
        record = self._record
        if record is None:
            return await super().put(item)
        check = interrupt_check()
        if check is not None:
            check()
        if self.full():
            self._note(PUT_WAIT, jsonable_item(item))
            await super().put(item)  # waits for room, then calls put_nowait
        else:
            self.put_nowait(item)  # what the stdlib's put() does when there is room, without its loop
        if len(self._backlog) > _BACKLOG_LIMIT:
            await self._inbox.room()  # type: ignore[union-attr]

    def put_nowait(self, item: Any) -> None:
        record = self._record
        if record is None:
            return super().put_nowait(item)
        # The stdlib's body, then the record: no await in between.
        if self.full():
            self._note(PUT_FULL, jsonable_item(item))
            raise asyncio.QueueFull
        self._put(item)
        self._unfinished_tasks += 1
        self._finished.clear()
        self._wakeup_next(self._getters)
        op = self._op = self._op + 1
        kind = type(item)
        record((_monotonic(), PUT, named() or unnamed_actor(), self._pid, self.name, op,
                item if (kind is int and -_BIG_INT < item < _BIG_INT) or item is None else jsonable_item(item),
                len(self._queue), self._unfinished_tasks))

    # -- get -----------------------------------------------------------------------------
    async def get(self) -> Any:
        if self._record is None:
            return await super().get()
        check = interrupt_check()
        if check is not None:
            check()  # before taking anything: a retired consumer stops here
        if self._queue:
            item = self.get_nowait()  # what the stdlib's get() does when an item is there
        else:
            self._note(GET_WAIT)
            task = asyncio.current_task()
            self.waiting_getters.add(task)  # type: ignore[arg-type]
            try:
                item = await super().get()  # waits for an item, then calls get_nowait
            finally:
                self.waiting_getters.discard(task)
        if len(self._backlog) > _BACKLOG_LIMIT:
            await self._inbox.room()  # type: ignore[union-attr]
        return item

    def get_nowait(self) -> Any:
        record = self._record
        if record is None:
            return super().get_nowait()
        if self.empty():
            self._note(GET_EMPTY)
            raise asyncio.QueueEmpty
        item = self._get()
        self._wakeup_next(self._putters)
        op = self._op = self._op + 1
        kind = type(item)
        record((_monotonic(), GET, named() or unnamed_actor(), self._pid, self.name, op,
                item if (kind is int and -_BIG_INT < item < _BIG_INT) or item is None else jsonable_item(item),
                len(self._queue), self._unfinished_tasks))
        return item

    # -- task_done -----------------------------------------------------------------------
    def task_done(self) -> None:
        record = self._record
        if record is None:
            return super().task_done()
        if self._unfinished_tasks <= 0:
            self._note(ERROR, error="ValueError: task_done() called too many times")
            error = ValueError("task_done() called too many times")
            error.joinscope_reported = True  # type: ignore[attr-defined]
            raise error
        # The stdlib's body, then the record.
        unfinished = self._unfinished_tasks = self._unfinished_tasks - 1
        op = self._op = self._op + 1
        if not unfinished:
            self._finished.set()
            self._last_zero = op
        record((_monotonic(), TASK_DONE, named() or unnamed_actor(), self._pid, self.name, op, None, len(self._queue),
                unfinished))

    # -- join ----------------------------------------------------------------------------
    def _before_join_wait(self) -> None:
        """Called when ``join()`` is about to wait, its ``join_enter`` recorded (a hook for
        step mode, which must know who is blocked)."""

    async def join(self) -> None:
        record = self._record
        if record is None:
            return await super().join()
        self._op += 1
        entered = _monotonic()
        actor = named() or unnamed_actor()
        record(wire_record(entered, JOIN_ENTER, actor, self._pid, self.name, self._op, None, len(self._queue),
                           self._unfinished_tasks))
        released_by = None
        if self._unfinished_tasks > 0:
            self._before_join_wait()
            await super().join()
            released_by = self._last_zero
        self._op += 1
        t = _monotonic()
        record(wire_record(t, JOIN_RETURN, actor, self._pid, self.name, self._op, None, len(self._queue),
                           self._unfinished_tasks, released_by, t - entered))
