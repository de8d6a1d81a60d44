"""How much the window can show: ``python -m benchmarks.gui [--seconds S] [--quick]``.

It drives the real event pump, run controller, run model, timeline, plots, swimlanes
and event log of an offscreen :class:`~app.windows.main_window.MainWindow` with a synthetic
stream of events (producers putting, consumers getting and marking tasks done) at
rising rates, and prints:

* ``events/s N`` — the highest rate at which every event reached the model and the
  window still redrew at least :data:`MIN_REDRAWS_PER_S` times a second;
* ``p95 N ms`` — the 95th percentile of the delay from an event's time to the redraw
  that shows it, at :data:`LATENCY_RATE` events/s;
* ``bytes/event N`` — what the window keeps per event it has shown (model, timeline,
  swimlanes and the bounded event log), measured with ``tracemalloc`` over
  :data:`MEMORY_EVENTS` events.

Goals: at least 200,000 events/s, p95 at most 50 ms, at most 64 bytes per event.
"""
from __future__ import annotations

import argparse
import gc
import os
import time
import tracemalloc
from operator import itemgetter

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from app.bridge.controller import FINISHED_STATE, STOPPED
from app.windows.main_window import MainWindow
from core.events import GET, PUT, TASK_DONE, Event
from core.scenarios import scenario
from core.sources import FINISHED, NEW, RUNNING
from core.sources import STOPPED as SOURCE_STOPPED

RATES = (1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 150_000, 200_000, 300_000, 400_000, 600_000)
MIN_REDRAWS_PER_S = 30
WARM_UP_S = 0.5
LATENCY_RATE = 10_000
MEMORY_EVENTS = 1_000_000
#: The most events the synthetic stream makes in one poll (the pump polls every few ms).
MAX_PER_POLL = 60_000
_new = tuple.__new__
_time_of = itemgetter(1)


class SyntheticStream:
    """A busy queue's events at a fixed rate, stamped with the time each was due.

    Two producers put, three consumers get and call ``task_done``; the counts stay
    consistent (they replay exactly) and ``seq``/``op`` run without gaps.  It is a
    :class:`core.sources.EventSource` with no process of its own."""

    def __init__(self, rate: int, seconds: float) -> None:
        self.rate = rate
        self.total = int(rate * seconds) // 3 * 3
        self.made = 0
        self.finished = False
        self.state = NEW
        self.closed = False
        self.t0 = 0.0

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.state = RUNNING

    def live_processes(self) -> int:
        return 0

    def note_stall(self, diagnosis: str) -> None:
        """(A synthetic stream never stalls long enough to be told.)"""

    def poll(self, timeout: float = 0.0) -> list[Event]:
        time.sleep(min(timeout, 0.001))
        due = min(int((time.monotonic() - self.t0) * self.rate), self.total)
        count = min(due - self.made, MAX_PER_POLL) // 3 * 3
        events = make_events(self.made, count, self.rate)
        self.made += count
        if self.made >= self.total:
            self.finished = True
            self.state = FINISHED
        return events

    def stop(self) -> None:
        self.finished = True
        self.state = SOURCE_STOPPED

    def close(self) -> None:
        self.closed = True


def make_events(first: int, count: int, rate: float) -> list[Event]:
    """Events ``first`` to ``first + count - 1`` of the synthetic stream (whole cycles)."""
    events = []
    append = events.append
    for index in range(first, first + count, 3):
        cycle = index // 3
        producer = "producer-0" if cycle % 2 else "producer-1"
        consumer = ("consumer-0", "consumer-1", "consumer-2")[cycle % 3]
        item = (cycle, 0.5)
        t = index / rate
        append(_new(Event, (index + 1, t, PUT, producer, 101, "tasks", index + 1, item, 6, 7,
                            None, None, None, None)))
        append(_new(Event, (index + 2, t, GET, consumer, 102, "tasks", index + 2, item, 5, 7,
                            None, None, None, None)))
        append(_new(Event, (index + 3, t, TASK_DONE, consumer, 102, "tasks", index + 3, None, 5, 6,
                            None, None, None, None)))
    return events


class Probe:
    """Counts the window's redraws and how late each shows the events it shows."""

    def __init__(self, window: MainWindow, stream: SyntheticStream) -> None:
        self.window = window
        self.stream = stream
        self.redraws = 0
        self.latencies: list[np.ndarray] = []
        self._unshown: list[np.ndarray] = []
        original = window._redraw

        def redraw() -> None:
            original()
            self.redraws += 1
            if self._unshown:
                shown = time.monotonic() - stream.t0
                self.latencies.append(shown - np.concatenate(self._unshown))
                self._unshown = []

        window._redraw = redraw  # type: ignore[method-assign]
        window.controller.events_applied.connect(
            lambda events: self._unshown.append(np.fromiter(map(_time_of, events), np.float64, len(events))))


def run_rate(app: QApplication, rate: int, seconds: float) -> tuple[bool, float, float]:
    """One run at ``rate``: (kept up, redraws per second, p95 delay in ms)."""
    window = MainWindow()
    window.show()
    _run_event_loop(WARM_UP_S)  # the first paints of a new window are slow
    stream = SyntheticStream(rate, seconds)
    probe = Probe(window, stream)
    done: list[str] = []
    window.run_over.connect(done.append)
    window.controller.start(scenario("throughput"), stream)
    _run_event_loop(seconds + 10, until=window.run_over)
    elapsed = time.monotonic() - stream.t0
    model = window.controller.model
    delivered = model.events_seen == stream.total and model.last_seq == stream.total
    redraws_per_s = probe.redraws / elapsed
    latencies = np.concatenate(probe.latencies) if probe.latencies else np.zeros(1)
    p95_ms = float(np.percentile(latencies, 95) * 1000)
    kept_up = bool(done) and done[0] in (FINISHED_STATE, STOPPED) and delivered and \
        redraws_per_s >= MIN_REDRAWS_PER_S and elapsed < seconds + 1.0
    window.close()
    window.deleteLater()
    app.processEvents()
    return kept_up, redraws_per_s, p95_ms


def _run_event_loop(seconds: float, until: object = None) -> None:
    """Let Qt run as the application does (no busy loop of our own)."""
    loop = QEventLoop()
    if until is not None:
        until.connect(loop.quit)  # type: ignore[attr-defined]
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def bytes_per_event(events_total: int) -> float:
    """What the model, timeline and event log keep per event, measured with tracemalloc."""
    window = MainWindow()
    controller = window.controller
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    chunk = 30_000
    for first in range(0, events_total, chunk):
        events = make_events(first, chunk, 100_000)
        controller.model.apply(events)
        controller.timeline.extend(events)
        window.log.append(events)
    del events
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    window.close()
    return (after - before) / events_total


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gui", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each rate's run (default 3)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: short runs, few rates")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    seconds = 1.0 if args.quick else args.seconds
    rates = RATES[:2] if args.quick else RATES
    best = 0
    for rate in rates:
        kept_up, redraws, p95 = run_rate(app, rate, seconds)
        print(f"  {rate:>8} events/s: {'kept up' if kept_up else 'fell behind'}, "
              f"{redraws:5.1f} redraws/s, p95 delay {p95:7.1f} ms", flush=True)
        if not kept_up:
            break
        best = rate
    _, _, p95 = run_rate(app, LATENCY_RATE, seconds)
    memory = bytes_per_event(100_000 if args.quick else MEMORY_EVENTS)
    print(f"events/s {best}")
    print(f"p95 {p95:.1f} ms")
    print(f"bytes/event {memory:.1f}")


if __name__ == "__main__":
    main()
