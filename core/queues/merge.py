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
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from functools import partial
from itertools import compress, islice, repeat, zip_longest
from itertools import count as count_from
from operator import itemgetter, ne, sub

from core.events import CANCEL, DELIVER, ERROR, JOIN_RETURN, OBSERVER_ACTOR, TASK_DONE, WIRE_FIELDS, Event, wire_record

WIRE_LENGTH = len(WIRE_FIELDS)

#: Newest records are held this long so that late batches can still be sorted in.
HOLD_S = 0.05
#: A pool's deliveries remembered (per pool) for naming what released a join: an ``as_completed``
#: yield or a ``get()`` is released by the delivery of its own task, which came while it waited.
DELIVERIES_KEPT = 65536
#: After an actor's process ended, how long a missing queue operation may take to
#: arrive from the live processes before it is given up as lost with the dead one.
EXIT_GRACE_S = 0.25

_by_time = itemgetter(0)
_by_time_then_op = itemgetter(0, 5)
_new_event = tuple.__new__
_as_event = partial(tuple.__new__, Event)


class EventMerger:
    """Turns wire records (see :data:`core.events.WIRE_FIELDS`) into ordered :class:`Event` s."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0
        #: Records not numbered yet, sorted by time.
        self._pending: list[tuple] = []
        #: Records added since the last :meth:`pop_ready`, not sorted in yet.
        self._incoming: list[tuple] = []
        self._next_op: dict[str, int] = {}
        self._last_zero: dict[str, tuple[int, int]] = {}
        #: Per pool, the seq of each recent delivery (or cancel) by its op.
        self._deliveries: dict[str, dict[int, int]] = {}
        self._last_exit_noted: float | None = None
        self._last_t = 0.0
        self.seq = 0
        #: Queue operations given up as lost (a process died holding them in its buffer).
        self.lost_ops = 0

    def add(self, records: Iterable[tuple]) -> None:
        self._incoming.extend(records)

    @property
    def pending(self) -> int:
        return len(self._pending) + len(self._incoming)

    def _sort_in(self) -> None:
        """Sort the records added since the last call in with the pending ones.

        A slow process can hold thousands of records back (they wait for its ops), so
        only the part of them that the new records reach back into is sorted again."""
        incoming = self._incoming
        if not incoming:
            return
        self._incoming = []
        # Float keys sort fastest; equal times are rare, and the check in pop_ready sends a
        # tie that would put a queue's operations out of order to the general path.
        incoming.sort(key=_by_time)
        pending = self._pending
        if pending and incoming[0][0] < pending[-1][0]:
            cut = bisect_right(pending, incoming[0][0], key=_by_time)
            tail = pending[cut:]
            tail += incoming
            tail.sort(key=_by_time)
            pending[cut:] = tail
        else:
            pending += incoming

    def pop_ready(self, now: float | None = None, *, final: bool = False) -> list[Event]:
        """The events that can be numbered now (all of them when ``final``).

        The common case, where every queue's operations in the ready records follow on
        from the last one emitted, runs without a Python-level step per record (the
        observer shares two cores with the processes it watches); anything else (a gap
        to wait for or give up on, a straggler, a tie in time) takes the general path.
        """
        self._sort_in()
        pending = self._pending
        if not pending:
            return []
        now = time.monotonic() if now is None else now
        ready = len(pending) if final else bisect_right(pending, now - HOLD_S, key=_by_time)
        if not ready:
            return []
        out: list[Event] = []
        resorted = False
        while ready:
            records = pending if ready == len(pending) else pending[:ready]
            columns = list(zip_longest(*records))  # short records end in Nones
            if len(columns) < WIRE_LENGTH:
                columns += [(None,) * len(records)] * (WIRE_LENGTH - len(columns))
            in_order = self._in_order_prefix(columns[4], columns[5])
            if in_order:
                out += self._emit_columns(columns if in_order == ready else [c[:in_order] for c in columns], in_order)
                del pending[:in_order]
                ready -= in_order
            elif not resorted and len(pending) > 1 and pending[1][0] == pending[0][0]:
                # A tie in time may have put ops out of order.  Only a tie at the head can
                # change what comes first (a record waiting for a missing op, the common
                # case, has none), so sorting everything pending waits until one is there.
                pending.sort(key=_by_time_then_op)
                resorted = True
            elif not self._step(pending[0], now, final, out):
                break
            else:
                ready -= 1
        return out

    def _in_order_prefix(self, queues: tuple, ops: tuple) -> int:
        """How many of the records (given by their queue and op columns) can be numbered
        as they are, because each queue's ops continue exactly where that queue stopped;
        advances each queue's next op past them."""
        count = len(ops)
        names = set(queues)
        names.discard(None)
        if not names:
            return count
        next_op = self._next_op
        prefix = count
        seen: list[tuple[str, int, list[int]]] = []
        for name in names:
            if len(names) == 1:
                positions = list(compress(range(count), queues))
                queue_ops = list(compress(ops, queues))
            else:
                positions = [i for i, queue in enumerate(queues) if queue == name]
                queue_ops = [ops[i] for i in positions]
            first = next_op.get(name, 1)
            if queue_ops != list(range(first, first + len(queue_ops))):
                prefix = min(prefix, next(compress(positions, map(ne, queue_ops, count_from(first)))))
            seen.append((name, first, positions))
        for name, first, positions in seen:
            next_op[name] = first + bisect_left(positions, prefix)
        return prefix

    def _step(self, record: tuple, now: float, final: bool, out: list[Event]) -> bool:
        """Deal with the first pending record, whose op does not follow on: drop it as a
        straggler, wait for the missing ops (``False``), or give them up as lost."""
        queue = record[4]
        op = record[5]
        expected = self._next_op.get(queue, 1)
        if op < expected:  # a straggler from a gap already declared lost
            del self._pending[0]
            return True
        if not self._gap_is_lost(record[0], now, final):
            return False
        self._emit(out, wire_record(record[0], ERROR, OBSERVER_ACTOR, 0, item=queue,
                                    error=f"{op - expected} operation(s) of {queue} were never reported: "
                                          "the process that made them died first"))
        self.lost_ops += op - expected
        self._next_op[queue] = op + 1
        self._emit(out, record)
        del self._pending[0]
        return True

    def _emit_columns(self, columns: list[tuple], count: int) -> list[Event]:
        """Number ``count`` in-order records, given as columns (see :data:`core.events.WIRE_FIELDS`)."""
        first_seq, times, columns = self._number_columns(columns, count)
        return list(map(_as_event, zip(range(first_seq, first_seq + count), times, *columns[1:])))

    def _number_columns(self, columns: list[tuple], count: int) -> tuple[int, list[float], list[tuple]]:
        """The first ``seq`` of ``count`` in-order records, their times since ``t0``, and their
        columns with ``released_by`` as a ``seq`` (what an :class:`Event` holds, a column each)."""
        times = list(map(sub, columns[0], repeat(self.t0, count)))
        if times[0] < self._last_t:  # times are sorted: only a prefix can be behind what was emitted
            times = list(map(max, times, repeat(self._last_t, count)))
        self._last_t = times[-1]
        first_seq = self.seq + 1
        self.seq += count
        kinds = columns[1]
        if JOIN_RETURN in kinds or (TASK_DONE in kinds and 0 in columns[8]) or DELIVER in kinds or CANCEL in kinds:
            columns[9] = self._released_by_seq(columns, first_seq)
        return first_seq, times, columns

    def _released_by_seq(self, columns: list[tuple], first_seq: int) -> tuple:
        """Column 9 with each ``join_return``'s ``released_by`` turned from an op into a ``seq``,
        tracking each queue's last ``task_done`` that brought unfinished to zero."""
        kinds, queues, ops, unfinished = columns[1], columns[4], columns[5], columns[8]
        released = list(columns[9])
        marks = [i for i, kind in enumerate(kinds) if kind == JOIN_RETURN or kind == DELIVER or kind == CANCEL]
        start = 0
        while True:
            try:
                start = unfinished.index(0, start)
            except ValueError:
                break
            if kinds[start] == TASK_DONE:
                marks.append(start)
            start += 1
        last_zero = self._last_zero
        for i in sorted(marks):
            kind = kinds[i]
            if kind == TASK_DONE:
                last_zero[queues[i]] = (ops[i], first_seq + i)
            elif kind != JOIN_RETURN:
                self._delivered(queues[i], ops[i], first_seq + i)
            elif released[i] is not None:
                released[i] = self._releaser(queues[i], released[i])
        return tuple(released)

    def _delivered(self, queue: str, op: int, seq: int) -> None:
        """Remember a pool's delivery (or cancel), which a join may name as what released it."""
        kept = self._deliveries.get(queue)
        if kept is None:
            kept = self._deliveries[queue] = {}
        kept[op] = seq
        if len(kept) > DELIVERIES_KEPT:
            for old in list(islice(kept, DELIVERIES_KEPT // 2)):
                del kept[old]

    def _releaser(self, queue: str, op: int) -> int | None:
        """The ``seq`` of the operation ``op`` of ``queue`` that released a join (``None``: not known)."""
        zero = self._last_zero.get(queue)
        if zero is not None and zero[0] == op:
            return zero[1]
        kept = self._deliveries.get(queue)
        return kept.get(op) if kept is not None else None

    def _emit(self, out: list[Event], record: tuple) -> None:
        record = record + (None,) * (WIRE_LENGTH - len(record))
        t = record[0] - self.t0
        if t < self._last_t:
            t = self._last_t
        self._last_t = t
        self.seq += 1
        kind = record[1]
        queue = record[4]
        if kind == TASK_DONE and record[8] == 0:
            self._last_zero[queue] = (record[5], self.seq)
        elif kind == DELIVER or kind == CANCEL:
            self._delivered(queue, record[5], self.seq)
        elif kind == JOIN_RETURN and record[9] is not None:
            record = record[:9] + (self._releaser(queue, record[9]),) + record[10:]
        out.append(_new_event(Event, (self.seq, t) + record[1:]))

    def _gap_is_lost(self, waiting_since: float, now: float, final: bool) -> bool:
        """Whether the operations missing before a record of time ``waiting_since`` are lost.

        Only a process that died can take operations with it (they were still in its
        buffer).  A live process, however slow or starved of CPU, always reports them
        in the end, so the merger waits — unless an actor exited after the missing
        operations were made and the survivors have had :data:`EXIT_GRACE_S` to flush."""
        if final:
            return True
        exited = self._last_exit_noted
        return exited is not None and exited >= waiting_since and now - exited >= EXIT_GRACE_S

    def note_exit(self, now: float | None = None) -> None:
        """An actor's process has ended (and everything it sent has been added)."""
        self._last_exit_noted = time.monotonic() if now is None else now
