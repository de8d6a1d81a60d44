"""The backends behind one session interface: a scenario's actors as processes, threads or asyncio tasks.

JoinScope runs every scenario on any backend (:mod:`core.backends`), with the same
actors (``producer-N``, ``consumer-N``, ``main``: the window's lanes, the narration and
the diagnosis know them by these names, and the trace header says which backend ran),
the same events and the same exactness.  :func:`open_session` picks the session class
from ``config.backend``; everything after that (:mod:`core.sessions.runner`, the CLI,
the window) drives the three alike, as a :class:`core.sources.ScenarioSession`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Union

from core.backends import ASYNCIO, THREAD

if TYPE_CHECKING:
    from core.scenarios import ScenarioConfig
    from core.sessions.base import SessionBase
    from core.sessions.pools import PoolSession

#: What :func:`open_session` returns: a :class:`core.sources.ScenarioSession` of either family.
Session = Union["SessionBase", "PoolSession"]


def open_session(config: ScenarioConfig, step: str | None = None) -> Session:
    """A new, not yet started session for ``config`` on its backend, in step mode
    (:mod:`core.stepping`) with ``step`` (see :data:`core.stepping.stepper.STEP_ORDERS`);
    for a pool scenario, its program with its pool (:mod:`core.sessions.pools`, no step mode).

    Each backend is imported when it is first asked for: a thread run need not load
    multiprocessing's machinery, nor a process run asyncio's."""
    if config.pooled:
        from core.sessions.pools import PoolSession
        return PoolSession(config, step)
    if config.backend == THREAD:
        from core.sessions.threads import ThreadSession
        return ThreadSession(config, step)
    if config.backend == ASYNCIO:
        from core.sessions.asyncio_tasks import AsyncioSession
        return AsyncioSession(config, step)
    from core.sessions.processes import ProcessSession
    return ProcessSession(config, step=step)


__all__ = ["Session", "open_session"]
