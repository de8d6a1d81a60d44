"""Driving a session to its end: poll, fold, watch for a stall, drain after a stop.

The headless CLI, the tests and the benchmarks all run sessions this way; the window
does the same work on its event pump, step by step, instead of in one loop.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from core.analysis.diagnosis import diagnose, stall_timeout
from core.analysis.model import RunModel
from core.events import Event
from core.sessions import Session
from core.sources import RUNNING

POLL_S = 0.05

COMPLETED = "completed"
STALLED = "stalled"
INTERRUPTED = "interrupted"


class Terminated(BaseException):
    """Stands for SIGTERM in :attr:`RunResult.interrupted_by`."""


@dataclass
class RunResult:
    outcome: str
    model: RunModel
    duration_s: float
    diagnosis: str | None = None
    #: ``KeyboardInterrupt`` or ``Terminated`` when the run was interrupted.
    interrupted_by: type | None = None


class NotStarted(Exception):
    """The system refused the run's processes, threads or pipes (why, in one line)."""


def run_session(session: Session, model: RunModel | None = None,
                on_events: Callable[[list[Event]], None] | None = None,
                interrupted: Callable[[], type | None] = lambda: None) -> RunResult:
    """Start ``session`` and run it until it completes, stalls or is interrupted.

    A stall is ``config.stall_timeout_s`` without any event while the run is not
    over — in step mode, at once when nobody is left to step —; the session is then stopped
    and the diagnosis names the likely cause.
    ``interrupted`` is asked between polls (signal handlers set what it returns:
    an exception raised from a handler could land inside a poll and lose the
    events it had taken but not yet merged).
    """
    model = model if model is not None else RunModel(expected_producers=session.config.producers)
    started = time.monotonic()
    outcome, diagnosis, interrupted_by = COMPLETED, None, None

    def take(events: list[Event]) -> None:
        if events:
            model.apply(events)
            if on_events is not None:
                on_events(events)

    try:
        try:
            session.start()
        except OSError as error:  # too many processes or open files, no memory for another
            raise NotStarted(f"{type(error).__name__}: {error}") from error
        quiet_since = time.monotonic()
        while not session.finished:
            interruption = interrupted()
            if interruption is not None:
                raise interruption()
            events = session.poll(POLL_S)
            now = time.monotonic()
            if events:
                quiet_since = now
                take(events)
            elif session.state == RUNNING and (now - quiet_since > stall_timeout(session.config, model)
                                               or (session.stuck and session.caught_up)):
                outcome, diagnosis = STALLED, diagnose(model, now - quiet_since, session.config.backend)
                session.note_stall(diagnosis)
                session.stop()
    except (KeyboardInterrupt, Terminated) as interruption:
        outcome, interrupted_by = INTERRUPTED, type(interruption)
        session.stop()
    while not session.finished:  # what the stopped actors reported last
        take(session.poll(POLL_S))
    return RunResult(outcome, model, time.monotonic() - started, diagnosis, interrupted_by)
