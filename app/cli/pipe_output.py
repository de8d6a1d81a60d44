"""Writing to a standard output whose reader may leave early (``joinscope run | head``).

Python turns the broken pipe into a ``BrokenPipeError`` traceback, at the write or at
the interpreter's last flush; a command line tool should just stop writing.
"""
from __future__ import annotations

import io
import os
from typing import TextIO


class PipeSafeOutput:
    """Standard output that its reader may close (``joinscope run | head``).

    Once the pipe breaks the output stops, quietly, and the command carries on: a run
    and its record go on to their end, so nothing the user asked to record is lost.
    The stream's descriptor is pointed at ``/dev/null`` so that the interpreter's last
    flush of what it still buffers cannot fail either."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.broken = False

    def write(self, text: str) -> None:
        """Write ``text`` and send it on at once: left in the stream's buffer, it would be
        flushed by someone else — multiprocessing flushes the standard streams before it
        starts a process — who would meet the broken pipe instead."""
        if not self.broken:
            try:
                self.stream.write(text)
                self.stream.flush()
            except BrokenPipeError:
                self._reader_gone()

    def flush(self) -> None:
        if not self.broken:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._reader_gone()

    def _reader_gone(self) -> None:
        self.broken = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self.stream.fileno())
            finally:
                os.close(devnull)
        except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
            pass  # not a real descriptor (a test's capture): nothing will flush it at exit
