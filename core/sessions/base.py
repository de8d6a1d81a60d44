"""What every scenario session shares, whatever its actors are: processes, threads or asyncio tasks.

:class:`core.sessions.processes.ProcessSession` and
:class:`core.sessions.in_process.InProcessSession` (threads, asyncio tasks) differ in how
actors start, stop and report; they share everything here — running once, the actor
registry and its questions (who is alive, who is active), the sliders' ``set_count``,
``main``'s side of :class:`core.program.plan.MainRun` (join the producers, claim the
sentinels) and its life on a thread of its own, the sentinel ``main`` puts for a late
consumer, how an event of the session's own process is recorded, ``poll`` (take what
arrived, see whether the run is over, number the events), and the session's side of
step mode (:mod:`core.stepping`): announcing paused actors once the run has settled,
granting steps.

A subclass sets ``_inbox`` (its own process's records: ``append`` and ``len``),
``_control`` (a :class:`core.program.control.RunControl`) and ``queue``, and provides
``start``, ``stop``, ``close``, ``pause``, ``resume``, ``_spawn`` (start one more actor)
and ``_take`` (hand what has arrived to the merger).
"""
from __future__ import annotations

import os
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from core.events import (
    ACTOR_EXIT,
    ACTOR_RETIRE,
    ACTOR_START,
    CONSUMER,
    ERROR,
    EXIT_RAISED,
    JOIN_ENTER,
    JOIN_RETURN,
    MAIN_ACTOR,
    OBSERVER_ACTOR,
    PRODUCER,
    RUN_PAUSE,
    RUN_RESUME,
    STALL,
    Event,
    describe_exception,
    wire_record,
)
from core.program.control import RunControl
from core.program.functions import actor_functions
from core.queues.acting import WAIT_SLICE_S, Stopped, acting_as
from core.queues.merge import EventMerger
from core.queues.reporter import Reporter
from core.scenarios import ScenarioConfig
from core.sources import FINISHED, NEW, RUNNING, STOPPED
from core.stepping.gate import (
    BLOCKED_JOIN_PROCESS,
    EXIT,
    JOIN,
    MAIN_INDEX,
    StepGate,
    actor_index,
    process_join_target,
    returning_from,
)
from core.stepping.stepper import Stepper

#: The name of a scenario's one queue in its events.
TASK_QUEUE_NAME = "tasks"


@dataclass
class Actor:
    """A producer or consumer of a run, whatever runs it."""

    name: str
    role: str
    number: int
    slot: int
    exited: threading.Event = field(default_factory=threading.Event)
    exitcode: int | None = None
    retiring: bool = False
    #: It joined after the sentinels went out: ``main`` puts one more ``None`` for it.
    needs_sentinel: bool = False

    @property
    def alive(self) -> bool:
        return not self.exited.is_set()

    @property
    def pid(self) -> int | None:
        """Its own process's id (``None``: it lives in the session's process)."""
        return None


ActorT = TypeVar("ActorT", bound=Actor)


class SessionBase(ABC, Generic[ActorT]):
    """One run of a scenario, whatever runs its actors.  Use as a context manager, or call ``close``.

    It is a :class:`core.sources.ScenarioSession`."""

    _inbox: Any
    _control: RunControl
    #: What ``main``'s records are flushed through before it pauses in step mode (processes only).
    _main_reporter: Reporter | None = None

    def __init__(self, config: ScenarioConfig) -> None:
        self.config = config
        self.stepper: Stepper | None = None
        self._actors: dict[str, ActorT] = {}
        self._actors_lock = threading.Lock()
        self._numbers = {PRODUCER: 0, CONSUMER: 0}
        self._stop = threading.Event()
        self._main_done = threading.Event()
        self._read_lock = threading.Lock()
        self._pid = os.getpid()
        self.t0 = 0.0
        self._merger: EventMerger | None = None
        self.state = NEW
        self.closed = False
        self.paused = False
        #: The observed queue the actors share (made by the subclass; asyncio's, once its loop runs).
        self.queue: Any = None

    def __enter__(self) -> SessionBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what each backend does its own way ---------------------------------------------
    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def _freeze(self) -> str | None:
        """Hold every actor where it is (each backend in its own way); why the system would not, or ``None``."""

    @abstractmethod
    def _thaw(self) -> None:
        """Let the actors :meth:`_freeze` held go on."""

    @abstractmethod
    def _spawn(self, role: str) -> str | None:
        """Start one more actor of ``role``; returns why not, or ``None``."""

    @abstractmethod
    def _take(self, timeout: float) -> None:
        """Hand every record that has arrived to the merger, waiting up to ``timeout`` for a first."""

    def pause(self) -> str | None:
        """Hold every actor where it is until :meth:`resume`; the pause is an event of the run
        (``run_pause``), so its picture and its recording show it.  ``main`` keeps waiting.
        Returns why the system would not freeze them (``None``: paused, or nothing to pause)."""
        if self.paused or self.state != RUNNING:
            return None
        refusal = self._freeze()
        if refusal is not None:
            return refusal
        self._record(RUN_PAUSE, actor=OBSERVER_ACTOR)
        self.paused = True
        return None

    def resume(self) -> None:
        if not self.paused:
            return
        self._thaw()
        self.paused = False
        if self.state == RUNNING and not self._stop.is_set():
            self._record(RUN_RESUME, actor=OBSERVER_ACTOR)

    def _retired(self, actor: ActorT) -> None:
        """Make a retired actor notice soon (a process or thread polls; a task waiting in get() is woken)."""

    # -- the run ------------------------------------------------------------------------
    def _begin(self) -> None:
        """The run starts now (once): its clock, its merger, and ``main`` in step mode."""
        if self.state != NEW:
            raise RuntimeError("a session runs once")
        self.t0 = time.monotonic()
        self._merger = EventMerger(self.t0)
        self.state = RUNNING
        if self.stepper is not None:
            self.stepper.gate.launched(MAIN_INDEX)
            self.stepper.add_actor(MAIN_ACTOR, MAIN_INDEX, self._pid, in_process=True)

    @property
    def finished(self) -> bool:
        """The run is over (completed or stopped) and every event has come out of ``poll``."""
        return self.state in (FINISHED, STOPPED) and self.caught_up

    @property
    def caught_up(self) -> bool:
        """Every event reported so far has come out of ``poll``."""
        return self._merger is not None and not self._merger.pending and not len(self._inbox)

    def poll(self, timeout: float = 0.0) -> list[Event]:
        """The next events, in ``seq`` order; waits up to ``timeout`` for the first batch."""
        merger = self._merger
        if merger is None:
            return []
        with self._read_lock:
            self._take(timeout)
            if self.state == RUNNING and self._main_done.is_set() and not self.live_processes():
                self.state = FINISHED
                self._take(0.0)
            if self.stepper is not None and self.state == RUNNING:
                self._settle_step()
            return merger.pop_ready(final=self.state in (FINISHED, STOPPED))

    def _record(self, kind: str, item: Any = None, actor: str = MAIN_ACTOR, *, waited: float | None = None,
                error: str | None = None, exitcode: int | None = None, pid: int | None = None) -> None:
        """An event of the session's own process (``main``'s joins, launches, exits, a stop)."""
        self._inbox.append(wire_record(time.monotonic(), kind, actor, self._pid if pid is None else pid, item=item,
                                       waited=waited, error=error, exitcode=exitcode))

    def note_stall(self, diagnosis: str) -> None:
        """The run was declared stalled (see :class:`core.sources.EventSource`)."""
        self._record(STALL, diagnosis, OBSERVER_ACTOR)

    def _record_end(self, actor: str, role: str, exitcode: int | None, error: BaseException | None,
                    pid: int | None = None) -> None:
        """An actor ended: its error first (unless its queue reported it), then its exit."""
        if error is not None and not getattr(error, "joinscope_reported", False):
            self._record(ERROR, actor=actor, error=describe_exception(error), pid=pid)
        self._record(ACTOR_EXIT, role, actor, exitcode=exitcode, pid=pid)

    # -- step mode --------------------------------------------------------------------
    @property
    def stepping(self) -> bool:
        return self.stepper is not None

    @property
    def _gate(self) -> StepGate | None:
        """Step mode's gate, where the actors pause (``None`` outside step mode)."""
        return self.stepper.gate if self.stepper is not None else None

    def _settle_step(self) -> None:
        """Announce the paused actors once the run has settled; in round-robin mode, grant
        the next step at once (call where the session reads its events)."""
        stepper, merger = self.stepper, self._merger
        assert stepper is not None and merger is not None
        ready = stepper.settle(self._gone)
        if ready:
            self._take(0.0)  # what main (or a thread, or a task) recorded before it paused
            merger.add(ready)
        if stepper.auto and stepper.settled and stepper.ready:
            stepper.grant(deliver=lambda record: merger.add([record]))

    def step(self, actor: str | None = None) -> str | None:
        """Let ``actor`` (default: the next in round-robin order) make the operation it
        paused before; returns why not, or ``None``."""
        if self.stepper is None:
            return "the run is not in step mode"
        if self.state != RUNNING:
            return "the run is not running"
        _, refusal = self.stepper.grant(actor, deliver=self._inbox.append)
        return refusal

    def ready_to_step(self) -> dict[str, tuple]:
        """The actors paused before an operation now, with that operation (empty while a step is under way)."""
        stepper = self.stepper
        return dict(stepper.ready) if stepper is not None and stepper.settled else {}

    @property
    def steps_granted(self) -> int:
        return self.stepper.steps if self.stepper is not None else 0

    def next_in_turn(self) -> str | None:
        """Whose turn it is in round-robin order (``None``: nobody can step)."""
        return self.stepper.next_actor() if self.stepper is not None else None

    @property
    def stuck(self) -> bool:
        """In step mode: the run has settled with nobody left to step, and it is not over."""
        return self.stepper is not None and self.state == RUNNING and self.stepper.stuck

    # -- actors -----------------------------------------------------------------------
    def actors(self, role: str | None = None) -> list[ActorT]:
        with self._actors_lock:
            return [a for a in self._actors.values() if role is None or a.role == role]

    def live_processes(self) -> int:
        """Producers and consumers still running (processes, threads or tasks)."""
        return sum(1 for actor in self.actors() if actor.alive)

    def active(self, role: str) -> list[ActorT]:
        """Actors of ``role`` still running and not asked to retire."""
        return [a for a in self.actors(role) if a.alive and not a.retiring]

    def _gone(self, name: str) -> bool:
        if name == MAIN_ACTOR:
            return self._main_done.is_set()
        with self._actors_lock:
            actor = self._actors.get(name)
        return actor is None or not actor.alive

    def add(self, role: str) -> str | None:
        """Start one more actor of ``role``; returns why not, or ``None``."""
        if self.state != RUNNING or self._stop.is_set():
            return "the run is not running"
        if self.stepping:
            return "the number of actors is fixed while stepping"
        return self._spawn(role)

    def _claim(self, role: str) -> tuple[int, int, bool] | str:
        """A slot for a new actor of ``role``, its number, and whether the sentinels went out
        without one for it — or why there is no room for it."""
        slot = self._control.free_slot(role)
        if slot is None:
            return f"no room for another {role}"
        refusal, needs_sentinel = self._control.activate(role, slot)
        if refusal:
            return refusal
        number = self._numbers[role]
        self._numbers[role] += 1
        return slot, number, needs_sentinel and self.config.sentinels is None

    def retire(self, role: str) -> str | None:
        """Ask the newest active actor of ``role`` to finish what it holds and end; returns why not, or ``None``."""
        if self.state != RUNNING:
            return "the run is not running"
        if self.stepping:
            return "the number of actors is fixed while stepping"
        candidates = self.active(role)
        if not candidates:
            return f"no active {role} to retire"
        actor = candidates[-1]
        refusal = self._control.retire(role, actor.slot)
        if refusal is None:
            actor.retiring = True
            self._record(ACTOR_RETIRE, role, actor.name, pid=actor.pid)
            self._retired(actor)
        return refusal

    def set_count(self, role: str, count: int) -> str | None:
        """Add or retire actors of ``role`` until ``count`` are active; the first refusal, if any."""
        while len(self.active(role)) != count:
            change = self.add if len(self.active(role)) < count else self.retire
            refusal = change(role)
            if refusal:
                return refusal
        return None

    # -- main ---------------------------------------------------------------------------
    def _play_main(self) -> None:
        """``main``'s code, on a thread of the session's own (processes and threads)."""
        code = actor_functions(self.config)[MAIN_ACTOR]
        exitcode: int | None = 0
        failure: BaseException | None = None
        gate = self._gate
        with acting_as(MAIN_ACTOR, self._raise_if_stopped):
            self._record(ACTOR_START, MAIN_ACTOR)
            if gate is not None:
                gate.bind(MAIN_INDEX, thread_only=True)
            try:
                code(self.queue, self)
                if gate is not None:
                    gate.pause(EXIT, self._main_reporter, where=returning_from(code), check=self._raise_if_stopped)
            except Stopped:
                exitcode = None
            except Exception as error:  # a bug in main's code must not pass silently
                exitcode, failure = EXIT_RAISED, error
            self._record_end(MAIN_ACTOR, MAIN_ACTOR, exitcode, failure)
        self._main_done.set()

    def _put_late_sentinel(self) -> None:
        """``main`` puts one more ``None`` for a consumer that joined after the sentinels went
        out (on a thread of its own: a bounded queue may make ``put`` wait)."""
        with acting_as(MAIN_ACTOR, self._raise_if_stopped):
            try:
                self.queue.put(None)
            except Stopped:
                pass

    # -- main's side (core.program.plan.MainRun) ------------------------------------------
    def _raise_if_stopped(self) -> None:
        if self._stop.is_set():
            raise Stopped("the run was stopped")

    def sentinels_not_yet_sent(self) -> int:
        return self._control.claim_sentinels(self.config.sentinels)

    def join_producers(self) -> None:
        self._join_all(PRODUCER)

    def join_consumers(self) -> None:
        self._join_all(CONSUMER)

    def _join_all(self, role: str) -> None:
        """Join every actor of ``role``, including any added while main waits (pausing before
        each join in step mode)."""
        gate = self._gate
        while True:
            waiting = [a for a in self.actors(role) if not a.exited.is_set()]
            if not waiting:
                return
            actor = waiting[0]
            if gate is not None:
                gate.pause(JOIN, None, target=process_join_target(actor_index(actor.role, actor.slot)),
                           check=self._raise_if_stopped)
            self._record(JOIN_ENTER, actor.name)
            entered = time.monotonic()
            if gate is not None and not actor.exited.is_set():
                gate.blocked(BLOCKED_JOIN_PROCESS, None)
            while not actor.exited.wait(WAIT_SLICE_S):
                self._raise_if_stopped()
            self._raise_if_stopped()  # it ended because the run was stopped: so was main
            self._record(JOIN_RETURN, actor.name, waited=time.monotonic() - entered)
            if gate is not None:
                gate.moving()
