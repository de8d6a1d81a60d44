"""The run model: events folded into counters, per-actor states and join waits.

Plain Python, no Qt: the CLI narrates from it, the stall diagnosis reads it, and the
window's views subscribe to it.  It trusts the counts carried by the events (read
under the queue's lock) and never derives them from timing.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any, Iterable

from core.events import (ACTOR_EXIT, ACTOR_START, ERROR, GET, GET_WAIT, JOIN_ENTER, JOIN_RETURN, PUT, PUT_WAIT,
                         TASK_DONE, Event)

# Actor states, as the swimlanes and the narration name them.
STARTING = "starting"
RUNNING = "running"
WORKING = "working on a task"
WAITING_GET = "waiting in get()"
BLOCKED_PUT = "blocked in put()"
WAITING_JOIN = "waiting in join()"
EXITED = "exited"
CRASHED = "crashed"
STOPPED = "stopped"
#: Every state, in a fixed order: the swimlanes store a state as its index here.
STATES = (STARTING, RUNNING, WORKING, WAITING_GET, BLOCKED_PUT, WAITING_JOIN, EXITED, CRASHED, STOPPED)
STATE_CODES = {state: code for code, state in enumerate(STATES)}
FINAL_STATES = frozenset({EXITED, CRASHED, STOPPED})
#: Exit codes that mean "ended by JoinScope's stop", not by the actor's own failure.
STOP_EXIT_CODES = frozenset({143, -15, -9})


@dataclass
class ActorState:
    name: str
    role: str
    pid: int | None = None
    state: str = STARTING
    since: float = 0.0
    #: Items taken with get() and not yet marked done, oldest first.
    holding: list[Any] = field(default_factory=list)
    puts: int = 0
    gets: int = 0
    task_dones: int = 0
    #: What the actor waits for in join(): a queue id, or the actor name of a process.
    joining: str | None = None
    exitcode: int | None = None
    error: str | None = None
    sentinels_got: int = 0

    @property
    def alive(self) -> bool:
        return self.state not in FINAL_STATES


@dataclass
class QueueState:
    name: str
    depth: int = 0
    unfinished: int = 0
    puts: int = 0
    gets: int = 0
    task_dones: int = 0
    sentinels_put: int = 0


@dataclass
class JoinWait:
    """One ``join()`` call of an actor, on a queue or on a process."""

    actor: str
    target: str
    on_queue: bool
    entered: float
    unfinished_at_entry: int | None
    returned: float | None = None
    waited: float | None = None
    released_by: int | None = None
    #: Producers that had not finished when a queue's join() returned (the race).
    producers_unfinished: tuple[str, ...] = ()


def role_of(actor: str) -> str:
    return actor.rsplit("-", 1)[0] if "-" in actor else actor


class RunModel:
    """Everything known about a run so far.  Feed it events in ``seq`` order."""

    def __init__(self, expected_producers: int = 0) -> None:
        self.expected_producers = expected_producers
        self.actors: dict[str, ActorState] = {}
        self.queues: dict[str, QueueState] = {}
        self.joins: list[JoinWait] = []
        self.errors: list[Event] = []
        self.events_seen = 0
        self.last_seq = 0
        self.last_t = 0.0
        self._open_joins: dict[str, JoinWait] = {}
        #: Each actor's state changes, oldest first — the swimlanes' data: the times
        #: (``array('d')``) and the states as codes into :data:`STATES` (``array('b')``),
        #: nine bytes a change however long the run.
        self.transitions: dict[str, tuple[array, array]] = {}

    # -- totals -----------------------------------------------------------------------
    @property
    def puts(self) -> int:
        return sum(q.puts for q in self.queues.values())

    @property
    def gets(self) -> int:
        return sum(q.gets for q in self.queues.values())

    @property
    def task_dones(self) -> int:
        return sum(q.task_dones for q in self.queues.values())

    def actors_of(self, role: str) -> list[ActorState]:
        return [a for a in self.actors.values() if a.role == role]

    def live_processes(self) -> int:
        return sum(1 for a in self.actors.values() if a.role != "main" and a.alive and a.pid is not None)

    def open_joins(self) -> list[JoinWait]:
        return list(self._open_joins.values())

    def producers_unfinished(self) -> tuple[str, ...]:
        """Producers that have not exited, including those expected but not yet started."""
        producers = self.actors_of("producer")
        names = [p.name for p in producers if p.alive]
        missing = self.expected_producers - len(producers)
        names += [f"producer-{len(producers) + i}" for i in range(max(missing, 0))]
        return tuple(names)

    # -- folding ------------------------------------------------------------------------
    def apply(self, events: Iterable[Event]) -> None:
        for event in events:
            self._apply(event)

    def _actor(self, event: Event) -> ActorState:
        actor = self.actors.get(event.actor)
        if actor is None:
            actor = self.actors[event.actor] = ActorState(event.actor, role_of(event.actor), since=event.t)
            self.transitions[event.actor] = (array("d", [event.t]), array("b", [STATE_CODES[actor.state]]))
        if event.pid and actor.pid is None and event.kind != ACTOR_EXIT:
            actor.pid = event.pid
        return actor

    def _set(self, actor: ActorState, state: str, t: float) -> None:
        if actor.state != state:
            actor.state = state
            actor.since = t
            times, codes = self.transitions[actor.name]
            times.append(t)
            codes.append(STATE_CODES[state])

    def _apply(self, event: Event) -> None:
        self.events_seen += 1
        self.last_seq = event.seq
        self.last_t = event.t
        kind = event.kind
        actor = self._actor(event)
        queue = None
        if event.queue is not None:
            queue = self.queues.get(event.queue)
            if queue is None:
                queue = self.queues[event.queue] = QueueState(event.queue)
            queue.depth = event.depth  # type: ignore[assignment]
            queue.unfinished = event.unfinished  # type: ignore[assignment]
        if kind == PUT:
            queue.puts += 1  # type: ignore[union-attr]
            actor.puts += 1
            if event.item is None:
                queue.sentinels_put += 1  # type: ignore[union-attr]
            if actor.state in (BLOCKED_PUT, STARTING):
                self._set(actor, RUNNING, event.t)
        elif kind == GET:
            queue.gets += 1  # type: ignore[union-attr]
            actor.gets += 1
            actor.holding.append(event.item)
            if event.item is None:
                actor.sentinels_got += 1
                self._set(actor, RUNNING, event.t)
            else:
                self._set(actor, WORKING, event.t)
        elif kind == TASK_DONE:
            queue.task_dones += 1  # type: ignore[union-attr]
            actor.task_dones += 1
            if actor.holding:
                actor.holding.pop()
            self._set(actor, RUNNING, event.t)
        elif kind == GET_WAIT:
            self._set(actor, WAITING_GET, event.t)
        elif kind == PUT_WAIT:
            self._set(actor, BLOCKED_PUT, event.t)
        elif kind == JOIN_ENTER:
            target = event.queue if event.queue is not None else str(event.item)
            wait = JoinWait(actor.name, target, event.queue is not None, event.t, event.unfinished)
            self._open_joins[actor.name] = wait
            actor.joining = target
            self._set(actor, WAITING_JOIN, event.t)
        elif kind == JOIN_RETURN:
            wait = self._open_joins.pop(actor.name, None)
            if wait is not None:
                wait.returned = event.t
                wait.waited = event.waited
                wait.released_by = event.released_by
                if wait.on_queue:
                    wait.producers_unfinished = self.producers_unfinished()
                self.joins.append(wait)
            actor.joining = None
            self._set(actor, RUNNING, event.t)
        elif kind == ACTOR_START:
            self._set(actor, RUNNING, event.t)
        elif kind == ACTOR_EXIT:
            actor.exitcode = event.exitcode
            if event.exitcode is None or event.exitcode in STOP_EXIT_CODES:
                state = STOPPED
            else:
                state = EXITED if event.exitcode == 0 else CRASHED
            self._open_joins.pop(actor.name, None)
            actor.joining = None
            self._set(actor, state, event.t)
        elif kind == ERROR:
            actor.error = event.error
            self.errors.append(event)
