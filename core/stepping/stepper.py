"""The observer's side of step mode: when the run has settled, who is paused, whose turn it is.

It lets a step through only when the run has *settled*: every actor is paused at its
gate (:mod:`core.stepping.gate`), blocked in a call that cannot complete yet, or gone,
and every event it sent has arrived.  It then announces the actors paused
(``step_ready``, in a fixed order), and records each step it grants (``step_grant``).
Because nothing moves between two settled states but the granted actor and whoever its
operation wakes, the same scenario, seed and step order give the same events every time.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from core.events import ACTOR_START, CONSUMER, MAIN_ACTOR, PRODUCER, STEP_GRANT, STEP_READY, role_of, wire_record
from core.stepping.gate import (
    _ARRIVALS,
    _FUNCTION,
    _LINE,
    _OP,
    _SENT,
    _STATE,
    _TARGET,
    AT_GATE,
    BLOCKED_GET,
    BLOCKED_JOIN,
    BLOCKED_JOIN_PROCESS,
    BLOCKED_PUT,
    FUNCTIONS,
    GET,
    JOIN,
    OPERATIONS,
    PUT,
    TASK_DONE,
    StepGate,
)

ROUND_ROBIN = "round-robin"
MANUAL = "manual"
STEP_ORDERS = (ROUND_ROBIN,)


class Stepper:
    """The observer's side of step mode: when the run has settled, who is paused, whose turn it is.

    ``auto`` (round-robin) grants the next step as soon as the run settles; otherwise
    steps are granted by :meth:`grant` (a button, a click on an actor's lane).
    """

    def __init__(self, gate: StepGate, queue_name: str, counts: Callable[[], tuple[int, int]], maxsize: int,
                 auto: bool = False) -> None:
        self.gate = gate
        self.queue_name = queue_name
        #: The queue's (depth, unfinished) now, read from its own counters.
        self.counts = counts
        self.maxsize = maxsize
        self.auto = auto
        self._lock = threading.Lock()
        self._rows: dict[str, int] = {}
        self._names: dict[int, str] = {}
        self._pids: dict[str, int] = {}
        #: Actors whose records reach the observer directly (no channel to wait for).
        self._in_process: set[str] = set()
        #: Actors whose start the stepper announces (the others announce it themselves).
        self._announce_start: set[str] = set()
        self._received: Counter[str] = Counter()
        self._announced: dict[str, int] = {}
        #: Actors paused at their gate now, with what they are about to do.
        self.ready: dict[str, tuple] = {}
        self.settled = False
        self.steps = 0
        self._last_granted: str | None = None

    # -- actors -------------------------------------------------------------------------
    def add_actor(self, name: str, index: int, pid: int, in_process: bool = False,
                  announce_start: bool | None = None) -> None:
        """Follow the actor ``name`` in gate row ``index`` (cleared with ``gate.launched``
        before it started, so it cannot have paused yet).  ``in_process``: its records
        need no channel; ``announce_start`` (default: not ``main``): its ``actor_start`` is
        announced here, in step order, when it first pauses — processes, threads and
        tasks start in whatever order they are scheduled."""
        with self._lock:
            old = self._names.get(index)
            if old is not None:
                self._rows.pop(old, None)
            self._rows[name] = index
            self._names[index] = name
            self._pids[name] = pid
            if in_process:
                self._in_process.add(name)
            if announce_start if announce_start is not None else name != MAIN_ACTOR:
                self._announce_start.add(name)
            self.settled = False

    def received(self, records: list[tuple]) -> None:
        """Count what came over the channel, by actor (only the actors' own records do)."""
        if records:
            self._received.update(record[2] for record in records)

    # -- settling -------------------------------------------------------------------------
    def settle(self, gone: Callable[[str], bool]) -> list[tuple]:
        """If the run has settled, the ``step_ready`` records of the actors paused
        (in :func:`step_order`); ``gone(name)`` says whether an actor has ended."""
        with self._lock:
            if self.settled:
                return []
            depth, unfinished = self.counts()
            rows = {name: self.gate.row(index) for name, index in self._rows.items()}
            for name, row in rows.items():
                if name not in self._in_process and self._received[name] < row[_SENT]:
                    return []
                if gone(name):
                    continue
                state = row[_STATE]
                if state == AT_GATE:
                    continue
                if state == BLOCKED_GET and depth <= 0:
                    continue
                if state == BLOCKED_PUT and self.maxsize and depth >= self.maxsize:
                    continue
                if state == BLOCKED_JOIN and unfinished > 0:
                    continue
                if state == BLOCKED_JOIN_PROCESS and not gone(self._names.get(row[_TARGET] - 1, "")):
                    continue
                return []
            self.settled = True
            now = time.monotonic()
            records = []
            self.ready = {}
            for name in step_order(rows):
                row = rows[name]
                if gone(name) or row[_STATE] != AT_GATE:
                    continue
                if name not in self._announced and name in self._announce_start:
                    # An actor process's start is announced here, in step order, not by the
                    # process itself: processes start up in whatever order the OS runs them.
                    records.append(wire_record(now, ACTOR_START, name, self._pids[name], item=role_of(name)))
                item = self._describe(row)
                self.ready[name] = item
                self._announced[name] = row[_ARRIVALS]
                # Every paused actor is announced at every settle: a step is over, for whoever
                # watches the events, when the ``step_ready`` records after its grant arrive.
                records.append(wire_record(now, STEP_READY, name, self._pids[name], item=item))
            return records

    def _describe(self, row: tuple[int, ...]) -> tuple:
        op = OPERATIONS[row[_OP]]
        if op == JOIN and row[_TARGET]:
            target = self._names.get(row[_TARGET] - 1)
        elif op in (PUT, GET, TASK_DONE, JOIN):
            target = self.queue_name
        else:
            target = None
        return (op, target, FUNCTIONS[row[_FUNCTION]], row[_LINE])

    @property
    def stuck(self) -> bool:
        """Settled with nobody to step: everyone left waits for something that will not come."""
        return self.settled and not self.ready

    # -- granting --------------------------------------------------------------------------
    def next_actor(self) -> str | None:
        """Whose turn it is in round-robin order: the next paused actor after the last granted."""
        with self._lock:
            return self._next_actor()

    def _next_actor(self) -> str | None:
        if not self.ready:
            return None
        order = step_order(self._rows)
        start = order.index(self._last_granted) + 1 if self._last_granted in order else 0
        for name in order[start:] + order[:start]:
            if name in self.ready:
                return name
        return None

    def grant(self, name: str | None = None, deliver: Callable[[tuple], None] | None = None
              ) -> tuple[tuple | None, str | None]:
        """Let ``name`` (default: the next in round-robin order) make its operation.
        Returns the ``step_grant`` record, or why no step can be made now.  ``deliver``
        gets the record before the actor is woken: the step may end the run, and a
        record delivered after the run's last event would be too late."""
        with self._lock:
            if not self.settled:
                return None, "the last step is still under way"
            if name is None:
                name = self._next_actor()
                if name is None:
                    return None, "no actor can take a step: every one waits for something"
            elif name not in self.ready:
                return None, f"{name} cannot take a step now: it is not paused before an operation"
            item = self.ready.pop(name)
            self.settled = False
            self._last_granted = name
            self.steps += 1
            record = wire_record(time.monotonic(), STEP_GRANT, name, self._pids[name], item=item)
            if deliver is not None:
                deliver(record)
            self.gate.grant(self._rows[name])
        return record, None


def step_order(names: Any) -> list[str]:
    """The round-robin order: ``main``, then the producers, then the consumers, each by number
    (the order in which the tutorial's program is written)."""
    def key(name: str) -> tuple[int, int]:
        role, _, number = name.rpartition("-")
        rank = {MAIN_ACTOR: 0, PRODUCER: 1, CONSUMER: 2}.get(role or name, 3)
        return rank, int(number) if number.isdecimal() else 0
    return sorted(names, key=key)
