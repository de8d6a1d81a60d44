"""Asking a ``joinscope`` the tests started to end, as a user would on each system.

POSIX: SIGTERM to the process, or Ctrl-C (SIGINT) to its whole process group, as a terminal
sends it.  Windows has no SIGTERM (``send_signal(SIGTERM)`` is ``TerminateProcess``) and its
Ctrl-C goes to every process of a console, the test runner's too; what a test can send one
process group is Ctrl-Break, which JoinScope takes as a request to end (as SIGTERM).  So a
process the tests will signal starts in a group of its own (:data:`OWN_GROUP`).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

#: ``subprocess.Popen`` arguments that start a process in a process group of its own.
OWN_GROUP: dict[str, Any] = ({"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if sys.platform == "win32"
                             else {"start_new_session": True})
#: What a request to end makes a ``joinscope`` command exit with (128 + SIGTERM, on every system).
TERMINATED = 143
#: Whether a test can send Ctrl-C to one process group (not on Windows: see above).
CAN_INTERRUPT_A_GROUP = sys.platform != "win32"


def ask_to_end(process: subprocess.Popen) -> None:
    """SIGTERM (POSIX), or Ctrl-Break to its group (Windows; started with :data:`OWN_GROUP`)."""
    if sys.platform == "win32":
        process.send_signal(signal.CTRL_BREAK_EVENT)
    else:
        process.send_signal(signal.SIGTERM)


def interrupt(process: subprocess.Popen) -> None:
    """Ctrl-C to this process alone (POSIX only)."""
    process.send_signal(signal.SIGINT)


def interrupt_group(process: subprocess.Popen) -> None:
    """Ctrl-C to the process group ``process`` leads, as a terminal sends it (POSIX only;
    started with :data:`OWN_GROUP`)."""
    if sys.platform == "win32":
        raise NotImplementedError("Windows sends Ctrl-C to a whole console, not to one group")
    os.killpg(process.pid, signal.SIGINT)
