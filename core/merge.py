"""Merging the per-process event streams into one numbered stream.

Batches arrive from many processes in whatever order their flushes reach the
pipe.  The merger orders them by time, holds the newest :data:`HOLD_S` back so a
slower process can catch up, and never lets a queue's operation out before the one
numbered just before it (``op``), so every queue's events keep the order in which
its lock saw them.  It then numbers the events 1, 2, 3, … (``seq``), rewrites
``t`` as seconds since the run started, and turns a ``join_return``'s
``released_by`` from an operation number into that ``task_done``'s ``seq``.
"""
from __future__ import annotations

import time
from operator import itemgetter
from typing import Iterable

from core.events import ERROR, JOIN_RETURN, TASK_DONE, Event

#: The actor named on events that the observer itself reports.
OBSERVER_ACTOR = "joinscope"

#: Newest records are held this long so that late batches can still be sorted in.
HOLD_S = 0.05
#: A queue operation missing this long belonged to a process that died before reporting it.
LOST_AFTER_S = 1.0

_by_time_then_op = itemgetter(0, 5)
_new_event = tuple.__new__


class EventMerger:
    """Turns wire records (see :data:`core.events.WIRE_FIELDS`) into ordered :class:`Event` s."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self._pending: list[tuple] = []
        self._next_op: dict[str, int] = {}
        self._last_zero: dict[str, tuple[int, int]] = {}
        self._blocked_since: float | None = None
        self._last_t = 0.0
        self.seq = 0
        #: Queue operations given up as lost (a process died holding them in its buffer).
        self.lost_ops = 0

    def add(self, records: Iterable[tuple]) -> None:
        self._pending.extend(records)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def pop_ready(self, now: float | None = None, *, final: bool = False) -> list[Event]:
        """The events that can be numbered now (all of them when ``final``)."""
        pending = self._pending
        if not pending:
            return []
        now = time.monotonic() if now is None else now
        pending.sort(key=_by_time_then_op)
        cutoff = float("inf") if final else now - HOLD_S
        next_op = self._next_op
        out: list[Event] = []
        taken = 0
        for record in pending:
            if record[0] > cutoff:
                break
            queue = record[4]
            if queue is not None:
                op = record[5]
                expected = next_op.get(queue, 1)
                if op < expected:  # a straggler from a gap already declared lost
                    taken += 1
                    continue
                if op > expected:
                    if not self._gap_is_lost(now, final):
                        break
                    self._emit(out, (record[0], ERROR, OBSERVER_ACTOR, 0, None, 0, queue, None, None, None, None,
                                     f"{op - expected} operation(s) of {queue} were never reported: "
                                     "the process that made them died first", None))
                    self.lost_ops += op - expected
                next_op[queue] = op + 1
            self._emit(out, record)
            taken += 1
        del pending[:taken]
        if taken:
            self._blocked_since = None
        return out

    def _emit(self, out: list[Event], record: tuple) -> None:
        t = record[0] - self.t0
        if t < self._last_t:
            t = self._last_t
        self._last_t = t
        self.seq += 1
        kind = record[1]
        queue = record[4]
        if kind == TASK_DONE and record[8] == 0:
            self._last_zero[queue] = (record[5], self.seq)
        elif kind == JOIN_RETURN and record[9] is not None:
            zero = self._last_zero.get(queue)
            released = zero[1] if zero is not None and zero[0] == record[9] else None
            record = record[:9] + (released,) + record[10:]
        out.append(_new_event(Event, (self.seq, t) + record[1:]))

    def _gap_is_lost(self, now: float, final: bool) -> bool:
        """Whether the operation the merger waits for should be given up as lost."""
        if final:
            return True
        if self._blocked_since is None:
            self._blocked_since = now
        return now - self._blocked_since >= LOST_AFTER_S
