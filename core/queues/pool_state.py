"""What an observed pool shares with its workers: its name, its counts, their lock, its channel.

A pool (``multiprocessing.Pool``, ``ProcessPoolExecutor``, ``ThreadPoolExecutor``) is
reported as a queue of tasks (see :data:`core.events.POOL_KINDS`): ``depth`` counts the
tasks submitted and not yet taken by a worker, ``unfinished`` the tasks submitted and not
yet delivered.  Those counts live in a small block of shared memory that the program's
process and the pool's worker processes update under one lock, each with its operation,
exactly as :class:`core.queues.observed.ObservedJoinableQueue` keeps a queue's: every event
carries the counts right after its operation, and its operation number (``op``) fixes the
order they were made in.  A :class:`PoolCounts` travels to the workers with the pool's own
pipes (it pickles while a process is being started), so a worker records the tasks it
takes and finishes on the same counts.
"""
from __future__ import annotations

import itertools
import math
import os
import threading
import time
from array import array
from contextvars import ContextVar
from multiprocessing import parent_process
from typing import Any

from core.events import (
    _BIG_INT,
    CALLBACK,
    CALLBACK_RETURN,
    DELIVER,
    ERROR,
    GET_WAIT,
    JOIN_ENTER,
    JOIN_RETURN,
    POOL_NAME_PREFIXES,
    RESULT_HANDLER,
    TASK_HANDLER,
    WORKER,
    wire_record,
)
from core.queues import acting as _acting
from core.queues.acting import current_actor, name_this_thread, named
from core.queues.observed import _acquire_soon
from core.queues.reporter import BATCH_EVENTS, Reporter, reporter_for
from core.system import after_fork_in_child

#: The shared counts: operation number, depth, unfinished, and the op that last brought unfinished to 0.
_OP, _DEPTH, _UNFINISHED, _LAST_ZERO = range(4)
_monotonic = time.monotonic
#: Pools (of any kind) made by this process so far: the first one's threads get plain lane names.
_pools_made = itertools.count(1)
_pool_numbers = {prefix[:-1]: itertools.count(1) for prefix in POOL_NAME_PREFIXES}
#: Worker processes named so far by this process (``worker-0``, ``worker-1``, … across its pools).
_workers_named = itertools.count()
#: Set while a pool builds its own internals: a ``queue.Queue`` it makes (``ProcessPoolExecutor``'s
#: work ids) is its machinery, not one of the program's queues, and is not observed.
building_pool: ContextVar[bool] = ContextVar("joinscope_building_pool", default=False)
#: In a worker process: it has waited for a task before (see :meth:`PoolCounts.first_wait`).
_waited = False
#: Where the pools made from now on report (``channel``), and who is told of each (``note``).
_observing: dict[str, Any] = {}
#: How many times a busy pool lock is tried again before the caller sleeps on it.  More than a
#: queue's (:data:`~core.queues.observed.SPINS_BEFORE_SLEEP`): in the program's process the pool's
#: lock is taken by threads that share the GIL with the pool's own busy threads, and a sleep gives
#: the GIL away; getting it back can cost a whole switch interval (5 ms).  Most waits end within a
#: few microseconds; one that outlasts this many tries (about 80 µs) has a holder that was preempted.
SPINS_BEFORE_SLEEP = 2000
_isfinite = math.isfinite
#: Short texts for results and arguments: at most this many characters.
BRIEF_CHARS = 60


def _forget_waiting() -> None:
    global _waited
    _waited = False


after_fork_in_child(_forget_waiting)


def observe(channel: Any, note_created: Any = None) -> None:
    """Pools made from now on in this process report to ``channel`` (``None``: they do not);
    ``note_created(name)`` is told of each."""
    _observing.clear()
    if channel is not None:
        _observing.update(channel=channel, note=note_created)


def new_counts(ctx: Any, kind: str, pipes: tuple[tuple[Any, type], ...] = ()) -> PoolCounts | None:
    """The counts of a pool being made, if pools are observed: its ``pipes`` (the stdlib's objects) become
    the given subclasses of themselves, which carry the counts to the workers.  ``None``: not observed."""
    channel = _observing.get("channel")
    if channel is None:
        return None
    counts = PoolCounts(ctx, channel, kind)
    note = _observing.get("note")
    if note is not None:
        note(counts.name)
    for pipe, subclass in pipes:
        pipe.__class__ = subclass
        pipe._joinscope_pool = counts
    return counts


def pool_name(kind: str) -> str:
    """``pool-N`` or ``executor-N``, numbered by the process that makes it (``@PID`` in a child)."""
    number = next(_pool_numbers[kind])
    return f"{kind}-{number}" if parent_process() is None else f"{kind}-{number}@{os.getpid()}"


class PoolCounts:
    """The counts of one pool and how its operations are recorded, in any of its processes.

    ``ctx`` is the pool's multiprocessing context (its workers are processes: the counts are
    shared memory under a process-shared lock), or ``None`` (a thread pool: plain memory)."""

    def __init__(self, ctx: Any, channel: Any, kind: str) -> None:
        self.name = pool_name(kind)
        made = next(_pools_made)
        suffix = "" if made == 1 else f"-{made}"
        #: The lanes of the pool's own threads in the program's process.
        self.results_actor = RESULT_HANDLER + suffix
        self.tasks_actor = TASK_HANDLER + suffix
        self._channel = channel
        if ctx is None:
            self._lock: Any = threading.Lock()
            self._shared: Any = array("q", bytes(8 * 4))
        else:
            self._lock = ctx.Lock()
            self._shared = ctx.RawArray("q", 4)
        self._bind()

    def __getstate__(self) -> tuple:
        return self.name, self.results_actor, self.tasks_actor, self._channel, self._lock, self._shared

    def __setstate__(self, state: tuple) -> None:
        self.name, self.results_actor, self.tasks_actor, self._channel, self._lock, self._shared = state
        self._bind()

    def _bind(self) -> None:
        self._counts = memoryview(self._shared).cast("B").cast("q")
        self._reporter: Reporter = reporter_for(self._channel)

    @property
    def last_zero(self) -> int:
        """The op that last brought unfinished to 0 (0: none yet)."""
        return self._counts[_LAST_ZERO]

    # -- recording ------------------------------------------------------------------------
    def record(self, kind: str, item: Any, depth_change: int = 0, unfinished_change: int = 0,
               actor: str | None = None) -> int:
        """Make one operation of the pool: change its counts under its lock, report it, and
        return its ``op``.  A change that brings unfinished to 0 is sent at once (a program may
        end right after the join it releases).  The counts change inline (not through
        :meth:`_change`): every task passes here several times."""
        lock = self._lock
        if not lock.acquire(False):
            _acquire_soon(lock, SPINS_BEFORE_SLEEP)
        try:
            counts = self._counts
            op = counts[0] + 1
            counts[0] = op
            depth = counts[1] + depth_change
            counts[1] = depth
            unfinished = counts[2] + unfinished_change
            counts[2] = unfinished
            if unfinished_change and not unfinished:
                counts[3] = op
            t = _monotonic()
        finally:
            lock.release()
        reporter = self._reporter
        buffer = reporter.buffer
        buffer.append((t, kind, actor or named() or _acting.process_actor or current_actor(), _acting.pid,
                       self.name, op, item, depth, unfinished))
        if (unfinished_change and not unfinished) or t >= reporter.flush_due or len(buffer) >= BATCH_EVENTS:
            reporter.flush()
        return op

    def _change(self, depth_change: int = 0, unfinished_change: int = 0) -> tuple[int, int, int, float]:
        """The next op, under the pool's lock: the counts it leaves, and its time."""
        lock = self._lock
        if not lock.acquire(False):
            _acquire_soon(lock, SPINS_BEFORE_SLEEP)
        try:
            counts = self._counts
            op = counts[0] + 1
            counts[0] = op
            depth = counts[1] + depth_change
            counts[1] = depth
            unfinished = counts[2] + unfinished_change
            counts[2] = unfinished
            if unfinished_change and not unfinished:
                counts[3] = op
            return op, depth, unfinished, _monotonic()
        finally:
            lock.release()

    def error(self, text: str) -> None:
        """An ``error`` event on the pool: a call of the program's that the pool refused."""
        op, depth, unfinished, t = self._change()
        self._reporter.record(wire_record(t, ERROR, current_actor(), _acting.pid, self.name, op, None, depth,
                                          unfinished, error=text))
        self._reporter.flush()  # the program may die of the exception at once

    def first_wait(self) -> None:
        """A worker is about to wait for a task: the first time (in this process), say so and send it
        now, so its lane starts with it."""
        global _waited
        if _waited:
            return
        _waited = True
        op, depth, unfinished, t = self._change()
        self._reporter.record((t, GET_WAIT, named() or _acting.process_actor or current_actor(), _acting.pid,
                               self.name, op, None, depth, unfinished))
        self._reporter.flush()

    def next_worker_name(self) -> str:
        """The actor name of a worker process this pool is starting (its process keeps its own name);
        ``@PID`` added when a child process makes the pool, as its name has."""
        number = next(_workers_named)
        return f"{WORKER}-{number}" if parent_process() is None else f"{WORKER}-{number}@{os.getpid()}"

    # -- the moments that wait -----------------------------------------------------------------
    def enter_join(self, call: str) -> tuple[int, float, int]:
        """A call that may wait for the pool's tasks begins: report it and send it before it
        waits.  Returns its op, when it began and the unfinished count it found."""
        op, depth, unfinished, t = self._change()
        self._reporter.record((t, JOIN_ENTER, current_actor(), _acting.pid, self.name, op, call, depth, unfinished))
        self._reporter.flush()
        return op, t, unfinished  # the counts it found, as its event says

    def leave_join(self, call: str, entered: tuple[int, float, int], released_by: int | None,
                   after_entry: bool = True) -> None:
        """The call returned, released by the operation ``released_by`` (``None``: it did not wait
        for any of the pool's operations).  With ``after_entry``, a ``released_by`` made before the call
        began (a result that was there already) released nothing."""
        op, began, _ = entered
        if after_entry and released_by is not None and released_by <= op:
            released_by = None
        returned, depth, unfinished, t = self._change()
        self._reporter.record(wire_record(t, JOIN_RETURN, current_actor(), _acting.pid, self.name, returned, call,
                                          depth, unfinished, released_by, t - began))

    def callback(self, task: Any, which: str, function: Any, value: Any, actor: str | None = None) -> Any:
        """Run a program's ``callback``/``error_callback``/done callback for ``task``, reported on
        the lane of the thread that runs it (``Pool``'s callbacks: its result handler)."""
        actor = actor or self.results_actor
        self.record(CALLBACK, (task, which), actor=actor)
        return self.run_callback(task, which, function, value, actor)

    def run_callback(self, task: Any, which: str, function: Any, value: Any, actor: str) -> Any:
        """Run a callback whose start is reported already; report its return (or its exception's)."""
        ok = False
        try:
            result = function(value)
            ok = True
            return result
        finally:
            self.record(CALLBACK_RETURN, (task, which, ok), actor=actor)

    def deliver(self, task: Any, ok: bool, heard: bool | None, actor: str | None = None) -> int:
        """``task``'s outcome reached the program's process (``heard``: a callback will hear of it,
        ``None``: it has no callbacks)."""
        return self.record(DELIVER, (task, ok, heard), 0, -1, actor)

    def deliver_to_callback(self, task: Any, ok: bool, callback: str, actor: str) -> int:
        """``task``'s outcome reached the program's process and its ``callback`` (or
        ``error_callback``) starts at once on the same thread, with nothing of the pool's in
        between: the two operations are numbered together, under one acquisition of the lock.
        Returns the delivery's ``op``.  (A tiny task's result passes here: it is written out.)"""
        lock = self._lock
        if not lock.acquire(False):
            _acquire_soon(lock, SPINS_BEFORE_SLEEP)
        try:
            counts = self._counts
            op = counts[0] + 1
            counts[0] = op + 1
            unfinished = counts[2] - 1
            counts[2] = unfinished
            if not unfinished:
                counts[3] = op
            depth = counts[1]
            t = _monotonic()
            started = _monotonic()
        finally:
            lock.release()
        reporter = self._reporter
        buffer = reporter.buffer
        pid, name = _acting.pid, self.name
        buffer.append((t, DELIVER, actor, pid, name, op, (task, ok, True), depth, unfinished))
        buffer.append((started, CALLBACK, actor, pid, name, op + 1, (task, callback), depth, unfinished))
        if not unfinished or t >= reporter.flush_due or len(buffer) >= BATCH_EVENTS:
            reporter.flush()
        return op

    def name_results_thread(self) -> None:
        """The calling thread hands the pool's results back: what it does on a queue (a callback's
        ``task_done()``) is recorded on its lane."""
        name_this_thread(self.results_actor)


class CarriesCounts:
    """A pool's pipe (or queue) that travels to its workers with the pool's counts: put first among
    the bases of a subclass of the stdlib's class, whose pickled state it extends."""

    _joinscope_pool: PoolCounts

    def __getstate__(self) -> tuple:
        return (*super().__getstate__(), self._joinscope_pool)  # type: ignore[misc]

    def __setstate__(self, state: tuple) -> None:
        super().__setstate__(state[:-1])  # type: ignore[misc]
        self._joinscope_pool = state[-1]


class ObservedCallback:
    """A program's callback for one pool task, reported when it runs (``Pool`` keeps it as
    ``AsyncResult._callback``; it is called exactly as the original)."""

    __slots__ = ("_counts", "_function", "_task", "_which")

    def __init__(self, counts: PoolCounts, task: Any, which: str, function: Any) -> None:
        self._counts, self._task, self._which, self._function = counts, task, which, function

    def __call__(self, value: Any) -> Any:
        return self._counts.callback(self._task, self._which, self._function, value)


def observed_callback(counts: PoolCounts, task: Any, which: str, function: Any) -> Any:
    return None if function is None else ObservedCallback(counts, task, which, function)


def brief(value: Any) -> Any:
    """A short, JSON-ready stand-in for a task's result or argument (a chunk's list is not copied)."""
    kind = type(value)
    if value is None or kind is bool or (kind is int and -_BIG_INT < value < _BIG_INT):
        return value
    if kind is float:
        return round(value, 6) if _isfinite(value) else repr(value)  # (JSON has no nan or inf)
    if kind is str:
        return value if len(value) <= BRIEF_CHARS else value[:BRIEF_CHARS] + "…"
    if kind in (list, tuple, set, dict, frozenset):
        if kind is tuple and len(value) <= 4 and all(_scalar(part) for part in value):
            return "(" + ", ".join(map(_text, value)) + ("," if len(value) == 1 else "") + ")"
        return f"<{kind.__name__} of {len(value)}>"
    return f"<{kind.__name__}>"


def _scalar(value: Any) -> bool:
    return value is None or type(value) in (bool, int, float) or (type(value) is str and len(value) <= 20)


def _text(value: Any) -> str:
    return f"{value:.4g}" if type(value) is float else repr(value)


def call_text(function: Any, args: tuple, pieces: int | None = None) -> str:
    """What a task calls, as the narration shows it: ``work((41, 0.002))``, or ``work × 10`` for a
    chunk of ``pieces`` calls of a ``map()``."""
    name = getattr(function, "__qualname__", None) or getattr(function, "__name__", None) or type(function).__name__
    if pieces is not None:
        return f"{name} × {pieces}"
    if len(args) == 1:  # the usual task: one argument
        return f"{name}({brief(args[0])})"
    shown = ", ".join([str(brief(arg)) for arg in args[:3]]) + (", …" if len(args) > 3 else "")
    return f"{name}({shown})"


def outcome_text(ok: bool, value: Any) -> Any:
    """A finished task's result, briefly, or its exception as ``Type: message``."""
    if ok:
        return brief(value)
    error = getattr(value, "exc", value)  # multiprocessing wraps it with its traceback
    try:
        message = str(error)
    except Exception:
        message = "?"
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return text if len(text) <= 2 * BRIEF_CHARS else text[:2 * BRIEF_CHARS] + "…"


def join_wrapper(counts_of: Any, call: str, released_by: Any, after_entry: bool = True) -> Any:
    """Wrap a method that may wait on a pool (``join``, ``get``, ``shutdown``…) in a join marker.

    ``counts_of(self, *args, **kwargs)`` finds the pool's :class:`PoolCounts` (``None``: not
    observed, or the call will not wait: call the original plainly); ``released_by(self, counts,
    entered)`` names the op that released it once it returned — for a wait on one task's own delivery
    (``after_entry`` false), also one numbered a hair before the wait began (the delivery is reported
    just before the waiter is woken)."""
    def wrap(original: Any) -> Any:
        def observed(self: Any, *args: Any, **kwargs: Any) -> Any:
            counts = counts_of(self, *args, **kwargs)
            if counts is None:
                return original(self, *args, **kwargs)
            entered = counts.enter_join(call)
            try:
                return original(self, *args, **kwargs)
            finally:
                counts.leave_join(call, entered, released_by(self, counts, entered), after_entry)
        observed.__name__, observed.__qualname__, observed.__doc__ = (original.__name__, original.__qualname__,
                                                                      original.__doc__)
        observed.__wrapped__ = original  # type: ignore[attr-defined]
        return observed
    return wrap


def released_by_own_delivery(owner: Any, counts: PoolCounts, entered: tuple[int, float, int]) -> int | None:
    """A wait for one task's result (``AsyncResult.get()``, ``Future.result()``): released by that
    task's delivery, which the result (``owner``) keeps."""
    return getattr(owner, "_joinscope_delivered", None)


def released_by_last_zero(_owner: Any, counts: PoolCounts, entered: tuple[int, float, int]) -> int | None:
    """A call that waited for every task (``Pool.join()``, ``shutdown(wait=True)``): released by
    the delivery that brought unfinished to 0, if it found any task unfinished."""
    return counts.last_zero if entered[2] else None
