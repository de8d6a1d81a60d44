"""What tracing costs a program: ``python -m benchmarks.trace_overhead [--rounds N] [--tasks N]``.

The program (``benchmarks/tiny_tasks_program.py``: 1 producer, 1 consumer, 50,000
tiny tasks, main joins the queue; the consumer is a daemon that main's exit ends) is
run plainly (``python program.py``), under ``joinscope trace --no-gui --record FILE`` and,
to show what writing the record costs, under ``joinscope trace --no-gui`` (observing,
merging and summing up, nothing written), alternating, for several rounds in one run.
Wall time is measured from launching the command to its exit, so the traced time
includes everything JoinScope adds: its own start-up, the bootstrap, observing every
operation, merging and writing the trace.
Each traced run's trace is then read back and checked (every put, get and task_done
present once, ``seq`` contiguous, the counts replaying exactly), after the clock stopped.

JoinScope's own modules are compiled to bytecode first, as ``pip install`` does: the
plain program's standard library comes compiled with Python, and a machine that sets
``PYTHONDONTWRITEBYTECODE`` (this development machine does) would otherwise make every
traced run compile JoinScope anew, which no installed copy does.

It prints the wall times, the median of the per-round ratios without a record, and last
the median of the per-round ratios traced (with the record)/plain as ``ratio N.NN``.  The
goal: at most 1.5.
"""
from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from core.events import GET, PUT, TASK_DONE
from core.recordings.trace import check_counts, read_trace

PROGRAM = Path(__file__).with_name("tiny_tasks_program.py")
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TASKS = 50_000
DEFAULT_ROUNDS = 5


def run_plain(tasks: int) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(PROGRAM), str(tasks)], check=True, cwd=ROOT)
    return time.perf_counter() - started


def run_traced(tasks: int, record: str | None) -> float:
    """Wall time of ``joinscope trace --no-gui [--record record]``; without a record, its
    summary is checked instead (every put, get and task_done counted)."""
    command = [sys.executable, "-m", "app", "trace", "--no-gui", *(["--record", record] if record else []),
               str(PROGRAM), str(tasks)]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    if record is None:
        counted = f"puts {tasks} · gets {tasks} · task_done calls {tasks}"
        assert counted in result.stderr, result.stderr
    return elapsed


def check(record: str, tasks: int) -> None:
    """The trace holds every operation exactly once, numbered without a gap, with exact counts."""
    trace = read_trace(record)
    events = trace.events
    assert not trace.warnings, trace.warnings
    assert [e.seq for e in events] == list(range(1, len(events) + 1)), "seq not contiguous"
    kinds = Counter(e.kind for e in events)
    for kind in (PUT, GET, TASK_DONE):
        assert kinds[kind] == tasks, f"{kinds[kind]} {kind} events for {tasks} tasks"
    mismatch = check_counts(events)
    assert mismatch is None, mismatch


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.trace_overhead", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS,
                        help=f"plain/traced pairs (default {DEFAULT_ROUNDS})")
    parser.add_argument("--tasks", type=int, default=DEFAULT_TASKS, help=f"tasks (default {DEFAULT_TASKS})")
    args = parser.parse_args(argv)
    for package in ("app", "core"):
        compileall.compile_dir(ROOT / package, quiet=1)
    plain: list[float] = []
    unrecorded: list[float] = []
    traced: list[float] = []
    with tempfile.TemporaryDirectory(prefix="joinscope-bench-") as folder:
        for round_number in range(args.rounds):
            record = os.path.join(folder, f"round-{round_number}.jsonl")
            plain.append(run_plain(args.tasks))
            unrecorded.append(run_traced(args.tasks, None))
            traced.append(run_traced(args.tasks, record))
            check(record, args.tasks)
            os.remove(record)
    ratios = [t / p for p, t in zip(plain, traced)]
    unrecorded_ratios = [t / p for p, t in zip(plain, unrecorded)]
    print(f"{args.tasks} tiny tasks x {args.rounds} rounds (1 producer, 1 consumer, main joins)")
    for label, times in (("plain", plain), ("traced, no record", unrecorded), ("traced, --record", traced)):
        print(f"  {label:18} s  median {statistics.median(times):6.3f}  " + " ".join(f"{v:.3f}" for v in times))
    print("  ratios, no record  " + " ".join(f"{r:.2f}" for r in unrecorded_ratios))
    print("  ratios, --record   " + " ".join(f"{r:.2f}" for r in ratios))
    print(f"ratio without a record {statistics.median(unrecorded_ratios):.2f}")
    print(f"ratio {statistics.median(ratios):.2f}", flush=True)


if __name__ == "__main__":
    main()
