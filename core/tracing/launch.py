"""Starting the traced program while JoinScope is still starting itself.

The program's interpreter and its bootstrap imports take about as long as
JoinScope's own set-up (its trace writer, the merger, the session), and a traced
program's wall time includes both.  So the command launches the program as soon as
its arguments are checked: the bootstrap imports what it needs, then waits on the
inherited pipe for the address and key of JoinScope's private listener, and only then
runs the script.  JoinScope hands them over (:meth:`LaunchedProgram.hand_over`) once
the record's header is written; the program's processes may then connect before the
session reads from the socket, and wait for it.  After :meth:`LaunchedProgram.cancel`
(the record could not be written, say) the bootstrap exits without running the
script.  This module imports little on purpose.
"""
from __future__ import annotations

import os
import subprocess
import time

from core.backends import TRACEABLE
from core.system import ChildPipe, ProgramTree, listener_address
from core.tracing.bootstrap import BOOTSTRAP_CODE

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing before the launch
if TYPE_CHECKING:
    from collections.abc import Sequence

    from core.tracing.listener import EventListener
# json, the listener (multiprocessing.connection, with socket) and tempfile (which brings
# shutil and the compressors) are imported once the program is on its way.

_AUTHKEY_BYTES = 32
#: How many processes may wait to be accepted (a pool starting all its workers at once).
BACKLOG = 64


class LaunchedProgram:
    """The program's main process, waiting for the channel's address and key."""

    def __init__(self, python: str, script: str, args: Sequence[str],
                 queues: Sequence[str] = TRACEABLE, quiet: bool = False) -> None:
        #: Which queues the program's patch observes (see core.tracing.task_queues).
        self.queues = list(queues)
        pipe = ChildPipe()
        self._write_end = pipe.write_end
        #: When the program was launched: the run's time 0.
        self.t0 = time.monotonic()
        self.directory: str | None = None
        self.listener: EventListener | None = None
        self.authkey = os.urandom(_AUTHKEY_BYTES)
        try:
            arguments = pipe.popen_arguments()
            if quiet:  # a program JoinScope runs as a scenario, whose story JoinScope tells itself
                arguments.update(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.process = subprocess.Popen([python, "-c", BOOTSTRAP_CODE, pipe.token, script, *args], **arguments)
        except BaseException:
            os.close(self._write_end)
            raise
        finally:
            pipe.child_started()
        #: Every process the program will start (it starts none before the hand-over).
        self.tree = ProgramTree(self.process)

    def hand_over(self) -> None:
        """Open the private listener (a socket in a directory of mode 0700 where there are Unix
        sockets: only this user may connect) and tell the bootstrap where it is; the script then
        runs.  If the listener cannot be made, the program is let go without running it, and the
        error raised."""
        import json
        import tempfile

        from core.tracing.listener import EventListener
        try:
            self.directory = tempfile.mkdtemp(prefix="joinscope-trace-")
            address = listener_address(self.directory, "events")
            self.listener = EventListener(address, self.authkey, BACKLOG)
        except BaseException:
            self.cancel()
            raise
        try:
            os.write(self._write_end, json.dumps({"address": address, "authkey": self.authkey.hex(),
                                                  "queues": self.queues}).encode())
        except OSError:  # the program died before it read it: the session sees it end
            pass
        finally:
            os.close(self._write_end)
            self._write_end = -1

    def cancel(self) -> None:
        """Let the bootstrap exit without running the script, and wait for it; release the listener."""
        if self._write_end >= 0:
            os.close(self._write_end)
            self._write_end = -1
        self.process.wait()
        self.release()

    def release(self) -> None:
        """Close the listener and remove its directory (the session does, once it has taken them)."""
        if self.listener is not None:
            self.listener.close()
        self.tree.release(end_processes=False)
        if self.directory is not None:
            import shutil
            shutil.rmtree(self.directory, ignore_errors=True)
