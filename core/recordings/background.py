"""A trace written on a thread of its own, for a caller that must not wait on the disk.

The window records a live run for export as it shows it; encoding and writing every
event on the GUI thread cost it about a quarter of the events it can show a second.
:class:`BackgroundTraceWriter` takes the batches (a queue append each) and a thread of
its own encodes and writes them with a :class:`~core.recordings.trace.TraceWriter`,
mostly while the GUI thread is drawing outside the interpreter.  :meth:`sync` waits
until what was handed over is on disk, before the file is read back.
"""
from __future__ import annotations

import os
import queue
import threading
from typing import Any

from core.events import Event
from core.recordings.trace import TraceWriter

#: Handed to the thread by :meth:`BackgroundTraceWriter.close`: nothing more will come.
_CLOSE = None


class BackgroundTraceWriter:
    """Writes the batches :meth:`write` is given to the trace ``path``, on its own thread.

    A failure (a full disk, say) stops the writing and is kept in :attr:`problem`; what was
    written before it stays a readable trace.  :meth:`write`, :meth:`sync` and :meth:`close`
    are for one thread (the GUI's)."""

    def __init__(self, path: str | os.PathLike[str], header: dict[str, Any]) -> None:
        self._writer = TraceWriter(path, header)  # raises here, to the caller, if it cannot open
        self.path = self._writer.path
        self.problem: str | None = None
        #: Events handed over so far (written, or waiting in the inbox).
        self.events_handed = 0
        self._inbox: queue.SimpleQueue[list[Event] | threading.Event | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="trace-recorder", daemon=True)
        self._thread.start()

    def write(self, events: list[Event]) -> None:
        """Hand ``events`` (the next ones, in ``seq`` order; not changed afterwards) to the thread."""
        if events and self.problem is None:
            self.events_handed += len(events)
            self._inbox.put(events)

    def sync(self, timeout: float | None = None) -> bool:
        """Wait until every batch handed over is written (or failed); False if ``timeout`` passed first."""
        if not self._thread.is_alive():
            return True
        written = threading.Event()
        self._inbox.put(written)
        return written.wait(timeout)

    def close(self) -> None:
        """Write what is pending, stop the thread and close the file."""
        if self._thread.is_alive():
            self._inbox.put(_CLOSE)
            self._thread.join()
        self._writer.close()

    def _run(self) -> None:
        writer = self._writer
        while True:
            batch = self._inbox.get()
            if batch is _CLOSE:
                return
            if isinstance(batch, threading.Event):
                batch.set()
            elif self.problem is None:
                try:
                    writer.write(batch)
                except (OSError, ValueError) as error:
                    self.problem = f"recording the run for export stopped: {error}"
