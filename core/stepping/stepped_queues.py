"""The observed queues of step mode: every operation passes the step gate first.

The operation itself is the stdlib's: a ``get()`` let through on an empty queue really
blocks, and returns when someone's ``put()`` wakes it.  Actors blocked in ``get()`` (or
in ``put()`` on a full queue) are served first come, first served, so which of them an
item wakes does not depend on the operating system's scheduling.  Threads and asyncio
tasks use the same gate as processes (:class:`core.stepping.gate.StepGate`, with a
``threading`` condition and plain cells), and the same rules: every operation waits at
the gate first, and an actor that must wait in the queue says so — blocked when it
starts waiting, moving again before its operation is counted — so the stepper can
tell a run that has settled from one whose last step is still under way.

On asyncio, ``task_done()`` is a plain call, not a coroutine: a task can only be
paused where it awaits, so ``task_done()`` is made within the step that leads to the
task's next ``await`` (which the narration says — it is the lesson of a coroutine that
never awaits).

``queue.Queue`` wakes one waiter per ``put``/``get``, but waiters that wake up to look
for a stop request go to the back of its line; so blocked getters and putters keep a
line of their own (first come, first served), as on processes.  ``asyncio.Queue``
already serves its waiters in order.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from core.events import GET_WAIT, PUT_WAIT
from core.queues.acting import WAIT_SLICE_S, interrupt_check
from core.queues.async_queue import ObservedAsyncQueue
from core.queues.inbox import Inbox
from core.queues.observed import ObservedJoinableQueue
from core.queues.reporter import Reporter
from core.queues.thread_queue import ObservedQueue
from core.stepping.gate import (
    BLOCKED_GET,
    BLOCKED_JOIN,
    BLOCKED_PUT,
    GET,
    GETTERS,
    JOIN,
    PUT,
    PUTTERS,
    TASK_DONE,
    StepGate,
)


class SteppedJoinableQueue(ObservedJoinableQueue):
    """An observed ``JoinableQueue`` whose every operation waits at the step gate first.

    A ``put()`` returns before its item is in the pipe (a feeder thread sends it), so a later
    step's ``put()`` in another process could overtake it when that feeder happens to run
    first (a busy machine): the queue's order would no longer be the order the steps and
    their events say.  So a put step ends only once this process's feeder has sent its item."""

    def __init__(self, maxsize: int = 0, *, gate: StepGate, ctx: Any = None, events: Any = None,
                 name: str | None = None) -> None:
        super().__init__(maxsize, ctx=ctx, events=events, name=name)
        self.step_gate = gate

    def __getstate__(self) -> Any:
        return super().__getstate__() + (self.step_gate,)

    def __setstate__(self, state: Any) -> None:
        super().__setstate__(state[:-1])
        self.step_gate = state[-1]

    def _reset(self, after_fork: bool = False) -> None:
        """This process's own state (made anew in every process: see ``multiprocessing.queues``)."""
        super()._reset(after_fork)
        #: Items this process has put, and those its feeder has sent (or given up on).
        self._sends = threading.Condition(threading.Lock())
        self._put_here = self._sent_here = 0

    def _start_thread(self) -> None:
        send = self._send_bytes

        def send_and_count(data: Any) -> None:
            send(data)
            self._count_sent()  # (a send that raises is counted by _on_queue_feeder_error, once)
        self._send_bytes = send_and_count
        super()._start_thread()

    def _count_sent(self) -> None:
        with self._sends:
            self._sent_here += 1
            self._sends.notify_all()

    def _on_queue_feeder_error(self, error: Exception, obj: Any) -> None:
        super()._on_queue_feeder_error(error, obj)
        self._count_sent()  # dropped: nothing more will come of it

    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        self.step_gate.pause(PUT, self._reporter)
        super().put(obj, block, timeout)
        check = interrupt_check()
        with self._sends:
            self._put_here += 1
            while self._sent_here < self._put_here:
                if not self._sends.wait(WAIT_SLICE_S) and check is not None:
                    check()

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        self.step_gate.pause(GET, self._reporter)
        return super().get(block, timeout)

    def task_done(self) -> None:
        self.step_gate.pause(TASK_DONE, self._reporter)
        super().task_done()

    def join(self) -> None:
        self.step_gate.pause(JOIN, self._reporter)
        super().join()
        self.step_gate.moving()

    def _before_join_wait(self) -> None:
        self.step_gate.blocked(BLOCKED_JOIN, self._reporter)

    def _wait_for_slot(self, timeout: float | None) -> bool:
        """A ``put()`` on a full queue: wait for a free slot, first come, first served."""
        if timeout is not None:
            return super()._wait_for_slot(timeout)
        gate = self.step_gate
        check = interrupt_check()
        gate.join_line(PUTTERS)
        try:
            gate.blocked(BLOCKED_PUT, self._reporter)
            while True:
                if gate.first_in_line(PUTTERS):
                    if self._sem.acquire(True, WAIT_SLICE_S):
                        gate.moving()  # before the put is counted: see Stepper.settle
                        return True
                else:
                    gate.wait_a_moment()
                if check is not None:
                    check()
        finally:
            gate.leave_line(PUTTERS)

    def _receive(self, reporter: Reporter, check: Any) -> tuple[bytes, int, int, int, float]:
        """A ``get()`` that may wait: first come, first served among the waiting getters."""
        gate = self.step_gate
        gate.join_line(GETTERS)
        try:
            if self._counts[1] <= 0 or not gate.first_in_line(GETTERS):
                self._announce_get_wait(reporter)
                gate.blocked(BLOCKED_GET, reporter)
            while not gate.first_in_line(GETTERS):
                gate.wait_a_moment()
                if check is not None:
                    check()
            with self._rlock:
                while not self._poll(WAIT_SLICE_S):
                    if check is not None:
                        check()
                gate.moving()  # before the get is counted: see Stepper.settle
                return self._take_item()
        finally:
            gate.leave_line(GETTERS)



class SteppedThreadQueue(ObservedQueue):
    """An observed ``queue.Queue`` whose every operation waits at the step gate first."""

    def __init__(self, maxsize: int = 0, *, gate: StepGate, inbox: Inbox, name: str | None = None) -> None:
        super().__init__(maxsize, inbox=inbox, name=name)
        self.step_gate = gate

    def counts(self) -> tuple[int, int]:
        return self._qsize(), self.unfinished_tasks

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        self.step_gate.pause(PUT, None, check=interrupt_check())
        super().put(item, block, timeout)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        self.step_gate.pause(GET, None, check=interrupt_check())
        return super().get(block, timeout)

    def task_done(self) -> None:
        self.step_gate.pause(TASK_DONE, None, check=interrupt_check())
        super().task_done()

    def join(self) -> None:
        self.step_gate.pause(JOIN, None, check=interrupt_check())
        super().join()
        self.step_gate.moving()

    def _wait(self, condition: threading.Condition, blocked: Callable[[], Any], timeout: float | None,
              check: Callable[[], None] | None, timed_out: type[Exception]) -> None:
        """Wait (holding ``condition``) until unblocked and first in line; blocked meanwhile."""
        if timeout is not None:
            return super()._wait(condition, blocked, timeout, check, timed_out)
        gate = self.step_gate
        line = GETTERS if condition is self.not_empty else PUTTERS if condition is self.not_full else None
        state = {GETTERS: BLOCKED_GET, PUTTERS: BLOCKED_PUT, None: BLOCKED_JOIN}[line]
        if line is not None:
            gate.join_line(line)
        try:
            gate.blocked(state, None)
            while blocked() or (line is not None and not gate.first_in_line(line)):
                condition.wait(WAIT_SLICE_S)
                if check is not None:
                    check()
            gate.moving()  # before the operation is counted: see Stepper.settle
        finally:
            if line is not None:
                gate.leave_line(line)


class SteppedAsyncQueue(ObservedAsyncQueue):
    """An observed ``asyncio.Queue`` whose every operation awaits the step gate first."""

    def __init__(self, maxsize: int = 0, *, gate: StepGate, inbox: Inbox, name: str | None = None) -> None:
        super().__init__(maxsize, inbox=inbox, name=name)
        self.step_gate = gate

    def counts(self) -> tuple[int, int]:
        return len(self._queue), self._unfinished_tasks

    async def put(self, item: Any) -> None:
        await self.step_gate.pause_async(PUT)
        await super().put(item)

    async def get(self) -> Any:
        await self.step_gate.pause_async(GET)
        return await super().get()

    async def join(self) -> None:
        await self.step_gate.pause_async(JOIN)
        await super().join()
        self.step_gate.moving()

    def _note(self, kind: str, item: Any = None, error: str | None = None) -> None:
        super()._note(kind, item, error)
        if kind == GET_WAIT:
            self.step_gate.blocked(BLOCKED_GET, None)
        elif kind == PUT_WAIT:
            self.step_gate.blocked(BLOCKED_PUT, None)

    def _before_join_wait(self) -> None:
        self.step_gate.blocked(BLOCKED_JOIN, None)

    # A waiter the queue wakes takes its item (or slot) here: moving before it is counted.
    def put_nowait(self, item: Any) -> None:
        self.step_gate.moving()
        super().put_nowait(item)

    def get_nowait(self) -> Any:
        self.step_gate.moving()
        return super().get_nowait()
