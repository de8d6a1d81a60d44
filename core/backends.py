"""The three backends a scenario can run on, and what each calls its actors and its queue.

``multiprocessing.JoinableQueue``, ``queue.Queue`` and ``asyncio.Queue`` share the
lesson — ``put``, ``get``, ``task_done`` and a ``join`` that waits for unfinished to
reach 0 — so JoinScope runs every scenario on any of them.  This module imports
nothing (not even ``typing``): the command line's parser and ``joinscope trace``, whose
start-up is part of every traced program's wall time, use it before anything else loads.
"""
from __future__ import annotations

PROCESS, THREAD, ASYNCIO = "process", "thread", "asyncio"
BACKENDS = (PROCESS, THREAD, ASYNCIO)
#: What ``joinscope trace`` can observe besides the three queues: a program's pools
#: (``multiprocessing.Pool``, ``ProcessPoolExecutor``, ``ThreadPoolExecutor``).  Not a backend.
POOL = "pool"
TRACEABLE = (*BACKENDS, POOL)


class Backend:
    """How a backend is spoken of."""

    __slots__ = ("actors", "name", "queue_class", "unit", "units")

    def __init__(self, name: str, unit: str, units: str, actors: str, queue_class: str) -> None:
        self.name = name
        #: What one actor is: "process", "thread", "task".
        self.unit = unit
        #: More than one: "processes", "threads", "tasks".
        self.units = units
        #: The actors, said in full: "processes", "threads", "asyncio tasks".
        self.actors = actors
        #: The stdlib queue its actors share, as programs name it: "JoinableQueue", "queue.Queue", "asyncio.Queue".
        self.queue_class = queue_class

    def actors_on_queue(self) -> str:
        """What runs, said in full: "threads on a queue.Queue", "asyncio tasks on an asyncio.Queue"."""
        article = "an" if self.queue_class[:1].lower() in "aeiou" else "a"
        return f"{self.actors} on {article} {self.queue_class}"


DESCRIPTIONS: dict[str, Backend] = {
    PROCESS: Backend(PROCESS, "process", "processes", "processes", "JoinableQueue"),
    THREAD: Backend(THREAD, "thread", "threads", "threads", "queue.Queue"),
    ASYNCIO: Backend(ASYNCIO, "task", "tasks", "asyncio tasks", "asyncio.Queue"),
    POOL: Backend(POOL, "worker", "workers", "pool workers", "pool"),
}


def describe(name: str) -> Backend:
    """The description of backend ``name`` (an unknown name, as a recording may hold, is its own unit)."""
    return DESCRIPTIONS.get(name) or Backend(name, name, name, name, name)
