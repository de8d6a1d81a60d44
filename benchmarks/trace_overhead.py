"""What tracing costs a program: ``python -m benchmarks.trace_overhead [--rounds N] [--tasks N]``.

The program (``benchmarks/tiny_tasks_program.py``: 1 producer, 1 consumer, 50,000
tiny tasks, main joins the queue; the consumer is a daemon that main's exit ends) is
run plainly (``python program.py``) and under ``joinscope trace --no-gui --record FILE``,
alternating, for several rounds in one run.  Wall time is measured from launching the
command to its exit, so the traced time includes everything JoinScope adds: its own
start-up, the bootstrap, observing every operation, merging and writing the trace.
Each traced run's trace is then read back and checked (every put, get and task_done
present once, ``seq`` contiguous, the counts replaying exactly), after the clock stopped.

It prints the wall times and the median of the per-round ratios traced/plain as
``ratio N.NN``.  The goal: at most 1.5.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from core.events import GET, PUT, TASK_DONE
from core.trace import check_counts, read_trace

PROGRAM = Path(__file__).with_name("tiny_tasks_program.py")
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TASKS = 50_000
DEFAULT_ROUNDS = 5


def run_plain(tasks: int) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(PROGRAM), str(tasks)], check=True, cwd=ROOT)
    return time.perf_counter() - started


def run_traced(tasks: int, record: str) -> float:
    command = [sys.executable, "-m", "app", "trace", "--no-gui", "--record", record, str(PROGRAM), str(tasks)]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
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
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help=f"plain/traced pairs (default {DEFAULT_ROUNDS})")
    parser.add_argument("--tasks", type=int, default=DEFAULT_TASKS, help=f"tasks (default {DEFAULT_TASKS})")
    args = parser.parse_args(argv)
    plain: list[float] = []
    traced: list[float] = []
    with tempfile.TemporaryDirectory(prefix="joinscope-bench-") as folder:
        for round_number in range(args.rounds):
            record = os.path.join(folder, f"round-{round_number}.jsonl")
            plain.append(run_plain(args.tasks))
            traced.append(run_traced(args.tasks, record))
            check(record, args.tasks)
            os.remove(record)
    ratios = [t / p for p, t in zip(plain, traced)]
    print(f"{args.tasks} tiny tasks x {args.rounds} rounds (1 producer, 1 consumer, main joins)")
    print(f"  plain  s  median {statistics.median(plain):6.3f}  " + " ".join(f"{v:.3f}" for v in plain))
    print(f"  traced s  median {statistics.median(traced):6.3f}  " + " ".join(f"{v:.3f}" for v in traced))
    print("  ratios " + " ".join(f"{r:.2f}" for r in ratios))
    print(f"ratio {statistics.median(ratios):.2f}", flush=True)


if __name__ == "__main__":
    main()
