"""Where the events of an in-process run (threads or asyncio tasks) wait for the session.

Thread and asyncio actors share one process with their observer, so their records
need no channel, no pickling and no merge across processes: each queue appends its
wire record (see :data:`core.events.WIRE_FIELDS`) to one deque *inside* the critical
section of the operation, so the deque holds each queue's operations in the order
its lock (or the event loop) saw them.  The session takes them in bulk.

The backlog is bounded like the process backend's event channel: when the observer
(a window that is behind, say) lets more than :data:`BACKLOG_RECORDS` pile up, the
actors wait for it at their next operation instead of growing this process's memory.
"""
from __future__ import annotations

import itertools
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from core.queues.acting import WAIT_SLICE_S

#: Records the actors may make before the observer has taken them (16 batches of 1,024,
#: as the process backend's channel holds).
BACKLOG_RECORDS = 16 * 1024
#: How often an idle :meth:`Inbox.take` looks again while it waits for a first record.
TAKE_POLL_S = 0.005
#: How long a coroutine held back by a full backlog sleeps before it looks again.
ASYNC_ROOM_POLL_S = 0.002


_queue_numbers = itertools.count(1)


class RecordingQueue:
    """What the thread and asyncio backends' observed queues keep to report their operations.

    ``_record`` appends a wire record to ``inbox`` (``None``: report nothing, behave as the
    plain class); ``_op`` numbers the queue's operations and ``_last_zero`` is the
    ``task_done`` that last brought unfinished to 0 (a ``join_return``'s ``released_by``)."""

    def _start_recording(self, inbox: Inbox | None, name: str | None) -> None:
        #: The queue's name in events (unique within a run).
        self.name = name or f"queue-{next(_queue_numbers)}"
        self._inbox = inbox
        self._record = inbox.append if inbox is not None else None
        #: What the hot paths check to hold actors back while the observer is behind.
        self._backlog: Any = inbox.pending if inbox is not None else ()
        self._pid = os.getpid()
        self._op = 0
        self._last_zero = 0


class Inbox:
    """A thread-safe, bounded-by-courtesy list of wire records, oldest first.

    ``append`` is ``deque.append`` itself (atomic, no lock): the queues call it on
    every operation.  ``take`` empties it for the observer."""

    def __init__(self, limit: int = BACKLOG_RECORDS) -> None:
        self._records: deque[tuple] = deque()
        self.append: Callable[[tuple], None] = self._records.append
        #: The deque itself, for a cheap ``len()`` on the queues' hot paths.
        self.pending = self._records
        self.limit = limit
        self._room = threading.Event()

    def __len__(self) -> int:
        return len(self._records)

    def take(self, timeout: float = 0.0) -> list[tuple]:
        """Every record so far; waits up to ``timeout`` for a first one."""
        records = self._records
        if not records and timeout > 0:
            deadline = time.monotonic() + timeout
            while not records:
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                time.sleep(min(TAKE_POLL_S, left))
        pop = records.popleft
        taken = [pop() for _ in range(len(records))]
        if taken:
            self._room.set()
        return taken

    @property
    def full(self) -> bool:
        return len(self._records) > self.limit

    def wait_for_room(self, check: Callable[[], None] | None) -> None:
        """Block the calling thread until the observer has taken the backlog (call with no
        lock held); ``check`` is polled every :data:`WAIT_SLICE_S` and may raise to stop."""
        while len(self._records) > self.limit:
            self._room.clear()
            if len(self._records) <= self.limit:
                return
            self._room.wait(WAIT_SLICE_S)
            if check is not None:
                check()

    async def room(self) -> None:
        """The same for a coroutine: the event loop keeps running while it waits."""
        import asyncio  # here: a traced threads-only program should not pay for importing asyncio
        while len(self._records) > self.limit:
            await asyncio.sleep(ASYNC_ROOM_POLL_S)
