"""How fast a replay moves: ``python -m benchmarks.replay [--quick]``.

For recordings of 10,000, 100,000 and 1,000,000 events (the synthetic busy queue of
``benchmarks.gui``: two producers, three consumers), it times a
:class:`core.recordings.replay.ReplayCursor`'s first pass to the end (folding and narrating),
one step back from the end, and a jump back to the middle, and measures with
``tracemalloc`` what the cursor keeps (state, narration, snapshots) besides the
events.  A step back is what a user holding ← waits for: it should stay well under
a frame budget of a few tens of ms on recordings of ordinary size.
"""
from __future__ import annotations

import argparse
import time
import tracemalloc

from benchmarks.gui import make_events
from core.recordings.replay import Recording, ReplayCursor, config_of

SIZES = (10_000, 100_000, 1_000_000)


def measure(count: int) -> tuple[float, float, float, float]:
    """(first pass s, one step back s, back to the middle s, MiB kept) for ``count`` events."""
    events = make_events(0, count, 100_000)
    recording = Recording("synthetic", {}, events, config_of({}))
    tracemalloc.start()  # a pass of its own: tracing allocations slows the fold several times
    traced = ReplayCursor(recording)
    traced.seek(count)
    kept, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del traced
    cursor = ReplayCursor(recording)
    started = time.perf_counter()
    cursor.seek(count)
    first = time.perf_counter() - started
    started = time.perf_counter()
    cursor.seek(count - 1)
    back = time.perf_counter() - started
    started = time.perf_counter()
    cursor.seek(count // 2)
    middle = time.perf_counter() - started
    return first, back, middle, kept / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the two smaller recordings only")
    args = parser.parse_args()
    for count in SIZES[:2] if args.quick else SIZES:
        first, back, middle, kept = measure(count)
        print(f"{count:>9,} events: first pass {first:6.2f} s · step back from the end {back * 1000:7.1f} ms · "
              f"to the middle {middle * 1000:7.1f} ms · kept {kept:6.1f} MiB")


if __name__ == "__main__":
    main()
