"""Step mode: real processes on a real ``JoinableQueue``, one operation at a time.

Every actor — producers, consumers and ``main`` — pauses at a *gate* before each
``put``, ``get``, ``task_done`` and ``join`` and before it exits, until the observer
lets it through.  The operation itself is the stdlib's: a ``get()`` let through on
an empty queue really blocks, and returns when someone's ``put()`` wakes it.

Three pieces:

* :class:`StepGate` — one row of shared cells per actor (where it is, what it is
  about to do, on which line of its code) and one condition; it travels to the
  actor processes with the queue.
* :class:`SteppedJoinableQueue` — the observed queue whose operations pass the gate
  first.  Actors blocked in ``get()`` (or in ``put()`` on a full queue) are served
  first come, first served, so which of them an item wakes does not depend on the
  operating system's scheduling.
* :class:`Stepper` — the observer's side.  It lets a step through only when the run
  has *settled*: every actor is paused at its gate, blocked in a call that cannot
  complete yet, or gone, and every event it sent has arrived.  It then announces
  the actors paused (``step_ready``, in a fixed order), and records each step it
  grants (``step_grant``).  Because nothing moves between two settled
  states but the granted actor and whoever its operation wakes, the same scenario,
  seed and step order give the same events every time.
"""
from __future__ import annotations

import asyncio
import inspect
import sys
import threading
import time
from collections import Counter
from contextvars import ContextVar
from typing import Any, Callable

from core.program import workers
from core.program import async_workers
from core.program.control import CONSUMER, PRODUCER
from core.events import ACTOR_START, STEP_GRANT, STEP_READY
from core.queues.observed import ObservedJoinableQueue
from core.queues.reporter import WAIT_SLICE_S, Reporter, interrupt_check
from core.scenarios import MAX_ACTORS_PER_ROLE

ROUND_ROBIN = "round-robin"
MANUAL = "manual"
STEP_ORDERS = (ROUND_ROBIN,)

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
    frame = sys._getframe(2)
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


class SteppedJoinableQueue(ObservedJoinableQueue):
    """An observed ``JoinableQueue`` whose every operation waits at the step gate first."""

    def __init__(self, maxsize: int = 0, *, gate: StepGate, ctx: Any = None, events: Any = None,
                 name: str | None = None) -> None:
        super().__init__(maxsize, ctx=ctx, events=events, name=name)
        self.step_gate = gate

    def __getstate__(self) -> tuple:
        return super().__getstate__() + (self.step_gate,)

    def __setstate__(self, state: tuple) -> None:
        super().__setstate__(state[:-1])
        self.step_gate = state[-1]

    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        self.step_gate.pause(PUT, self._reporter)
        super().put(obj, block, timeout)

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

    def _receive(self, reporter: Reporter, check: Any) -> bytes:
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
                data = self._recv_bytes()
                gate.moving()  # before the get is counted: see Stepper.settle
                return data
        finally:
            gate.leave_line(GETTERS)


class Stepper:
    """The observer's side of step mode: when the run has settled, who is paused, whose turn it is.

    ``auto`` (round-robin) grants the next step as soon as the run settles; otherwise
    steps are granted by :meth:`grant` (a button, a click on an actor's lane).
    """

    def __init__(self, gate: StepGate, queue_name: str, counts: Callable[[], tuple[int, int]], maxsize: int,
                 auto: bool = False) -> None:
        self.gate = gate
        self.queue_name = queue_name
        #: The queue's (depth, unfinished) now, read from its own counters.
        self.counts = counts
        self.maxsize = maxsize
        self.auto = auto
        self._lock = threading.Lock()
        self._rows: dict[str, int] = {}
        self._names: dict[int, str] = {}
        self._pids: dict[str, int] = {}
        #: Actors whose records reach the observer directly (no channel to wait for).
        self._in_process: set[str] = set()
        #: Actors whose start the stepper announces (the others announce it themselves).
        self._announce_start: set[str] = set()
        self._received: Counter[str] = Counter()
        self._announced: dict[str, int] = {}
        #: Actors paused at their gate now, with what they are about to do.
        self.ready: dict[str, tuple] = {}
        self.settled = False
        self.steps = 0
        self._last_granted: str | None = None

    # -- actors -------------------------------------------------------------------------
    def add_actor(self, name: str, index: int, pid: int, in_process: bool = False,
                  announce_start: bool | None = None) -> None:
        """Follow the actor ``name`` in gate row ``index`` (cleared with ``gate.launched``
        before it started, so it cannot have paused yet).  ``in_process``: its records
        need no channel; ``announce_start`` (default: not ``main``): its ``actor_start`` is
        announced here, in step order, when it first pauses — processes, threads and
        tasks start in whatever order they are scheduled."""
        with self._lock:
            old = self._names.get(index)
            if old is not None:
                self._rows.pop(old, None)
            self._rows[name] = index
            self._names[index] = name
            self._pids[name] = pid
            if in_process:
                self._in_process.add(name)
            if announce_start if announce_start is not None else name != "main":
                self._announce_start.add(name)
            self.settled = False

    def received(self, records: list[tuple]) -> None:
        """Count what came over the channel, by actor (only the actors' own records do)."""
        if records:
            self._received.update(record[2] for record in records)

    # -- settling -------------------------------------------------------------------------
    def settle(self, gone: Callable[[str], bool]) -> list[tuple]:
        """If the run has settled, the ``step_ready`` records of the actors paused
        (in :func:`step_order`); ``gone(name)`` says whether an actor has ended."""
        with self._lock:
            if self.settled:
                return []
            depth, unfinished = self.counts()
            rows = {name: self.gate.row(index) for name, index in self._rows.items()}
            for name, row in rows.items():
                if name not in self._in_process and self._received[name] < row[_SENT]:
                    return []
                if gone(name):
                    continue
                state = row[_STATE]
                if state == AT_GATE:
                    continue
                if state == BLOCKED_GET and depth <= 0:
                    continue
                if state == BLOCKED_PUT and self.maxsize and depth >= self.maxsize:
                    continue
                if state == BLOCKED_JOIN and unfinished > 0:
                    continue
                if state == BLOCKED_JOIN_PROCESS and not gone(self._names.get(row[_TARGET] - 1, "")):
                    continue
                return []
            self.settled = True
            now = time.monotonic()
            records = []
            self.ready = {}
            for name in step_order(rows):
                row = rows[name]
                if gone(name) or row[_STATE] != AT_GATE:
                    continue
                if name not in self._announced and name in self._announce_start:
                    # An actor process's start is announced here, in step order, not by the
                    # process itself: processes start up in whatever order the OS runs them.
                    records.append((now, ACTOR_START, name, self._pids[name], None, 0, name.rpartition("-")[0], None, None,
                                    None, None, None, None))
                item = self._describe(row)
                self.ready[name] = item
                self._announced[name] = row[_ARRIVALS]
                # Every paused actor is announced at every settle: a step is over, for whoever
                # watches the events, when the ``step_ready`` records after its grant arrive.
                records.append((now, STEP_READY, name, self._pids[name], None, 0, item, None, None,
                                None, None, None, None))
            return records

    def _describe(self, row: tuple[int, ...]) -> tuple:
        op = OPERATIONS[row[_OP]]
        if op == JOIN and row[_TARGET]:
            target = self._names.get(row[_TARGET] - 1)
        elif op in (PUT, GET, TASK_DONE, JOIN):
            target = self.queue_name
        else:
            target = None
        return (op, target, FUNCTIONS[row[_FUNCTION]], row[_LINE])

    @property
    def stuck(self) -> bool:
        """Settled with nobody to step: everyone left waits for something that will not come."""
        return self.settled and not self.ready

    # -- granting --------------------------------------------------------------------------
    def next_actor(self) -> str | None:
        """Whose turn it is in round-robin order: the next paused actor after the last granted."""
        with self._lock:
            return self._next_actor()

    def _next_actor(self) -> str | None:
        if not self.ready:
            return None
        order = step_order(self._rows)
        start = order.index(self._last_granted) + 1 if self._last_granted in order else 0
        for name in order[start:] + order[:start]:
            if name in self.ready:
                return name
        return None

    def grant(self, name: str | None = None, deliver: Callable[[tuple], None] | None = None
              ) -> tuple[tuple | None, str | None]:
        """Let ``name`` (default: the next in round-robin order) make its operation.
        Returns the ``step_grant`` record, or why no step can be made now.  ``deliver``
        gets the record before the actor is woken: the step may end the run, and a
        record delivered after the run's last event would be too late."""
        with self._lock:
            if not self.settled:
                return None, "the last step is still under way"
            if name is None:
                name = self._next_actor()
                if name is None:
                    return None, "no actor can take a step: every one waits for something"
            elif name not in self.ready:
                return None, f"{name} cannot take a step now: it is not paused before an operation"
            item = self.ready.pop(name)
            self.settled = False
            self._last_granted = name
            self.steps += 1
            record = (time.monotonic(), STEP_GRANT, name, self._pids[name], None, 0, item, None, None,
                      None, None, None, None)
            if deliver is not None:
                deliver(record)
            self.gate.grant(self._rows[name])
        return record, None


def step_order(names: Any) -> list[str]:
    """The round-robin order: ``main``, then the producers, then the consumers, each by number
    (the order in which the tutorial's program is written)."""
    def key(name: str) -> tuple[int, int]:
        role, _, number = name.rpartition("-")
        rank = {"main": 0, PRODUCER: 1, CONSUMER: 2}.get(role or name, 3)
        return rank, int(number) if number.isdecimal() else 0
    return sorted(names, key=key)


def process_join_target(index: int) -> int:
    """The ``target`` cell of a join of the actor in row ``index`` (0 means the queue)."""
    return index + 1


__all__ = ["StepGate", "SteppedJoinableQueue", "Stepper", "actor_index", "returning_from", "MAIN_INDEX",
           "ROUND_ROBIN", "MANUAL", "STEP_ORDERS", "BLOCKED_JOIN_PROCESS"]
