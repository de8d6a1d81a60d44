"""Starting the traced program while JoinScope is still starting itself.

The program's interpreter and its bootstrap imports take about as long as
JoinScope's own set-up (its trace writer, the merger, the listening socket), and a
traced program's wall time includes both.  So the command launches the program as
soon as its arguments are checked: the bootstrap imports what it needs, then waits
on the inherited pipe for the socket's address and key, and only then runs the
script.  Nothing of the script runs before :meth:`LaunchedProgram.hand_over`; after
:meth:`LaunchedProgram.cancel` (the record could not be written, say) the bootstrap
exits without running it.  This module imports little on purpose.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from typing import Sequence

from core.tracing.bootstrap import BOOTSTRAP_CODE


class LaunchedProgram:
    """The program's main process, waiting for the channel's address and key."""

    def __init__(self, python: str, script: str, args: Sequence[str]) -> None:
        read_end, self._write_end = os.pipe()
        #: When the program was launched: the run's time 0.
        self.t0 = time.monotonic()
        try:
            self.process = subprocess.Popen([python, "-c", BOOTSTRAP_CODE, str(read_end), script, *args],
                                            pass_fds=(read_end,))
        except BaseException:
            os.close(self._write_end)
            raise
        finally:
            os.close(read_end)

    def hand_over(self, address: str, authkey: bytes) -> None:
        """Tell the bootstrap where to report; it then runs the script."""
        try:
            os.write(self._write_end, json.dumps({"address": address, "authkey": authkey.hex()}).encode())
        except OSError:  # the program died before it read it: the session sees it end
            pass
        finally:
            os.close(self._write_end)

    def cancel(self) -> None:
        """Let the bootstrap exit without running the script, and wait for it."""
        os.close(self._write_end)
        self.process.wait()
