"""Trace files: a run's events as JSON Lines, written as they happen and read back safely.

A trace is one header line and then one event per line, in ``seq`` order (the
format is specified in ``docs/trace-format.md``).  The writer appends whole lines
straight to the final file and hands them to the operating system after every
batch, so a run that stalls, is stopped, or whose process is killed still leaves a
readable trace of everything it reported.

The reader treats the file as untrusted: it parses JSON and nothing else (no
pickle, no ``eval``), reads at most :data:`MAX_LINE_BYTES` at a time, refuses deep
nesting before the JSON parser sees it, checks every field, and reports any problem
as one :class:`TraceError` naming the file and line.  Only a last line cut off
mid-write is forgiven, with a warning, because that is what a killed writer leaves.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from core.events import (
    ACTOR_EXIT,
    COUNT_DELTAS,
    ERROR,
    GET,
    GET_EMPTY,
    GET_WAIT,
    JOIN_RETURN,
    KINDS,
    POOL_KINDS,
    PUT,
    PUT_FULL,
    PUT_WAIT,
    TASK_DONE,
    Event,
    event_to_json,
)
from core.scenarios import ScenarioConfig

FORMAT = "joinscope-trace"
VERSION = 1

#: The longest line a reader accepts; the writer's lines are a few hundred bytes.
MAX_LINE_BYTES = 1 << 20
#: The deepest JSON nesting a reader accepts; the format itself needs three levels.
MAX_JSON_DEPTH = 32
#: The largest ``t`` or ``waited`` a reader accepts (about 31 years): larger values are not a run's
#: seconds, and in microseconds they would overflow what viewers such as Perfetto hold.
MAX_SECONDS = 1e9
#: The largest depth or unfinished count a reader accepts (the plots keep counts as int32).
MAX_COUNT = 2**31 - 1
#: Kinds that are operations of a queue (or a pool): an event of these kinds must name its queue.
QUEUE_KINDS = frozenset({PUT, GET, TASK_DONE, GET_WAIT, PUT_WAIT, GET_EMPTY, PUT_FULL}) | POOL_KINDS
_KEY = (int, str, type(None))
_TEXT = (str,)
_FLAG = (bool,)
#: The shape of a pool event's ``item`` (see docs/trace-format.md): the types of its fields, in order.
#: A task's key is its job number or ``"job.index"`` (null for a map's callback named before its job).
POOL_ITEMS: dict[str, tuple[tuple[type, ...], ...]] = {
    "submit": (_KEY, _TEXT),
    "task_start": (_KEY,),
    "task_finish": (_KEY, _FLAG, (int, float, str, bool, type(None))),
    "deliver": (_KEY, _FLAG, (bool, type(None))),
    "cancel": (_KEY, _TEXT),
    "callback": (_KEY, _TEXT),
    "callback_return": (_KEY, _TEXT, _FLAG),
    "map_listed": ((int,), (int, float)),
}
#: How many unknown kind names a warning lists.
_UNKNOWN_KINDS_SHOWN = 5
#: How many distinct unknown kind names a reader counts (the rest are skipped uncounted).
_UNKNOWN_KINDS_KEPT = 1000
_SHOWN_VALUE_CHARS = 40


class TraceError(ValueError):
    """A file that is not a readable trace.  ``str()`` is one line: file, line number, problem."""

    def __init__(self, path: str, line: int, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(" ".join(f"{path} line {line}: {message}".splitlines()))


@dataclass
class Trace:
    """A whole trace in memory.  ``warnings`` say what was forgiven (a cut-off last line)
    or skipped (events of kinds this version does not know, which leave gaps in ``seq``)."""

    header: dict[str, Any]
    events: list[Event]
    warnings: list[str] = field(default_factory=list)


def trace_header(config: ScenarioConfig, **extra: Any) -> dict[str, Any]:
    """The header of a trace of a run of ``config``; ``extra`` adds keys (not ``format``/``version``)."""
    clash = {"format", "version"} & extra.keys()
    if clash:
        raise ValueError(f"a trace header's {', '.join(sorted(clash))} cannot be replaced")
    scenario = {key: list(value) if type(value) is tuple else value
                for key, value in dataclasses.asdict(config).items()}
    header = {"format": FORMAT, "version": VERSION, "scenario": scenario,
              "start_method": config.start_method, "backend": config.backend, "python": platform.python_version()}
    header.update(extra)
    return header


# -- writing -------------------------------------------------------------------------------
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
# The common events are formatted in one step; ``%d`` refuses None, ``%.6f`` is ``round(t, 6)``
# written out (both come from the same correctly rounded conversion).
_QUEUE_LINE = ('{"seq":%d,"t":%.6f,"kind":%s,"actor":%s,"pid":%d,"queue":%s,"op":%d,"item":%s,'
               '"depth":%d,"unfinished":%d}')
_BARE_LINE = ('{"seq":%d,"t":%.6f,"kind":%s,"actor":%s,"pid":%d,"queue":%s,"op":%d,"item":%s,'
              '"depth":null,"unfinished":null}')
_EXTRA_KINDS = frozenset({JOIN_RETURN, ERROR, ACTOR_EXIT})
_NAME_CACHE_LIMIT = 4096


class _NotPlain(Exception):
    """An event the fast encoder does not handle; the batch is encoded the careful way."""


class TraceWriter:
    """Appends events to a trace file as whole lines, flushed to the OS after every batch.

    Writes go to ``path`` itself (not a temporary file), so whatever has been written
    survives a stop, a stall or a killed process; a write that fails half-way is cut
    back to the last whole line.  Each batch must continue the ``seq`` numbering and
    must not move ``t`` backwards, so the writer never makes a file its reader refuses.
    Not thread-safe: one thread writes.
    """

    def __init__(self, path: str | os.PathLike[str], header: dict[str, Any]) -> None:
        if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("version") != VERSION:
            raise ValueError(f"a trace header needs format {FORMAT!r} and version {VERSION} (use trace_header)")
        first_line = (_ENCODE(header) + "\n").encode("utf-8", "backslashreplace")
        self.path = os.fspath(path)
        self._file: IO[bytes] = open(self.path, "wb", buffering=0)
        self._size = 0
        self._next_seq = 1
        self._last_t = 0.0
        self._names: dict[Any, str] = {None: "null"}
        try:
            self._write_bytes(first_line)
        except BaseException:
            self._file.close()
            raise

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._file.closed

    @property
    def events_written(self) -> int:
        return self._next_seq - 1

    def close(self) -> None:
        self._file.close()

    def write(self, events: Iterable[Event]) -> None:
        """Append ``events`` (the next ones in ``seq`` order) and hand them to the OS."""
        if self._file.closed:
            raise ValueError(f"the trace {self.path} is closed")
        batch = events if isinstance(events, (list, tuple)) else list(events)
        if not batch:
            return
        try:
            lines, last_t = self._encode_fast(batch)
        except (_NotPlain, TypeError, ValueError, OverflowError):
            lines, last_t = self._encode_careful(batch)
        lines.append("")
        self._write_bytes("\n".join(lines).encode("utf-8", "backslashreplace"))
        self._next_seq += len(batch)
        self._last_t = last_t

    def _encode_fast(self, batch: list[Event] | tuple[Event, ...]) -> tuple[list[str], float]:
        """The hot path (~3x ``json.dumps``): the common shapes straight into a template."""
        names = self._names
        if len(names) > _NAME_CACHE_LIMIT:
            names.clear()
            names[None] = "null"
        encode = _ENCODE
        seq_expected = self._next_seq
        last_t = self._last_t
        lines: list[str] = []
        append = lines.append
        for event in batch:
            seq, t, kind, actor, pid, queue, op, item, depth, unfinished = event[:10]
            if seq != seq_expected or not last_t <= t <= MAX_SECONDS:
                raise _NotPlain
            seq_expected += 1
            last_t = t
            if kind in _EXTRA_KINDS:  # rare: a join returned, an error, an exit
                append(encode(event_to_json(event)))
                continue
            item_type = type(item)
            if item is None:
                item_json = "null"
            elif item_type is tuple and len(item) == 2 and type(item[0]) is int and type(item[1]) is float:
                item_json = "[%d,%r]" % item
                if "n" in item_json:  # inf or nan, which JSON cannot hold
                    raise _NotPlain
            elif item_type is int:
                item_json = "%d" % item
            else:
                item_json = encode(item)
            kind_json = names.get(kind) or names.setdefault(kind, encode(kind))
            actor_json = names.get(actor) or names.setdefault(actor, encode(actor))
            queue_json = names.get(queue) or names.setdefault(queue, encode(queue))
            if depth is None and unfinished is None:
                if queue is None and kind in QUEUE_KINDS:
                    raise _NotPlain
                append(_BARE_LINE % (seq, t, kind_json, actor_json, pid, queue_json, op, item_json))
            else:
                if depth is None or unfinished is None or depth > MAX_COUNT or unfinished > MAX_COUNT:
                    raise _NotPlain
                append(_QUEUE_LINE % (seq, t, kind_json, actor_json, pid, queue_json, op, item_json,
                                      depth, unfinished))
        return lines, last_t

    def _encode_careful(self, batch: list[Event] | tuple[Event, ...]) -> tuple[list[str], float]:
        """Every event through :func:`event_to_json`, with the checks spelled out."""
        seq_expected = self._next_seq
        last_t = self._last_t
        lines = []
        for event in batch:
            if event.seq != seq_expected:
                raise ValueError(f"trace events must continue at seq {seq_expected}, not {event.seq!r}")
            if not isinstance(event.t, (int, float)) or not last_t <= event.t <= MAX_SECONDS:
                raise ValueError(f"event {event.seq}: t {event.t!r} is not a time at or after {last_t}")
            if event.queue is None and event.kind in QUEUE_KINDS:
                raise ValueError(f"event {event.seq}: a {event.kind} must name its queue")
            if any(type(count) is int and count > MAX_COUNT for count in (event.depth, event.unfinished)):
                raise ValueError(f"event {event.seq}: counts above {MAX_COUNT} do not fit a trace")
            seq_expected += 1
            last_t = event.t
            record = event_to_json(event)
            try:
                lines.append(_ENCODE(record))
            except (TypeError, ValueError, OverflowError):  # an item JSON cannot hold, e.g. a huge int
                record["item"] = f"<{type(event.item).__name__} that JSON cannot hold>"
                lines.append(_ENCODE(record))
        return lines, last_t

    def _write_bytes(self, data: bytes) -> None:
        """Write all of ``data``, or cut the file back to its last whole line and re-raise."""
        view = memoryview(data)
        try:
            while view:
                written = self._file.write(view)
                view = view[written or 0:]
        except BaseException:
            try:
                self._file.truncate(self._size)
                self._file.seek(self._size)
            except OSError:
                self._file.close()  # cannot undo a partial line: stop before anything lands after it
            raise
        self._size += len(data)


# -- reading -------------------------------------------------------------------------------
class _Bad(Exception):
    """A problem with one line; the reader adds the file and line number."""


def _refuse_constant(name: str) -> Any:
    raise _Bad(f"{name} is not a JSON number")


_DECODE = json.JSONDecoder(parse_constant=_refuse_constant).decode
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
_OPENERS = frozenset(b"[{")


def _too_deep(raw: bytes) -> bool:
    """Whether ``raw`` nests arrays or objects deeper than :data:`MAX_JSON_DEPTH`.

    The parser recurses once per level, so a line like ``[[[[…]]]]`` must be refused
    before it gets there.  Few brackets settles it at once; otherwise count outside strings.
    """
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return False
    depth = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub(b'""', raw)):
        if match.group()[0] in _OPENERS:
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        else:
            depth -= 1
    return False


def _parse(raw: bytes) -> Any:
    """The JSON value of one line (``_Bad`` if it is not JSON text)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _Bad(f"not UTF-8 text (byte 0x{raw[error.start]:02x} at column {error.start + 1})") from None
    if _too_deep(raw):
        raise _Bad(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return _DECODE(text)
    except json.JSONDecodeError as error:
        if not text.strip():
            raise _Bad("the line is empty") from None
        raise _Bad(f"not valid JSON ({error.msg} at column {error.colno})") from None
    except RecursionError:
        raise _Bad("JSON nested too deeply") from None
    except ValueError as error:  # e.g. an integer with more digits than Python converts
        raise _Bad(f"not usable JSON ({error})") from None


_JSON_TYPE_NAMES = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number",
                    bool: "a boolean", type(None): "null"}


def _json_type(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_VALUE_CHARS else text[:_SHOWN_VALUE_CHARS] + "…"


def _get(record: dict[str, Any], key: str) -> Any:
    try:
        return record[key]
    except KeyError:
        raise _Bad(f"the {key!r} key is missing") from None


def _whole(record: dict[str, Any], key: str, low: int = 0, high: int | None = None) -> int:
    value = _whole_or_none(record, key, low, high, nullable=False)
    assert value is not None
    return value


def _whole_or_none(record: dict[str, Any], key: str, low: int = 0, high: int | None = None,
                   nullable: bool = True) -> int | None:
    value = _get(record, key)
    if (value is None and nullable) or (type(value) is int and value >= low and (high is None or value <= high)):
        return value
    allowed = f"a whole number >= {low}" + (f" and <= {high}" if high is not None else "") + (
        " or null" if nullable else "")
    raise _Bad(f"{key} must be {allowed}, not {_show(value)}")


def _text(record: dict[str, Any], key: str, nullable: bool = False) -> str | None:
    value = _get(record, key)
    if type(value) is str or (value is None and nullable):
        return value
    raise _Bad(f"{key} must be a string{' or null' if nullable else ''}, not {_show(value)}")


def _seconds(record: dict[str, Any], key: str) -> float:
    value = _get(record, key)
    if type(value) in (int, float) and 0 <= value <= MAX_SECONDS:
        return float(value)
    raise _Bad(f"{key} must be a number of seconds >= 0 and <= {MAX_SECONDS:g}, not {_show(value)}")


def _seconds_or_none(record: dict[str, Any], key: str) -> float | None:
    value = _get(record, key)
    if value is None:
        return None
    if type(value) in (int, float) and 0 <= value <= MAX_SECONDS:
        return float(value)
    raise _Bad(f"{key} must be a number of seconds >= 0 and <= {MAX_SECONDS:g} or null, not {_show(value)}")


def _item(value: Any) -> Any:
    """An item as events hold it: arrays become tuples; objects and infinities are refused."""
    kind = type(value)
    if kind is list:
        return tuple(_item(part) for part in value)
    if kind is float and not math.isfinite(value):
        raise _Bad("item holds a number too large for a float")
    if kind is dict:
        raise _Bad("item must be null, a boolean, a number, a string or an array, not an object")
    return value


def _check_header(value: Any) -> dict[str, Any]:
    if type(value) is not dict or value.get("format") != FORMAT:
        shown = _show(value.get("format")) if type(value) is dict else _json_type(value)
        raise _Bad(f"not a JoinScope trace (the first line should be a {FORMAT!r} header, not {shown})")
    version = value.get("version")
    if version != VERSION or type(version) is not int:
        raise _Bad(f"trace format version {_show(version)} is not supported (this JoinScope reads {VERSION})")
    if type(value.get("scenario")) is not dict:
        raise _Bad(f"the header's scenario must be a JSON object, not {_show(value.get('scenario'))}")
    _text(value, "start_method")
    _text(value, "python")
    return value


class TraceReader:
    """Streams a trace: the header is checked on opening, each event as it is read.

    Memory stays bounded by one line (:data:`MAX_LINE_BYTES`) plus the events the
    caller keeps.  Events of unknown kinds are checked for ``seq`` and ``t``, then
    skipped.  ``warnings`` is complete once iteration ends.  Raises :class:`TraceError`
    for bad content and ``OSError`` when the file cannot be read at all.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.warnings: list[str] = []
        self._line = 0
        self._unknown: dict[str, int] = {}
        self._file = open(self.path, "rb")
        try:
            self.header = self._read_header()
        except BaseException:
            self._file.close()
            raise
        self._events = self._read_events()

    def __enter__(self) -> TraceReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    @property
    def line(self) -> int:
        """The number of the last line read (1 is the header)."""
        return self._line

    def _error(self, message: str) -> TraceError:
        return TraceError(self.path, self._line, message)

    def _next_line(self) -> bytes:
        """The next line (with its newline, if it has one); ``b""`` at the end of the file."""
        raw = self._file.readline(MAX_LINE_BYTES + 1)
        if raw:
            self._line += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                raise self._error(f"line is longer than {MAX_LINE_BYTES} bytes")
        return raw

    def _read_header(self) -> dict[str, Any]:
        try:
            raw = self._next_line()
        except TraceError as error:
            raise self._error(f"not a JoinScope trace ({error.message})") from None
        if not raw:
            self._line = 1
            raise self._error("the file is empty, not a JoinScope trace")
        if raw[:1] == b"\x80" and raw[1:2] and 2 <= raw[1] <= 5:
            raise self._error("not a JoinScope trace (this looks like a Python pickle, which is never loaded)")
        try:
            value = _parse(raw)
        except _Bad as problem:
            raise self._error(f"not a JoinScope trace: {problem}") from None
        try:
            return _check_header(value)
        except _Bad as problem:
            raise self._error(str(problem)) from None

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        return next(self._events)

    def _read_events(self) -> Iterator[Event]:
        expected_seq = 1
        last_t = 0.0
        while True:
            raw = self._next_line()
            if not raw:
                break
            try:
                record = _parse(raw)
            except _Bad as problem:
                if raw.endswith(b"\n"):
                    raise self._error(str(problem)) from None
                self.warnings.append(f"{self.path} line {self._line} is cut off (the writer was probably "
                                     f"killed mid-line) and was ignored; {expected_seq - 1} events read")
                break
            try:
                event = self._event(record, expected_seq, last_t)
            except _Bad as problem:
                raise self._error(str(problem)) from None
            expected_seq += 1
            last_t = _seconds(record, "t")
            if event is not None:
                yield event
        if self._unknown:
            kinds = ", ".join(_show(kind) for kind in sorted(self._unknown)[:_UNKNOWN_KINDS_SHOWN])
            more = ", …" if len(self._unknown) > _UNKNOWN_KINDS_SHOWN else ""
            self.warnings.append(f"{self.path}: skipped {sum(self._unknown.values())} events of kinds this "
                                 f"version does not know ({kinds}{more})")

    def _event(self, record: Any, expected_seq: int, last_t: float) -> Event | None:
        """The :class:`Event` of one line, ``None`` for an unknown kind (``_Bad`` if invalid)."""
        if type(record) is not dict:
            raise _Bad(f"an event must be a JSON object, not {_json_type(record)}")
        seq = _whole(record, "seq", 1)
        if seq != expected_seq:
            last = expected_seq - 1
            if last == 0:
                raise _Bad(f"the first event has seq {seq}, not 1")
            if seq == last:
                raise _Bad(f"seq {seq} appears twice")
            raise _Bad(f"seq {'jumps' if seq > last else 'goes back'} from {last} to {seq}")
        t = _seconds(record, "t")
        if t < last_t:
            raise _Bad(f"t goes back from {last_t} to {t}")
        kind = _text(record, "kind")
        if kind not in KINDS:
            name = kind[:_SHOWN_VALUE_CHARS]  # type: ignore[index]
            if len(self._unknown) < _UNKNOWN_KINDS_KEPT or name in self._unknown:
                self._unknown[name] = self._unknown.get(name, 0) + 1
            return None
        actor = _text(record, "actor")
        pid = _whole(record, "pid")
        queue = _text(record, "queue", nullable=True)
        if queue is None:
            if kind in QUEUE_KINDS:
                raise _Bad(f"a {kind} event must name its queue")
            op = _whole(record, "op")
            if op != 0 or _get(record, "depth") is not None or _get(record, "unfinished") is not None:
                raise _Bad("an event with no queue must have op 0, depth null and unfinished null")
            depth = unfinished = None
        else:
            op = _whole(record, "op", 1)
            depth = _whole(record, "depth", high=MAX_COUNT)
            unfinished = _whole(record, "unfinished", high=MAX_COUNT)
        item = _item(_get(record, "item"))
        if kind in POOL_ITEMS:
            item = _pool_item(kind, item)
        released_by = waited = error = exitcode = None
        if kind == JOIN_RETURN:
            released_by = _whole_or_none(record, "released_by", 1)
            if released_by is not None and released_by >= seq:
                raise _Bad(f"released_by must name an earlier event, not seq {released_by}")
            waited = _seconds_or_none(record, "waited")
        elif kind == ERROR:
            error = _text(record, "error", nullable=True)
        elif kind == ACTOR_EXIT:
            exitcode = _get(record, "exitcode")
            if exitcode is not None and type(exitcode) is not int:
                raise _Bad(f"exitcode must be a whole number or null, not {_show(exitcode)}")
        return Event(seq, t, kind, actor, pid, queue, op, item, depth, unfinished,  # type: ignore[arg-type]
                     released_by, waited, error, exitcode)


def _pool_item(kind: str, item: Any) -> Any:
    """A pool event's ``item``, checked against :data:`POOL_ITEMS` (a task_start's is its key alone)."""
    shape = POOL_ITEMS[kind]
    fields = (item,) if len(shape) == 1 else item
    if type(fields) is not tuple or len(fields) != len(shape) or any(
            type(value) not in types for value, types in zip(fields, shape)):
        raise _Bad(f"a {kind} event's item must be {_shape_text(shape)}, not {_show(item)}")
    if kind == "map_listed" and (item[0] < 0 or not 0 <= item[1] <= MAX_SECONDS):
        raise _Bad(f"a map_listed event's item must count items and seconds, not {_show(item)}")
    return item


def _shape_text(shape: tuple[tuple[type, ...], ...]) -> str:
    names = [" or ".join("null" if t is type(None) else t.__name__ for t in types) for types in shape]
    return names[0] if len(names) == 1 else "[" + ", ".join(names) + "]"


def read_trace(path: str | os.PathLike[str]) -> Trace:
    """The whole trace at ``path`` (raises :class:`TraceError`, or ``OSError`` if unreadable)."""
    with TraceReader(path) as reader:
        events = list(reader)
        return Trace(reader.header, events, reader.warnings)


# -- checking ------------------------------------------------------------------------------
def check_counts(events: Iterable[Event], *, allow_gaps: bool = False) -> str | None:
    """Replay every queue's depth and unfinished count; describe the first mismatch, or ``None``.

    Each queue starts at 0/0 and each operation must be numbered one after the last
    (``op``) and change the counts by :data:`core.events.COUNT_DELTAS` exactly.  With
    ``allow_gaps`` a missing operation (lost when a process died) is not a mismatch:
    the replay resumes from the counts the next event reports.
    """
    state: dict[str, tuple[int, int, int]] = {}
    for event in events:
        queue = event.queue
        if queue is None:
            continue
        op, depth, unfinished = state.get(queue, (0, 0, 0))
        if event.op != op + 1 and not (allow_gaps and event.op > op):
            return (f"seq {event.seq}: {event.kind} is operation {event.op} of {queue!r}, "
                    f"but the last one seen was {op}")
        if event.op == op + 1:
            d_depth, d_unfinished = COUNT_DELTAS.get(event.kind, (0, 0))
            expected = (depth + d_depth, unfinished + d_unfinished)
            if (event.depth, event.unfinished) != expected:
                return (f"seq {event.seq}: {event.kind} on {queue!r} (op {event.op}) reports depth {event.depth}, "
                        f"unfinished {event.unfinished}; replaying gives depth {expected[0]}, "
                        f"unfinished {expected[1]}")
        state[queue] = (event.op, event.depth, event.unfinished)  # type: ignore[assignment]
    return None
