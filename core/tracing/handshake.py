"""A flush on request, so that terminating a traced child costs no events and no wait.

A traced process buffers its events and sends them in batches (at least every
``FLUSH_INTERVAL_S``), so a SIGTERM would take the unsent ones with it.  Before
``terminate()`` sends it, the terminating process asks the target's flusher thread to
send what it holds, and waits for the answer, at most ``timeout`` (a target with no
flusher yet — it has reported nothing — or one that cannot answer, is simply waited
for that long, which is the time its flusher needs to send by itself).  The two
semaphores are made by the parent before the child starts, in the child's own
context, and reach it with its ``Process`` object (inherited, or pickled while spawning).
"""
from __future__ import annotations

from typing import Any


class FlushHandshake:
    """One child's pair of semaphores: flush asked (parent → child) and done (child → parent)."""

    def __init__(self, ctx: Any) -> None:
        self._asked = ctx.Semaphore(0)
        self._done = ctx.Semaphore(0)

    # -- the terminating side ------------------------------------------------------------
    def flush_now(self, timeout: float) -> bool:
        """Ask the child to send its buffered events; whether it said it did within ``timeout``."""
        while self._done.acquire(False):  # a late answer to an earlier request that timed out
            pass
        self._asked.release()
        if self._done.acquire(True, timeout):
            return True
        self._asked.acquire(False)  # withdrawn, unless the child took it meanwhile
        return False

    # -- the child's flusher thread ------------------------------------------------------
    def wait_for_request(self, timeout: float) -> bool:
        """Block up to ``timeout``; whether a flush was asked for (or :meth:`wake` called)."""
        return self._asked.acquire(True, timeout)

    def answer(self) -> None:
        self._done.release()

    def wake(self) -> None:
        """Wake the flusher that waits for a request (it is being stopped)."""
        self._asked.release()
