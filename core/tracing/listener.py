"""JoinScope's end of a traced program's event channel: where every process that reports connects.

A :class:`multiprocessing.connection.Listener` on a private address (a Unix socket in a 0700
directory on POSIX, a named pipe on Windows: :func:`core.system.listener_address`) accepts the
connections on a thread of its own, so the session's loop never waits for one, and checks each
peer's key with multiprocessing's HMAC challenge before anything is read from it.  A peer that
connects and then says nothing is dropped after :data:`HANDSHAKE_S`.  The accepted connections
wait in :meth:`EventListener.take` for the session, and :attr:`EventListener.ready` becomes
readable when there are some, so the session waits on it with its connections in one
:func:`multiprocessing.connection.wait`.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from multiprocessing.connection import Client, Listener, Pipe, answer_challenge, deliver_challenge
from typing import Any

#: How long a connecting process may take to prove it knows the key.
HANDSHAKE_S = 2.0


class _Patient:
    """A connection as the key exchange sees it: a receive gives up at ``deadline``."""

    def __init__(self, conn: Any, deadline: float) -> None:
        self._conn = conn
        self._deadline = deadline

    def send_bytes(self, data: bytes) -> None:
        self._conn.send_bytes(data)

    def recv_bytes(self, maxlength: int | None = None) -> bytes:
        if not self._conn.poll(max(self._deadline - time.monotonic(), 0.0)):
            raise TimeoutError("the peer said nothing")
        return self._conn.recv_bytes(maxlength)


class EventListener:
    """Accepts the program's processes at ``address``, each one once it has proved it knows ``authkey``."""

    def __init__(self, address: str, authkey: bytes, backlog: int) -> None:
        self.address = address
        self._authkey = authkey
        self._listener = Listener(address, backlog=backlog)
        self._accepted: deque[Any] = deque()
        #: Readable while accepted connections wait in :meth:`take`.
        self.ready, self._wake = Pipe(duplex=False)
        self._closing = False
        self._thread = threading.Thread(target=self._accept_all, name="joinscope-listener", daemon=True)
        self._thread.start()

    def _accept_all(self) -> None:
        while True:
            try:
                conn = self._listener.accept()
            except OSError:
                if self._closing:
                    return
                continue  # a peer that left before it was accepted
            if self._closing:
                conn.close()
                return
            try:
                patient = _Patient(conn, time.monotonic() + HANDSHAKE_S)
                deliver_challenge(patient, self._authkey)  # type: ignore[arg-type]
                answer_challenge(patient, self._authkey)  # type: ignore[arg-type]
            except Exception:  # a stranger, a silent peer, or a process that died at once
                conn.close()
                continue
            self._accepted.append(conn)
            self._wake.send_bytes(b"")

    def take(self) -> list[Any]:
        """The connections accepted since the last call."""
        while self.ready.poll():
            self.ready.recv_bytes()
        accepted = self._accepted
        return [accepted.popleft() for _ in range(len(accepted))]

    def close(self) -> None:
        """Stop listening; connections accepted but not taken are closed."""
        if self._closing:
            return
        self._closing = True
        try:  # wake the accepting thread: a listener cannot be closed under a waiting accept()
            Client(self.address).close()
        except OSError:
            pass
        self._thread.join()
        self._listener.close()
        for conn in self.take():
            conn.close()
        self.ready.close()
        self._wake.close()
