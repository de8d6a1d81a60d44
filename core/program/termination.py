"""SIGTERM in an actor process: exit soon, but only where no lock is held.

A signal handler that raises runs between any two bytecodes, including the few
between taking a process-shared lock and the ``try`` that would release it; a
worker that exits there leaves the queue's lock held for good, and every other
process (and ``main``) then blocks on it.  So the handler only raises while the
actor sleeps in its own code (:func:`sleep`); anywhere else it sets a flag, which
the actor checks at the points where it holds nothing: before each task, before
each ``get()``, and in every slice of a blocking wait (:func:`check`).
"""
from __future__ import annotations

import signal
import time
from typing import Any

EXIT_TERMINATED = 143

_requested = False
_sleeping = False


def install() -> None:
    """Handle SIGTERM in this process."""
    global _requested
    _requested = False
    signal.signal(signal.SIGTERM, _on_sigterm)


def _on_sigterm(signum: int, frame: Any) -> None:
    global _requested
    _requested = True
    if _sleeping:
        raise SystemExit(EXIT_TERMINATED)


def requested() -> bool:
    return _requested


def check() -> None:
    """Exit now if SIGTERM came (call only where no lock is held)."""
    if _requested:
        raise SystemExit(EXIT_TERMINATED)


def sleep(seconds: float) -> None:
    """``time.sleep`` that SIGTERM ends at once (nothing is held while an actor sleeps)."""
    global _sleeping
    check()
    _sleeping = True
    try:
        time.sleep(seconds)
    finally:
        _sleeping = False
