"""``TraceSession``: run a user's program under observation and turn its reports into events.

It is a :class:`core.sources.EventSource`, which the CLI loop and the window's event pump
drive as they drive a scenario's session: the
program is a child process whose standard streams are JoinScope's own; every process
of it that reports connects to a private listener (:mod:`core.tracing.listener`); :meth:`poll` reads what arrived
and merges it with :class:`core.queues.merge.EventMerger` into numbered events.

The program's main process is the actor ``main``: the session reports its start when
it launches it and its exit (with the exit code) when it ends.  The run is over when
the main process has ended and every connection has closed (or, for processes the
program left running, :data:`ORPHAN_GRACE_S` later).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import wait
from pickle import UnpicklingError
from typing import Any

from core.backends import TRACEABLE
from core.events import (
    ACTOR_EXIT,
    ACTOR_START,
    MAIN_ACTOR,
    OBSERVER_ACTOR,
    RUN_STOP,
    STALL,
    Event,
    role_of,
    wire_record,
)
from core.numbers import plain
from core.sources import FINISHED, NEW, RUNNING, STOPPED
from core.system import ExitNotice, ProgramTree, alive, descendants, parent_of, pass_interrupt_on, stop_process_trees
from core.tracing.blocks import BlockMerger, EventBlock
from core.tracing.channel import CHILD_EXITED, QUEUE_CREATED, load_message
from core.tracing.launch import LaunchedProgram
from core.tracing.listener import EventListener

#: After the main process ended, how long processes it left running may keep their connections open.
ORPHAN_GRACE_S = 1.0
#: How long :meth:`TraceSession.stop` lets the program's processes end on SIGTERM before SIGKILL
#: (Windows cannot ask a process to end: it ends them at once).
STOP_GRACE_S = 2.0
#: After Ctrl-C, how long the program may take to end by itself before it gets a SIGINT of its
#: own (where one can be sent to it alone), and then as long again before it is stopped.
INTERRUPT_GRACE_S = 1.0
#: How long a child that died without saying how may wait for its parent's join() to tell its
#: exit code (a daemon terminated at its parent's exit is joined at once).
EXIT_CODE_WAIT_S = 0.5
#: ... and at most, while its parent is still connected (it may join it later, or be slow to say).
PARENT_TELLS_WITHIN_S = 30.0
#: The most messages read from one process in a row, so a busy one cannot starve the others.
MESSAGES_PER_READ = 64
#: How long a count of the program's live processes is reused (it walks the process table, and
#: the window's status bar asks every frame).
LIVE_COUNT_REUSE_S = 0.5

COMPLETED, TIMED_OUT, INTERRUPTED, STOPPED_BY_USER = "completed", "timed out", "interrupted", "stopped"


def _ran_too_long(timeout_s: float) -> str:
    return f"the program ran longer than --timeout {plain(timeout_s)} s"


class _Peer:
    """What is known about the process at the other end of one connection."""

    __slots__ = ("actor", "child", "exited", "parent", "pid")

    def __init__(self) -> None:
        self.actor: str | None = None
        self.pid = 0
        #: The process that started it: the only one that can tell its exit code, if it dies unsaid.
        self.parent: int | None = None
        self.child = False
        self.exited = False


class TraceSession:
    """One traced run of ``script`` with ``args``.  Use as a context manager, or call :meth:`close`."""

    def __init__(self, script: str, args: Sequence[str] = (), *, timeout_s: float | None = None,
                 python: str = sys.executable, queues: Sequence[str] = TRACEABLE, quiet: bool = False) -> None:
        self.script = script
        #: Which queues are observed: "process" (JoinableQueue), "thread" (queue.Queue), "asyncio".
        self.queues = list(queues)
        self.args = list(args)
        #: The program's standard streams go nowhere (a scenario's program, whose story JoinScope tells).
        self.quiet = quiet
        self.timeout_s = timeout_s
        #: What a ``stall`` event says when the program runs past ``timeout_s`` (the command sets
        #: one that reads its run model, when it keeps one).
        self.diagnose_timeout: Callable[[float], str] = _ran_too_long
        self.python = python
        self.state = NEW
        self.outcome: str | None = None
        self.returncode: int | None = None
        self.queues_created = 0
        self.t0 = 0.0
        self.closed = False
        self.process: subprocess.Popen | None = None
        self._merger: BlockMerger | None = None
        self._dir: str | None = None
        self._listener: EventListener | None = None
        self._tree: ProgramTree | None = None
        self._peers: dict[Any, _Peer] = {}
        #: Children whose connection closed without their exit, waiting for a parent to tell its code.
        self._missing_exits: dict[int, tuple[str, float, int | None]] = {}
        #: Exit codes parents told before the child's connection closed (or was first read).
        self._exit_codes: dict[int, int] = {}
        self._inbox: deque[tuple] = deque()
        self._lock = threading.RLock()
        self._main_ended_at: float | None = None
        self._interrupted_at: float | None = None
        self._interrupt_forwarded = False
        self._stopping = False
        #: JoinScope had to end the program (a stop, a timeout, a Ctrl-C it did not end by itself on).
        self.forced = False
        self._exit_notice: ExitNotice | None = None
        self._live_count = 0
        self._live_counted_at = float("-inf")

    def __enter__(self) -> TraceSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- lifecycle ------------------------------------------------------------------------
    def start(self, launched: LaunchedProgram | None = None) -> None:
        """Let the program run, reporting to the private socket: ``launched`` early (see
        :mod:`core.tracing.launch`; handed over already or now), or launched now."""
        if self.state != NEW:
            raise RuntimeError("a trace session runs once")
        if launched is None:
            launched = LaunchedProgram(self.python, self.script, self.args, self.queues, self.quiet)
        self.process = launched.process
        self.t0 = launched.t0
        if launched.listener is None:
            launched.hand_over()
        self._dir, self._listener, self._tree = launched.directory, launched.listener, launched.tree
        self._merger = BlockMerger(self.t0)
        self._inbox.append(wire_record(self.t0, ACTOR_START, MAIN_ACTOR, self.process.pid, item=MAIN_ACTOR))
        self._exit_notice = ExitNotice(self.process)  # so a poll wakes at once when the program ends
        self.state = RUNNING

    def stop(self) -> None:
        """End the program now, and every process it started (:func:`core.system.stop_process_trees`:
        SIGTERM, then SIGKILL to those still there after a grace)."""
        with self._lock:
            if self.state != RUNNING or self._stopping:
                return
            self._stopping = True
            self.forced = True
            self.outcome = self.outcome or STOPPED_BY_USER
            # Once the program is reaped its pid may be another process's: leave it be. The
            # processes it left running (still connected, so still theirs) go all the same.
            roots = [self.process.pid] if self.process.poll() is None else []  # type: ignore[union-attr]
            roots += self._leftover_pids()
            if roots:
                # Said before the signals go: the processes that end on them were stopped, not crashed.
                self._inbox.append(wire_record(time.monotonic(), RUN_STOP, OBSERVER_ACTOR, os.getpid()))
                stop_process_trees(roots, STOP_GRACE_S, lambda: self._receive(0.02))
            if self._tree is not None:
                self._tree.end()  # what no tree holds any more (a process whose parent has ended)
            if roots:
                self.process.wait()  # type: ignore[union-attr]

    def interrupt(self) -> None:
        """The user pressed Ctrl-C: let the program end by itself (it got the SIGINT too, from the
        terminal), else pass one on; stop it if that does not end it either.  A second call stops it."""
        if self._interrupted_at is not None:
            self.stop()
            return
        with self._lock:  # not between a timeout's outcome and its stop
            self.outcome = self.outcome or INTERRUPTED
            self._interrupted_at = time.monotonic()

    def close(self) -> None:
        """Stop if running and release the socket, the connections and the private directory."""
        if self.closed:
            return
        if self.state == RUNNING:
            self.stop()
            while not self.finished:
                self.poll(0.02)
        if self.process is not None:
            self.process.wait()
        for conn in list(self._peers):
            conn.close()
        self._peers.clear()
        if self._listener is not None:
            self._listener.close()
        if self._tree is not None:
            self._tree.release(end_processes=self.forced)
        if self._exit_notice is not None:
            self._exit_notice.close()
            self._exit_notice = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
        self.closed = True

    @property
    def finished(self) -> bool:
        """The program has ended and every event has come out of :meth:`poll`."""
        return self.state in (FINISHED, STOPPED) and self._merger is not None and not self._merger.pending \
            and not self._inbox

    def live_processes(self) -> int:
        """How many of the program's processes run: its main process and every process below
        it (helpers such as multiprocessing's resource tracker included), none once main ended.

        Safe from any thread: it only reads the process table, at most every :data:`LIVE_COUNT_REUSE_S`."""
        process = self.process
        if process is None or self.closed or self.returncode is not None:
            return 0
        now = time.monotonic()
        if now - self._live_counted_at >= LIVE_COUNT_REUSE_S:
            self._live_count = 1 + len(descendants(process.pid)) if alive(process.pid) else 0
            self._live_counted_at = now
        return self._live_count

    @property
    def lost_ops(self) -> int:
        return self._merger.lost_ops if self._merger is not None else 0

    # -- events ---------------------------------------------------------------------------
    def poll(self, timeout: float = 0.0) -> list[Event]:
        """The next events, in ``seq`` order; waits up to ``timeout`` for something to arrive."""
        if self._merger is None:
            return []
        with self._lock:
            self._advance(timeout)
            return self._merger.pop_ready(final=self.state in (FINISHED, STOPPED))

    def poll_blocks(self, timeout: float = 0.0) -> list[EventBlock]:
        """As :meth:`poll`, the events as column blocks (for a caller that only writes them out)."""
        if self._merger is None:
            return []
        with self._lock:
            self._advance(timeout)
            return self._merger.pop_ready_blocks(final=self.state in (FINISHED, STOPPED))

    def _advance(self, timeout: float) -> None:
        self._receive(timeout)
        if self._missing_exits:
            self._give_up_missing_exits()
        if self.state == RUNNING:
            self._watch_program()

    def note_stall(self, diagnosis: str) -> None:
        """The program was declared stalled (see :class:`core.sources.EventSource`)."""
        with self._lock:
            self._inbox.append(wire_record(time.monotonic(), STALL, OBSERVER_ACTOR, os.getpid(), item=diagnosis))

    def _record(self, kind: str, item: Any = None, exitcode: int | None = None) -> None:
        self._inbox.append(wire_record(time.monotonic(), kind, MAIN_ACTOR, self.process.pid,  # type: ignore[union-attr]
                                       item=item, exitcode=exitcode))

    def _receive(self, timeout: float) -> None:
        records = [self._inbox.popleft() for _ in range(len(self._inbox))]
        listener = self._listener
        assert listener is not None
        waitables: list[Any] = [*self._peers, listener.ready]
        exit_notice = self._exit_notice
        if exit_notice is not None and exit_notice.waitable is not None and self._main_ended_at is None:
            waitables.append(exit_notice.waitable)
        for ready in wait(waitables, timeout):
            if ready is listener.ready:
                for conn in listener.take():
                    self._peers[conn] = _Peer()
            elif ready in self._peers:
                self._read(ready, records)
        if records:
            self._merger.add(records)  # type: ignore[union-attr]

    def _read(self, conn: Any, records: list) -> None:
        peer = self._peers[conn]
        try:
            for _ in range(MESSAGES_PER_READ):
                message = load_message(conn.recv_bytes())
                if type(message) is list:
                    if message:
                        self._note_peer(peer, message)
                    records += message
                elif type(message) is tuple and message and message[0] == QUEUE_CREATED:
                    self.queues_created += 1
                elif type(message) is tuple and len(message) == 4 and message[0] == CHILD_EXITED:
                    self._child_exited(*message[1:], records)
                if not conn.poll():
                    return
            return  # more next time: the other processes get their turn
        except (EOFError, OSError, UnpicklingError):
            pass
        # The process ended (or broke the protocol): its last records are in; a missing
        # exit is reported without an exit code.
        del self._peers[conn]
        conn.close()
        if peer.child and not peer.exited:
            # It died without saying how: its parent's join() will tell (a daemon terminated at its
            # parent's exit is), or, if it does not soon, the exit goes without a code.
            actor = peer.actor or f"process {peer.pid}"
            if peer.pid in self._exit_codes:
                self._exited(actor, peer.pid, self._exit_codes.pop(peer.pid), records)
            else:
                self._missing_exits[peer.pid] = (actor, time.monotonic(), peer.parent)
        else:
            self._exit_codes.pop(peer.pid, None)  # (it said so itself; its parent may have too)
        self._merger.note_exit()  # type: ignore[union-attr]

    def _child_exited(self, pid: object, name: object, exitcode: object, records: list) -> None:
        """A parent in the program found a child ended with ``exitcode``."""
        if type(pid) is not int or type(exitcode) is not int:
            return
        missing = self._missing_exits.pop(pid, None)
        if missing is not None:
            self._exited(missing[0], pid, exitcode, records)
        else:
            # Its connection has not closed yet — or has not been read from yet: on a loaded machine
            # the parent's word can come before the child's first records, and the child, reaped,
            # can no longer be asked who its parent was.
            self._exit_codes[pid] = exitcode

    @staticmethod
    def _exited(actor: str, pid: int, exitcode: int | None, records: list) -> None:
        records.append(wire_record(time.monotonic(), ACTOR_EXIT, actor, pid, item=role_of(actor), exitcode=exitcode))

    def _give_up_missing_exits(self, everything: bool = False) -> None:
        """The exits no parent told in time (or, at the end, at all) go without a code."""
        now = time.monotonic()
        records: list[tuple] = []
        connected = {peer.pid for peer in self._peers.values()}
        for pid, (actor, since, parent) in list(self._missing_exits.items()):
            # Its parent, still there, may yet tell (a loaded machine can take seconds to get to it).
            waiting_for_parent = parent in connected and now - since < PARENT_TELLS_WITHIN_S
            if everything or (now - since > EXIT_CODE_WAIT_S and not waiting_for_parent):
                del self._missing_exits[pid]
                self._exited(actor, pid, None, records)
        if records:
            self._merger.add(records)  # type: ignore[union-attr]

    def _leftover_pids(self) -> list[int]:
        """The program's processes still connected after its main process ended."""
        if self.process is None or self.process.returncode is None:
            return []
        return [peer.pid for peer in self._peers.values() if peer.pid and alive(peer.pid)]

    @staticmethod
    def _note_peer(peer: _Peer, message: list) -> None:
        first = message[0]
        if peer.actor is None:
            peer.actor, peer.pid = first[2], first[3]
            peer.parent = parent_of(peer.pid) if peer.pid else None
        if len(message) == 1:
            if first[1] == ACTOR_START:
                peer.child = True
            elif first[1] == ACTOR_EXIT:
                peer.exited = True

    def _watch_program(self) -> None:
        """Notice the end of the program, a timeout, and the steps after a Ctrl-C."""
        process = self.process
        now = time.monotonic()
        if self._main_ended_at is None:
            if process.poll() is None:  # type: ignore[union-attr]
                if self.timeout_s is not None and now - self.t0 > self.timeout_s:
                    self.outcome = TIMED_OUT
                    self.note_stall(self.diagnose_timeout(self.timeout_s))
                    self.stop()
                elif self._interrupted_at is not None:
                    self._escalate_interrupt(now)
                if process.returncode is None:  # type: ignore[union-attr]
                    return
            self.returncode = process.returncode  # type: ignore[union-attr]
            self._main_ended_at = time.monotonic()
            self._record(ACTOR_EXIT, MAIN_ACTOR, exitcode=self.returncode)
            self._receive(0.0)
        if self._peers and now - self._main_ended_at < ORPHAN_GRACE_S:
            return
        if self._peers and self._interrupted_at is not None:
            # The user asked the program to end (Ctrl-C): what it left running goes too.
            self.stop()
        leftovers: list[tuple] = []
        for conn in list(self._peers):  # processes the program left running: stop listening to them
            if conn.poll():
                self._read(conn, leftovers)
            if conn in self._peers:
                del self._peers[conn]
                conn.close()
        self._merger.add(leftovers)  # type: ignore[union-attr]
        self._receive(0.0)
        self._give_up_missing_exits(everything=True)
        self.outcome = self.outcome or COMPLETED
        self.state = STOPPED if self._stopping else FINISHED

    def _escalate_interrupt(self, now: float) -> None:
        waited = now - self._interrupted_at  # type: ignore[operator]
        if waited > 2 * INTERRUPT_GRACE_S:
            self.stop()
        elif waited > INTERRUPT_GRACE_S and not self._interrupt_forwarded:
            self._interrupt_forwarded = True
            pass_interrupt_on(self.process.pid)  # type: ignore[union-attr]
