"""Events as column blocks, from the merger to the trace file, for ``joinscope trace --no-gui``.

A traced program may report hundreds of thousands of events a second, and with no
window they are only written out.  :class:`BlockMerger` is the :class:`core.queues.merge.EventMerger`
(same ordering, numbering and ``released_by``) handing out the columns it already
works on instead of building an :class:`core.events.Event` per event, and
:class:`BlockTraceWriter` is the :class:`core.recordings.trace.TraceWriter` formatting runs of
queue operations a column at a time.  The file is byte for byte the one the event
path writes.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from itertools import groupby, islice, repeat
from operator import le, mod
from typing import Any, NamedTuple

from core.events import GET, GET_EMPTY, GET_WAIT, PUT, PUT_FULL, PUT_WAIT, TASK_DONE, Event
from core.queues.merge import EventMerger
from core.recordings.trace import _ENCODE, _NAME_CACHE_LIMIT, MAX_COUNT, MAX_SECONDS, TraceWriter

_as_event = partial(tuple.__new__, Event)

#: The kinds formatted a column at a time: queue operations with counts and no extra keys.
_BLOCK_KINDS = frozenset({PUT, GET, TASK_DONE, GET_WAIT, PUT_WAIT, GET_EMPTY, PUT_FULL})
#: One line; the ``%s`` fields are JSON already (``item``: a whole number as it is).
_BLOCK_LINE = ('{"seq":%d,"t":%.6f,"kind":%s,"actor":%s,"pid":%d,"queue":%s,"op":%d,"item":%s,'
               '"depth":%d,"unfinished":%d}')
# The same line as bytes, formatted straight into UTF-8 (about a third faster than formatting
# text and encoding it); the common items need no JSON of their own: a whole number is
# written with %d, and None as null by a template whose %.0a takes it and writes nothing.
_BLOCK_LINE_BYTES = (_BLOCK_LINE + "\n").encode()
_BLOCK_LINE_BY_ITEM_TYPE = {int: _BLOCK_LINE_BYTES.replace(b'"item":%s', b'"item":%d'),
                            type(None): _BLOCK_LINE_BYTES.replace(b'"item":%s', b'"item":null%.0a')}


class EventBlock(NamedTuple):
    """Consecutive events as columns: ``seq`` from ``first_seq``, their ``t`` and, in
    ``columns``, one sequence per later :class:`Event` field (``kind`` … ``exitcode``)."""

    first_seq: int
    times: list[float]
    columns: Sequence[Sequence[Any]]

    def events(self) -> list[Event]:
        first = self.first_seq
        return list(map(_as_event, zip(range(first, first + len(self.times)), self.times, *self.columns)))

    @classmethod
    def of(cls, event: Event) -> EventBlock:
        return cls(event.seq, [event.t], [(value,) for value in event[2:]])


class BlockMerger(EventMerger):
    """An :class:`EventMerger` that can hand out its events as :class:`EventBlock` s."""

    def pop_ready(self, now: float | None = None, *, final: bool = False) -> list[Event]:
        out: list[Event] = []
        for piece in super().pop_ready(now, final=final):
            if type(piece) is EventBlock:
                out += piece.events()
            else:
                out.append(piece)
        return out

    def pop_ready_blocks(self, now: float | None = None, *, final: bool = False) -> list[EventBlock]:
        """The same events as :meth:`pop_ready`, as blocks."""
        return [piece if type(piece) is EventBlock else EventBlock.of(piece)
                for piece in super().pop_ready(now, final=final)]

    def _emit_columns(self, columns: list[tuple], count: int) -> list:
        first_seq, times, columns = self._number_columns(columns, count)
        return [EventBlock(first_seq, times, columns[1:])]


def count_runs(block: EventBlock) -> Iterator[EventBlock]:
    """``block`` cut where queue operations with counts give way to other events and back."""
    kinds, depths = block.columns[0], block.columns[6]
    if set(kinds) <= _BLOCK_KINDS and None not in depths:
        yield block
        return
    with_counts = [kind in _BLOCK_KINDS and depth is not None for kind, depth in zip(kinds, depths)]
    start = 0
    for _, run in groupby(with_counts):
        end = start + sum(1 for _ in run)
        yield EventBlock(block.first_seq + start, block.times[start:end],
                         [column[start:end] for column in block.columns])
        start = end


class BlockTraceWriter(TraceWriter):
    """A :class:`TraceWriter` that also takes :class:`EventBlock` s."""

    def __init__(self, path: str | os.PathLike[str], header: dict[str, Any]) -> None:
        super().__init__(path, header)
        #: Kinds, actors and queues as JSON, in UTF-8.
        self._name_bytes: dict[str, bytes] = {}

    def write_blocks(self, blocks: Iterable[EventBlock]) -> None:
        """Append the events of ``blocks`` (from :meth:`BlockMerger.pop_ready_blocks`).

        Runs of queue operations with counts (put, get, task_done and the waits) are
        formatted a column at a time, with no ``Event`` built and no Python step per
        line but for items other than whole numbers; the events between them (a start,
        a join, an exit) go through :meth:`write`.  The file is the same either way."""
        for block in blocks:
            for part in count_runs(block):
                data = self._encode_block(part)
                if data is None:
                    self.write(part.events())
                    continue
                self._write_bytes(data)
                self._next_seq += len(part.times)
                self._last_t = part.times[-1]

    def _encode_block(self, block: EventBlock) -> bytes | None:
        """The lines of a run of queue operations with counts, or ``None`` if it holds anything else."""
        times = block.times
        kinds, actors, pids, queues, ops, items, depths, unfinished = block.columns[:8]
        if block.first_seq != self._next_seq or not self._last_t <= times[0] or not times[-1] <= MAX_SECONDS \
                or not all(map(le, times, islice(times, 1, None))):
            return None
        kind_names = set(kinds)
        if not kind_names <= _BLOCK_KINDS or None in depths or None in unfinished or None in queues:
            return None
        if max(depths) > MAX_COUNT or max(unfinished) > MAX_COUNT:
            return None  # the careful path says why a trace cannot hold it
        names = self._name_bytes
        if len(names) > _NAME_CACHE_LIMIT:
            names.clear()
        for name in (kind_names | set(actors) | set(queues)) - names.keys():
            if type(name) is not str:
                return None
            names[name] = _ENCODE(name).encode("utf-8", "backslashreplace")
        name_of = names.__getitem__
        item_types = set(map(type, items))
        try:
            templates: Iterable[bytes]
            if item_types <= _BLOCK_LINE_BY_ITEM_TYPE.keys():
                templates = map(_BLOCK_LINE_BY_ITEM_TYPE.__getitem__, map(type, items))
            else:  # strings, tuples…: each as JSON (whole numbers as they are)
                encode = _ENCODE
                items = [b"%d" % item if type(item) is int else b"null" if item is None
                         else encode(item).encode("utf-8", "backslashreplace") for item in items]
                templates = repeat(_BLOCK_LINE_BYTES)
            return b"".join(map(mod, templates, zip(range(block.first_seq, block.first_seq + len(times)), times,
                                                    map(name_of, kinds), map(name_of, actors), pids,
                                                    map(name_of, queues), ops, items, depths, unfinished)))
        except (TypeError, ValueError, OverflowError):  # e.g. an item JSON cannot hold: the careful way
            return None
