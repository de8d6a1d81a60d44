"""Step mode's gate: where every actor — producers, consumers and ``main`` — pauses
before each ``put``, ``get``, ``task_done`` and ``join`` and before it exits, until the
observer lets it through.

:class:`StepGate` holds one row of shared cells per actor (where it is, what it is
about to do, on which line of its code) and one condition; it travels to the actor
processes with the queue (:mod:`core.stepping.stepped_queues`).  The observer's side
is :class:`core.stepping.stepper.Stepper`.
"""
from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Callable
from contextvars import ContextVar
from types import FrameType
from typing import Any

from core.events import PRODUCER
from core.program import async_workers, workers
from core.queues.acting import WAIT_SLICE_S, interrupt_check
from core.queues.reporter import Reporter
from core.scenarios import MAX_ACTORS_PER_ROLE

# -- operations an actor pauses before --------------------------------------------------
PUT, GET, TASK_DONE, JOIN, EXIT = "put", "get", "task_done", "join", "exit"
OPERATIONS = (None, PUT, GET, TASK_DONE, JOIN, EXIT)
_OP_CODES = {name: code for code, name in enumerate(OPERATIONS) if name}

# -- where an actor is ---------------------------------------------------------------------
LAUNCHED, AT_GATE, MOVING, BLOCKED_GET, BLOCKED_PUT, BLOCKED_JOIN, BLOCKED_JOIN_PROCESS = range(7)

# -- the cells of one actor's row --------------------------------------------------------------
_STATE, _OP, _TARGET, _FUNCTION, _LINE, _ARRIVALS, _GRANTED, _SENT = range(8)
_FIELDS = 8
MAIN_INDEX = 2 * MAX_ACTORS_PER_ROLE
_SLOTS = MAIN_INDEX + 1
#: The two lines of actors waiting in a blocked call, each stored as [length, index, …].
GETTERS, PUTTERS = 0, 1
_LINE_CELLS = _SLOTS + 1

#: The functions whose lines the code panel shows: those of :mod:`core.program.workers` (and their
#: asyncio twins, which have the same names).
_WORKER_CODES = {obj.__code__: name for module in (workers, async_workers) for name, obj in sorted(vars(module).items())
                 if inspect.isfunction(obj) and obj.__module__ == module.__name__}
FUNCTIONS: tuple[str, ...] = ("",) + tuple(sorted(_WORKER_CODES.values()))
_FUNCTION_CODES = {name: code for code, name in enumerate(FUNCTIONS)}


def actor_index(role: str, slot: int) -> int:
    """The gate row of the actor in ``slot`` of ``role`` (``main`` has :data:`MAIN_INDEX`)."""
    return slot if role == PRODUCER else MAX_ACTORS_PER_ROLE + slot


def returning_from(function: Callable[..., Any]) -> tuple[int, int]:
    """(function code, line) of an actor about to return from ``function``: its last line."""
    line = max(line for _, _, line in function.__code__.co_lines() if line is not None)
    return _FUNCTION_CODES.get(function.__name__, 0), line


def _caller_in_worker_code() -> tuple[int, int]:
    """(function code, line) of the innermost frame running :mod:`core.program.workers` code."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        name = _WORKER_CODES.get(frame.f_code)
        if name is not None:
            return _FUNCTION_CODES[name], frame.f_lineno
        frame = frame.f_back
    return 0, 0


#: The gate row of the current thread or asyncio task (a context variable: each thread
#: and each task has its own); a process's actor uses the gate's ``_process_index``.
_bound_index: ContextVar[int | None] = ContextVar("joinscope_step_index", default=None)


class StepGate:
    """The shared state of step mode (picklable to the actor processes).

    ``ctx`` makes its condition and cells: a multiprocessing context for processes, or
    :data:`core.sessions.in_process.IN_PROCESS` for threads and asyncio tasks."""

    def __init__(self, ctx: Any) -> None:
        self._cond = ctx.Condition()
        self._shared = ctx.RawArray("q", _SLOTS * _FIELDS + 2 * _LINE_CELLS)
        self._bind()

    def __getstate__(self) -> tuple:
        return self._cond, self._shared

    def __setstate__(self, state: tuple) -> None:
        self._cond, self._shared = state
        self._bind()

    def _bind(self) -> None:
        self._cells = memoryview(self._shared).cast("B").cast("q")
        self._process_index: int | None = None
        #: Rows whose actor (an asyncio task) awaits its grant: (its loop, the future to resolve).
        self._wakers: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future]] = {}

    # -- which actor this thread is ----------------------------------------------------
    def bind(self, index: int, *, thread_only: bool = False) -> None:
        """Make the calling process (or only this thread or asyncio task) the actor of row ``index``."""
        if thread_only:
            _bound_index.set(index)
        else:
            self._process_index = index

    def _mine(self) -> int:
        index = _bound_index.get()
        index = self._process_index if index is None else index
        if index is None:
            raise RuntimeError("this thread is not a stepped actor")
        return index

    # -- the actor's side ------------------------------------------------------------------
    def pause(self, op: str, reporter: Reporter | None, target: int = 0, where: tuple[int, int] | None = None,
              check: Callable[[], None] | None = None) -> None:
        """Wait here, before ``op``, until the observer grants this actor a step.

        Everything recorded so far is sent first, and how much was sent is written
        down, so the observer can tell when it has all of it.  ``check`` (default: the
        process's interrupt check) is called between waits and raises to stop."""
        function, line = where if where is not None else _caller_in_worker_code()
        if reporter is not None:
            reporter.flush()
        base = self._mine() * _FIELDS
        cells = self._cells
        cond = self._cond
        with cond:
            self._arrive(base, op, target, function, line, reporter)
        check = check if check is not None else interrupt_check()
        while True:
            with cond:
                if cells[base + _GRANTED]:
                    cells[base + _GRANTED] = 0
                    cells[base + _STATE] = MOVING
                    return
                cond.wait(WAIT_SLICE_S)
            if check is not None:
                check()

    def _arrive(self, base: int, op: str, target: int, function: int, line: int, reporter: Reporter | None) -> None:
        cells = self._cells
        cells[base + _OP] = _OP_CODES[op]
        cells[base + _TARGET] = target
        cells[base + _FUNCTION] = function
        cells[base + _LINE] = line
        if reporter is not None:
            cells[base + _SENT] = reporter.sent
        cells[base + _ARRIVALS] += 1
        cells[base + _STATE] = AT_GATE

    async def pause_async(self, op: str, target: int = 0, where: tuple[int, int] | None = None) -> None:
        """:meth:`pause` for an asyncio task: it awaits its grant, and the loop runs on meanwhile.
        (Stopping a run cancels the task, which ends the wait.)"""
        function, line = where if where is not None else _caller_in_worker_code()
        index = self._mine()
        base = index * _FIELDS
        woken = asyncio.get_running_loop().create_future()
        with self._cond:
            self._arrive(base, op, target, function, line, None)
            self._wakers[index] = (asyncio.get_running_loop(), woken)
        try:
            await woken
        finally:
            with self._cond:
                self._wakers.pop(index, None)
                self._cells[base + _GRANTED] = 0
                self._cells[base + _STATE] = MOVING

    def blocked(self, state: int, reporter: Reporter | None) -> None:
        """This actor is about to block in a call (its wait event already sent)."""
        base = self._mine() * _FIELDS
        with self._cond:
            if reporter is not None:
                self._cells[base + _SENT] = reporter.sent
            self._cells[base + _STATE] = state

    def moving(self) -> None:
        """The blocked call of this actor is completing: it is on its way again."""
        with self._cond:
            self._cells[self._mine() * _FIELDS + _STATE] = MOVING

    # -- first come, first served in blocked calls ----------------------------------------
    def join_line(self, line: int) -> None:
        start = _SLOTS * _FIELDS + line * _LINE_CELLS
        cells = self._cells
        with self._cond:
            length = cells[start]
            cells[start + 1 + length] = self._mine()
            cells[start] = length + 1

    def leave_line(self, line: int) -> None:
        start = _SLOTS * _FIELDS + line * _LINE_CELLS
        cells = self._cells
        me = self._mine()
        with self._cond:
            length = cells[start]
            members = [cells[start + 1 + i] for i in range(length) if cells[start + 1 + i] != me]
            for i, index in enumerate(members):
                cells[start + 1 + i] = index
            cells[start] = len(members)
            self._cond.notify_all()

    def first_in_line(self, line: int) -> bool:
        start = _SLOTS * _FIELDS + line * _LINE_CELLS
        with self._cond:
            return self._cells[start] > 0 and self._cells[start + 1] == self._mine()

    def wait_a_moment(self) -> None:
        """Sleep until someone leaves a line (or a wait slice passes)."""
        with self._cond:
            self._cond.wait(WAIT_SLICE_S)

    # -- the observer's side ------------------------------------------------------------
    def launched(self, index: int) -> None:
        """Row ``index`` belongs to a new actor from now on."""
        base = index * _FIELDS
        with self._cond:
            for offset in range(_FIELDS):
                self._cells[base + offset] = 0
            self._cells[base + _STATE] = LAUNCHED

    def row(self, index: int) -> tuple[int, ...]:
        base = index * _FIELDS
        with self._cond:
            return tuple(self._cells[base:base + _FIELDS])

    def grant(self, index: int) -> None:
        """Let the actor of row ``index`` go; it counts as moving from this moment, so the
        run cannot look settled before the actor has even woken."""
        with self._cond:
            self._cells[index * _FIELDS + _GRANTED] = 1
            self._cells[index * _FIELDS + _STATE] = MOVING
            self._cond.notify_all()
            waker = self._wakers.pop(index, None)
        if waker is not None:
            loop, woken = waker
            loop.call_soon_threadsafe(_resolve, woken)


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def process_join_target(index: int) -> int:
    """The ``target`` cell of a join of the actor in row ``index`` (0 means the queue)."""
    return index + 1
