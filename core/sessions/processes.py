"""The process backend: producers and consumers are processes on a real ``multiprocessing.JoinableQueue``.

The session starts them through an explicit multiprocessing context (``spawn`` unless
the scenario says otherwise), plays ``main`` on a thread of its own, adds and retires
actors while the run goes on, and stops everything within a second when asked: the
run's stop flag first, which every actor looks at where it holds no lock, then, after a
grace period, ``kill()`` for whatever has not exited (the same on every system).
:meth:`ProcessSession.poll` is the one place events come out: the CLI calls it in a
loop, the window's event pump on its thread.

Events of the session's own process (``main``'s joins, actor exits) never pass
through the channel: they go to a local inbox.  ``poll`` takes the inbox *before*
draining the channel, so an ``actor_exit`` is never merged ahead of the last
events its process wrote.
"""
from __future__ import annotations

import multiprocessing
import threading
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait as wait_for_sentinels
from queue import Empty
from typing import Any

from core.events import ACTOR_EXIT, ACTOR_LAUNCH, CONSUMER, OBSERVER_ACTOR, PRODUCER, RUN_STOP
from core.program.control import RunControl
from core.queues.acting import WAIT_SLICE_S
from core.queues.observed import ObservedJoinableQueue
from core.queues.reporter import forget_reporter, install_local_reporter
from core.scenarios import ScenarioConfig, refusal_here
from core.sessions.base import TASK_QUEUE_NAME, Actor, SessionBase
from core.sessions.process_actor import run_actor
from core.sources import RUNNING, STOPPED
from core.stepping.gate import StepGate, actor_index
from core.stepping.stepped_queues import SteppedJoinableQueue
from core.stepping.stepper import ROUND_ROBIN, Stepper
from core.system import SuspendRefused, resume, suspend

#: How long stop() lets actors exit by themselves (at their next lock-free point) before it kills them.
STOP_GRACE_S = 0.6
#: How long closing a stopped run spends reading items still on their way off the task queue.
DISCARD_WAIT_S = 1.0
#: The longest stop() waits for one of its own threads (they look up every WAIT_SLICE_S).
THREAD_JOIN_S = 2.0
#: Batches of events the actors may have sent and the session not yet read.  When a
#: run makes events faster than the observer can take them (5 busy processes and the
#: window sharing 2 cores), the actors wait for it instead of piling them up.
CHANNEL_BATCHES = 16

@dataclass
class ActorProcess(Actor):
    """A producer or consumer that is a process of its own."""

    process: Any = None

    @property
    def alive(self) -> bool:
        """Not reaped yet (it may be on its way out)."""
        return self.exitcode is None

    @property
    def pid(self) -> int | None:
        return self.process.pid


def _release(queue: Any, discard: bool) -> None:
    """Close ``queue`` for good once every actor has exited: its feeder thread ends and
    both ends of its pipe are closed now, not whenever the object is collected.

    With ``discard`` (a stopped run, the task queue) what this process has not sent yet
    and what is still in the pipe are dropped, so the feeder never blocks on a full
    pipe that nobody will read.  A feeder that still cannot finish (a process killed
    outright while it held the queue's write lock) is left behind rather than waited
    for forever."""
    if discard:
        queue.discard_unsent()
        deadline = time.monotonic() + DISCARD_WAIT_S
        while time.monotonic() < deadline:
            queue.discard_queued(WAIT_SLICE_S)
            if not queue._buffer and not queue._reader.poll():
                break
    queue.close()
    feeder = queue._thread
    if feeder is not None:
        feeder.join(DISCARD_WAIT_S)
        if feeder.is_alive():
            queue.cancel_join_thread()
            return
    queue.join_thread()
    for connection in (queue._reader, queue._writer):
        if not connection.closed:
            connection.close()


class ProcessSession(SessionBase[ActorProcess]):
    """One run of a scenario.  Use as a context manager, or call :meth:`close`.

    With ``step`` the run is in step mode (:mod:`core.stepping.gate`): every actor pauses
    before each operation until :meth:`step` lets one through, or — with
    ``step="round-robin"`` — the session lets them through in turn by itself."""

    def __init__(self, config: ScenarioConfig, step: str | None = None) -> None:
        refusal = refusal_here(config)
        if refusal is not None:  # the command line says so before; this keeps a session honest too
            raise ValueError(refusal)
        super().__init__(config)
        #: The start method's context (``Any``: typeshed's ``BaseContext`` lacks ``Process``).
        self._ctx: Any = multiprocessing.get_context(config.start_method)
        self._channel = self._ctx.Queue(CHANNEL_BATCHES)
        self._inbox: deque[tuple] = deque()
        self._main_reporter = install_local_reporter(self._channel, self._inbox.extend)
        if step is None:
            self.queue = ObservedJoinableQueue(config.maxsize, ctx=self._ctx, events=self._channel,
                                               name=TASK_QUEUE_NAME)
        else:
            gate = StepGate(self._ctx)
            self.queue = SteppedJoinableQueue(config.maxsize, gate=gate, ctx=self._ctx, events=self._channel,
                                              name=TASK_QUEUE_NAME)
            counts = self.queue._counts
            self.stepper = Stepper(gate, TASK_QUEUE_NAME, lambda: (counts[1], counts[2]), config.maxsize,
                                   auto=step == ROUND_ROBIN)
        self._control = RunControl(self._ctx)
        self._threads: list[threading.Thread] = []

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> None:
        self._begin()
        # Every actor is counted in before any starts: a producer could otherwise finish all
        # its tasks (and, thinking itself the only one, put the sentinels) before the next one
        # was counted.
        claims = [(role, self._claim(role)) for role, count in ((PRODUCER, self.config.producers),
                                                                (CONSUMER, self.config.consumers))
                  for _ in range(count)]
        for number, (role, claim) in enumerate(claims):
            if isinstance(claim, str):
                continue
            try:
                self._launch(role, claim)
            except BaseException:
                for later_role, later in claims[number + 1:]:
                    if not isinstance(later, str):
                        self._control.release(later_role, later[0])
                raise
        for target, name in ((self._play_main, "joinscope-main"), (self._watch_exits, "joinscope-watcher")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """End the run now: ``main`` stops waiting, every actor exits within a second."""
        if self.state != RUNNING:
            return
        self._stop.set()
        self._record(RUN_STOP, actor=OBSERVER_ACTOR)
        self._control.request_stop()
        if self.paused:
            self.resume()
        deadline = time.monotonic() + STOP_GRACE_S
        while self.live_processes() and time.monotonic() < deadline:
            with self._read_lock:
                self._take(0.02)  # keep their last events flowing so their exits are not blocked
            self.queue.discard_queued(WAIT_SLICE_S / 10)  # and their last tasks, for the same reason
        for actor in self.actors():
            if actor.exitcode is None:  # not reaped yet: killed (harmless if it just exited)
                actor.process.kill()
        for thread in self._threads:
            thread.join(THREAD_JOIN_S)
        self.state = STOPPED

    def _freeze(self) -> str | None:
        """Freeze every actor process (:func:`core.system.suspend`); ``main`` simply keeps waiting."""
        try:
            suspend(self._live_pids())
        except SuspendRefused as refusal:
            return str(refusal)
        return None

    def _thaw(self) -> None:
        try:
            resume(self._live_pids())
        except SuspendRefused:
            pass  # it was never frozen, then

    def _live_pids(self) -> list[int]:
        return [actor.process.pid for actor in self.actors() if actor.exitcode is None]

    def close(self) -> None:
        """Stop if running and release every process, thread, pipe and semaphore."""
        if self.closed:
            return
        self.stop()
        for thread in self._threads:
            thread.join(THREAD_JOIN_S)
        for actor in self.actors():
            actor.process.join()
            actor.process.close()
        _release(self.queue, discard=self.state == STOPPED)
        _release(self._channel, discard=False)
        forget_reporter(self._channel)
        self.closed = True

    # -- events -----------------------------------------------------------------------
    def _take(self, timeout: float) -> None:
        local = self._inbox
        local_records = [local.popleft() for _ in range(len(local))]
        records = list(local_records)
        channel = self._channel
        try:
            batch = channel.get(timeout=timeout) if timeout > 0 else channel.get(False)
            while True:
                records.extend(batch)
                if self.stepper is not None:
                    self.stepper.received(batch)
                batch = channel.get(False)
        except Empty:
            pass
        if records:
            self._merger.add(records)  # type: ignore[union-attr]
        if any(record[1] == ACTOR_EXIT for record in local_records):
            self._merger.note_exit()  # type: ignore[union-attr]

    # -- actors -----------------------------------------------------------------------
    def _spawn(self, role: str) -> str | None:
        claim = self._claim(role)
        if isinstance(claim, str):
            return claim
        self._launch(role, claim)
        return None

    def _launch(self, role: str, claim: tuple[int, int, bool]) -> None:
        """Start the process of an actor whose slot and number ``claim`` holds."""
        slot, number, needs_sentinel = claim
        name = f"{role}-{number}"
        try:
            if self.stepper is not None:
                self.stepper.gate.launched(actor_index(role, slot))
            process = self._ctx.Process(target=run_actor, name=name, daemon=True,
                                        args=(role, number, slot, self.queue, self._control, self.config))
            process.start()
        except BaseException:
            self._control.release(role, slot)
            raise
        with self._actors_lock:
            self._actors[name] = ActorProcess(name, role, number, slot, process=process)
        if self.stepper is not None:
            self.stepper.add_actor(name, actor_index(role, slot), process.pid)
        self._record(ACTOR_LAUNCH, role, name, pid=process.pid)
        if needs_sentinel:
            thread = threading.Thread(target=self._put_late_sentinel, name=f"joinscope-sentinel-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _watch_exits(self) -> None:
        """Reap actors as they exit and report each ``actor_exit`` with its exit code."""
        while True:
            running = [a for a in self.actors() if a.exitcode is None]
            if not running:
                if self._main_done.is_set() or self._stop.is_set():
                    return
                self._stop.wait(WAIT_SLICE_S)
                continue
            ready = wait_for_sentinels([a.process.sentinel for a in running], timeout=WAIT_SLICE_S)
            for actor in running:
                if actor.process.sentinel in ready:
                    actor.process.join()
                    exitcode = actor.process.exitcode
                    self._control.release(actor.role, actor.slot)
                    self._record(ACTOR_EXIT, actor.role, actor.name, exitcode=exitcode, pid=actor.process.pid)
                    actor.exitcode = exitcode
                    actor.exited.set()
