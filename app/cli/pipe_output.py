"""Writing to a standard output whose reader may leave early (``joinscope run | head``),
in whatever encoding it has.

Python turns the broken pipe into a ``BrokenPipeError`` traceback (on Windows, sometimes an
``OSError`` with ``EINVAL``), at the write or at the interpreter's last flush; a command line
tool should just stop writing.  And a Windows console, or ``PYTHONIOENCODING``, may name a
legacy code page (cp1252, cp932) that has no "·" or no character of a user's item: what it
cannot hold is written as an escape (``\xb7``), never a ``UnicodeEncodeError``.
"""
from __future__ import annotations

import io
import os

from core.system import reader_gone

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing before a traced program's launch
if TYPE_CHECKING:
    from typing import Any, TextIO


def never_fail_to_encode(stream: Any) -> None:
    """Make a text stream write what its encoding cannot hold as escapes, instead of raising."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors="backslashreplace")
        except (ValueError, OSError, io.UnsupportedOperation):  # a closed or detached stream
            pass


class PipeSafeOutput:
    """Standard output that its reader may close (``joinscope run | head``).

    Once the pipe breaks the output stops, quietly, and the command carries on: a run
    and its record go on to their end, so nothing the user asked to record is lost.
    The stream's descriptor is pointed at ``/dev/null`` so that the interpreter's last
    flush of what it still buffers cannot fail either."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.broken = False
        never_fail_to_encode(stream)

    def write(self, text: str) -> None:
        """Write ``text`` and send it on at once: left in the stream's buffer, it would be
        flushed by someone else — multiprocessing flushes the standard streams before it
        starts a process — who would meet the broken pipe instead."""
        if not self.broken:
            try:
                self.stream.write(text)
                self.stream.flush()
            except OSError as error:
                if not reader_gone(error):
                    raise
                self._reader_gone()

    def flush(self) -> None:
        if not self.broken:
            try:
                self.stream.flush()
            except OSError as error:
                if not reader_gone(error):
                    raise
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
