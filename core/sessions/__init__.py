"""Where the actors of a run live: processes, threads or asyncio tasks.

``multiprocessing.JoinableQueue``, ``queue.Queue`` and ``asyncio.Queue`` share the
lesson — ``put``, ``get``, ``task_done`` and a ``join`` that waits for unfinished to
reach 0 — so JoinScope runs every scenario on any of them, with the same actors
(``producer-N``, ``consumer-N``, ``main``: the window's lanes, the narration and the
diagnosis know them by these names, and the trace header says which backend ran),
the same events and the same exactness.  :func:`open_session` picks the session
class from ``config.backend``; everything after that (``core.sessions.runner``, the CLI, the
window) drives the three alike.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (joinscope trace starts fast)
if TYPE_CHECKING:
    from typing import Any

    from core.scenarios import ScenarioConfig

from core.backends import ASYNCIO, THREAD


def open_session(config: ScenarioConfig, step: str | None = None) -> Any:
    """A new, not yet started session for ``config`` on its backend, in step mode
    (:mod:`core.stepping.gate`) with ``step``."""
    if config.backend == THREAD:
        from core.sessions.threads import ThreadSession
        return ThreadSession(config, step)
    if config.backend == ASYNCIO:
        from core.sessions.asyncio_tasks import AsyncioSession
        return AsyncioSession(config, step)
    from core.sessions.processes import Session
    return Session(config, step=step)


def is_live_session(source: Any) -> bool:
    """Whether ``source`` is a session of any backend (not a recording played back)."""
    from core.sessions.in_process import InProcessSession
    from core.sessions.processes import Session
    return isinstance(source, (Session, InProcessSession))


__all__ = ["open_session", "is_live_session"]
