"""``joinscope replay`` and ``joinscope export`` refuse every kind of bad file the same way:
one line naming the file and line, exit code 2, no traceback, bounded memory, nothing executed."""
from __future__ import annotations

import json
import pickle
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from tests.command_line import run_cli

ROOT = Path(__file__).resolve().parent.parent
HEADER = {"format": "joinscope-trace", "version": 1, "scenario": {"name": "seed"}, "start_method": "spawn",
          "python": "3.11.7"}


def event(seq: int, **changes: object) -> dict:
    record = {"seq": seq, "t": seq / 10, "kind": "put", "actor": "producer-0", "pid": 7, "queue": "tasks",
              "op": seq, "item": [seq, 0.5], "depth": seq, "unfinished": seq}
    record.update(changes)
    return record


def lines(*records: object) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


class Explosive:
    """Unpickling this would create a file: the proof that nothing was unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


BAD_FILES = {
    # name: (content (bytes, or a function of the marker path), line reported, words of the message)
    "not a trace": (b"Dear diary,\nit rained.\n", 1, "not a JoinScope trace"),
    "empty": (b"", 1, "empty"),
    "wrong format": (lines({**HEADER, "format": "viztracer"}), 1, "not a JoinScope trace"),
    "wrong version": (lines({**HEADER, "version": 2}), 1, "version 2 is not supported"),
    "gap in seq": (lines(HEADER, event(1), event(2), event(4)), 4, "seq jumps from 2 to 4"),
    "wrong field type": (lines(HEADER, event(1), event(2, depth="2")), 3, "depth must be a whole number"),
    "negative time": (lines(HEADER, event(1, t=-1)), 2, "t must be a number of seconds >= 0"),
    "time beyond reason": (lines(HEADER, event(1, t=10**400)), 2, "t must be a number of seconds"),
    "queue operation without a queue": (lines(HEADER, event(1, queue=None, op=0, depth=None, unfinished=None)), 2,
                                        "a put event must name its queue"),
    "invalid UTF-8": (lines(HEADER, event(1)) + b'{"seq": 2, "actor": "\xff\xfe"}\n', 3, "not UTF-8 text"),
    "absurdly long line": (lines(HEADER) + b'{"item": "' + b"x" * (5 << 20) + b'"}\n', 2, "longer than"),
    "deeply nested JSON": (lines(HEADER) + b"[" * 100_000 + b"]" * 100_000 + b"\n", 2, "nested deeper than"),
    "pickle": (lambda marker: pickle.dumps(Explosive(marker)), 1, "pickle"),
    "pickle, protocol 0": (lambda marker: pickle.dumps(Explosive(marker), protocol=0), 1, "not a JoinScope trace"),
    "an event that is not an object": (lines(HEADER, [1, 2, 3]), 2, "must be a JSON object"),
}


@pytest.fixture(params=sorted(BAD_FILES))
def bad_file(request, tmp_path):
    content, line, words = BAD_FILES[request.param]
    marker = tmp_path / "unpickled"
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content(marker) if callable(content) else content)
    yield path, line, words
    assert not marker.exists(), "the file was unpickled"


@pytest.mark.parametrize("command", ["replay", "export"])
def test_each_kind_of_bad_file_gets_one_line_and_exit_2(capsys, tmp_path, bad_file, command):
    path, line, words = bad_file
    out = tmp_path / "out.json"
    args = ["replay", str(path)] if command == "replay" else ["export", str(path), "--to", "perfetto", str(out)]
    code, stdout, stderr = run_cli(capsys, *args)
    assert code == 2
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert stderr.startswith(f"joinscope {command}: error: {path} line {line}: ") and words in stderr, stderr
    assert not out.exists() and stdout == ""


def test_missing_and_unreadable_files_are_named(capsys, tmp_path):
    for command in (["replay"], ["export", "--to", "csv", str(tmp_path / "o.csv")]):
        code, _, err = run_cli(capsys, *command[:1], str(tmp_path / "nope.jsonl"), *command[1:])
        assert code == 2 and err.strip().endswith(f"cannot read {tmp_path / 'nope.jsonl'}: No such file or directory")
        code, _, err = run_cli(capsys, *command[:1], str(tmp_path), *command[1:])
        assert code == 2 and "Is a directory" in err and len(err.splitlines()) == 1


def test_a_last_line_cut_off_by_a_crash_is_read_with_a_warning(capsys, tmp_path, seed_trace):
    whole = seed_trace.read_bytes()
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(whole[:-25])  # the last event loses its end, and its newline
    events = whole.count(b"\n") - 2
    out = tmp_path / "cut.csv"
    code, stdout, stderr = run_cli(capsys, "export", str(cut), "--to", "csv", str(out))
    assert code == 0 and f"{events} rows" in stdout
    assert stderr.startswith(f"joinscope export: warning: {cut} line {events + 2} is cut off")
    assert stderr.count("\n") == 1
    assert len(out.read_text().splitlines()) == events + 1


def test_a_huge_line_is_refused_in_bounded_memory(capsys, tmp_path):
    path = tmp_path / "huge.jsonl"
    with open(path, "wb") as handle:
        handle.write(lines(HEADER) + b'{"item": "')
        for _ in range(64):
            handle.write(b"y" * (1 << 20))  # 64 MiB with no end of line
    tracemalloc.start()
    try:
        code, _, err = run_cli(capsys, "export", str(path), "--to", "csv", str(tmp_path / "out.csv"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 2 and "longer than" in err
    assert peak < 8 << 20, f"peak {peak / 2**20:.1f} MiB while refusing a 64 MiB line"


@pytest.mark.parametrize("command", ["replay", "export"])
def test_a_real_process_exits_2_with_no_traceback(tmp_path, command):
    path = tmp_path / "run.pkl"
    marker = tmp_path / "unpickled"
    path.write_bytes(pickle.dumps(Explosive(marker)))
    args = [str(path)] if command == "replay" else [str(path), "--to", "csv", str(tmp_path / "o.csv")]
    result = subprocess.run([sys.executable, "-m", "app", command, *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (f"joinscope {command}: error: {path} line 1: not a JoinScope trace "
                             f"(this looks like a Python pickle, which is never loaded)\n")
    assert not marker.exists()


def test_replay_plays_a_cut_off_recording_to_its_last_whole_line(tmp_path, seed_trace):
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(seed_trace.read_bytes()[:-25])
    shot = tmp_path / "end.png"
    result = subprocess.run([sys.executable, "-m", "app", "replay", str(cut), "--speed", "100", "--exit-when-done",
                             "--screenshot", str(shot)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "propagateSizeHints" not in line]
    assert len(warnings) == 1 and warnings[0].startswith(f"joinscope replay: warning: {cut} line ")
    assert "is cut off" in warnings[0] and "Traceback" not in result.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_recording_too_long_to_replay_in_memory_is_refused_and_export_still_streams_it(
        capsys, tmp_path, seed_trace, monkeypatch):
    import core.recordings.replay

    monkeypatch.setattr(core.recordings.replay, "MAX_REPLAY_EVENTS", 10)
    code, _, err = run_cli(capsys, "replay", str(seed_trace))
    assert code == 2 and err == (f"joinscope replay: error: {seed_trace} line 12: more than 10 events, too many to "
                                 f"replay in memory (joinscope export streams a trace of any size)\n")
    code, _out, _ = run_cli(capsys, "export", str(seed_trace), "--to", "csv", str(tmp_path / "all.csv"))
    assert code == 0 and len((tmp_path / "all.csv").read_text().splitlines()) > 11
