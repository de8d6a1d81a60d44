"""The exit codes of every ``joinscope`` command, in one place."""
from __future__ import annotations

from core import system

EXIT_OK = 0
#: The run could not start: the system refused its processes, threads or pipes (one line on stderr).
EXIT_NOT_STARTED = 1
#: Bad input: an argument, a file; the message is one line.
EXIT_BAD_INPUT = 2
#: The run (or the traced program) stalled: no event for its timeout while something waited.
EXIT_STALLED = 3
#: Ctrl-C, as a shell reports a process that SIGINT ended (130; on Windows 0xC000013A, as Ctrl-C ends a program).
EXIT_INTERRUPTED = system.EXIT_INTERRUPTED
#: SIGTERM (on Windows: Ctrl-Break) ended the command (128 + 15, as a shell reports SIGTERM).
EXIT_TERMINATED = system.EXIT_TERMINATED
