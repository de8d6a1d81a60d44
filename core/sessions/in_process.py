"""What thread and asyncio sessions share beyond :class:`core.sessions.base.SessionBase`:
their actors, who live in the session's own process, and the inbox their queues write to.

Events take the same path as the process backend's from the
:class:`~core.queues.merge.EventMerger` on, so they are numbered and timed the same way.

How an actor ended, in ``actor_exit``'s ``exitcode``: ``0`` it returned (or retired),
``1`` it raised (the exception is an ``error`` event first: the same outcome, diagnosis
and narration as a process that dies of it), ``None`` the run stopped it.
"""
from __future__ import annotations

import threading
from array import array
from dataclasses import dataclass
from typing import Any

from core.events import ACTOR_LAUNCH, ACTOR_START, OBSERVER_ACTOR, RUN_STOP
from core.program.control import RunControl
from core.program.plan import Plan
from core.queues.inbox import Inbox
from core.scenarios import ScenarioConfig
from core.sessions.base import TASK_QUEUE_NAME, Actor, SessionBase
from core.sources import RUNNING
from core.stepping.gate import StepGate, actor_index
from core.stepping.stepper import ROUND_ROBIN, Stepper

#: How long ``stop()`` waits for every thread or task to end (the goal: all within 1 s).
STOP_WAIT_S = 0.9


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
class InProcessActor(Actor):
    """A producer or consumer of an in-process run: its thread or task is ``handle``."""

    handle: Any = None


class SessionPlan(Plan):
    """A plan that belongs to a thread or asyncio session: its sleeps and stop checks ask it."""

    def __init__(self, session: InProcessSession, config: ScenarioConfig, control: RunControl, role: str,
                 number: int, slot: int) -> None:
        super().__init__(config, control, role, number, slot)
        self._session = session


class InProcessSession(SessionBase[InProcessActor]):
    """The parts of a thread or asyncio session that do not depend on which it is."""

    def __init__(self, config: ScenarioConfig, step: str | None = None) -> None:
        super().__init__(config)
        self._inbox = Inbox()
        if step is not None:  # step mode (see core.stepping): a gate shared by threads or tasks
            self.stepper = Stepper(StepGate(IN_PROCESS), TASK_QUEUE_NAME, self._queue_counts, config.maxsize,
                                   auto=step == ROUND_ROBIN)
        self._control = RunControl(IN_PROCESS)
        #: Cleared while the run is paused (each backend holds its actors in its own way).
        self._unpaused = threading.Event()
        self._unpaused.set()

    def _queue_counts(self) -> tuple[int, int]:
        queue = self.queue
        return queue.counts() if queue is not None else (0, 0)

    def _stopping(self) -> bool:
        """Begin a stop: say so, and let paused actors go so they can see it (``False`` when
        the run is not running)."""
        if self.state != RUNNING:
            return False
        self._stop.set()
        self._record(RUN_STOP, actor=OBSERVER_ACTOR)
        self._unpaused.set()
        self.paused = False
        return True

    def _take(self, timeout: float) -> None:
        self._merger.add(self._inbox.take(timeout))  # type: ignore[union-attr]

    # -- actors -----------------------------------------------------------------------
    def _register(self, role: str) -> InProcessActor | str:
        """Claim a slot for a new actor of ``role``: the actor, or why there is none."""
        claim = self._claim(role)
        if isinstance(claim, str):
            return claim
        slot, number, needs_sentinel = claim
        actor = InProcessActor(f"{role}-{number}", role, number, slot, needs_sentinel=needs_sentinel)
        with self._actors_lock:
            self._actors[actor.name] = actor
        if self.stepper is not None:
            self.stepper.gate.launched(actor_index(role, slot))
            self.stepper.add_actor(actor.name, actor_index(role, slot), self._pid, in_process=True)
        self._record(ACTOR_LAUNCH, role, actor.name)
        return actor

    def _actor_starts(self, actor: InProcessActor) -> None:
        """Called first in an actor's thread or task: it says it started — or, in step mode,
        takes its gate row (the stepper announces the starts, in a fixed order)."""
        gate = self._gate
        if gate is None:
            self._record(ACTOR_START, actor.role, actor.name)
        else:
            gate.bind(actor_index(actor.role, actor.slot), thread_only=True)

    def _ended(self, actor: InProcessActor, exitcode: int | None, error: BaseException | None) -> None:
        self._control.release(actor.role, actor.slot)
        self._record_end(actor.name, actor.role, exitcode, error)
        actor.exitcode = exitcode
        actor.exited.set()
