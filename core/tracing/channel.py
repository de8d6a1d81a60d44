"""The event channel of a traced program: one authenticated connection per process.

A :class:`TraceChannel` stands where a scenario run uses a multiprocessing queue:
:class:`core.queues.reporter.Reporter` calls its :meth:`~TraceChannel.put` with each batch of
wire records.  Each process that reports opens its own connection to JoinScope's
listener (:mod:`core.tracing.listener`; on first use, and again after a fork), so
processes never share a pipe and need no lock between them.  The listener is private
(a Unix socket in a 0700 directory, or a Windows named pipe) and checks the channel's
random authkey (multiprocessing's HMAC challenge) before it reads anything.

A channel pickles as its address and key only; unpickled, it is this process's one
channel for that address, so every queue a child receives shares one connection.
Reporting must never change what the program does: if JoinScope has gone away, the
channel falls silent instead of raising into the program.
"""
from __future__ import annotations

import io
import os
import pickle
import threading
import time
from multiprocessing import parent_process
from multiprocessing.connection import Client
from typing import Any

from core.events import ACTOR_EXIT, ACTOR_START, role_of, wire_record
from core.queues.acting import current_actor, current_pid
from core.system import after_fork_in_child

#: A control message (not a batch of records): a JoinableQueue was created, with its name.
QUEUE_CREATED = "queue_created"
#: A control message: a child this process started has ended, with its pid, name and exit code
#: (what a child killed outright, a daemon terminated at its parent's exit, cannot say itself).
CHILD_EXITED = "child_exited"
_PROTOCOL = pickle.HIGHEST_PROTOCOL

#: When this process started, if it is a multiprocessing child (set by the patched
#: ``Process._bootstrap``); its ``actor_start`` carries this time.
process_started_at: float | None = None


class TraceChannel:
    """The sending end of the trace: ``put(batch)`` from any process that has it."""

    def __init__(self, address: str, authkey: bytes) -> None:
        self.address = address
        self._authkey = authkey
        #: This process's connection (a socket's, or on Windows a named pipe's).
        self._conn: Any = None
        self._pid: int | None = None
        self._greeted: int | None = None
        self._dead = False
        self._lock = threading.Lock()
        after_fork_in_child(self._after_fork)

    def __reduce__(self) -> tuple:
        return (channel_for, (self.address, self._authkey))

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
        self._dead = False

    @property
    def connected(self) -> bool:
        """Whether this process has sent anything on the channel."""
        return self._conn is not None and self._pid == os.getpid()

    def put(self, batch: list, block: bool = True, timeout: float | None = None) -> None:
        """Send a batch of wire records (see :data:`core.events.WIRE_FIELDS`).  The
        signature is ``multiprocessing.Queue.put``'s, as the reporter calls it; a send
        on the socket waits as long as the observer is reading, so it never raises Full."""
        self._send(pickle.dumps(batch, _PROTOCOL))

    def note_queue_created(self, name: str) -> None:
        self._send(pickle.dumps((QUEUE_CREATED, name), _PROTOCOL))

    def note_child_exit(self, pid: int, name: str, exitcode: int) -> None:
        """A child of this process ended with ``exitcode`` (as its parent's ``join()`` found)."""
        self._send(pickle.dumps((CHILD_EXITED, pid, name, exitcode), _PROTOCOL))

    def note_exit(self, exitcode: int | None) -> None:
        """This multiprocessing child is about to exit with ``exitcode`` (sent only if it reported)."""
        if self.connected:
            actor = current_actor()
            self.put([wire_record(time.monotonic(), ACTOR_EXIT, actor, current_pid(), item=role_of(actor),
                                  exitcode=exitcode)])

    def _send(self, data: bytes) -> None:
        with self._lock:
            if self._dead:
                return
            try:
                pid = os.getpid()
                conn = self._conn if self._conn is not None and self._pid == pid else self._connect()
                if self._greeted != pid and parent_process() is not None:
                    # A multiprocessing child announces itself before its first records (the
                    # session reports the main process), once it knows its name: a spawn
                    # child may connect earlier, re-importing a main module that makes a queue.
                    self._greeted = pid
                    actor = current_actor()
                    started = process_started_at if process_started_at is not None else time.monotonic()
                    conn.send_bytes(pickle.dumps([wire_record(started, ACTOR_START, actor, current_pid(),
                                                              item=role_of(actor))], _PROTOCOL))
                conn.send_bytes(data)
            except Exception:
                # JoinScope is gone (or refused us): the program carries on unobserved.
                self._dead = True

    def _connect(self) -> Any:
        self._conn = None  # a forked child's copy belongs to its parent: leave it be
        conn = Client(self.address, authkey=self._authkey)  # the family follows from the address
        self._conn, self._pid = conn, os.getpid()
        return conn


_channels: dict[str, TraceChannel] = {}
_channels_lock = threading.Lock()


def channel_for(address: str, authkey: bytes) -> TraceChannel:
    """This process's channel to ``address`` (unpickling a channel lands here)."""
    with _channels_lock:
        channel = _channels.get(address)
        if channel is None:
            channel = _channels[address] = TraceChannel(address, authkey)
        return channel


class _RecordsOnly(pickle.Unpickler):
    """Unpickles plain data only: tuples, lists, strings, numbers, ``None``.

    The wire records never hold anything else, so a message that names any class
    or function (which is how a pickle runs code) is refused, even from an
    authenticated peer."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"a trace message may not refer to {module}.{name}")


def load_message(data: bytes) -> Any:
    """A message as sent by :class:`TraceChannel` (``UnpicklingError`` if it is anything else)."""
    return _RecordsOnly(io.BytesIO(data)).load()
