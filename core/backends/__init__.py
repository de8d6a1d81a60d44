"""Where the actors of a run live: processes, threads or asyncio tasks.

``multiprocessing.JoinableQueue``, ``queue.Queue`` and ``asyncio.Queue`` share the
lesson — ``put``, ``get``, ``task_done`` and a ``join`` that waits for unfinished to
reach 0 — so JoinScope runs every scenario on any of them, with the same actors
(``producer-N``, ``consumer-N``, ``main``: the window's lanes, the narration and the
diagnosis know them by these names, and the trace header says which backend ran),
the same events and the same exactness.  :func:`open_session` picks the session
class from ``config.backend``; everything after that (``core.runner``, the CLI, the
window) drives the three alike.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (joinscope trace starts fast)
if TYPE_CHECKING:
    from typing import Any

    from core.scenarios import ScenarioConfig

# The backend names live in core.scenarios; they are not imported here, so that a traced
# program's processes, which use only the observed queues, do not import the scenarios.
PROCESS, THREAD, ASYNCIO = "process", "thread", "asyncio"
BACKENDS = (PROCESS, THREAD, ASYNCIO)


def open_session(config: ScenarioConfig, step: str | None = None) -> Any:
    """A new, not yet started session for ``config`` on its backend, in step mode
    (:mod:`core.stepping`) with ``step``."""
    if config.backend == THREAD:
        from core.backends.threads import ThreadSession
        return ThreadSession(config, step)
    if config.backend == ASYNCIO:
        from core.backends.asyncio_session import AsyncioSession
        return AsyncioSession(config, step)
    from core.session import Session
    return Session(config, step=step)


def is_live_session(source: Any) -> bool:
    """Whether ``source`` is a session of any backend (not a recording played back)."""
    from core.backends.base import InProcessSession
    from core.session import Session
    return isinstance(source, (Session, InProcessSession))


__all__ = ["open_session", "is_live_session", "BACKENDS", "PROCESS", "THREAD", "ASYNCIO"]
