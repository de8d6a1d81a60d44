"""The thread backend: producers and consumers are threads on an observed ``queue.Queue``.

They run the very functions of :mod:`core.program.workers` that the processes run; only the
queue (:class:`~core.queues.thread_queue.ObservedQueue`) and the plan's sleeps
differ.  A thread cannot be killed, so everything it may block in is interruptible:
the queue's waits poll a check every :data:`~core.queues.acting.WAIT_SLICE_S`, and the
plan sleeps on the session's stop event.  Stop therefore ends every thread within a
slice, and nothing is left behind.

Pause cannot freeze a thread as SIGSTOP freezes a process: it holds each actor at
its next pause point — a producer before its next task, a consumer before and during
its work — and the work's remaining time waits with it.  (A consumer already waiting
in ``get()`` can still take a sentinel that ``main`` puts.)  The queue's own waits never
pause: they may hold the queue's lock.  ``main`` keeps waiting, as it does on processes.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from core.events import CONSUMER, EXIT_RAISED, PRODUCER
from core.program.functions import actor_functions
from core.queues.acting import WAIT_SLICE_S, Retired, Stopped, acting_as
from core.queues.thread_queue import ObservedQueue
from core.scenarios import ScenarioConfig
from core.sessions.base import TASK_QUEUE_NAME
from core.sessions.in_process import STOP_WAIT_S, InProcessActor, InProcessSession, SessionPlan
from core.sources import STOPPED
from core.stepping.gate import EXIT, returning_from
from core.stepping.stepped_queues import SteppedThreadQueue


class ThreadPlan(SessionPlan):
    """A plan whose sleeps end at once when the run stops and wait while it is paused."""

    _session: ThreadSession

    def _check(self) -> None:
        self._session.pause_point()

    def _sleep(self, seconds: float) -> None:
        session = self._session
        deadline = time.monotonic() + seconds
        while True:
            deadline += session.pause_point()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if session._stop.wait(min(left, WAIT_SLICE_S)):
                raise Stopped("the run was stopped")


class ThreadSession(InProcessSession):
    """One run of a scenario on threads.  Use as a context manager, or call :meth:`close`."""

    def __init__(self, config: ScenarioConfig, step: str | None = None) -> None:
        super().__init__(config, step)
        if self._gate is None:
            self.queue = ObservedQueue(config.maxsize, inbox=self._inbox, name=TASK_QUEUE_NAME)
        else:
            self.queue = SteppedThreadQueue(config.maxsize, gate=self._gate, inbox=self._inbox, name=TASK_QUEUE_NAME)
        self._threads: list[threading.Thread] = []

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> None:
        self._begin()
        # Every actor is counted in before any starts: a producer's thread could otherwise
        # finish all its tasks (and the run its sentinels) before the next one was counted.
        actors = [self._register(role) for role, count in ((PRODUCER, self.config.producers),
                                                           (CONSUMER, self.config.consumers)) for _ in range(count)]
        for actor in actors:
            if isinstance(actor, InProcessActor):
                self._launch(actor)
        self._start_thread(self._play_main, "joinscope-main")

    def _start_thread(self, target: Any, name: str, *args: Any) -> threading.Thread:
        thread = threading.Thread(target=target, name=name, args=args, daemon=True)
        with self._actors_lock:
            self._threads.append(thread)
        thread.start()
        return thread

    def stop(self) -> None:
        """End the run now: every thread stops waiting and ends within a second."""
        if not self._stopping():
            return
        self._join_threads(STOP_WAIT_S)
        self.state = STOPPED

    def _join_threads(self, within_s: float) -> None:
        deadline = time.monotonic() + within_s
        with self._actors_lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0.0))

    def close(self) -> None:
        """Stop if running and wait for every thread of the run."""
        if self.closed:
            return
        self.stop()
        self._join_threads(STOP_WAIT_S)
        self.closed = True

    def _freeze(self) -> str | None:
        """Hold every actor at its next pause point (see the module's docstring)."""
        self._unpaused.clear()
        return None

    def _thaw(self) -> None:
        self._unpaused.set()

    def pause_point(self) -> float:
        """Wait here while the run is paused (raises if it is stopped); the seconds waited."""
        if self._unpaused.is_set():
            self._raise_if_stopped()
            return 0.0
        held = time.monotonic()
        while not self._unpaused.wait(WAIT_SLICE_S):
            pass
        self._raise_if_stopped()
        return time.monotonic() - held

    # -- actors -----------------------------------------------------------------------
    def _spawn(self, role: str) -> str | None:
        actor = self._register(role)
        if isinstance(actor, str):
            return actor
        self._launch(actor)
        return None

    def _launch(self, actor: InProcessActor) -> None:
        actor.handle = self._start_thread(self._run_actor, f"joinscope-{actor.name}", actor)
        if actor.needs_sentinel:
            self._start_thread(self._put_late_sentinel, f"joinscope-sentinel-{actor.name}")

    def _run_actor(self, actor: InProcessActor) -> None:
        """The thread of one producer or consumer: :mod:`core.program.workers`' code, as a process runs it."""
        plan = ThreadPlan(self, self.config, self._control, actor.role, actor.number, actor.slot)

        def check() -> None:
            self._raise_if_stopped()
            if plan.retired() and actor.role == CONSUMER:
                raise Retired(actor.name)

        code = actor_functions(self.config)[actor.role]
        exitcode: int | None = 0
        failure: BaseException | None = None
        gate = self._gate
        with acting_as(actor.name, check):
            self._actor_starts(actor)
            try:
                try:
                    code(self.queue, plan)
                except Retired:
                    pass
                except Exception as error:  # the actor's own failure: the thread dies of it, as a process would
                    if isinstance(error, Stopped):
                        raise
                    exitcode, failure = EXIT_RAISED, error
                if gate is not None:
                    gate.pause(EXIT, None, where=returning_from(code), check=check)
            except Stopped:
                exitcode = None
            finally:
                self._ended(actor, exitcode, failure)
