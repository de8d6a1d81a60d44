"""The run model: events folded into counters, per-actor states and join waits.

Plain Python, no Qt: the CLI narrates from it, the stall diagnosis reads it, and the
window's views subscribe to it.  It trusts the counts carried by the events (read
under the queue's lock) and never derives them from timing.
"""
from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import repeat
from operator import is_, itemgetter
from typing import Any

import numpy as np

from core import system
from core.analysis.compaction import compact_lane
from core.events import (
    ACTOR_EXIT,
    ACTOR_RETIRE,
    ACTOR_START,
    CONSUMER,
    ERROR,
    GET,
    GET_WAIT,
    JOIN_ENTER,
    JOIN_RETURN,
    MAIN_ACTOR,
    PRODUCER,
    PUT,
    PUT_WAIT,
    RUN_STOP,
    TASK_DONE,
    Event,
    counts_of,
    role_of,
)

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
#: Exit codes that mean "ended by JoinScope's stop", not by the actor's own failure (every system's).
STOP_EXIT_CODES = system.STOP_EXIT_CODES


@dataclass
class ActorState:
    name: str
    role: str
    pid: int | None = None
    state: str = STARTING
    since: float = 0.0
    #: The item this actor got last (what it works on while ``in_progress``).
    last_item: Any = None
    puts: int = 0
    gets: int = 0
    task_dones: int = 0
    #: What the actor waits for in join(): a queue id, or the actor name of a process.
    joining: str | None = None
    exitcode: int | None = None
    error: str | None = None
    sentinels_got: int = 0
    #: Asked to retire: it finishes what it holds, then exits.
    retiring: bool = False

    @property
    def alive(self) -> bool:
        return self.state not in FINAL_STATES

    @property
    def in_progress(self) -> int:
        """Items got and not yet marked done (what a crash takes with it)."""
        return max(self.gets - self.task_dones, 0)


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


#: The kinds folded a batch at a time, and the state each leaves its actor in
#: (a ``get`` of ``None``, a sentinel, leaves it running, not working).
_BULK_KINDS = frozenset({PUT, GET, TASK_DONE, GET_WAIT, PUT_WAIT})
#: (kind, item is None) -> the state code the event leaves its actor in.
_STATE_AFTER = {(kind, empty): STATE_CODES[state]
                for kind, state in ((PUT, RUNNING), (TASK_DONE, RUNNING), (GET_WAIT, WAITING_GET),
                                    (PUT_WAIT, BLOCKED_PUT)) for empty in (False, True)}
_STATE_AFTER[(GET, False)] = STATE_CODES[WORKING]
_STATE_AFTER[(GET, True)] = STATE_CODES[RUNNING]
#: The counter of ActorState/QueueState each counted kind adds to.
_COUNTED = {PUT: "puts", GET: "gets", TASK_DONE: "task_dones"}
_TIME, _KIND, _ACTOR, _QUEUE, _ITEM = (itemgetter(i) for i in (1, 2, 3, 5, 7))
#: State changes an actor's lane keeps before its older half is summarised (nine bytes each).
MAX_LANE_CHANGES = 100_000


_ROLE_ORDER = {PRODUCER: 0, CONSUMER: 1, MAIN_ACTOR: 2}


def lane_order(actor: str) -> tuple[int, int, str]:
    """Where an actor's lane goes: producers, then consumers, then main, then anyone else, each by number."""
    role, _, number = actor.rpartition("-")
    if not role:
        role, number = actor, "0"
    return _ROLE_ORDER.get(role, 3), int(number) if number.isdecimal() and len(number) < 19 else 0, actor


class RunModel:
    """Everything known about a run so far.  Feed it events in ``seq`` order."""

    def __init__(self, expected_producers: int = 0) -> None:
        self.expected_producers = expected_producers
        self.actors: dict[str, ActorState] = {}
        self.queues: dict[str, QueueState] = {}
        self.joins: list[JoinWait] = []
        self.errors: list[Event] = []
        self.events_seen = 0
        #: The user stopped the run (``run_stop``): processes killed after it were stopped, not crashed.
        self.stopped = False
        self.last_seq = 0
        self.last_t = 0.0
        #: (actor, queue, kind) -> how many, for gets and task_done calls: who holds a queue's
        #: tasks (a traced program's main may read a results queue and never mark them done).
        self.taken: Counter[tuple[str, str | None, str]] = Counter()
        self._open_joins: dict[str, JoinWait] = {}
        #: Each actor's state changes, oldest first — the swimlanes' data: the times
        #: (``array('d')``) and the states as codes into :data:`STATES` (``array('b')``),
        #: nine bytes a change, at most :data:`MAX_LANE_CHANGES` (see :mod:`core.analysis.compaction`).
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
        return sum(1 for a in self.actors.values() if a.role != MAIN_ACTOR and a.alive and a.pid is not None)

    def open_joins(self) -> list[JoinWait]:
        return list(self._open_joins.values())

    def producers_unfinished(self) -> tuple[str, ...]:
        """Producers that have not exited, including those expected but not yet started."""
        producers = self.actors_of(PRODUCER)
        names = [p.name for p in producers if p.alive]
        missing = self.expected_producers - len(producers)
        names += [f"producer-{len(producers) + i}" for i in range(max(missing, 0))]
        return tuple(names)

    # -- folding ------------------------------------------------------------------------
    def apply(self, events: Iterable[Event]) -> None:
        """Fold ``events`` (in ``seq`` order).  Runs of put/get/task_done/wait events,
        the bulk of any busy run, are folded a batch at a time (see :meth:`_apply_bulk`)."""
        events = events if isinstance(events, list) else list(events)
        start = 0
        for index in [i for i, event in enumerate(events) if event[2] not in _BULK_KINDS]:
            if index > start:
                self._apply_bulk(events[start:index])
            self._apply(events[index])
            start = index + 1
        if start < len(events):
            self._apply_bulk(events[start:] if start else events)

    def _apply_bulk(self, events: list[Event]) -> None:
        """Fold events of the kinds in :data:`_BULK_KINDS` with a few passes in C
        (column maps, counting) and one small numpy step per actor for the state changes."""
        count = len(events)
        kinds = list(map(_KIND, events))
        actors = list(map(_ACTOR, events))
        queues = list(map(_QUEUE, events))
        items = list(map(_ITEM, events))
        last = events[-1]
        self.events_seen += count
        self.last_seq = last.seq
        self.last_t = last.t
        for name in dict.fromkeys(queues):
            queue = self.queues.get(name)
            if queue is None:
                queue = self.queues[name] = QueueState(name)
            final = events[count - 1 - queues[::-1].index(name)] if name != last.queue else last
            queue.depth, queue.unfinished = counts_of(final)
        by_queue = Counter(zip(queues, kinds))
        by_actor = Counter(zip(actors, queues, kinds))
        for (name, kind), number in by_queue.items():
            if kind in _COUNTED:
                setattr(self.queues[name], _COUNTED[kind], getattr(self.queues[name], _COUNTED[kind]) + number)
        present = list(dict.fromkeys(actors))
        for name in present:
            if name not in self.actors:
                self._actor(events[actors.index(name)])
        taken = self.taken
        for (name, queue_name, kind), number in by_actor.items():
            if kind in _COUNTED:
                setattr(self.actors[name], _COUNTED[kind], getattr(self.actors[name], _COUNTED[kind]) + number)
                if kind != PUT:
                    taken[(name, queue_name, kind)] += number
        empty = list(map(is_, items, repeat(None)))
        codes = np.fromiter(map(_STATE_AFTER.__getitem__, zip(kinds, empty)), np.int8, count)
        times = np.fromiter(map(_TIME, events), np.float64, count)
        gets = np.fromiter(map(GET.__eq__, kinds), np.bool_, count) if GET in kinds else None
        if len(present) == 1:
            ids = None
            self._record_changes(self.actors[present[0]], codes, times)
        else:
            ids = np.fromiter(map(present.index, actors), np.int16, count)
            for number, name in enumerate(present):
                mine = ids == number
                self._record_changes(self.actors[name], codes[mine], times[mine])
        if gets is not None:
            for number, name in enumerate(present):
                mine = gets if ids is None else gets & (ids == number)
                picked = np.flatnonzero(mine)
                if len(picked):
                    self.actors[name].last_item = items[picked[-1]]
        if True in empty:  # sentinels went in or came out
            for name, queue, kind, is_empty in zip(actors, queues, kinds, empty):
                if is_empty and kind == PUT:
                    self.queues[queue].sentinels_put += 1
                elif is_empty and kind == GET:
                    self.actors[name].sentinels_got += 1

    def _record_changes(self, actor: ActorState, codes: np.ndarray, times: np.ndarray) -> None:
        """Append where ``actor``'s state changes in ``codes`` (at ``times``) to its lane."""
        previous = np.empty_like(codes)
        previous[0] = STATE_CODES[actor.state]
        previous[1:] = codes[:-1]
        changed = np.flatnonzero(codes != previous)
        if not len(changed):
            return
        lane_times, lane_codes = self.transitions[actor.name]
        lane_times.frombytes(times[changed].tobytes())
        lane_codes.frombytes(codes[changed].tobytes())
        if len(lane_times) > MAX_LANE_CHANGES:
            self.transitions[actor.name] = compact_lane(lane_times, lane_codes, MAX_LANE_CHANGES // 2)
        actor.state = STATES[codes[changed[-1]]]
        actor.since = float(times[changed[-1]])

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
            if len(times) > MAX_LANE_CHANGES:
                self.transitions[actor.name] = compact_lane(times, codes, MAX_LANE_CHANGES // 2)

    def _apply(self, event: Event) -> None:
        kind = event.kind
        if kind in _BULK_KINDS:
            self._apply_bulk([event])
            return
        self.events_seen += 1
        self.last_seq = event.seq
        self.last_t = event.t
        if kind == RUN_STOP:  # the observer's own event: no actor, no lane
            self.stopped = True
            return
        actor = self._actor(event)
        queue = None
        if event.queue is not None:
            queue = self.queues.get(event.queue)
            if queue is None:
                queue = self.queues[event.queue] = QueueState(event.queue)
            queue.depth = event.depth  # type: ignore[assignment]
            queue.unfinished = event.unfinished  # type: ignore[assignment]
        if kind == JOIN_ENTER:
            target = event.queue if event.queue is not None else str(event.item)
            wait = JoinWait(actor.name, target, event.queue is not None, event.t, event.unfinished)
            self._open_joins[actor.name] = wait
            actor.joining = target
            self._set(actor, WAITING_JOIN, event.t)
        elif kind == JOIN_RETURN:
            opened = self._open_joins.pop(actor.name, None)
            if opened is not None:
                opened.returned = event.t
                opened.waited = event.waited
                opened.released_by = event.released_by
                if opened.on_queue:
                    opened.producers_unfinished = self.producers_unfinished()
                self.joins.append(opened)
            actor.joining = None
            self._set(actor, RUNNING, event.t)
        elif kind == ACTOR_START:
            self._set(actor, RUNNING, event.t)
        elif kind == ACTOR_RETIRE:
            actor.retiring = True
        elif kind == ACTOR_EXIT:
            actor.exitcode = event.exitcode
            if event.exitcode is None or (self.stopped and event.exitcode in STOP_EXIT_CODES):
                state = STOPPED
            else:
                state = EXITED if event.exitcode == 0 else CRASHED
            self._open_joins.pop(actor.name, None)
            actor.joining = None
            self._set(actor, state, event.t)
        elif kind == ERROR:
            actor.error = event.error
            self.errors.append(event)
