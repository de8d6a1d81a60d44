"""Observing pools: ``multiprocessing.Pool``, ``ProcessPoolExecutor`` and ``ThreadPoolExecutor``.

:func:`observe_pools` makes every pool created from then on in this process report to a
channel (the trace's, or a session's), on the counts described in
:mod:`core.queues.pool_state`.  The stdlib modules are hooked only once the program imports
them (:mod:`core.queues.after_import`): a program with no pool pays nothing.  The details
live with each kind: :mod:`core.queues.observed_pool` (``multiprocessing.Pool``) and
:mod:`core.queues.observed_executors` (``concurrent.futures``).
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from core.queues import pool_state
from core.queues.after_import import when_imported

#: The stdlib module each observer hooks, by the module that holds the observer.
_HOOKED = (("multiprocessing.pool", "core.queues.observed_pool"),
           ("concurrent.futures.process", "core.queues.observed_executors"),
           ("concurrent.futures.thread", "core.queues.observed_executors"))
#: The observers hooked in so far (importing one imports the stdlib modules it hooks: once is enough).
_started: set[str] = set()


def observe_pools(channel: Any, note_created: Callable[[str], None] | None = None) -> None:
    """Pools made from now on in this process report to ``channel``; ``note_created(name)`` is
    told of each (the trace counts what it observes)."""
    pool_state.observe(channel, note_created)
    for stdlib, observer in _HOOKED:
        when_imported(stdlib, _starter(observer))


def _starter(observer: str) -> Callable[[Any], None]:
    return lambda _module: _start(observer)


def _start(observer: str) -> None:
    if observer in _started:
        return
    _started.add(observer)
    importlib.import_module(observer).patch()


def stop_observing_pools() -> None:
    """Pools made from now on are the stdlib's own again (the hooks are taken out)."""
    pool_state.observe(None)
    for observer in _started:
        importlib.import_module(observer).unpatch()
    _started.clear()


def pool_worker_actor(process: Any) -> str | None:
    """The lane name of a process an observed pool is starting (``worker-3``), or ``None``: it is
    no pool's worker.  (A pool's worker gets the pool's pipes as its first argument.)"""
    args = getattr(process, "_args", None)
    counts = getattr(args[0], "_joinscope_pool", None) if args else None
    return counts.next_worker_name() if counts is not None else None
