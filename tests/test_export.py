"""``joinscope export``: Perfetto trace-event JSON and CSV, from real recordings, through the command line."""
from __future__ import annotations

import csv
import itertools
import json
import os
import stat
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from core.analysis.model import FINAL_STATES, STATES
from core.events import GET, JOIN_RETURN, PUT, PUT_WAIT, Event
from core.recordings.trace import read_trace
from tests.command_line import run_cli


def export(capsys, trace: Path, to: str, out: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli(capsys, "export", str(trace), "--to", to, str(out), *extra)


def perfetto(capsys, trace: Path, tmp_path: Path) -> tuple[list[Event], list[dict]]:
    out = tmp_path / "run.perfetto.json"
    code, stdout, stderr = export(capsys, trace, "perfetto", out)
    assert code == 0 and stderr == "", stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert f"{out}: {len(document['traceEvents'])} trace events from {trace}" in stdout
    return read_trace(trace).events, document["traceEvents"]


@pytest.mark.parametrize("which", ["seed_trace", "bounded_trace"])
def test_perfetto_has_a_track_per_actor_with_its_state_spans(capsys, tmp_path, request, which):
    events, records = perfetto(capsys, request.getfixturevalue(which), tmp_path)
    assert {r["ph"] for r in records} == {"M", "X", "C", "i"}
    names = {r["tid"]: r["args"]["name"] for r in records if r["ph"] == "M" and r["name"] == "thread_name"}
    actors = {e.actor for e in events}
    assert {name.split(" (pid")[0] for name in names.values()} == actors
    (process,) = [r for r in records if r["ph"] == "M" and r["name"] == "process_name"]
    assert "JoinScope" in process["args"]["name"]
    spans = defaultdict(list)
    for r in records:
        if r["ph"] == "X":
            assert r["name"] in STATES and r["name"] not in FINAL_STATES and r["dur"] >= 0
            spans[names[r["tid"]].split(" (pid")[0]].append(r)
    end_us = events[-1].t * 1e6
    for actor, lane in spans.items():
        lane.sort(key=lambda r: r["ts"])
        for before, after in itertools.pairwise(lane):  # one span ends where the next begins
            assert before["ts"] + before["dur"] == pytest.approx(after["ts"], abs=0.01)
            assert before["name"] != after["name"]
        exits = [e for e in events if e.actor == actor and e.kind == "actor_exit"]
        stop = exits[-1].t * 1e6 if exits else end_us
        assert lane[-1]["ts"] + lane[-1]["dur"] == pytest.approx(stop, abs=0.01)
    # consumers work once per task they got (a sentinel leaves them running, not working)
    for actor in (a for a in actors if a.startswith("consumer")):
        got = [e for e in events if e.actor == actor and e.kind == GET and e.item is not None]
        assert sum(r["name"] == "working on a task" for r in spans[actor]) == len(got)
    waits = [r for r in records if r["ph"] == "X" and r["name"] == "waiting in join()"]
    assert waits and all(names[r["tid"]].startswith("main") for r in waits)
    if any(e.kind == PUT_WAIT for e in events):
        assert any(r["name"] == "blocked in put()" for r in records if r["ph"] == "X")


def test_perfetto_counters_follow_depth_and_unfinished_and_joins_are_instants(capsys, tmp_path, bounded_trace):
    events, records = perfetto(capsys, bounded_trace, tmp_path)
    counters = [r for r in records if r["ph"] == "C"]
    assert {r["name"] for r in counters} == {"tasks"}
    assert all(set(r["args"]) == {"depth", "unfinished"} for r in counters)
    # every change of the counts is there, at its event's time, and nothing else
    changes, last = [], None
    for e in events:
        if e.queue is not None and (e.depth, e.unfinished) != last:
            last = (e.depth, e.unfinished)
            changes.append((round(e.t * 1e6, 3), e.depth, e.unfinished))
    assert [(r["ts"], r["args"]["depth"], r["args"]["unfinished"]) for r in counters] == changes
    assert max(r["args"]["depth"] for r in counters) == 3  # maxsize 3
    instants = [r for r in records if r["ph"] == "i"]
    returns = [e for e in events if e.kind == JOIN_RETURN]
    assert [(r["ts"], r["args"]["seq"], r["args"]["released_by"]) for r in instants] == [
        (round(e.t * 1e6, 3), e.seq, e.released_by) for e in returns]
    assert any(r["name"] == "tasks.join() returned" and r["args"]["released_by"] for r in instants)


def test_csv_has_a_header_and_one_row_per_event(capsys, tmp_path, bounded_trace):
    out = tmp_path / "run.csv"
    code, stdout, _ = export(capsys, bounded_trace, "csv", out)
    assert code == 0
    events = read_trace(bounded_trace).events
    with open(out, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(Event._fields)
    assert len(rows) == len(events) + 1 and f"{len(events)} rows" in stdout
    for row, event in zip(rows[1:], events):
        record = dict(zip(rows[0], row))
        assert int(record["seq"]) == event.seq and float(record["t"]) == pytest.approx(event.t, abs=1e-6)
        assert (record["kind"], record["actor"], int(record["pid"])) == (event.kind, event.actor, event.pid)
        assert record["depth"] == ("" if event.depth is None else str(event.depth))
        assert record["unfinished"] == ("" if event.unfinished is None else str(event.unfinished))
        if event.kind == PUT and type(event.item) is tuple:
            assert tuple(json.loads(record["item"])) == event.item
        if event.kind == JOIN_RETURN and event.released_by is not None:
            assert int(record["released_by"]) == event.released_by


def test_export_never_overwrites_silently_and_names_what_it_cannot_write(capsys, tmp_path, seed_trace):
    out = tmp_path / "keep.csv"
    out.write_text("precious")
    code, _, err = export(capsys, seed_trace, "csv", out)
    assert code == 2 and "already exists" in err and out.read_text() == "precious"
    code, _, err = export(capsys, seed_trace, "csv", out, "--overwrite")
    assert code == 0 and out.read_text().startswith("seq,t,kind")
    code, _, err = export(capsys, seed_trace, "csv", tmp_path / "no" / "such" / "dir.csv")
    assert code == 2 and len(err.splitlines()) == 1 and "cannot write" in err
    code, _, err = export(capsys, seed_trace, "svg", tmp_path / "x.svg")
    assert code == 2 and "--to" in err and len(err.splitlines()) == 1


def test_a_bad_line_half_way_leaves_no_output_file(capsys, tmp_path, seed_trace):
    lines = seed_trace.read_bytes().splitlines(keepends=True)
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(b"".join(lines[:20]) + lines[21] + b"".join(lines[22:]))  # seq 20 is missing
    for to in ("perfetto", "csv"):
        out = tmp_path / f"out.{to}"
        code, _, err = export(capsys, broken, to, out)
        assert code == 2 and err.strip() == f"joinscope export: error: {broken} line 21: seq jumps from 19 to 21"
        assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["broken.jsonl"]


def test_csv_text_cells_that_a_spreadsheet_would_run_as_formulas_are_escaped(capsys, tmp_path):
    """Items and names come from the traced program: a cell such as ``=HYPERLINK(…)`` must stay text."""
    header = {"format": "joinscope-trace", "version": 1, "scenario": {"name": "trace"}, "start_method": "spawn",
              "python": "3.11.7"}
    items = ["=1+2", "+1", "-x", "@SUM(A1)", "\t=1", "plain", -3, -0.5, ["=a", 1]]
    lines = [header]
    for seq, item in enumerate(items, start=1):
        lines.append({"seq": seq, "t": seq / 10, "kind": "put", "actor": "=evil" if seq == 1 else "producer",
                      "pid": 7, "queue": "@q", "op": seq, "item": item, "depth": seq, "unfinished": seq})
    trace = tmp_path / "formulas.jsonl"
    trace.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    out = tmp_path / "formulas.csv"
    code, _, _ = export(capsys, trace, "csv", out)
    assert code == 0
    with open(out, newline="", encoding="utf-8") as handle:
        rows = [dict(zip(Event._fields, row)) for row in list(csv.reader(handle))[1:]]
    assert [row["item"] for row in rows] == ["'=1+2", "'+1", "'-x", "'@SUM(A1)", "'\t=1", "plain", "-3", "-0.5",
                                             '["=a",1]']
    assert rows[0]["actor"] == "'=evil" and rows[1]["actor"] == "producer"
    assert {row["queue"] for row in rows} == {"'@q"}
    assert [row["seq"] for row in rows] == [str(seq) for seq in range(1, len(items) + 1)]  # numbers stay numbers


@pytest.mark.skipif(sys.platform == "win32", reason="Windows files have no permission bits but read-only")
def test_an_export_gets_the_permissions_a_recording_gets(capsys, tmp_path, seed_trace):
    """``joinscope run --record`` opens its file in place (a new file: 0o666 less the umask); an
    export, written to a temporary file first, ends the same (not mkstemp's owner-only 0o600)."""
    previous = os.umask(0o022)
    try:
        for to in ("csv", "perfetto"):
            out = tmp_path / f"run.{to}"
            code, _, err = export(capsys, seed_trace, to, out)
            assert code == 0, err
            assert stat.S_IMODE(out.stat().st_mode) == 0o644
        out.chmod(0o600)  # a file kept private stays so when replaced
        code, _, err = export(capsys, seed_trace, "perfetto", out, "--overwrite")
        assert code == 0 and stat.S_IMODE(out.stat().st_mode) == 0o600
    finally:
        os.umask(previous)

