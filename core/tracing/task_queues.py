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
from collections.abc import Callable
from typing import Any

from core.backends import ASYNCIO, THREAD
from core.events import MAIN_ACTOR
from core.queues.acting import default_actor_name, name_unnamed_by
from core.queues.after_import import when_imported
from core.queues.pool_state import building_pool
from core.queues.reporter import reporter_for
from core.queues.thread_queue import ObservedQueue

_originals: dict[str, Any] = {}


def thread_actor() -> str:
    """The actor name of the calling thread in a traced program."""
    thread = threading.current_thread()
    process = default_actor_name()
    if thread is threading.main_thread():
        return process
    return thread.name if process == MAIN_ACTOR else f"{process}/{thread.name}"


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
        return f"{coroutine} ({name})" if coroutine else name
    return name


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
    if THREAD in kinds or ASYNCIO in kinds:
        name_unnamed_by(traced_actor)
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

        Queue.__module__ = "queue"
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
