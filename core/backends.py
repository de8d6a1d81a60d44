"""The three backends a scenario can run on, by name.

``multiprocessing.JoinableQueue``, ``queue.Queue`` and ``asyncio.Queue`` share the
lesson — ``put``, ``get``, ``task_done`` and a ``join`` that waits for unfinished to
reach 0 — so JoinScope runs every scenario on any of them.  This module imports
nothing: a traced program's processes and the command line's parser use the names
without loading the sessions (:mod:`core.sessions`).
"""
from __future__ import annotations

PROCESS, THREAD, ASYNCIO = "process", "thread", "asyncio"
BACKENDS = (PROCESS, THREAD, ASYNCIO)
