"""Trace files: what is written reads back equal, and every kind of bad file is refused cleanly."""
from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.events import (
    ACTOR_EXIT,
    ACTOR_START,
    ERROR,
    GET,
    GET_WAIT,
    JOIN_ENTER,
    JOIN_RETURN,
    PUT,
    PUT_WAIT,
    TASK_DONE,
    Event,
    event_to_json,
    jsonable_item,
)
from core.recordings.background import BackgroundTraceWriter
from core.recordings.trace import (
    FORMAT,
    MAX_LINE_BYTES,
    QUEUE_KINDS,
    VERSION,
    Trace,
    TraceError,
    TraceReader,
    TraceWriter,
    check_counts,
    read_trace,
    trace_header,
)
from core.scenarios import scenario

REPO = Path(__file__).resolve().parent.parent
CONFIG = scenario("seed")
HYPOTHESIS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def ev(seq: int, t: float, kind: str, actor: str = "main", queue: str | None = None, op: int = 0,
       item: object = None, depth: int | None = None, unfinished: int | None = None, **extra: object) -> Event:
    pid = 100 + len(actor)
    return Event(seq, t, kind, actor, pid, queue, op, item, depth, unfinished, **extra)  # type: ignore[arg-type]


#: One event of every kind and shape the session makes, in a run whose counts replay exactly.
SAMPLE = [
    ev(1, 0.0, ACTOR_START, item="main"),
    ev(2, 0.0012345678, JOIN_ENTER, item="producer-0"),
    ev(3, 0.1, ACTOR_START, "consumer-0", item="consumer"),
    ev(4, 0.1, GET_WAIT, "consumer-0", "tasks", 1, None, 0, 0),
    ev(5, 0.2, PUT, "producer-0", "tasks", 2, (0, 0.07660291035997191), 1, 1),
    ev(6, 0.2, PUT_WAIT, "producer-0", "tasks", 3, (1, 0.5), 1, 1),
    ev(7, 0.25, PUT, "producer-0", "tasks", 4, "naïve “text” ✓ \ud800 with a lone surrogate", 2, 2),
    ev(8, 0.25, PUT, "producer-0", "tasks", 5, (1, "two", None, True, 2.5e-300), 3, 3),
    ev(9, 0.3, PUT, "producer-0", "tasks", 6, jsonable_item(object()), 4, 4),
    ev(10, 0.3, PUT, "producer-0", "tasks", 7, None, 5, 5),
    ev(11, 0.31, ACTOR_EXIT, "producer-0", item="producer", exitcode=0),
    ev(12, 0.31, JOIN_RETURN, item="producer-0", waited=0.3087654321),
    ev(13, 0.32, JOIN_ENTER, "main", "tasks", 8, None, 5, 5),
    *[e for i in range(5) for e in (
        ev(14 + 2 * i, 0.4 + i / 10, GET, "consumer-0", "tasks", 9 + 2 * i, i, 4 - i, 5 - i),
        ev(15 + 2 * i, 0.45 + i / 10, TASK_DONE, "consumer-0", "tasks", 10 + 2 * i, None, 4 - i, 4 - i))],
    ev(24, 0.9, JOIN_RETURN, "main", "tasks", 19, None, 0, 0, released_by=23, waited=0.58),
    ev(25, 0.9, ERROR, "consumer-0", "tasks", 20, None, 0, 0, error="ValueError: task_done() called too many times"),
    ev(26, 0.95, ERROR, "consumer-0", error="RuntimeError: boom (at plan.py:74 in crash)"),
    Event(27, 0.95, ERROR, "joinscope", 0, None, 0, "tasks", None, None,
          error="2 operation(s) of tasks were never reported"),
    ev(28, 1.0, ACTOR_EXIT, "consumer-0", item="consumer", exitcode=-9),
    ev(29, 1.5, ACTOR_EXIT, "main", item="main", exitcode=None),
]


def as_read(event: Event) -> Event:
    """``event`` as a trace gives it back: times to the microsecond."""
    return event._replace(t=round(event.t, 6), waited=None if event.waited is None else round(event.waited, 6))


def write_trace(path: Path, events: list[Event], header: dict | None = None) -> Path:
    with TraceWriter(path, header or trace_header(CONFIG)) as writer:
        writer.write(events)
    return path


def lines_of(events: list[Event], header: dict | None = None) -> list[str]:
    """A valid trace as text lines, for tests that then spoil it."""
    rows = [header or trace_header(CONFIG)] + [event_to_json(e) for e in events]
    return [json.dumps(row) for row in rows]


def put_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def refused(path: Path, line: int, *fragments: str) -> TraceError:
    with pytest.raises(TraceError) as caught:
        read_trace(path)
    error = caught.value
    assert isinstance(error, ValueError)
    text = str(error)
    assert "\n" not in text
    assert text.startswith(f"{path} line {line}: "), text
    assert (error.path, error.line) == (str(path), line)
    for fragment in fragments:
        assert fragment in error.message, text
    return error


# -- round trips ---------------------------------------------------------------------------
def test_sample_round_trips(tmp_path: Path) -> None:
    path = write_trace(tmp_path / "t.jsonl", SAMPLE)
    trace = read_trace(path)
    assert trace.events == [as_read(e) for e in SAMPLE]
    assert trace.warnings == []
    assert trace.header == trace_header(CONFIG)
    assert check_counts(trace.events) is None


def test_each_line_is_event_to_json(tmp_path: Path) -> None:
    """The fast encoder writes exactly what ``event_to_json`` says, one event per line."""
    path = write_trace(tmp_path / "t.jsonl", SAMPLE)
    data = path.read_bytes()
    assert data.endswith(b"\n")
    rows = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    assert rows[0] == json.loads(json.dumps(trace_header(CONFIG)))
    assert rows[1:] == [json.loads(json.dumps(event_to_json(e))) for e in SAMPLE]


def test_batches_continue_and_prefix_is_readable_while_open(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    with TraceWriter(path, trace_header(CONFIG)) as writer:
        assert read_trace(path).events == []
        writer.write(SAMPLE[:5])
        writer.write(iter(SAMPLE[5:9]))
        writer.write([])
        assert read_trace(path).events == [as_read(e) for e in SAMPLE[:9]]
        writer.write(tuple(SAMPLE[9:]))
        assert writer.events_written == len(SAMPLE)
    assert writer.closed
    assert read_trace(path).events == [as_read(e) for e in SAMPLE]


def test_header_only_trace_is_valid(tmp_path: Path) -> None:
    path = write_trace(tmp_path / "t.jsonl", [])
    assert read_trace(path) == Trace(trace_header(CONFIG), [], [])


def test_header_records_scenario_and_extras() -> None:
    header = trace_header(scenario("race"), joinscope="0.1.0")
    assert header["format"] == FORMAT and header["version"] == VERSION
    assert header["scenario"]["name"] == "race" and header["scenario"]["join_order"] == "queue-first"
    assert header["start_method"] == "spawn" and header["python"].count(".") == 2
    assert header["joinscope"] == "0.1.0"
    with pytest.raises(ValueError):
        trace_header(CONFIG, version=2)


def test_real_run_round_trips(tmp_path: Path) -> None:
    from core.sessions.processes import ProcessSession

    config = scenario("seed", speed=50)
    events: list[Event] = []
    path = tmp_path / "seed.jsonl"
    with TraceWriter(path, trace_header(config)) as writer, ProcessSession(config) as session:
        session.start()
        while not session.finished:
            batch = session.poll(0.05)
            writer.write(batch)
            events += batch
    assert {e.kind for e in events} >= {PUT, GET, TASK_DONE, JOIN_ENTER, JOIN_RETURN, ACTOR_START, ACTOR_EXIT}
    trace = read_trace(path)
    assert trace.events == [as_read(e) for e in events]
    assert trace.header["scenario"]["speed"] == 50
    assert check_counts(trace.events) is None


def test_killed_writer_leaves_a_valid_trace(tmp_path: Path) -> None:
    """A recorder killed mid-run leaves whole lines: the trace reads with no error."""
    path = tmp_path / "killed.jsonl"
    code = textwrap.dedent(f"""
        import sys
        from core.events import Event, PUT
        from core.scenarios import scenario
        from core.recordings.trace import TraceWriter, trace_header
        writer = TraceWriter({str(path)!r}, trace_header(scenario("seed")))
        seq = 0
        while True:
            batch = []
            for _ in range(500):
                seq += 1
                batch.append(Event(seq, seq / 1e6, PUT, "producer-0", 1, "tasks", seq, (seq, 0.5), seq, seq))
            writer.write(batch)
            if seq == 5000:
                print("ready", flush=True)
    """)
    child = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
    finally:
        child.kill()
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()
    trace = read_trace(path)
    assert len(trace.events) >= 5000
    assert [e.seq for e in trace.events] == list(range(1, len(trace.events) + 1))


# -- the writer's own checks ---------------------------------------------------------------
@pytest.mark.parametrize("batch, problem", [
    ([SAMPLE[0], SAMPLE[2]], "seq 2"),
    ([SAMPLE[1]], "seq 1"),
    ([SAMPLE[0], SAMPLE[1]._replace(t=-1.0)], "t -1.0"),
    ([SAMPLE[0]._replace(t=float("nan"))], "t nan"),
    ([SAMPLE[0]._replace(t=2e9)], "t 2000000000.0"),
    ([SAMPLE[0]._replace(kind=PUT)], "a put must name its queue"),
    ([SAMPLE[0], SAMPLE[1], SAMPLE[2], SAMPLE[3]._replace(depth=2**31)], "counts above 2147483647"),
])
def test_writer_refuses_events_its_reader_would_refuse(tmp_path: Path, batch: list[Event], problem: str) -> None:
    path = tmp_path / "t.jsonl"
    with TraceWriter(path, trace_header(CONFIG)) as writer:
        with pytest.raises(ValueError, match=problem):
            writer.write(batch)
        writer.write(SAMPLE[:3])  # the refused batch left nothing behind
    assert read_trace(path).events == [as_read(e) for e in SAMPLE[:3]]


def test_writer_copes_with_items_json_cannot_hold(tmp_path: Path) -> None:
    events = [ev(1, 0.0, PUT, "p", "q", 1, 10 ** 5000, 1, 1), ev(2, 0.1, PUT, "p", "q", 2, (1, float("inf")), 2, 2),
              ev(3, 0.2, PUT, "p", "q", 3, (1, object()), 3, 3)]
    trace = read_trace(write_trace(tmp_path / "t.jsonl", events))
    assert [type(e.item) for e in trace.events] == [str, str, str]
    assert check_counts(trace.events) is None


def test_writer_refuses_foreign_header_and_closed_writes(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        TraceWriter(tmp_path / "a.jsonl", {"format": "other", "version": 1})
    assert not (tmp_path / "a.jsonl").exists()
    writer = TraceWriter(tmp_path / "b.jsonl", trace_header(CONFIG))
    writer.close()
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.write(SAMPLE[:1])


def test_failed_write_is_cut_back_to_whole_lines(tmp_path: Path) -> None:
    """A write that dies half-way (disk full, a signal) must not leave half a line behind."""
    path = tmp_path / "t.jsonl"

    class HalfThenFail:
        def __init__(self, real: object) -> None:
            self.real = real

        def write(self, data: memoryview) -> int:
            self.real.write(data[: len(data) // 2])  # type: ignore[attr-defined]
            raise OSError(28, "No space left on device")

        def __getattr__(self, name: str) -> object:
            return getattr(self.real, name)

    with TraceWriter(path, trace_header(CONFIG)) as writer:
        writer.write(SAMPLE[:4])
        real = writer._file
        writer._file = HalfThenFail(real)  # type: ignore[assignment]
        with pytest.raises(OSError):
            writer.write(SAMPLE[4:])
        writer._file = real
        trace = read_trace(path)
        assert (trace.events, trace.warnings) == ([as_read(e) for e in SAMPLE[:4]], [])
        writer.write(SAMPLE[4:])
    assert read_trace(path).events == [as_read(e) for e in SAMPLE]


# -- check_counts --------------------------------------------------------------------------
def test_check_counts_catches_a_wrong_count() -> None:
    assert check_counts(SAMPLE) is None
    spoiled = list(SAMPLE)
    spoiled[15] = spoiled[15]._replace(depth=spoiled[15].depth + 1)  # a get reporting one item too many
    problem = check_counts(spoiled)
    assert problem is not None and "seq 16" in problem and "depth" in problem
    spoiled = list(SAMPLE)
    spoiled[4] = spoiled[4]._replace(unfinished=0)
    assert "seq 5" in (check_counts(spoiled) or "")


def test_check_counts_catches_a_missing_operation_unless_gaps_are_allowed() -> None:
    gap = [e for e in SAMPLE if e.seq != 16]  # a task_done lost: op 11 never seen
    problem = check_counts(gap)
    assert problem is not None and "seq 17" in problem and "operation 12" in problem and "was 10" in problem
    assert check_counts(gap, allow_gaps=True) is None
    repeated = SAMPLE[:6] + [SAMPLE[5]._replace(seq=7)]
    assert check_counts(repeated, allow_gaps=True) is not None


def test_check_counts_keeps_queues_apart() -> None:
    events = [ev(1, 0, PUT, "p", "a", 1, 1, 1, 1), ev(2, 0, PUT, "p", "b", 1, 1, 1, 1),
              ev(3, 0, GET, "c", "a", 2, 1, 0, 1), ev(4, 0, TASK_DONE, "c", "b", 2, None, 1, 0)]
    assert check_counts(events) is None
    assert check_counts(events[:3] + [events[3]._replace(unfinished=1)]) is not None


# -- bad files -----------------------------------------------------------------------------
def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    refused(path, 1, "empty")


def test_pickle(tmp_path: Path) -> None:
    path = tmp_path / "trace.pkl"
    path.write_bytes(pickle.dumps({"format": FORMAT, "version": VERSION, "events": SAMPLE}))
    refused(path, 1, "pickle")


def test_pickle_protocol_0_is_not_a_trace(tmp_path: Path) -> None:
    path = tmp_path / "trace.pkl"
    path.write_bytes(pickle.dumps([1, 2, 3], protocol=0))
    refused(path, 1, "not a JoinScope trace")


@pytest.mark.parametrize("first_line, fragment", [
    ('{"format": "something-else", "version": 1}', "not a JoinScope trace"),
    ('["joinscope-trace", 1]', "not a JoinScope trace"),
    ("hello world", "not valid JSON"),
    ("", "empty"),
])
def test_not_a_trace(tmp_path: Path, first_line: str, fragment: str) -> None:
    refused(put_lines(tmp_path / "t.jsonl", [first_line]), 1, fragment)


@pytest.mark.parametrize("version", [2, 0, "1", 1.0, None, True])
def test_wrong_version(tmp_path: Path, version: object) -> None:
    header = dict(trace_header(CONFIG), version=version)
    refused(put_lines(tmp_path / "t.jsonl", lines_of(SAMPLE[:2], header)), 1, "version")


def test_header_with_wrong_types(tmp_path: Path) -> None:
    header = dict(trace_header(CONFIG), scenario=["seed"])
    refused(put_lines(tmp_path / "t.jsonl", lines_of([], header)), 1, "scenario")
    header = dict(trace_header(CONFIG), python=3.11)
    refused(put_lines(tmp_path / "t.jsonl", lines_of([], header)), 1, "python")


def test_seq_gap_names_file_line_and_jump(tmp_path: Path) -> None:
    lines = lines_of(SAMPLE[:8])
    del lines[6]  # event 6 lives on line 7
    path = put_lines(tmp_path / "trace.jsonl", lines)
    error = refused(path, 7, "seq jumps from 5 to 7")
    assert str(error) == f"{path} line 7: seq jumps from 5 to 7"


def test_seq_must_start_at_one_and_never_repeat(tmp_path: Path) -> None:
    refused(put_lines(tmp_path / "a.jsonl", lines_of(SAMPLE[1:4])), 2, "first event has seq 2")
    lines = lines_of(SAMPLE[:4])
    refused(put_lines(tmp_path / "b.jsonl", lines[:4] + [lines[3]]), 5, "seq 3 appears twice")
    refused(put_lines(tmp_path / "c.jsonl", lines[:4] + [lines[2]]), 5, "seq goes back from 3 to 2")


def test_t_must_not_decrease(tmp_path: Path) -> None:
    events = SAMPLE[:5]
    events[3] = events[3]._replace(t=0.05)
    refused(put_lines(tmp_path / "t.jsonl", lines_of(events)), 5, "t goes back from 0.1 to 0.05")


@pytest.mark.parametrize("seq, key, value, fragment", [
    (1, "seq", "1", "seq must be a whole number"),
    (1, "seq", 1.0, "seq must be a whole number"),
    (2, "t", "0.1", "t must be a number"),
    (2, "t", -0.5, "t must be a number of seconds >= 0"),
    (3, "kind", 7, "kind must be a string"),
    (3, "actor", None, "actor must be a string"),
    (4, "pid", True, "pid must be a whole number"),
    (5, "queue", 1, "queue must be a string or null"),
    (5, "op", 0, "op must be a whole number >= 1"),
    (5, "depth", None, "depth must be a whole number"),
    (5, "unfinished", -1, "unfinished must be a whole number >= 0"),
    (5, "item", {"a": 1}, "not an object"),
    (1, "op", 3, "no queue must have op 0"),
    (1, "depth", 0, "no queue must have op 0, depth null"),
    (12, "waited", "long", "waited must be a number"),
    (24, "released_by", 24, "earlier event"),
    (24, "released_by", "23", "released_by must be a whole number"),
    (26, "error", ["x"], "error must be a string"),
    (28, "exitcode", 1.5, "exitcode must be a whole number"),
])
def test_wrong_field_types(tmp_path: Path, seq: int, key: str, value: object, fragment: str) -> None:
    rows = [event_to_json(e) for e in SAMPLE]
    rows[seq - 1][key] = value
    path = put_lines(tmp_path / "t.jsonl", [json.dumps(trace_header(CONFIG))] + [json.dumps(r) for r in rows])
    refused(path, seq + 1, fragment)


@pytest.mark.parametrize("key", ["seq", "t", "kind", "actor", "pid", "queue", "op", "item", "depth", "unfinished"])
def test_missing_key(tmp_path: Path, key: str) -> None:
    rows = [event_to_json(e) for e in SAMPLE[:6]]
    del rows[4][key]
    path = put_lines(tmp_path / "t.jsonl", [json.dumps(trace_header(CONFIG))] + [json.dumps(r) for r in rows])
    refused(path, 6, repr(key), "missing")


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers(tmp_path: Path, text: str) -> None:
    lines = lines_of(SAMPLE[:3])
    lines[2] = lines[2].replace('"t": 0.001235', f'"t": {text}')
    assert text in lines[2]
    refused(put_lines(tmp_path / "t.jsonl", lines), 3)


def test_event_line_that_is_not_an_object(tmp_path: Path) -> None:
    refused(put_lines(tmp_path / "t.jsonl", lines_of(SAMPLE[:2]) + ["[3, 0.1]"]), 4, "JSON object, not an array")
    refused(put_lines(tmp_path / "u.jsonl", lines_of(SAMPLE[:2]) + ["", lines_of(SAMPLE[:3])[3]]), 4, "empty")


def test_invalid_utf8(tmp_path: Path) -> None:
    lines = [line.encode() for line in lines_of(SAMPLE[:4])]
    lines[3] = lines[3].replace(b"consumer", b"consu\xff\xfemer")
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    refused(path, 4, "not UTF-8", "0xff")
    path.write_bytes(b"\xff\xfe" + "\n".join(lines_of([])).encode("utf-16-le") + b"\n")
    refused(path, 1, "not a JoinScope trace", "UTF-8")


def test_lone_surrogate_bytes_are_not_utf8(tmp_path: Path) -> None:
    lines = lines_of(SAMPLE[:8])
    assert "\\ud800" in lines[7]
    path = tmp_path / "t.jsonl"
    path.write_bytes(("\n".join(lines[:7]) + "\n" + lines[7].replace("\\ud800", "\ud800") + "\n")
                     .encode("utf-8", "surrogatepass"))
    refused(path, 8, "not UTF-8")


@pytest.mark.parametrize("where", [0, 3])
def test_five_megabyte_line(tmp_path: Path, where: int) -> None:
    lines = lines_of(SAMPLE[:4])
    lines.insert(where, '{"seq": 1, "item": "' + "x" * 5_000_000 + '"}')
    refused(put_lines(tmp_path / "t.jsonl", lines), where + 1, "longer than")


def test_line_length_limit_is_exact(tmp_path: Path) -> None:
    row = event_to_json(SAMPLE[0])
    row["item"] = ""
    padding = MAX_LINE_BYTES - len(json.dumps(row).encode())
    row["item"] = "x" * padding
    assert len(json.dumps(row).encode()) == MAX_LINE_BYTES
    path = put_lines(tmp_path / "t.jsonl", [json.dumps(trace_header(CONFIG)), json.dumps(row)])
    assert read_trace(path).events[0].item == "x" * padding
    row["item"] += "x"
    refused(put_lines(path, [json.dumps(trace_header(CONFIG)), json.dumps(row)]), 2, "longer than")


@pytest.mark.parametrize("where", [0, 2])
def test_deeply_nested_json(tmp_path: Path, where: int) -> None:
    lines = lines_of(SAMPLE[:3])
    lines.insert(where, "[" * 100_000 + "]" * 100_000)
    refused(put_lines(tmp_path / "t.jsonl", lines), where + 1, "nested")


def test_nesting_limit_counts_only_real_brackets(tmp_path: Path) -> None:
    """Brackets inside strings (an item's repr) are text, not nesting."""
    events = [SAMPLE[0]._replace(item="[" * 150 + "{" * 50), SAMPLE[1]._replace(item=((((1,),),),))]
    assert read_trace(write_trace(tmp_path / "ok.jsonl", events)).events == [as_read(e) for e in events]
    rows = [event_to_json(e) for e in events]
    rows[1]["item"] = json.loads("[" * 40 + "]" * 40)
    path = put_lines(tmp_path / "deep.jsonl", [json.dumps(trace_header(CONFIG))] + [json.dumps(r) for r in rows])
    refused(path, 3, "nested deeper than")


def test_truncated_last_line_keeps_the_events_before_it(tmp_path: Path) -> None:
    path = write_trace(tmp_path / "t.jsonl", SAMPLE)
    data = path.read_bytes()
    cut = data[: data.rindex(b"\n", 0, len(data) - 1) + 1 + 30]  # 30 bytes into the last line
    path.write_bytes(cut)
    trace = read_trace(path)
    assert trace.events == [as_read(e) for e in SAMPLE[:-1]]
    assert len(trace.warnings) == 1 and f"line {len(SAMPLE) + 1}" in trace.warnings[0]
    assert "cut off" in trace.warnings[0]


def test_truncated_inside_a_multibyte_character(tmp_path: Path) -> None:
    path = write_trace(tmp_path / "t.jsonl", SAMPLE[:7])
    data = path.read_bytes()
    path.write_bytes(data[: data.index("“".encode()) + 1])
    trace = read_trace(path)
    assert trace.events == [as_read(e) for e in SAMPLE[:6]] and len(trace.warnings) == 1


def test_last_line_without_newline_but_whole_is_read(tmp_path: Path) -> None:
    path = write_trace(tmp_path / "t.jsonl", SAMPLE)
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    assert read_trace(path) == Trace(trace_header(CONFIG), [as_read(e) for e in SAMPLE], [])


def test_cut_off_middle_line_is_an_error(tmp_path: Path) -> None:
    lines = lines_of(SAMPLE[:5])
    lines[2] = lines[2][:20]
    refused(put_lines(tmp_path / "t.jsonl", lines), 3, "not valid JSON")


def test_cut_off_header_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(lines_of([])[0][:40], encoding="utf-8")
    refused(path, 1, "not a JoinScope trace")


def test_unknown_kinds_and_keys_are_ignored(tmp_path: Path) -> None:
    rows = [event_to_json(e) for e in SAMPLE[:4]]
    rows[1] = {"seq": 2, "t": 0.05, "kind": "telepathy", "anything": {"goes": [1, 2]}}
    rows[2]["colour"] = "blue"
    header = dict(trace_header(CONFIG), recorded_by="JoinScope 9")
    path = put_lines(tmp_path / "t.jsonl", [json.dumps(header)] + [json.dumps(r) for r in rows])
    trace = read_trace(path)
    assert [e.seq for e in trace.events] == [1, 3, 4]
    assert trace.events[1] == as_read(SAMPLE[2])
    assert trace.header["recorded_by"] == "JoinScope 9"
    assert len(trace.warnings) == 1 and "telepathy" in trace.warnings[0]


def test_unknown_kinds_still_keep_seq_and_t(tmp_path: Path) -> None:
    rows = [event_to_json(e) for e in SAMPLE[:3]]
    rows[1] = {"seq": 7, "t": 0.05, "kind": "telepathy"}
    path = put_lines(tmp_path / "t.jsonl", [json.dumps(trace_header(CONFIG))] + [json.dumps(r) for r in rows])
    refused(path, 3, "seq jumps from 1 to 7")


def test_streaming_reader(tmp_path: Path) -> None:
    path = write_trace(tmp_path / "t.jsonl", SAMPLE)
    with TraceReader(path) as reader:
        assert reader.header["format"] == FORMAT
        first = next(iter(reader))
        assert first == as_read(SAMPLE[0])
        assert [first, *reader] == [as_read(e) for e in SAMPLE]


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_trace(tmp_path / "nowhere.jsonl")


# -- properties ----------------------------------------------------------------------------
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 30, 10 ** 30),
                     st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30))
_items = st.one_of(_scalars, st.tuples(st.integers(0, 10 ** 6), st.floats(0, 1)),
                   st.lists(_scalars, max_size=5).map(tuple))
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                        max_size=3), max_leaves=8)


@st.composite
def _runs(draw: st.DrawFn) -> list[Event]:
    kinds = [PUT, GET, TASK_DONE, GET_WAIT, PUT_WAIT, JOIN_ENTER, JOIN_RETURN, ACTOR_START, ACTOR_EXIT, ERROR]
    events: list[Event] = []
    t = 0.0
    counts: dict[str, list[int]] = {}
    for seq in range(1, draw(st.integers(0, 15)) + 1):
        kind = draw(st.sampled_from(kinds))
        t += draw(st.floats(0, 2))
        actor = draw(st.sampled_from(["main", "producer-0", "consumer-1", "ünï\ud83d"]))
        queue = draw(st.sampled_from([None, "tasks", "other"] if kind not in QUEUE_KINDS else ["tasks", "other"]))
        extra = {JOIN_RETURN: {"released_by": draw(st.none() | st.integers(1, seq - 1)) if seq > 1 else None,
                               "waited": draw(st.none() | st.floats(0, 100))},
                 ERROR: {"error": draw(st.none() | st.text(max_size=40))},
                 ACTOR_EXIT: {"exitcode": draw(st.none() | st.integers(-15, 255))}}.get(kind, {})
        if queue is None:
            events.append(Event(seq, t, kind, actor, 7, None, 0, draw(_items), None, None, **extra))
            continue
        state = counts.setdefault(queue, [0, 0, 0])
        state[0] += 1
        d_depth, d_unfinished = {PUT: (1, 1), GET: (-1, 0), TASK_DONE: (0, -1)}.get(kind, (0, 0))
        state[1] = max(0, state[1] + d_depth)
        state[2] = max(0, state[2] + d_unfinished)
        events.append(Event(seq, t, kind, actor, 7, queue, state[0], draw(_items), state[1], state[2], **extra))
    return events


@settings(HYPOTHESIS, max_examples=80)
@given(events=_runs(), cut=st.integers(1, 60))
def test_generated_runs_round_trip(tmp_path: Path, events: list[Event], cut: int) -> None:
    path = tmp_path / "t.jsonl"
    with TraceWriter(path, trace_header(CONFIG)) as writer:
        writer.write(events[:cut % (len(events) + 1)])
        writer.write(events[cut % (len(events) + 1):])
    assert read_trace(path).events == [as_read(e) for e in events]


def _mutate(data: st.DataObject, lines: list[bytes]) -> list[bytes]:
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.integers(0, len(lines) - 1))
        how = data.draw(st.sampled_from(["bytes", "flip", "cut", "value", "drop", "dup", "json"]))
        line = lines[where]
        if how == "bytes":
            lines[where] = data.draw(st.binary(max_size=80))
        elif how == "flip" and line:
            at = data.draw(st.integers(0, len(line) - 1))
            lines[where] = line[:at] + bytes([data.draw(st.integers(0, 255))]) + line[at + 1:]
        elif how == "cut":
            lines[where] = line[: data.draw(st.integers(0, len(line)))]
        elif how == "value":
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if type(row) is not dict:
                continue
            key = data.draw(st.sampled_from(sorted(row) or ["seq"]))
            row[key] = data.draw(_json)
            lines[where] = json.dumps(row).encode()
        elif how == "drop" and len(lines) > 1:
            del lines[where]
        elif how == "dup":
            lines.insert(where, line)
        elif how == "json":
            lines[where] = json.dumps(data.draw(_json)).encode()
    return lines


@HYPOTHESIS
@given(data=st.data())
def test_damaged_files_give_a_trace_or_a_trace_error(tmp_path: Path, data: st.DataObject) -> None:
    lines = [line.encode() for line in lines_of(SAMPLE)]
    lines = _mutate(data, lines)
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"\n".join(lines) + data.draw(st.sampled_from([b"\n", b""])))
    try:
        trace = read_trace(path)
    except TraceError as error:
        assert "\n" not in str(error) and str(error).startswith(f"{path} line {error.line}: ")
        return
    assert isinstance(trace, Trace)
    seqs = [e.seq for e in trace.events]
    assert seqs == sorted(set(seqs)) and all(a.t <= b.t for a, b in zip(trace.events, trace.events[1:]))


def test_a_background_writer_writes_in_order_and_keeps_what_came_before_a_failure(tmp_path):
    path, plain = tmp_path / "run.jsonl", tmp_path / "plain.jsonl"
    with TraceWriter(plain, trace_header(CONFIG)) as direct:
        direct.write(SAMPLE)
    writer = BackgroundTraceWriter(path, trace_header(CONFIG))
    try:
        writer.write(SAMPLE[:5])
        writer.write(SAMPLE[5:])
        assert writer.sync(timeout=10) and writer.problem is None
        assert path.read_bytes() == plain.read_bytes()
        writer.write(SAMPLE[:1])  # seq 1 again: the writer refuses it, and stops
        assert writer.sync(timeout=10) and "seq" in (writer.problem or "")
        writer.write(SAMPLE[:1])  # nothing more is taken
        assert writer.events_handed == len(SAMPLE) + 1
    finally:
        writer.close()
    assert path.read_bytes() == plain.read_bytes() and writer.sync()
