"""Stopping an actor process: exit soon, but only where no lock is held — on every system.

A process cannot be ended safely from outside at any moment: one that dies between
taking a process-shared lock and the ``try`` that would release it leaves the queue's
lock held for good, and every other process (and ``main``, and the observer) then blocks
on it.  So a run is stopped cooperatively: the session sets the run's stop flag
(:meth:`core.program.control.RunControl.request_stop`), and each actor looks at it
(:func:`check`) at the points where it holds nothing — before each task, before each
``get()``, in every slice of a blocking wait, and every :data:`SLEEP_SLICE_S` while it
sleeps in its work (:func:`sleep`) — and exits there.  Termination and kill remain the
session's backstop after a grace period (on Windows ``terminate()`` is
``TerminateProcess``, which ends a process wherever it is).

A SIGTERM from outside (POSIX) is handled the same way: its handler only raises while the
actor sleeps in its own code, and anywhere else sets a flag that :func:`check` sees.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from core.system import EXIT_TERMINATED as EXIT_TERMINATED  # what an actor asked to end exits with
from core.system import on_termination_request

#: How often an actor sleeping in its work looks at the run's stop flag.
SLEEP_SLICE_S = 0.02

_requested = False
_sleeping = False
_stop_requested: Callable[[], bool] = bool  # until install(): never (bool() is False)


def install(stop_requested: Callable[[], bool]) -> None:
    """Stop this process when ``stop_requested()`` (the run's stop flag) says so, or SIGTERM comes."""
    global _requested, _stop_requested
    _requested = False
    _stop_requested = stop_requested
    on_termination_request(_on_sigterm)


def _on_sigterm(signum: int, frame: Any) -> None:
    global _requested
    _requested = True
    if _sleeping:
        raise SystemExit(EXIT_TERMINATED)


def requested() -> bool:
    """Whether this actor has been asked to end (it is on its way out)."""
    return _requested or _stop_requested()


def check() -> None:
    """Exit now if the run is being stopped (call only where no lock is held)."""
    if _requested or _stop_requested():
        raise SystemExit(EXIT_TERMINATED)


def sleep(seconds: float) -> None:
    """``time.sleep`` that a stop ends within :data:`SLEEP_SLICE_S` (and SIGTERM at once):
    nothing is held while an actor sleeps."""
    global _sleeping
    check()
    deadline = time.monotonic() + seconds
    _sleeping = True
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            time.sleep(min(remaining, SLEEP_SLICE_S))
            check()
    finally:
        _sleeping = False
