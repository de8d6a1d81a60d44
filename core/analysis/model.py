"""The run model: events folded into counters, per-actor states and join waits.

Plain Python, no Qt: the CLI narrates from it, the stall diagnosis reads it, and the
window's views subscribe to it.  It trusts the counts carried by the events (read
under the queue's lock) and never derives them from timing.
"""
from __future__ import annotations

import signal
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import repeat
from operator import is_, itemgetter
from typing import Any

import numpy as np

from core import system
from core.analysis.compaction import compact_lane
from core.backends import describe
from core.events import (
    ACTOR_EXIT,
    ACTOR_RETIRE,
    ACTOR_START,
    ACTOR_UNITS,
    CALLBACK,
    CALLBACK_RETURN,
    CANCEL,
    CONSUMER,
    DELIVER,
    ERROR,
    GET,
    GET_EMPTY,
    GET_WAIT,
    JOIN_ENTER,
    JOIN_RETURN,
    MAIN_ACTOR,
    MAP_LISTED,
    PRODUCER,
    PUT,
    PUT_FULL,
    PUT_WAIT,
    RESULT_HANDLER,
    RUN_PAUSE,
    RUN_RESUME,
    RUN_STOP,
    STALL,
    STEP_GRANT,
    STEP_READY,
    SUBMIT,
    TASK_DONE,
    TASK_FINISH,
    TASK_HANDLER,
    TASK_START,
    WORKER,
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
#: Step mode: held at the gate before its next operation until it is let through.
PAUSED = "paused before an operation"
#: In ``join()`` of a process (``p.join()``), not of a queue.
JOINING_PROCESS = "joining a process"
#: A pool's result handler (or the thread that completed a future) runs the program's callback.
RUNNING_CALLBACK = "running a callback"
#: Every state, in a fixed order: the swimlanes store a state as its index here (new ones go last).
STATES = (STARTING, RUNNING, WORKING, WAITING_GET, BLOCKED_PUT, WAITING_JOIN, EXITED, CRASHED, STOPPED, PAUSED,
          JOINING_PROCESS, RUNNING_CALLBACK)
STATE_CODES = {state: code for code, state in enumerate(STATES)}
FINAL_STATES = frozenset({EXITED, CRASHED, STOPPED})
#: Exit codes that mean "ended by JoinScope's stop", not by the actor's own failure (every system's).
STOP_EXIT_CODES = system.STOP_EXIT_CODES
#: The exit code of a process that ``terminate()`` ended (SIGTERM): asked to end, not crashed —
#: by JoinScope's stop, by its parent, or by multiprocessing ending a daemon at the program's exit.
TERMINATED = -signal.SIGTERM  # (multiprocessing says so on Windows too)


@dataclass(kw_only=True)
class PoolOperations:
    """How many of a pool's operations an actor made (a worker starts and finishes tasks, the result
    handler delivers them and runs their callbacks, main submits them), or a pool had."""

    submitted: int = 0
    started: int = 0
    finished: int = 0
    delivered: int = 0
    cancelled: int = 0
    callbacks: int = 0


@dataclass
class ActorState(PoolOperations):
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
    #: What the actor runs in, when its end said so (a traced program's "thread" or "task"
    #: actors); None: the run's backend unit.
    unit: str | None = None

    def unit_in(self, backend: str) -> str:
        """What this actor runs in, in a run on ``backend``: a process, a thread or a task."""
        return self.unit or describe(backend).unit

    @property
    def alive(self) -> bool:
        return self.state not in FINAL_STATES

    @property
    def in_progress(self) -> int:
        """Items got and not yet marked done (what a crash takes with it)."""
        return max(self.gets - self.task_dones, 0)


@dataclass
class QueueState(PoolOperations):
    name: str
    depth: int = 0
    unfinished: int = 0
    puts: int = 0
    gets: int = 0
    task_dones: int = 0
    sentinels_put: int = 0
    # A pool (see core.events.POOL_KINDS): depth counts its tasks not yet started, unfinished
    # those not yet delivered.
    #: Tasks delivered as an exception, and of those, how many found no callback to hear of it.
    raised: int = 0
    unheard: int = 0
    #: What ``map()`` read into a list before it submitted a task: ``(items, seconds)`` each time.
    listed: list[tuple[int, float]] = field(default_factory=list)

    @property
    def is_pool(self) -> bool:
        return bool(self.submitted or self.started or self.listed)


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
    #: What waits, on a pool: ``join()``, ``as_completed()``, ``get()``… (``None`` for a queue's join()).
    call: str | None = None


#: The kinds folded a batch at a time, and the state each leaves its actor in
#: (a ``get`` of ``None``, a sentinel, leaves it running, not working).  A pool's worker waits
#: for its next task once it has finished one, its result handler for the next result once it
#: has delivered one (and run its callback).
_POOL_BULK_KINDS = frozenset({SUBMIT, TASK_START, TASK_FINISH, DELIVER, CANCEL, CALLBACK, CALLBACK_RETURN})
_BULK_KINDS = frozenset({PUT, GET, TASK_DONE, GET_WAIT, PUT_WAIT, GET_EMPTY, PUT_FULL}) | _POOL_BULK_KINDS
#: (kind, item is None) -> the state code the event leaves its actor in.
_STATE_AFTER = {(kind, empty): STATE_CODES[state]
                for kind, state in ((PUT, RUNNING), (TASK_DONE, RUNNING), (GET_WAIT, WAITING_GET),
                                    (GET_EMPTY, RUNNING), (PUT_FULL, RUNNING),
                                    (PUT_WAIT, BLOCKED_PUT), (SUBMIT, RUNNING), (TASK_START, WORKING),
                                    (TASK_FINISH, WAITING_GET), (DELIVER, WAITING_GET), (CANCEL, RUNNING),
                                    (CALLBACK, RUNNING_CALLBACK), (CALLBACK_RETURN, WAITING_GET))
                for empty in (False, True)}
_STATE_AFTER[(GET, False)] = STATE_CODES[WORKING]
_STATE_AFTER[(GET, True)] = STATE_CODES[RUNNING]
#: The observer's own events (actor ``joinscope``): they change the run, not an actor.
_OBSERVER_KINDS = frozenset({RUN_STOP, RUN_PAUSE, RUN_RESUME, STALL})
#: The counter of ActorState/QueueState each counted kind adds to.
_COUNTED = {PUT: "puts", GET: "gets", TASK_DONE: "task_dones", SUBMIT: "submitted", TASK_START: "started",
            TASK_FINISH: "finished", DELIVER: "delivered", CANCEL: "cancelled", CALLBACK: "callbacks"}
#: The kinds whose item is what their actor holds next: a queue's got item, a pool worker's task.
_TAKING = (GET, TASK_START)
#: The kinds :attr:`RunModel.taken` counts: who took a queue's items and who marked them done.
_TAKEN = frozenset({GET, TASK_DONE})
#: The threads of a pool in the program's process: they end when that process ends.
_POOL_THREADS = frozenset({RESULT_HANDLER, TASK_HANDLER})
_TIME, _KIND, _ACTOR, _QUEUE, _ITEM = (itemgetter(i) for i in (1, 2, 3, 5, 7))
#: State changes an actor's lane keeps before its older half is summarised (nine bytes each).
MAX_LANE_CHANGES = 100_000


_ROLE_ORDER = {PRODUCER: 0, CONSUMER: 1, WORKER: 2, RESULT_HANDLER: 3, TASK_HANDLER: 4, MAIN_ACTOR: 5}


def lane_order(actor: str) -> tuple[int, int, str]:
    """Where an actor's lane goes: producers, consumers, a pool's workers and threads, then main, then
    anyone else, each by number."""
    role, _, number = actor.rpartition("-")
    if not role:
        role, number = actor, "0"
    return (_ROLE_ORDER.get(role_of(actor), len(_ROLE_ORDER)),
            int(number) if number.isdecimal() and len(number) < 19 else 0, actor)


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
        #: When the user paused the run: ``[start, end]`` each, ``end`` ``None`` while it lasts.
        self.pauses: list[list[float | None]] = []
        #: The diagnosis of the stall the run was declared in (a ``stall`` event), if any.
        self.stall: str | None = None
        #: Each actor's state changes, oldest first — the swimlanes' data: the times
        #: (``array('d')``) and the states as codes into :data:`STATES` (``array('b')``),
        #: nine bytes a change, at most :data:`MAX_LANE_CHANGES` (see :mod:`core.analysis.compaction`).
        self.transitions: dict[str, tuple[array, array]] = {}

    # -- totals -----------------------------------------------------------------------
    @property
    def pools(self) -> list[QueueState]:
        """The pools among the queues seen (a pool is reported as a queue of its tasks)."""
        return [queue for queue in self.queues.values() if queue.is_pool]

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
                if kind in _TAKEN:
                    taken[(name, queue_name, kind)] += number
        empty = list(map(is_, items, repeat(None)))
        codes = np.fromiter(map(_STATE_AFTER.__getitem__, zip(kinds, empty)), np.int8, count)
        times = np.fromiter(map(_TIME, events), np.float64, count)
        gets = np.fromiter(map(_TAKING.__contains__, kinds), np.bool_, count) \
            if GET in kinds or TASK_START in kinds else None
        # An actor waiting in a join makes no operation itself: one recorded in its name comes from
        # another thread of its process (the sentinel main puts for a consumer added late, say),
        # and the lane goes on showing the wait.
        joining = self._open_joins
        if len(present) == 1:
            ids = None
            if present[0] not in joining:
                self._record_changes(self.actors[present[0]], codes, times)
        else:
            ids = np.fromiter(map(present.index, actors), np.int16, count)
            for number, name in enumerate(present):
                if name not in joining:
                    mine = ids == number
                    self._record_changes(self.actors[name], codes[mine], times[mine])
        if gets is not None:
            for number, name in enumerate(present):
                mine = gets if ids is None else gets & (ids == number)
                picked = np.flatnonzero(mine)
                if len(picked):
                    self.actors[name].last_item = items[picked[-1]]
        if DELIVER in kinds:
            self._count_failures(queues, kinds, items)
        if True in empty:  # sentinels went in or came out
            for name, queue, kind, is_empty in zip(actors, queues, kinds, empty):
                if is_empty and kind == PUT:
                    self.queues[queue].sentinels_put += 1
                elif is_empty and kind == GET:
                    self.actors[name].sentinels_got += 1

    def _apply_observer(self, event: Event) -> None:
        kind = event.kind
        if kind == RUN_STOP:
            self.stopped = True
            self._end_pause(event.t)
        elif kind == RUN_PAUSE:
            self.pauses.append([event.t, None])
        elif kind == RUN_RESUME:
            self._end_pause(event.t)
        elif kind == STALL:
            self.stall = event.item if isinstance(event.item, str) else None

    def _end_pause(self, t: float) -> None:
        if self.pauses and self.pauses[-1][1] is None:
            self.pauses[-1][1] = t

    @property
    def paused(self) -> bool:
        """The run is paused now."""
        return bool(self.pauses) and self.pauses[-1][1] is None
    def _count_failures(self, queues: list, kinds: list, items: list) -> None:
        """A pool's deliveries of an exception, and those no callback heard of (``heard`` false)."""
        for name, kind, item in zip(queues, kinds, items):
            if kind == DELIVER and not item[1]:
                pool = self.queues[name]
                pool.raised += 1
                if item[2] is False:
                    pool.unheard += 1

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

    def _end_pool_threads(self, process: ActorState, state: str, t: float) -> None:
        """A process ended: so did its pools' threads (their lanes end with it; stopped if it was
        stopped, otherwise exited: a crash of main's own code is not theirs)."""
        if process.pid is None or process.role in _POOL_THREADS:
            return
        for other in self.actors.values():
            if other.pid == process.pid and other.role in _POOL_THREADS and other.alive:
                self._open_joins.pop(other.name, None)
                self._set(other, STOPPED if state == STOPPED else EXITED, t)

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
        if kind in _OBSERVER_KINDS:  # the observer's own events: no actor, no lane
            self._apply_observer(event)
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
            wait = JoinWait(actor.name, target, event.queue is not None, event.t, event.unfinished,
                            call=event.item if event.queue is not None and type(event.item) is str else None)
            self._open_joins[actor.name] = wait
            actor.joining = target
            self._set(actor, WAITING_JOIN if wait.on_queue else JOINING_PROCESS, event.t)
        elif kind == STEP_READY:
            if actor.state not in FINAL_STATES:
                self._set(actor, PAUSED, event.t)
        elif kind == STEP_GRANT:
            if actor.state == PAUSED:
                self._set(actor, RUNNING, event.t)
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
            if event.item in ACTOR_UNITS:
                actor.unit = event.item
            if event.exitcode in (None, TERMINATED) or (self.stopped and event.exitcode in STOP_EXIT_CODES):
                state = STOPPED
            else:
                state = EXITED if event.exitcode == 0 else CRASHED
            self._open_joins.pop(actor.name, None)
            actor.joining = None
            self._set(actor, state, event.t)
            self._end_pool_threads(actor, state, event.t)
        elif kind == MAP_LISTED and queue is not None:
            queue.listed.append((int(event.item[0]), float(event.item[1])))
            self._set(actor, RUNNING, event.t)
        elif kind == ERROR:
            actor.error = event.error
            self.errors.append(event)
