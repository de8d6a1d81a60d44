"""An event source that also records: every batch it hands on is first appended to a trace file.

The window's event pump drains any :class:`core.sources.EventSource`; wrapping one in a
:class:`RecordingSource` records a live run with no change to the pump or the window.
A write that fails (a full disk) ends the recording, not the run: the file keeps
every whole line written so far, and :attr:`write_error` says what happened.
"""
from __future__ import annotations

from core.events import Event
from core.recordings.trace import TraceWriter
from core.sources import EventSource


class RecordingSource:
    """``source``, whose events are written to ``writer`` as they pass (an :class:`EventSource` too)."""

    def __init__(self, source: EventSource, writer: TraceWriter) -> None:
        self.source = source
        self.writer = writer
        self.write_error: OSError | None = None

    @property
    def state(self) -> str:
        return self.source.state

    @property
    def t0(self) -> float:
        return self.source.t0

    @property
    def closed(self) -> bool:
        return self.source.closed

    @property
    def finished(self) -> bool:
        return self.source.finished

    def live_processes(self) -> int:
        return self.source.live_processes()

    def note_stall(self, diagnosis: str) -> None:
        self.source.note_stall(diagnosis)

    def start(self) -> None:
        self.source.start()

    def poll(self, timeout: float = 0.0) -> list[Event]:
        events = self.source.poll(timeout)
        if events and self.write_error is None:
            try:
                self.writer.write(events)
            except OSError as error:
                self.write_error = error
        return events

    def stop(self) -> None:
        self.source.stop()

    def close(self) -> None:
        try:
            self.source.close()
        finally:
            self.writer.close()
