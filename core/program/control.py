"""State that the session and its worker processes share for one run.

It answers three questions that decide when the sentinels go out, each under one
lock so they cannot race: which producers are still producing, which consumers are
active or retired, and whether the sentinels have been sent.  And one that needs no
lock: whether the run is being stopped (the stop flag every actor looks at where it
holds no lock, on every system: :mod:`core.program.termination`).  A consumer retired
after the sentinels went out would leave its sentinel unread (and ``join()``
waiting), so retirement is refused from that point on; a consumer added after
that needs a sentinel of its own, which the session puts for it.
"""
from __future__ import annotations

from typing import Any

from core.events import CONSUMER, PRODUCER
from core.scenarios import MAX_ACTORS_PER_ROLE

#: A slot's state.  A producer that has added its last task is FINISHED until its process
#: has ended: its slot is not free before, or a producer added meanwhile would share it.
FREE, ACTIVE, RETIRED, FINISHED = 0, 1, 2, 3
_PRODUCERS_ACTIVE, _PRODUCERS_DONE, _SENTINELS_SENT, _PRODUCERS_STARTED, _STOP_REQUESTED = range(5)
_HEADER = 5


class RunControl:
    """Picklable to the run's worker processes (it travels in their start arguments)."""

    def __init__(self, ctx: Any) -> None:
        self._lock = ctx.Lock()
        self._shared = ctx.RawArray("i", _HEADER + 2 * MAX_ACTORS_PER_ROLE)
        self._bind()

    def __getstate__(self) -> tuple:
        return self._lock, self._shared

    def __setstate__(self, state: tuple) -> None:
        self._lock, self._shared = state
        self._bind()

    def _bind(self) -> None:
        self._cells = memoryview(self._shared).cast("B").cast("i")

    def _index(self, role: str, slot: int) -> int:
        return _HEADER + (0 if role == PRODUCER else MAX_ACTORS_PER_ROLE) + slot

    # -- the session's side ---------------------------------------------------------
    def free_slot(self, role: str) -> int | None:
        start = self._index(role, 0)
        for slot in range(MAX_ACTORS_PER_ROLE):
            if self._cells[start + slot] == FREE:
                return slot
        return None

    def activate(self, role: str, slot: int) -> tuple[str | None, bool]:
        """Mark a new actor active.  Returns why it cannot join the run (or ``None``),
        and whether the sentinels already went out without one for it."""
        with self._lock:
            cells = self._cells
            if role == PRODUCER and cells[_PRODUCERS_DONE]:
                return "every producer has finished and the sentinels are on their way", False
            cells[self._index(role, slot)] = ACTIVE
            if role == PRODUCER:
                cells[_PRODUCERS_ACTIVE] += 1
                cells[_PRODUCERS_STARTED] += 1
            return None, role == CONSUMER and bool(cells[_SENTINELS_SENT])

    def retire(self, role: str, slot: int) -> str | None:
        """Ask an actor to finish what it holds and exit; returns why it cannot, or ``None``."""
        with self._lock:
            if role == CONSUMER and self._cells[_SENTINELS_SENT]:
                return "the sentinels are already queued: each consumer stops when it takes one"
            if self._cells[self._index(role, slot)] == FINISHED:
                return "it has added all its tasks already and is ending"
            self._cells[self._index(role, slot)] = RETIRED
            return None

    def release(self, role: str, slot: int) -> None:
        """The actor's process has ended: its slot may be reused."""
        with self._lock:
            index = self._index(role, slot)
            if role == PRODUCER and self._cells[index] in (ACTIVE, RETIRED) and not self._cells[_PRODUCERS_DONE]:
                # It died before finishing: it no longer counts as producing.
                self._cells[_PRODUCERS_ACTIVE] -= 1
            self._cells[index] = FREE

    def request_stop(self) -> None:
        """Ask every actor to exit at its next point where it holds no lock (Stop, closing the
        window, Ctrl-C, ``--timeout``).  Written without the lock: an actor killed while it
        held the lock must not hold the observer up."""
        self._cells[_STOP_REQUESTED] = 1

    # -- the workers' side ----------------------------------------------------------
    def stop_requested(self) -> bool:
        """Whether the run is being stopped: one read of shared memory, no lock and no system
        call (actors look before every ``get()``)."""
        return self._cells[_STOP_REQUESTED] != 0

    def is_retired(self, role: str, slot: int) -> bool:
        return self._cells[self._index(role, slot)] == RETIRED

    def finish_producer(self, slot: int) -> bool:
        """A producer has added its last task; returns whether it should send the sentinels:
        it is the last one producing *and* the only producer the run has had.

        With several producers the sentinels are main's job, after it has joined them:
        a producer's ``put()`` returns before its items reach the pipe (a feeder thread
        sends them), so the last producer's ``None`` could overtake another producer's
        tasks still in that producer's buffer, and consumers would quit too early."""
        with self._lock:
            cells = self._cells
            cells[self._index(PRODUCER, slot)] = FINISHED
            cells[_PRODUCERS_ACTIVE] -= 1
            if cells[_PRODUCERS_ACTIVE] == 0:
                cells[_PRODUCERS_DONE] = 1
                return cells[_PRODUCERS_STARTED] == 1
            return False

    def claim_sentinels(self, count: int | None) -> int:
        """How many sentinels to put (once per run; 0 after that): ``count``, or one per active consumer."""
        with self._lock:
            cells = self._cells
            if cells[_SENTINELS_SENT]:
                return 0
            cells[_SENTINELS_SENT] = 1
            if count is not None:
                return count
            start = self._index(CONSUMER, 0)
            return sum(1 for slot in range(MAX_ACTORS_PER_ROLE) if cells[start + slot] == ACTIVE)
