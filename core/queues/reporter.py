"""Per-process event reporting: how wire records reach the observer.

Each process that touches an observed queue has one :class:`Reporter` per event
channel.  Recording an event appends a tuple to a deque (no lock, no syscall); the
buffer is sent as one batch when it fills, before the process makes a call that may
block, and at least every :data:`FLUSH_INTERVAL_S`: by the recording thread itself
while it keeps recording (a busy thread can starve a helper thread of the GIL), and
by a small daemon thread when the process goes quiet.  In the
observer's own process the session installs a *local* reporter that hands records
straight to the session instead of through the channel, so the observer never
writes to the queue it reads.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from multiprocessing import util
from typing import Any

from core.system import after_fork_in_child

FLUSH_INTERVAL_S = 0.02
BATCH_EVENTS = 1024

Wire = tuple

class Reporter:
    """Buffers one process's wire records for one channel and sends them in batches.

    ``record`` may be called from any thread; the batches of one reporter leave in
    the order their records were made.
    """

    def __init__(self, channel: Any, local_sink: Callable[[list], None] | None = None) -> None:
        self._channel = channel
        self._local_sink = local_sink
        self._reset()

    def _reset(self) -> None:
        #: Records not sent yet.  The queue's hot paths append here themselves and call
        #: :meth:`flush` when ``t >= flush_due`` or the buffer holds :data:`BATCH_EVENTS`.
        self.buffer: deque[Wire] = deque()
        #: Records sent so far (step mode compares it with what the observer received).
        self.sent = 0
        #: When the recording thread should flush next; ``-inf`` flushes every record
        #: (a local reporter, or a process whose flusher has not started yet).
        self.flush_due = float("-inf")
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        # On a bounded channel a send waits while the observer catches up (a busy run's
        # unread backlog would otherwise grow in this process without limit).
        self._send = self._local_sink if self._local_sink is not None else self._channel.put

    def _after_fork(self) -> None:
        """In a forked child the parent's buffer and thread are not ours: start empty,
        and send through the channel even if the parent delivered locally."""
        self._local_sink = None
        self._reset()

    def record(self, wire: Wire) -> None:
        """Buffer ``wire``, whose first field is its ``time.monotonic()``."""
        buffer = self.buffer
        buffer.append(wire)
        if wire[0] >= self.flush_due or len(buffer) >= BATCH_EVENTS:
            self.flush()

    def flush(self) -> None:
        """Send everything recorded so far as one batch."""
        local = self._local_sink is not None
        with self._lock:
            if not local:
                self.flush_due = time.monotonic() + FLUSH_INTERVAL_S
            buffer = self.buffer
            count = len(buffer)
            if count:
                pop = buffer.popleft
                self._send([pop() for _ in range(count)])
                self.sent += count
        if self._thread is None and not local:
            self._start_flusher()

    def _start_flusher(self) -> None:
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(target=self._flush_periodically, name="joinscope-flusher", daemon=True)
            self._thread.start()
            # The last flush at exit.  Registered here, in the process that records and
            # after its start-up (a fork or forkserver child clears the finalizers it
            # inherits), to run before the channel's own finalizers (priority 10 and -5)
            # close and drain it — also in child processes, which skip ``atexit``.
            util.Finalize(self, self.close, exitpriority=100)

    def _flush_periodically(self) -> None:
        """Flush every :data:`FLUSH_INTERVAL_S`, and at once when :data:`flush_requests` asks
        (a process about to terminate this one), answering once the batch has gone."""
        requests = flush_requests
        while True:
            asked = False
            if requests is None:
                if self._stop.wait(FLUSH_INTERVAL_S):
                    return
            else:
                try:
                    asked = requests.wait_for_request(FLUSH_INTERVAL_S)
                except Exception:
                    requests = None
                    continue
                if self._stop.is_set() and not asked:
                    return
            if self.buffer or asked:
                # When close() is sending the last batch this waits for it: the answer must not
                # come before it has gone, or the asker's SIGTERM could cut it off.
                self.flush()
            if asked:
                try:
                    requests.answer()
                except Exception:
                    requests = None
                if self._stop.is_set():
                    return

    def close(self) -> None:
        """Flush and stop the flusher thread (the process is about to exit)."""
        self._stop.set()
        if flush_requests is not None and self._thread is not None:
            flush_requests.wake()
        self.flush()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()


#: Set in a child whose parent may ask its flusher for a flush before terminating it: an
#: object with ``wait_for_request(timeout) -> bool``, ``answer()`` and ``wake()``
#: (:class:`core.tracing.handshake.FlushHandshake`).
flush_requests: Any = None

_reporters: dict[int, Reporter] = {}
_registry_lock = threading.Lock()


def reporter_for(channel: Any) -> Reporter:
    """The reporter of this process for ``channel`` (created on first use)."""
    key = id(channel)
    reporter = _reporters.get(key)
    if reporter is None:
        with _registry_lock:
            reporter = _reporters.get(key)
            if reporter is None:
                reporter = _reporters[key] = Reporter(channel)
    return reporter


def install_local_reporter(channel: Any, sink: Callable[[list], None]) -> Reporter:
    """Deliver this process's records for ``channel`` to ``sink`` directly, a list of
    records at a time (``deque.extend`` is a good sink: one call, thread-safe)."""
    reporter = Reporter(channel, local_sink=sink)
    with _registry_lock:
        _reporters[id(channel)] = reporter
    return reporter


def forget_reporter(channel: Any) -> None:
    with _registry_lock:
        _reporters.pop(id(channel), None)


def _after_fork_in_child() -> None:
    global _registry_lock, flush_requests
    flush_requests = None  # the parent's, not ours (a multiprocessing child is given its own)
    _registry_lock = threading.Lock()
    for reporter in _reporters.values():
        reporter._after_fork()


after_fork_in_child(_after_fork_in_child)
