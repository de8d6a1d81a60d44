"""An event source that also records: every batch it hands on is first appended to a trace file.

The window's event pump drains any :class:`app.bridge.pump.EventSource`; wrapping one in a
:class:`RecordingSource` records a live run with no change to the pump or the window.
A write that fails (a full disk) ends the recording, not the run: the file keeps
every whole line written so far, and :attr:`write_error` says what happened.
"""
from __future__ import annotations

from typing import Any

from core.events import Event
from core.recordings.trace import TraceWriter


class RecordingSource:
    def __init__(self, source: Any, writer: TraceWriter) -> None:
        self.source = source
        self.writer = writer
        self.write_error: OSError | None = None

    def __getattr__(self, name: str) -> Any:  # state, returncode, …: the source's
        return getattr(self.source, name)

    @property
    def finished(self) -> bool:
        return self.source.finished

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
