"""Observing a traced program's ``queue.Queue`` (threads) and ``asyncio.Queue`` (coroutines).

The same lesson — ``task_done()`` and ``join()`` — lives on these two queues, and
programs mix them up with ``multiprocessing.JoinableQueue``.  :func:`install` replaces
``queue.Queue`` and ``asyncio.Queue`` (also as ``asyncio.queues.Queue``) — and ``queue.LifoQueue`` and
``queue.PriorityQueue``, which are a ``queue.Queue`` in another order — by subclasses
of the thread and asyncio backends' observed queues, which record each operation
inside the stdlib's own critical section (the queue's ``mutex``; for asyncio, on the
event loop) and send it over the trace channel like a JoinableQueue's.  They stay
classes, so ``isinstance`` checks and subclasses of ``queue.Queue`` keep working.

Actors are named after what acts: the program's main thread is ``main`` (a child
process's main thread, that process's name), another thread its ``Thread.name``, and
an asyncio task its name — for a task nobody named, what it runs: ``main (Task-1)``.
Queues made before the script runs (by modules imported first) are the originals and
are not observed.
"""
from __future__ import annotations

import queue
import sys
import threading
import time
import weakref
from collections.abc import Callable
from functools import partial
from typing import Any

from core.backends import ASYNCIO, THREAD
from core.events import (
    ACTOR_EXIT,
    ERROR,
    EXIT_RAISED,
    MAIN_ACTOR,
    TASK_UNIT,
    THREAD_UNIT,
    describe_exception,
    wire_record,
)
from core.queues.acting import current_pid, default_actor_name, name_unnamed_by
from core.queues.after_import import when_imported
from core.queues.pool_state import building_pool
from core.queues.reporter import reporter_for
from core.queues.thread_queue import ObservedQueue

_originals: dict[str, Any] = {}
#: The channel the thread and task actors' ends are told on (set by :func:`install`).
_channel: Any = None
#: The tasks whose end will be told (each once).
_watched_tasks: weakref.WeakSet[Any] = weakref.WeakSet()


def thread_actor() -> str:
    """The actor name of the calling thread in a traced program."""
    thread = threading.current_thread()
    process = default_actor_name()
    if thread is threading.main_thread():
        return process
    name = thread.name if process == MAIN_ACTOR else f"{process}/{thread.name}"
    if getattr(thread, "_joinscope_thread_actor", None) != name:
        thread._joinscope_thread_actor = name  # type: ignore[attr-defined]  # its end is told (_thread_bootstrap)
    return name


def traced_actor() -> str:
    """The actor of a thread or task in a traced program: its asyncio task, else its thread."""
    asyncio = sys.modules.get("asyncio")  # a program that never imported it has no task
    task = None
    if asyncio is not None:
        try:
            task = asyncio.current_task()
        except RuntimeError:  # no running loop: a plain call from a thread
            task = None
    if task is None:
        return thread_actor()
    name = task.get_name()
    if name.startswith("Task-"):  # unnamed: say what it runs, e.g. "main (Task-1)"
        coroutine = getattr(task.get_coro(), "__name__", None)
        name = f"{coroutine} ({name})" if coroutine else name
    if task not in _watched_tasks:
        _watched_tasks.add(task)
        task.add_done_callback(partial(_task_ended, name))
    return name


# -- the ends of the thread and task actors ---------------------------------------------------
def _actor_ended(name: str, unit: str, exitcode: int | None, error: BaseException | None = None) -> None:
    """Tell the end of a thread or task that acted on an observed queue: it returned (0), died of
    an exception (1, the error first), or was cancelled (no code)."""
    if _channel is None:
        return
    reporter = reporter_for(_channel)
    if error is not None:
        reporter.record(wire_record(time.monotonic(), ERROR, name, current_pid(), error=describe_exception(error)))
    reporter.record(wire_record(time.monotonic(), ACTOR_EXIT, name, current_pid(), item=unit, exitcode=exitcode))


def _task_ended(name: str, task: Any) -> None:
    if task.cancelled():
        _actor_ended(name, TASK_UNIT, None)
        return
    # Read as the task holds it: exception() would count as the program retrieving it, and
    # asyncio would no longer say "Task exception was never retrieved" as it does untraced.
    error = getattr(task, "_exception", None)
    if isinstance(error, SystemExit):  # sys.exit() in a task ends the program with that code
        _actor_ended(name, TASK_UNIT, exit_status(error))
        return
    _actor_ended(name, TASK_UNIT, EXIT_RAISED if error is not None else 0, error)


def exit_status(stop: SystemExit) -> int:
    """The exit code ``sys.exit(code)`` gives a process, as the interpreter reckons it."""
    if stop.code is None:
        return 0
    return stop.code if isinstance(stop.code, int) else 1


def _thread_bootstrap(self: threading.Thread) -> None:
    """``Thread._bootstrap_inner``: the thread's whole life, and then, if it acted on an observed
    queue, its end (with the exception that ended it: the stdlib's hook prints it as before)."""
    failure: list[BaseException] = []
    invoke = getattr(self, "_invoke_excepthook", None)
    if invoke is not None:
        def noting(thread: threading.Thread) -> None:
            error = sys.exc_info()[1]
            if not isinstance(error, SystemExit):  # the stdlib ignores a thread's sys.exit()
                failure.append(error)  # type: ignore[arg-type]
            invoke(thread)
        self._invoke_excepthook = noting  # type: ignore[attr-defined]
    try:
        _originals["bootstrap_inner"](self)
    finally:
        name = getattr(self, "_joinscope_thread_actor", None)
        if name is not None:
            _actor_ended(name, THREAD_UNIT, EXIT_RAISED if failure else 0, failure[0] if failure else None)


class _ChannelSink:
    """Where the observed queues append their wire records: this process's reporter for the channel.

    ``pending`` is what the backends check to hold actors back when the observer is
    behind; here the channel itself is bounded, so it is always empty."""

    pending: tuple = ()

    def __init__(self, channel: Any) -> None:
        self.append = reporter_for(channel).record


def install(channel: Any, kinds: tuple[str, ...], name_queue: Callable[[], str]) -> None:
    """Observe the ``queue.Queue`` and/or ``asyncio.Queue`` (per ``kinds``) made from now on,
    reporting to ``channel``; ``name_queue()`` names each new queue (unique in the run)."""
    global _channel
    _channel = channel
    if THREAD in kinds or ASYNCIO in kinds:
        name_unnamed_by(traced_actor)
        if "bootstrap_inner" not in _originals:
            _originals["bootstrap_inner"] = getattr(threading.Thread, "_bootstrap_inner")
            setattr(threading.Thread, "_bootstrap_inner", _thread_bootstrap)
    if THREAD in kinds and "thread" not in _originals:
        _originals["thread"] = queue.Queue

        class Queue(ObservedQueue):
            __doc__ = queue.Queue.__doc__

            def __init__(self, maxsize: int = 0) -> None:
                if building_pool.get():  # a pool's own machinery (its work ids), not one of the program's queues
                    super().__init__(maxsize)
                    return
                super().__init__(maxsize, inbox=_ChannelSink(channel), name=name_queue())  # type: ignore[arg-type]
                channel.note_queue_created(self.name)

        # Pickled by reference, as the stdlib's is: a Manager registers queue.Queue and sends its
        # registry to its server process, which may be spawned.
        Queue.__module__, Queue.__qualname__ = "queue", "Queue"
        for variant in ("LifoQueue", "PriorityQueue"):  # the same queue, in another order
            original = getattr(queue, variant)
            _originals[variant] = original
            storage = {key: value for key, value in vars(original).items()
                       if key in ("_init", "_qsize", "_put", "_get")}
            setattr(queue, variant, type(variant, (Queue,), {**storage, "__module__": "queue",
                                                                "__doc__": original.__doc__}))
        queue.Queue = Queue  # type: ignore[misc]
    if ASYNCIO in kinds and "asyncio" not in _originals:
        _originals["asyncio"] = None
        # Patched when the program imports it: importing asyncio costs every process ~20 ms.
        when_imported("asyncio", lambda _: _patch_asyncio(channel, name_queue))


def _patch_asyncio(channel: Any, name_queue: Callable[[], str]) -> None:
    import asyncio
    import asyncio.queues

    from core.queues.async_queue import ObservedAsyncQueue

    _originals["asyncio"] = asyncio.Queue

    class AsyncQueue(ObservedAsyncQueue):
        __doc__ = asyncio.Queue.__doc__

        def __init__(self, maxsize: int = 0) -> None:
            super().__init__(maxsize, inbox=_ChannelSink(channel), name=name_queue())  # type: ignore[arg-type]
            channel.note_queue_created(self.name)

    AsyncQueue.__name__ = AsyncQueue.__qualname__ = "Queue"
    AsyncQueue.__module__ = "asyncio.queues"
    asyncio.Queue = asyncio.queues.Queue = AsyncQueue  # type: ignore[misc]
