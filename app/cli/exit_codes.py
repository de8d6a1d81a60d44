"""The exit codes of every ``joinscope`` command, in one place."""
from __future__ import annotations

EXIT_OK = 0
#: Bad input: an argument, a file; the message is one line.
EXIT_BAD_INPUT = 2
#: The run (or the traced program) stalled: no event for its timeout while something waited.
EXIT_STALLED = 3
#: Ctrl-C, as a shell reports a process that SIGINT ended.
EXIT_INTERRUPTED = 130
#: SIGTERM ended the command (128 + 15, as a shell reports it).
EXIT_TERMINATED = 143
