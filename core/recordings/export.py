"""Exports of a run for other tools: Perfetto / Chrome trace-event JSON, and CSV.

Both stream: events are read one at a time (from a :class:`core.recordings.trace.TraceReader`
or a list), so exporting a long recording needs memory for the run model's state
changes only, not for the events.  Output goes to a temporary file next to the
destination, which replaces it only when the export is complete (:mod:`core.recordings.outputs`):
a bad line half way through a trace leaves no half-written file behind.

The trace-event file (``{"traceEvents": [...]}``, opened by ui.perfetto.dev and
chrome://tracing) has one process for the run and one thread track per actor,
carrying the actor's state spans as complete (``"X"``) events — the same state
changes the swimlanes draw, from :class:`core.analysis.model.RunModel`.  Each queue is a
counter (``"C"``) event named after the queue with the args ``depth`` and
``unfinished``, which Perfetto shows as the counter tracks ``"<queue> depth"``
and ``"<queue> unfinished"``.  Each ``join()`` return, and each error, is an
instant (``"i"``) event on its actor's track.  Times are microseconds.
"""
from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from typing import IO, Any

from core.analysis.model import FINAL_STATES, STATES, RunModel, lane_order
from core.events import ERROR, JOIN_RETURN, Event
from core.recordings.choices import CSV, PERFETTO
from core.recordings.choices import EXPORT_FORMATS as FORMATS
from core.recordings.outputs import replacing, replacing_path

#: The process id the run's tracks are grouped under in the trace-event file.
RUN_PID = 1
#: Events folded into the model at a time while exporting.
_FOLD_CHUNK = 4096
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def microseconds(seconds: float) -> float:
    return round(seconds * 1e6, 3)


def write_perfetto(events: Iterable[Event], out: IO[str], title: str = "JoinScope run") -> int:
    """Write the trace-event JSON of ``events`` to ``out``; returns how many trace events it wrote."""
    model = RunModel()
    tids: dict[str, int] = {}
    last_counts: dict[str, tuple[int | None, int | None]] = {}
    written = 0
    out.write('{"displayTimeUnit":"ms","traceEvents":[\n')

    def emit(record: dict[str, Any]) -> None:
        nonlocal written
        out.write((",\n" if written else "") + _ENCODE(record))
        written += 1

    chunk: list[Event] = []
    for event in events:
        chunk.append(event)
        if event.actor not in tids:
            tids[event.actor] = len(tids) + 1
        queue = event.queue
        if queue is not None:
            counts = (event.depth, event.unfinished)
            if last_counts.get(queue) != counts:
                last_counts[queue] = counts
                emit({"ph": "C", "name": queue, "pid": RUN_PID, "ts": microseconds(event.t), "cat": "queue",
                      "args": {"depth": event.depth, "unfinished": event.unfinished}})
        if event.kind == JOIN_RETURN:
            if queue is None:
                target = f"join of {event.item}"
            else:  # a queue's join(), or what waited on a pool: join(), as_completed(), get()…
                target = f"{queue}.{event.item if type(event.item) is str else 'join()'}"
            emit({"ph": "i", "s": "t", "name": f"{target} returned", "pid": RUN_PID, "tid": tids[event.actor],
                  "ts": microseconds(event.t), "cat": "join",
                  "args": {"seq": event.seq, "released_by": event.released_by, "waited_s": event.waited}})
        elif event.kind == ERROR:
            emit({"ph": "i", "s": "t", "name": "error", "pid": RUN_PID, "tid": tids[event.actor],
                  "ts": microseconds(event.t), "cat": "error", "args": {"seq": event.seq, "error": event.error}})
        if len(chunk) >= _FOLD_CHUNK:
            model.apply(chunk)
            chunk = []
    if chunk:
        model.apply(chunk)

    end = model.last_t
    emit({"ph": "M", "name": "process_name", "pid": RUN_PID, "args": {"name": title}})
    for index, actor in enumerate(sorted(tids, key=lane_order)):
        tid = tids[actor]
        state = model.actors.get(actor)
        label = actor if state is None or not state.pid else f"{actor} (pid {state.pid})"
        emit({"ph": "M", "name": "thread_name", "pid": RUN_PID, "tid": tid, "args": {"name": label}})
        emit({"ph": "M", "name": "thread_sort_index", "pid": RUN_PID, "tid": tid, "args": {"sort_index": index}})
        times, codes = model.transitions.get(actor, ((), ()))
        for i, code in enumerate(codes):
            name = STATES[code]
            if name in FINAL_STATES:
                continue
            start = times[i]
            stop = times[i + 1] if i + 1 < len(times) else end
            emit({"ph": "X", "name": name, "cat": "state", "pid": RUN_PID, "tid": tid, "ts": microseconds(start),
                  "dur": microseconds(max(stop - start, 0.0))})
    out.write("\n]}\n")
    return written


#: The CSV columns: the fields of :class:`core.events.Event`, in order.
CSV_COLUMNS = Event._fields


#: What a spreadsheet takes as the start of a formula (OWASP's list: the four operators,
#: and the tab and carriage return that can hide one).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A CSV cell: empty for null, JSON for arrays (items), the value itself otherwise.

    Text comes from the traced program (its items, its process names), and a spreadsheet
    opening the file runs a cell such as ``=HYPERLINK(…)`` as a formula: text that starts
    like one gets a leading ``'``, which spreadsheets read as "this is text".  Numbers
    (``-3``) stay numbers."""
    if value is None:
        return ""
    if type(value) is str:
        return "'" + value if value.startswith(_FORMULA_STARTS) else value
    if type(value) is tuple:
        return _ENCODE(list(value))
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is float:
        return repr(value)
    return value


def write_csv(events: Iterable[Event], out: IO[str]) -> int:
    """Write a header row and one row per event to ``out`` (opened with ``newline=""``)."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for event in events:
        writer.writerow([f"{event.t:.6f}" if i == 1 else _cell(value) for i, value in enumerate(event)])
        count += 1
    return count


def export(events: Iterable[Event], to: str, path: str | os.PathLike[str], title: str = "JoinScope run") -> int:
    """Export ``events`` as ``to`` (:data:`PERFETTO` or :data:`CSV`) to ``path``, replacing it when done.

    Returns the number of trace events (Perfetto) or rows (CSV) written.  Whatever
    ``events`` raises (a :class:`core.recordings.trace.TraceError` for a bad line) propagates,
    and ``path`` is left as it was.
    """
    if to == PERFETTO:
        with replacing(path, "w", encoding="utf-8", errors="backslashreplace") as out:
            return write_perfetto(events, out, title)
    if to == CSV:
        with replacing(path, "w", encoding="utf-8", errors="backslashreplace", newline="") as out:
            return write_csv(events, out)
    raise ValueError(f"unknown export format {to!r} (choose from {', '.join(FORMATS)})")


def save_trace(header: dict[str, Any], events: Iterable[Event], path: str | os.PathLike[str]) -> int:
    """Write ``events`` as a JoinScope trace with ``header`` to ``path``, replacing it when done."""
    from core.recordings.trace import TraceWriter

    with replacing_path(path) as temporary, TraceWriter(temporary, header) as writer:
        batch: list[Event] = []
        for event in events:
            batch.append(event)
            if len(batch) >= _FOLD_CHUNK:
                writer.write(batch)
                batch = []
        writer.write(batch)
        return writer.events_written
