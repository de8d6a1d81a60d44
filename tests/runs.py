"""Helpers for tests that run real sessions."""
from __future__ import annotations

import time
from collections.abc import Callable

import psutil

from core.events import COUNT_DELTAS, Event
from core.scenarios import scenario
from core.sessions import open_session
from core.sessions.processes import ProcessSession
from core.sessions.runner import RunResult, run_session


def run_scenario(name: str, **overrides: object) -> tuple[RunResult, list[Event]]:
    """Run a library scenario to its end; returns the result and every event."""
    overrides.setdefault("speed", 40.0)
    config = scenario(name, **overrides)
    events: list[Event] = []
    with open_session(config) as session:
        result = run_session(session, on_events=events.extend)
    return result, events


def replay_mismatch(events: list[Event]) -> str | None:
    """Replay each queue's counts from its events in seq order; the first disagreement, if any."""
    counts: dict[str, tuple[int, int]] = {}
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return f"seq {event.seq} where {expected_seq} was expected"
        if event.queue is None:
            continue
        depth, unfinished = counts.get(event.queue, (0, 0))
        delta = COUNT_DELTAS.get(event.kind, (0, 0))
        depth, unfinished = depth + delta[0], unfinished + delta[1]
        if (depth, unfinished) != (event.depth, event.unfinished):
            return (f"event {event.seq} ({event.kind}) says {event.depth}/{event.unfinished}, "
                    f"replay gives {depth}/{unfinished}")
        counts[event.queue] = (depth, unfinished)
    return None


def poll_until(session: ProcessSession, events: list[Event], condition: Callable[[], bool],
               timeout_s: float = 20.0) -> None:
    """Poll ``session`` into ``events`` until ``condition()`` holds (fails after ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        events.extend(session.poll(0.02))


def kinds(events: list[Event], kind: str, actor: str | None = None) -> list[Event]:
    return [e for e in events if e.kind == kind and (actor is None or e.actor == actor)]


#: Helper processes multiprocessing keeps for the whole interpreter on purpose.
LONG_LIVED_HELPERS = ("resource_tracker", "forkserver")


def live_children() -> int:
    """This process's running children, not counting multiprocessing's own helpers."""
    count = 0
    for child in psutil.Process().children():
        try:
            if child.status() != psutil.STATUS_ZOMBIE and not any(
                    helper in " ".join(child.cmdline()) for helper in LONG_LIVED_HELPERS):
                count += 1
        except psutil.NoSuchProcess:
            continue
    return count
