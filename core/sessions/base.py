"""What every session shares, whatever its actors are: processes, threads or asyncio tasks.

:class:`core.sessions.processes.Session` (processes) and
:class:`core.sessions.in_process.InProcessSession` (threads, asyncio tasks) differ in how
actors start, stop and report; they share everything here — running once, the
actor registry and its questions (who is alive, who is active), the sliders'
``set_count``, ``main``'s side of :class:`core.program.plan.MainRun` (join the producers,
claim the sentinels), when a run is over and caught up, and the session's side of
step mode (:mod:`core.stepping.gate`): announcing paused actors once the run has
settled, granting steps.

A subclass sets ``_inbox`` (its own process's records, anything with ``len``),
``_control`` (a :class:`core.program.control.RunControl`) and ``queue``, and provides
``_record``, ``_spawn``, ``close`` and ``_take_local`` (fold in the records its own
process made so far), and its ``poll`` calls :meth:`SessionBase._settle_step` while
running; its actors have ``name``,
``role``, ``slot``, ``pid``, ``alive``, ``retiring`` and an ``exited`` event.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Any

from core.events import ACTOR_RETIRE, JOIN_ENTER, JOIN_RETURN, MAIN_ACTOR
from core.program.control import CONSUMER, PRODUCER
from core.queues.merge import EventMerger
from core.queues.reporter import WAIT_SLICE_S, Stopped
from core.scenarios import ScenarioConfig
from core.stepping.gate import (
    BLOCKED_JOIN_PROCESS,
    JOIN,
    MAIN_INDEX,
    StepGate,
    actor_index,
    process_join_target,
)
from core.stepping.stepper import Stepper

NEW, RUNNING, FINISHED, STOPPED = "new", "running", "finished", "stopped"
TASK_QUEUE_NAME = "tasks"


class SessionBase:
    """One run of a scenario, whatever runs its actors.  Use as a context manager, or call ``close``."""

    def __init__(self, config: ScenarioConfig) -> None:
        self.config = config
        self.stepper: Stepper | None = None
        self._actors: dict[str, Any] = {}
        self._actors_lock = threading.Lock()
        self._numbers = {PRODUCER: 0, CONSUMER: 0}
        self._stop = threading.Event()
        self._main_done = threading.Event()
        self._read_lock = threading.Lock()
        self.t0 = 0.0
        self._merger: EventMerger | None = None
        self.state = NEW
        self.closed = False
        self.paused = False

    def __enter__(self) -> "SessionBase":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError

    def _begin(self) -> None:
        """The run starts now (once): its clock, its merger, and ``main`` in step mode."""
        if self.state != NEW:
            raise RuntimeError("a session runs once")
        self.t0 = time.monotonic()
        self._merger = EventMerger(self.t0)
        self.state = RUNNING
        if self.stepper is not None:
            self.stepper.gate.launched(MAIN_INDEX)
            self.stepper.add_actor(MAIN_ACTOR, MAIN_INDEX, os.getpid(), in_process=True)

    @property
    def stepping(self) -> bool:
        return self.stepper is not None

    @property
    def _gate(self) -> StepGate | None:
        """Step mode's gate, where the actors pause (``None`` outside step mode)."""
        return self.stepper.gate if self.stepper is not None else None

    @property
    def finished(self) -> bool:
        """The run is over (completed or stopped) and every event has come out of ``poll``."""
        return self.state in (FINISHED, STOPPED) and self.caught_up

    @property
    def caught_up(self) -> bool:
        """Every event reported so far has come out of ``poll``."""
        return self._merger is not None and not self._merger.pending and not len(self._inbox)

    def _record(self, kind: str, item: Any = None, actor: str = MAIN_ACTOR, *, waited: float | None = None,
                error: str | None = None, exitcode: int | None = None, pid: int | None = None) -> None:
        raise NotImplementedError

    def _take_local(self) -> None:
        raise NotImplementedError

    # -- step mode --------------------------------------------------------------------
    def _settle_step(self) -> None:
        """Announce the paused actors once the run has settled; in round-robin mode, grant
        the next step at once (call where the session reads its events)."""
        stepper = self.stepper
        ready = stepper.settle(self._gone)  # type: ignore[union-attr]
        if ready:
            self._take_local()  # what main (or a thread, or a task) recorded before it paused
            self._merger.add(ready)  # type: ignore[union-attr]
        if stepper.auto and stepper.settled and stepper.ready:  # type: ignore[union-attr]
            stepper.grant(deliver=lambda record: self._merger.add([record]))  # type: ignore[union-attr]

    def step(self, actor: str | None = None) -> str | None:
        """Let ``actor`` (default: the next in round-robin order) make the operation it
        paused before; returns why not, or ``None``."""
        if self.stepper is None:
            return "the run is not in step mode"
        if self.state != RUNNING:
            return "the run is not running"
        _, refusal = self.stepper.grant(actor, deliver=self._inbox.append)  # type: ignore[attr-defined]
        return refusal

    @property
    def stuck(self) -> bool:
        """In step mode: the run has settled with nobody left to step, and it is not over."""
        return self.stepper is not None and self.state == RUNNING and self.stepper.stuck

    # -- actors -----------------------------------------------------------------------
    def actors(self, role: str | None = None) -> list[Any]:
        with self._actors_lock:
            return [a for a in self._actors.values() if role is None or a.role == role]

    def live_processes(self) -> int:
        """Producers and consumers still running (processes, threads or tasks)."""
        return sum(1 for actor in self.actors() if actor.alive)

    def active(self, role: str) -> list[Any]:
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

    def _spawn(self, role: str) -> str | None:
        raise NotImplementedError

    def _claim(self, role: str) -> tuple[int, int, bool] | str:
        """A slot for a new actor of ``role``, its number, and whether the sentinels went out
        without one for it — or why there is no room for it."""
        slot = self._control.free_slot(role)  # type: ignore[attr-defined]
        if slot is None:
            return f"no room for another {role}"
        refusal, needs_sentinel = self._control.activate(role, slot)  # type: ignore[attr-defined]
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
        refusal = self._control.retire(role, actor.slot)  # type: ignore[attr-defined]
        if refusal is None:
            actor.retiring = True
            self._record(ACTOR_RETIRE, role, actor.name, pid=actor.pid)
            self._retired(actor)
        return refusal

    def _retired(self, actor: Any) -> None:
        """Make a retired actor notice soon (a process or thread polls; a task waiting in get() is woken)."""

    def set_count(self, role: str, count: int) -> str | None:
        """Add or retire actors of ``role`` until ``count`` are active; the first refusal, if any."""
        while len(self.active(role)) != count:
            change = self.add if len(self.active(role)) < count else self.retire
            refusal = change(role)
            if refusal:
                return refusal
        return None

    # -- main's side (core.program.plan.MainRun) ------------------------------------------------
    def _raise_if_stopped(self) -> None:
        if self._stop.is_set():
            raise Stopped("the run was stopped")

    def sentinels_not_yet_sent(self) -> int:
        return self._control.claim_sentinels(self.config.sentinels)  # type: ignore[attr-defined]

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
