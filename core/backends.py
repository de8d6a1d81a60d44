"""The three backends a scenario can run on, and what each calls its actors and its queue.

``multiprocessing.JoinableQueue``, ``queue.Queue`` and ``asyncio.Queue`` share the
lesson — ``put``, ``get``, ``task_done`` and a ``join`` that waits for unfinished to
reach 0 — so JoinScope runs every scenario on any of them.  This module imports
nothing of JoinScope's: the command line's parser and a traced program's processes use
the names without loading the sessions (:mod:`core.sessions`).
"""
from __future__ import annotations

from typing import NamedTuple

PROCESS, THREAD, ASYNCIO = "process", "thread", "asyncio"
BACKENDS = (PROCESS, THREAD, ASYNCIO)


class Backend(NamedTuple):
    """How a backend is spoken of."""

    name: str
    #: What one actor is: "process", "thread", "task".
    unit: str
    #: More than one: "processes", "threads", "tasks".
    units: str
    #: The stdlib queue its actors share, as a program names it.
    queue_class: str


DESCRIPTIONS: dict[str, Backend] = {
    PROCESS: Backend(PROCESS, "process", "processes", "multiprocessing.JoinableQueue"),
    THREAD: Backend(THREAD, "thread", "threads", "queue.Queue"),
    ASYNCIO: Backend(ASYNCIO, "task", "tasks", "asyncio.Queue"),
}


def describe(name: str) -> Backend:
    """The description of backend ``name`` (an unknown name, as a recording may hold, is its own unit)."""
    return DESCRIPTIONS.get(name) or Backend(name, name, name, name)
