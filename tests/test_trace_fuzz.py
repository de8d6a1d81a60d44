"""Generated trace files, malformed in every way hypothesis can think of.

Two properties: the reader either returns events or raises :class:`TraceError`
(never another exception) and does so quickly; and whatever it accepts can be
replayed (forward, back, narrated, drawn) and exported without an exception.
"""
from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.events import KINDS
from core.recordings.export import write_csv, write_perfetto
from core.recordings.replay import Recording, ReplayCursor, config_of, find_stall
from core.recordings.trace import MAX_LINE_BYTES, QUEUE_KINDS, TraceError, read_trace

#: Far more than reading any generated file takes (a few ms; a refused 1 MiB line, tens of ms).
READ_BOUND_S = 5.0
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

HEADER = {"format": "joinscope-trace", "version": 1, "scenario": {"name": "seed", "maxsize": 3},
          "start_method": "spawn", "python": "3.11.7"}
_scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
            | st.text(max_size=12))
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)
_actors = st.sampled_from(["main", "producer-0", "producer-1", "consumer-0", "consumer-12", "joinscope", "",
                           "producer-²", "consumer-" + "9" * 30, "ünï ✓", "x" * 300])
_counts = st.integers(0, 6) | st.sampled_from([2**31 - 1, 2**31, -1])
_valid_counts = st.integers(0, 6) | st.just(2**31 - 1)
_valid_items = st.recursive(_scalars.filter(lambda v: v is None or type(v) is not float or abs(v) < 1e308),
                            lambda inner: st.lists(inner, max_size=4), max_leaves=8)


#: The ways one event can go wrong; each test file damages events one way at a time.
DAMAGES = ("queue", "item", "counts", "join", "field", "seq", "t", "raw")


#: Kinds as a run has them: mostly puts, gets and task_dones, now and then one unknown to the reader.
_KIND_MIX = ["put", "get", "task_done"] * 4 + sorted(KINDS) + ["mystery"]


@st.composite
def _event(draw: st.DrawFn, seq: int, t: float, damage: str | None) -> dict:
    """An event line's object: valid unless ``damage`` names what may be wrong with it."""
    kind = draw(st.sampled_from(_KIND_MIX))
    queues = ["tasks", "tasks", "other"] if kind in QUEUE_KINDS else [None, None, "tasks"]
    queue = None if damage == "queue" else draw(st.sampled_from(queues))
    counts = _counts if damage == "counts" else _valid_counts
    record = {"seq": seq, "t": t, "kind": kind, "actor": draw(_actors), "pid": draw(st.integers(0, 99_999)),
              "queue": queue, "op": 0 if queue is None else draw(st.integers(1, 50)),
              "item": draw(_json if damage == "item" else _valid_items),
              "depth": None if queue is None else draw(counts),
              "unfinished": None if queue is None else draw(counts)}
    if kind == "join_return":
        record["released_by"] = draw(st.none() | st.integers(1, seq + 1 if damage == "join" else max(seq - 1, 1)))
        record["waited"] = draw(st.none() | st.floats(0, 1e3) | st.just(2e9 if damage == "join" else 1e9))
    elif kind == "error":
        record["error"] = draw(st.none() | st.text(max_size=30))
    elif kind == "actor_exit":
        record["exitcode"] = draw(st.none() | st.integers(-15, 255) | st.just(2**80))
    if damage == "field":
        key = draw(st.sampled_from(sorted(record) + ["extra"]))
        if draw(st.booleans()):
            record[key] = draw(_json)
        else:
            record.pop(key, None)
    return record


_RAW_LINES = st.one_of(
    st.binary(max_size=60),
    st.just(b""),
    st.integers(1, 3).map(lambda n: b"[" * (10 ** n) + b"]" * (10 ** n)),
    st.sampled_from([MAX_LINE_BYTES - 20, MAX_LINE_BYTES + 5]).map(lambda n: b'{"seq": 1, "x": "' + b"y" * n + b'"}'),
    st.sampled_from([b"\xff\xfe\x00", b"\x80\x04\x95", b"NaN", b"1e999", b'{"seq": 1e400}', b"\xed\xa0\x80"]),
)


@st.composite
def trace_files(draw: st.DrawFn) -> bytes:
    header = dict(HEADER)
    if draw(st.integers(0, 9)) == 0:
        header[draw(st.sampled_from(sorted(header)))] = draw(_json)
    lines = [json.dumps(header).encode()]
    # A third of the files are valid (but for a cut-off end); a third have one event damaged one way,
    # which explores the border of what the reader accepts; a third have any damage anywhere.
    count = draw(st.integers(0, 25))
    mode = draw(st.sampled_from(["none", "one", "many"]))
    suspect = draw(st.integers(1, max(count, 1)))
    t = 0.0
    for seq in range(1, count + 1):
        damage = None
        if (mode == "one" and seq == suspect) or (mode == "many" and draw(st.integers(0, 3)) == 0):
            damage = draw(st.sampled_from(DAMAGES))
        t += draw(st.sampled_from([0.0, 0.001, 0.25, 3.0, 12.0]))  # 12 s: longer than a stall
        if damage == "raw":
            lines.append(draw(_RAW_LINES))
            continue
        number = seq + (draw(st.sampled_from([-1, 1, 2])) if damage == "seq" else 0)
        when = draw(st.sampled_from([-t - 1, 1e10, t / 2])) if damage == "t" else t
        lines.append(json.dumps(draw(_event(number, when, damage)), ensure_ascii=draw(st.booleans())).encode())
    content = b"\n".join(lines) + b"\n"
    if draw(st.integers(0, 4)) == 0:  # a writer killed mid-line
        content = content[:draw(st.integers(0, len(content)))]
    return content


def read_or_refuse(path: Path, content: bytes):
    """The trace in ``content``, or ``None`` if refused with a proper TraceError (anything else fails)."""
    path.write_bytes(content)
    started = time.monotonic()
    try:
        trace = read_trace(path)
    except TraceError as error:
        assert "\n" not in str(error) and str(error).startswith(f"{path} line {error.line}: ")
        trace = None
    assert time.monotonic() - started < READ_BOUND_S
    return trace


@FUZZ
@given(content=trace_files())
def test_a_generated_file_gives_events_or_a_trace_error_quickly(tmp_path: Path, content: bytes) -> None:
    trace = read_or_refuse(tmp_path / "fuzz.jsonl", content)
    if trace is not None:
        seqs = [e.seq for e in trace.events]
        assert seqs == sorted(set(seqs)) and all(a.t <= b.t for a, b in zip(trace.events, trace.events[1:]))


@pytest.fixture
def views(qapp):
    """The window's plots and event log, made once for all the examples of a test."""
    from app.panels.event_log import EventLogModel
    from app.plots.run_plots import RunPlots

    plots, log = RunPlots(), EventLogModel()
    yield plots, log
    plots.deleteLater()
    log.deleteLater()


@FUZZ
@given(content=trace_files())
def test_whatever_the_reader_accepts_replays_and_exports(tmp_path: Path, views, content: bytes) -> None:
    trace = read_or_refuse(tmp_path / "fuzz.jsonl", content)
    if trace is None:
        return
    plots, log = views
    recording = Recording("fuzz.jsonl", trace.header, trace.events, config_of(trace.header), trace.warnings)
    stall = find_stall(recording)
    assert stall is None or (0 <= stall.position < len(trace.events) and isinstance(stall.diagnosis, str))
    cursor = ReplayCursor(recording)
    plots.clear_run()
    for position in (len(trace.events), len(trace.events) // 2, len(trace.events)):
        cursor.seek(position)
        plots.redraw(cursor.timeline, cursor.model)
    for index in range(len(trace.events)):
        line = cursor.narration(index)
        assert line is None or isinstance(line, str)
    log.clear()
    log.append(trace.events)
    for row in range(log.rowCount()):
        for column in range(log.columnCount()):
            log.data(log.index(row, column))
    perfetto = io.StringIO()
    write_perfetto(trace.events, perfetto)
    assert isinstance(json.loads(perfetto.getvalue())["traceEvents"], list)
    rows = io.StringIO()
    assert write_csv(trace.events, rows) == len(trace.events)


@pytest.mark.parametrize("content", [
    json.dumps(HEADER).encode() + b"\n" + b"[" * 5_000_000,            # nesting beyond any parser, no newline
    json.dumps(HEADER).encode() + b"\n" + b'"' + b"\\\\" * 600_000,     # an endless string of escapes
    b'{"format": "joinscope-trace", "version": 1, "scenario": {' * 20_000,  # a header that never closes
])
def test_hostile_shapes_are_refused_quickly(tmp_path: Path, content: bytes) -> None:
    assert read_or_refuse(tmp_path / "hostile.jsonl", content) is None
