"""What thread and asyncio sessions share: the actor registry, the run control, the inbox,
``poll``, and the ``main`` side of :class:`core.plan.MainRun`.

They keep the process session's interface (:class:`core.session.Session`): ``start``,
``stop``, ``poll``, ``close``, ``add``/``retire``/``set_count``, ``pause``/``resume``,
``actors``, ``live_processes`` (here: live actor threads or tasks), ``finished``,
``state``, ``t0``, ``config`` and ``queue``; the runner, the CLI and the window drive
all three alike.  Events take the same path as the process backend's from the
:class:`~core.merge.EventMerger` on, so they are numbered and timed the same way.

How an actor ended, in ``actor_exit``'s ``exitcode``: ``0`` it returned (or retired),
``1`` it raised (the exception is an ``error`` event first: the same outcome, diagnosis
and narration as a process that dies of it), ``None`` the run stopped it.
"""
from __future__ import annotations

import os
import threading
import time
from array import array
from dataclasses import dataclass, field
from typing import Any

from core.backends.inbox import Inbox
from core.control import CONSUMER, PRODUCER, RunControl
from core.events import ACTOR_EXIT, ACTOR_LAUNCH, ACTOR_RETIRE, ERROR, MAIN_ACTOR, Event
from core.merge import EventMerger
from core.reporter import Stopped
from core.scenarios import ScenarioConfig
from core.stepping import MAIN_INDEX, ROUND_ROBIN, StepGate, Stepper, SteppedRun, actor_index

NEW, RUNNING, FINISHED, STOPPED = "new", "running", "finished", "stopped"
TASK_QUEUE_NAME = "tasks"
#: ``actor_exit``'s exit code for an actor that raised.
EXIT_RAISED = 1
#: How long ``stop()`` waits for every thread or task to end (the goal: all within 1 s).
STOP_WAIT_S = 0.9


class Retired(Stopped):
    """Raised in a retired consumer's ``get()``: it takes no new task and ends."""


class _InProcess:
    """Stands in for a multiprocessing context in :class:`RunControl`: the same shared
    state, for actors that share this process (no semaphore file, no resource tracker)."""

    Lock = staticmethod(threading.Lock)
    Condition = staticmethod(threading.Condition)

    @staticmethod
    def RawArray(typecode: str, size: int) -> array:  # noqa: N802 (the multiprocessing name)
        return array(typecode, bytes(array(typecode).itemsize * size))


IN_PROCESS = _InProcess()


@dataclass
class Actor:
    """A producer or consumer of an in-process run: its thread or task is ``handle``."""

    name: str
    role: str
    number: int
    slot: int
    handle: Any = None
    exited: threading.Event = field(default_factory=threading.Event)
    exitcode: int | None = None
    retiring: bool = False
    #: It joined after the sentinels went out: ``main`` puts one more ``None`` for it.
    needs_sentinel: bool = False

    @property
    def alive(self) -> bool:
        return not self.exited.is_set()


class InProcessSession(SteppedRun):
    """The parts of a thread or asyncio session that do not depend on which it is."""

    #: ``actor_launch``/``actor_start`` items and the header say what ran.
    backend = ""

    def __init__(self, config: ScenarioConfig, step: str | None = None) -> None:
        self.config = config
        self._inbox = Inbox()
        #: Step mode's shared state (see core.stepping), ``None`` outside step mode.
        self._gate = StepGate(IN_PROCESS) if step is not None else None
        self._step_order = step
        self.stepper: Stepper | None = None
        self._control = RunControl(IN_PROCESS)
        self._actors: dict[str, Actor] = {}
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

    def __enter__(self) -> "InProcessSession":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _begin(self) -> None:
        if self.state != NEW:
            raise RuntimeError("a session runs once")
        self.t0 = time.monotonic()
        self._merger = EventMerger(self.t0)
        self.state = RUNNING
        if self._gate is not None:
            self._gate.launched(MAIN_INDEX)
            self.stepper = Stepper(self._gate, TASK_QUEUE_NAME, self._queue_counts, self.config.maxsize,
                                   auto=self._step_order == ROUND_ROBIN)
            self.stepper.add_actor(MAIN_ACTOR, MAIN_INDEX, self._pid, in_process=True)

    def _queue_counts(self) -> tuple[int, int]:
        queue = getattr(self, "queue", None)
        return queue.counts() if queue is not None else (0, 0)

    @property
    def stepping(self) -> bool:
        return self._gate is not None

    def _take_local(self) -> None:
        self._merger.add(self._inbox.take())  # type: ignore[union-attr]

    @property
    def caught_up(self) -> bool:
        """Every event reported so far has come out of :meth:`poll`."""
        return self._merger is not None and not self._merger.pending and not len(self._inbox)

    def _gone(self, name: str) -> bool:
        if name == MAIN_ACTOR:
            return self._main_done.is_set()
        with self._actors_lock:
            actor = self._actors.get(name)
        return actor is None or actor.exited.is_set()

    @property
    def finished(self) -> bool:
        """The run is over (completed or stopped) and every event has come out of :meth:`poll`."""
        return self.state in (FINISHED, STOPPED) and self._merger is not None and not self._merger.pending \
            and not len(self._inbox)

    # -- events -----------------------------------------------------------------------
    def poll(self, timeout: float = 0.0) -> list[Event]:
        """The next events, in ``seq`` order; waits up to ``timeout`` for the first."""
        merger = self._merger
        if merger is None:
            return []
        with self._read_lock:
            merger.add(self._inbox.take(timeout))
            if self.state == RUNNING and self._main_done.is_set() and not self.live_processes():
                self.state = FINISHED
                merger.add(self._inbox.take())
            if self.stepper is not None and self.state == RUNNING:
                self._settle_step()
            return merger.pop_ready(final=self.state in (FINISHED, STOPPED))

    def _record(self, kind: str, item: Any = None, actor: str = MAIN_ACTOR, *, waited: float | None = None,
                error: str | None = None, exitcode: int | None = None) -> None:
        self._inbox.append((time.monotonic(), kind, actor, self._pid, None, 0, item, None, None, None, waited,
                            error, exitcode))

    def _record_end(self, actor: str, role: str, exitcode: int | None, error: BaseException | None) -> None:
        """An actor ended: its error first (unless its queue reported it), then its exit."""
        if error is not None and not getattr(error, "joinscope_reported", False):
            from core.actor import describe_exception
            self._record(ERROR, actor=actor, error=describe_exception(error))
        self._record(ACTOR_EXIT, role, actor, exitcode=exitcode)

    # -- actors -----------------------------------------------------------------------
    def actors(self, role: str | None = None) -> list[Actor]:
        with self._actors_lock:
            return [a for a in self._actors.values() if role is None or a.role == role]

    def live_processes(self) -> int:
        """Producers and consumers still running (threads or tasks: the name is the process session's)."""
        return sum(1 for actor in self.actors() if actor.alive)

    live_actors = live_processes

    def active(self, role: str) -> list[Actor]:
        """Actors of ``role`` still running and not asked to retire."""
        return [a for a in self.actors(role) if a.alive and not a.retiring]

    def _register(self, role: str) -> Actor | str:
        """Claim a slot for a new actor of ``role``: the actor, or why there is none."""
        slot = self._control.free_slot(role)
        if slot is None:
            return f"no room for another {role}"
        refusal, needs_sentinel = self._control.activate(role, slot)
        if refusal:
            return refusal
        number = self._numbers[role]
        self._numbers[role] += 1
        actor = Actor(f"{role}-{number}", role, number, slot,
                      needs_sentinel=needs_sentinel and self.config.sentinels is None)
        with self._actors_lock:
            self._actors[actor.name] = actor
        if self.stepper is not None:
            self._gate.launched(actor_index(role, slot))  # type: ignore[union-attr]
            self.stepper.add_actor(actor.name, actor_index(role, slot), self._pid, in_process=True)
        self._record(ACTOR_LAUNCH, role, actor.name)
        return actor

    def _ended(self, actor: Actor, exitcode: int | None, error: BaseException | None) -> None:
        self._control.release(actor.role, actor.slot)
        self._record_end(actor.name, actor.role, exitcode, error)
        actor.exitcode = exitcode
        actor.exited.set()

    def add(self, role: str) -> str | None:
        """Start one more actor of ``role``; returns why not, or ``None``."""
        if self.state != RUNNING or self._stop.is_set():
            return "the run is not running"
        if self.stepping:
            return "the number of actors is fixed while stepping"
        return self._spawn(role)

    def _spawn(self, role: str) -> str | None:
        raise NotImplementedError

    def retire(self, role: str) -> str | None:
        """Ask the newest active actor of ``role`` to finish its task and end; returns why not, or ``None``."""
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
            self._record(ACTOR_RETIRE, role, actor.name)
            self._retired(actor)
        return refusal

    def _retired(self, actor: Actor) -> None:
        """Make a retired actor notice soon (a thread polls; a task waiting in get() is woken)."""

    def set_count(self, role: str, count: int) -> str | None:
        """Add or retire actors of ``role`` until ``count`` are active; the first refusal, if any."""
        while len(self.active(role)) != count:
            change = self.add if len(self.active(role)) < count else self.retire
            refusal = change(role)
            if refusal:
                return refusal
        return None

    # -- main's side (core.plan.MainRun) ------------------------------------------------
    def sentinels_not_yet_sent(self) -> int:
        return self._control.claim_sentinels(self.config.sentinels)

    def _raise_if_stopped(self) -> None:
        if self._stop.is_set():
            raise Stopped("the run was stopped")
