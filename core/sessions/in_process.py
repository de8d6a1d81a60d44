"""What thread and asyncio sessions share beyond :class:`core.sessions.base.SessionBase`:
their actors, the inbox their queues write to, ``poll``, and how an actor's end is recorded.

They keep the process session's interface (:class:`core.sessions.processes.Session`): ``start``,
``stop``, ``poll``, ``close``, ``add``/``retire``/``set_count``, ``pause``/``resume``,
``actors``, ``live_processes`` (here: live actor threads or tasks), ``finished``,
``state``, ``t0``, ``config`` and ``queue``; the runner, the CLI and the window drive
all three alike.  Events take the same path as the process backend's from the
:class:`~core.queues.merge.EventMerger` on, so they are numbered and timed the same way.

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

from core.events import (
    ACTOR_EXIT,
    ACTOR_LAUNCH,
    ACTOR_START,
    ERROR,
    MAIN_ACTOR,
    OBSERVER_ACTOR,
    RUN_STOP,
    Event,
)
from core.program.control import RunControl
from core.program.plan import Plan
from core.queues.inbox import Inbox
from core.queues.reporter import Stopped
from core.scenarios import ScenarioConfig
from core.sessions.base import FINISHED, RUNNING, STOPPED, TASK_QUEUE_NAME, SessionBase
from core.stepping.gate import StepGate, actor_index
from core.stepping.stepper import ROUND_ROBIN, Stepper

__all__ = ["Actor", "InProcessSession", "SessionPlan", "Retired", "IN_PROCESS", "EXIT_RAISED", "STOP_WAIT_S",
           "TASK_QUEUE_NAME", "RUNNING", "FINISHED", "STOPPED"]
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

    #: Every actor lives in the session's own process.
    pid = None


class SessionPlan(Plan):
    """A plan that belongs to a thread or asyncio session: its sleeps and stop checks ask it."""

    def __init__(self, session: "InProcessSession", config: ScenarioConfig, control: RunControl, role: str,
                 number: int, slot: int) -> None:
        super().__init__(config, control, role, number, slot)
        self._session = session


class InProcessSession(SessionBase):
    """The parts of a thread or asyncio session that do not depend on which it is."""

    #: ``actor_launch``/``actor_start`` items and the header say what ran.
    backend = ""

    def __init__(self, config: ScenarioConfig, step: str | None = None) -> None:
        super().__init__(config)
        self._inbox = Inbox()
        if step is not None:  # step mode (see core.stepping.gate): a gate shared by threads or tasks
            self.stepper = Stepper(StepGate(IN_PROCESS), TASK_QUEUE_NAME, self._queue_counts, config.maxsize,
                                   auto=step == ROUND_ROBIN)
        self._control = RunControl(IN_PROCESS)
        self._pid = os.getpid()
        #: Cleared while the run is paused (each backend holds its actors in its own way).
        self._unpaused = threading.Event()
        self._unpaused.set()

    def _queue_counts(self) -> tuple[int, int]:
        queue = getattr(self, "queue", None)
        return queue.counts() if queue is not None else (0, 0)

    def _stopping(self) -> bool:
        """Begin a stop: say so, and let paused actors go so they can see it (``False`` when
        the run is not running)."""
        if self.state != RUNNING:
            return False
        self._stop.set()
        self._record(RUN_STOP, actor=OBSERVER_ACTOR)
        self._unpaused.set()
        return True

    def _take_local(self) -> None:
        self._merger.add(self._inbox.take())  # type: ignore[union-attr]

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
                error: str | None = None, exitcode: int | None = None, pid: int | None = None) -> None:
        """Every actor shares this process: ``pid`` is always its own."""
        self._inbox.append((time.monotonic(), kind, actor, self._pid, None, 0, item, None, None, None, waited,
                            error, exitcode))

    def _record_end(self, actor: str, role: str, exitcode: int | None, error: BaseException | None) -> None:
        """An actor ended: its error first (unless its queue reported it), then its exit."""
        if error is not None and not getattr(error, "joinscope_reported", False):
            from core.sessions.process_actor import describe_exception
            self._record(ERROR, actor=actor, error=describe_exception(error))
        self._record(ACTOR_EXIT, role, actor, exitcode=exitcode)

    # -- actors -----------------------------------------------------------------------
    live_actors = SessionBase.live_processes

    def _register(self, role: str) -> Actor | str:
        """Claim a slot for a new actor of ``role``: the actor, or why there is none."""
        claim = self._claim(role)
        if isinstance(claim, str):
            return claim
        slot, number, needs_sentinel = claim
        actor = Actor(f"{role}-{number}", role, number, slot, needs_sentinel=needs_sentinel)
        with self._actors_lock:
            self._actors[actor.name] = actor
        if self.stepper is not None:
            self.stepper.gate.launched(actor_index(role, slot))
            self.stepper.add_actor(actor.name, actor_index(role, slot), self._pid, in_process=True)
        self._record(ACTOR_LAUNCH, role, actor.name)
        return actor

    def _actor_starts(self, actor: Actor) -> None:
        """Called first in an actor's thread or task: it says it started — or, in step mode,
        takes its gate row (the stepper announces the starts, in a fixed order)."""
        gate = self._gate
        if gate is None:
            self._record(ACTOR_START, actor.role, actor.name)
        else:
            gate.bind(actor_index(actor.role, actor.slot), thread_only=True)

    def _ended(self, actor: Actor, exitcode: int | None, error: BaseException | None) -> None:
        self._control.release(actor.role, actor.slot)
        self._record_end(actor.name, actor.role, exitcode, error)
        actor.exitcode = exitcode
        actor.exited.set()
