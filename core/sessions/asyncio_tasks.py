"""The asyncio backend: producers, consumers and ``main`` are tasks on one event loop.

The loop runs on a thread of its own (``joinscope-asyncio``), so the session keeps
the interface the runner and the window use from any thread: ``add``, ``retire``,
``pause`` and ``stop`` hand their work to the loop with ``call_soon_threadsafe``.
The actors run :mod:`core.program.async_workers` (the tutorial's code with
``await``) on an :class:`~core.queues.async_queue.ObservedAsyncQueue`.

Stop cancels every task: whatever it awaits ends at once.  Pause blocks the loop
itself in a callback until Resume, which freezes every task where it is, as SIGSTOP
freezes a process (a sleep that ended during the pause ends as soon as it resumes).
"""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable
from typing import Any

from core.events import ACTOR_START, CONSUMER, EXIT_RAISED, JOIN_ENTER, JOIN_RETURN, MAIN_ACTOR, PRODUCER
from core.program.functions import actor_functions
from core.queues.acting import WAIT_SLICE_S, Retired, Stopped, acting_as
from core.queues.async_queue import ObservedAsyncQueue
from core.scenarios import ScenarioConfig
from core.sessions.base import TASK_QUEUE_NAME
from core.sessions.in_process import STOP_WAIT_S, InProcessActor, InProcessSession, SessionPlan
from core.sources import STOPPED
from core.stepping.gate import (
    BLOCKED_JOIN_PROCESS,
    EXIT,
    JOIN,
    MAIN_INDEX,
    actor_index,
    process_join_target,
    returning_from,
)
from core.stepping.stepped_queues import SteppedAsyncQueue


class AsyncPlan(SessionPlan):
    """A plan whose sleeps are ``await asyncio.sleep(...)``: the other tasks run meanwhile."""

    _session: AsyncioSession

    def _check(self) -> None:
        self._session._raise_if_stopped()

    async def wait_to_start(self) -> None:  # type: ignore[override]
        if self.config.producer_delay_ms:
            await asyncio.sleep(self.start_delay_s())

    async def pause_between_tasks(self) -> None:  # type: ignore[override]
        if self.config.interval_ms:
            await asyncio.sleep(self.config.scaled_s(self.config.interval_ms))

    async def work_on(self, task: Any) -> None:  # type: ignore[override]
        seconds = self.work_s(task)
        if seconds > 0:
            await asyncio.sleep(seconds)


class AsyncioSession(InProcessSession):
    """One run of a scenario on asyncio tasks.  Use as a context manager, or call :meth:`close`."""

    def __init__(self, config: ScenarioConfig, step: str | None = None) -> None:
        super().__init__(config, step)
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._spawn_lock = threading.Lock()
        self._loop_over = False
        self._main_task: asyncio.Task | None = None
        self._helpers: set[asyncio.Task] = set()
        self._changed: asyncio.Event | None = None
        self.queue: ObservedAsyncQueue | None = None

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> None:
        self._begin()
        for role, count in ((PRODUCER, self.config.producers), (CONSUMER, self.config.consumers)):
            for _ in range(count):
                self._register(role)
        self._thread = threading.Thread(target=self._run_loop, name="joinscope-asyncio", daemon=True)
        self._thread.start()

    def _run_loop(self) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._run())
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    async def _run(self) -> None:
        """Start the actors and ``main``; return once all of them, and any helper, have ended."""
        self._changed = asyncio.Event()
        # Made on the loop: an asyncio.Queue binds to the loop it is first used on.
        if self._gate is None:
            self.queue = ObservedAsyncQueue(self.config.maxsize, inbox=self._inbox, name=TASK_QUEUE_NAME)
        else:
            self.queue = SteppedAsyncQueue(self.config.maxsize, gate=self._gate, inbox=self._inbox,
                                           name=TASK_QUEUE_NAME)
        for actor in self.actors():
            self._create_task(actor)
        self._main_task = asyncio.create_task(self._play_main_task(), name="joinscope-main")
        if self._stop.is_set():
            self._cancel_all()
        while True:
            with self._spawn_lock:
                if self._main_done.is_set() and not self.live_processes() and all(t.done() for t in self._helpers):
                    self._loop_over = True
                    return
                self._changed.clear()
            await self._changed.wait()

    def stop(self) -> None:
        """End the run now: every task is cancelled, and the loop's thread ends within a second."""
        if not self._stopping():
            return
        try:
            self._loop.call_soon_threadsafe(self._cancel_all)
        except RuntimeError:  # the loop has already ended
            pass
        if self._thread is not None:
            self._thread.join(STOP_WAIT_S)
        self.state = STOPPED

    def _cancel_all(self) -> None:
        for actor in self.actors():
            if actor.handle is not None:
                actor.handle.cancel()
        for task in (self._main_task, *self._helpers):
            if task is not None:
                task.cancel()

    def close(self) -> None:
        """Stop if running and wait for the loop's thread; the loop is closed."""
        if self.closed:
            return
        self.stop()
        if self._thread is not None:
            self._thread.join(STOP_WAIT_S)
        elif not self._loop.is_closed():
            self._loop.close()
        self.closed = True

    def _freeze(self) -> str | None:
        """Freeze every task: the loop itself waits in a callback until :meth:`resume`."""
        self._unpaused.clear()
        try:
            self._loop.call_soon_threadsafe(self._hold)
        except RuntimeError:  # the loop has already ended
            pass
        return None

    def _thaw(self) -> None:
        self._unpaused.set()

    def _hold(self) -> None:
        while not self._unpaused.wait(WAIT_SLICE_S):
            pass

    # -- actors -----------------------------------------------------------------------
    def _spawn(self, role: str) -> str | None:
        with self._spawn_lock:
            if self._loop_over:
                return "the run is over"
            actor = self._register(role)
            if isinstance(actor, str):
                return actor
            self._loop.call_soon_threadsafe(self._create_task, actor)
        return None

    def _create_task(self, actor: InProcessActor) -> None:
        """On the loop: the task of a registered actor (and main's sentinel for a late consumer)."""
        actor.handle = asyncio.create_task(self._run_actor(actor), name=f"joinscope-{actor.name}")
        if actor.needs_sentinel:
            self._helper(self._put_sentinel())
        self._changed.set()  # type: ignore[union-attr]

    def _helper(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._helpers.add(task)
        task.add_done_callback(lambda _: self._changed.set())  # type: ignore[union-attr]

    async def _run_actor(self, actor: InProcessActor) -> None:
        """The task of one producer or consumer: :mod:`core.program.async_workers`' code."""
        plan = AsyncPlan(self, self.config, self._control, actor.role, actor.number, actor.slot)

        def check() -> None:
            self._raise_if_stopped()
            if actor.role == CONSUMER and plan.retired():
                raise Retired(actor.name)

        code = actor_functions(self.config)[actor.role]
        exitcode: int | None = 0
        failure: BaseException | None = None
        gate = self._gate
        with acting_as(actor.name, check):
            self._actor_starts(actor)
            try:
                try:
                    await code(self.queue, plan)
                except Exception as error:  # the actor's own failure: the task dies of it, as a process would
                    if isinstance(error, (Retired, Stopped)) or gate is None:
                        raise
                    exitcode, failure = EXIT_RAISED, error
                if gate is not None:
                    await gate.pause_async(EXIT, where=returning_from(code))
            except Retired:
                pass
            except (asyncio.CancelledError, Stopped):
                if self._stop.is_set() or not plan.retired():
                    exitcode = None  # cancelled by stop (a retired consumer's cancelled get() ends it normally)
            except Exception as error:  # the actor's own failure: the task dies of it, as a process would
                exitcode, failure = EXIT_RAISED, error
            finally:
                self._ended(actor, exitcode, failure)
                self._changed.set()  # type: ignore[union-attr]

    def _retired(self, actor: InProcessActor) -> None:
        if actor.role == CONSUMER:
            try:
                self._loop.call_soon_threadsafe(self._wake_retired, actor)
            except RuntimeError:
                pass

    def _wake_retired(self, actor: InProcessActor) -> None:
        """On the loop: a retired consumer waiting in get() stops waiting (it holds no task there)."""
        task = actor.handle
        if task is not None and task in self.queue.waiting_getters:  # type: ignore[union-attr]
            task.cancel()

    async def _put_sentinel(self) -> None:
        """``main`` puts one more ``None`` for a consumer that joined after the sentinels went out."""
        assert self.queue is not None  # made before any task runs
        with acting_as(MAIN_ACTOR):
            await self.queue.put(None)

    # -- main -------------------------------------------------------------------------
    async def _play_main_task(self) -> None:
        """``main``'s code, as a task on the loop (its joins of the actors are awaited: :class:`AsyncMainRun`)."""
        code = actor_functions(self.config)[MAIN_ACTOR]
        exitcode: int | None = 0
        failure: BaseException | None = None
        gate = self._gate
        with acting_as(MAIN_ACTOR):
            self._record(ACTOR_START, MAIN_ACTOR)
            if gate is not None:
                gate.bind(MAIN_INDEX, thread_only=True)
            try:
                await code(self.queue, AsyncMainRun(self))
                if gate is not None:
                    await gate.pause_async(EXIT, where=returning_from(code))
            except (asyncio.CancelledError, Stopped):
                exitcode = None
            except Exception as error:  # a bug in main's code must not pass silently
                exitcode, failure = EXIT_RAISED, error
            self._record_end(MAIN_ACTOR, MAIN_ACTOR, exitcode, failure)
        self._main_done.set()
        self._changed.set()  # type: ignore[union-attr]

    async def await_all(self, role: str) -> None:
        """Await every actor task of ``role``, including any added while main waits."""
        while True:
            waiting = [a for a in self.actors(role) if a.alive]
            if not waiting:
                return
            actor = waiting[0]
            gate = self._gate
            if gate is not None:
                await gate.pause_async(JOIN, target=process_join_target(actor_index(actor.role, actor.slot)))
            self._record(JOIN_ENTER, actor.name)
            entered = time.monotonic()
            while actor.handle is None:  # registered, its task not created yet
                await asyncio.sleep(0)
            if gate is not None and actor.alive:
                gate.blocked(BLOCKED_JOIN_PROCESS, None)
            await asyncio.wait([actor.handle])
            self._record(JOIN_RETURN, actor.name, waited=time.monotonic() - entered)
            if gate is not None:
                gate.moving()


class AsyncMainRun:
    """What ``main``'s asyncio code asks of its run (:class:`core.program.plan.MainRun`, with
    the joins awaited): the loop goes on while ``main`` waits for an actor's task to end."""

    def __init__(self, session: AsyncioSession) -> None:
        self._session = session

    def sentinels_not_yet_sent(self) -> int:
        return self._session.sentinels_not_yet_sent()

    async def join_producers(self) -> None:
        await self._session.await_all(PRODUCER)

    async def join_consumers(self) -> None:
        await self._session.await_all(CONSUMER)
