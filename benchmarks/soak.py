"""A long run at full rate through the real window: ``python -m benchmarks.soak [--minutes N]``.

It opens an offscreen :class:`~app.windows.main_window.MainWindow`, runs the ``throughput``
scenario with several producers and consumers (real processes, no work per task)
for ``N`` minutes, stops it with the Stop button, and prints:

* ``events seen N of N sent`` — events the window folded, against the events the run
  made: every queue operation (counted by the queue itself, under its lock) plus the
  actors' own events; ``seq contiguous yes|no`` and ``lost 0`` say no event was
  dropped, duplicated or given up;
* ``rss start N MB end N MB growth N MB`` — this process's resident memory once the
  run is warm (after :data:`WARM_UP_S`) and at the end;
* ``redraws/s N`` — how often the window redrew over the run.

Goal for 30 minutes: nothing lost, growth under 50 MB, at least 30 redraws a second.
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import psutil
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from app.bridge.controller import STOPPED
from app.windows.main_window import MainWindow
from core.scenarios import MAX_TASKS, scenario

WARM_UP_S = 20.0
REPORT_EVERY_S = 60.0
PRODUCERS, CONSUMERS = 2, 3


class QueueEventCounter:
    """Counts the events on the task queue (every kind that takes an ``op`` number)."""

    def __init__(self, window: MainWindow) -> None:
        self.count = 0
        window.controller.events_applied.connect(self._on_events)

    def _on_events(self, events: list) -> None:
        self.count += len(events) - [e.queue for e in events].count(None)


class RedrawCounter:
    def __init__(self, window: MainWindow) -> None:
        self.count = 0
        original = window._redraw

        def redraw() -> None:
            original()
            self.count += 1

        window._redraw = redraw  # type: ignore[method-assign]


def _run_for(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def _mb(value: float) -> str:
    return f"{value / 1e6:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to run (default 30)")
    args = parser.parse_args()
    if not 0 < args.minutes <= 24 * 60:
        parser.error("--minutes must be between 0 and 1440")
    app = QApplication.instance() or QApplication([])  # noqa: F841  (held: the window needs it alive)
    me = psutil.Process()
    window = MainWindow()
    window.resize(1500, 950)
    window.show()
    redraws = RedrawCounter(window)
    queue_events = QueueEventCounter(window)
    config = scenario("throughput", producers=PRODUCERS, consumers=CONSUMERS, tasks=MAX_TASKS,
                      maxsize=1000)  # bounded: the depth stays steady, as in a real pipeline
    window.start_run(config)
    started = time.monotonic()
    total_s = args.minutes * 60
    warm_s = min(WARM_UP_S, total_s / 4)
    _run_for(warm_s)
    rss_start = me.memory_info().rss
    redraws_at_start, events_at_start = redraws.count, window.controller.model.events_seen
    warm_at = time.monotonic()
    print(f"warm after {warm_s:.0f} s: rss {_mb(rss_start)} MB, {events_at_start} events", flush=True)
    while time.monotonic() - started < total_s:
        _run_for(min(REPORT_EVERY_S, total_s - (time.monotonic() - started)))
        model = window.controller.model
        elapsed = time.monotonic() - warm_at
        print(f"  {time.monotonic() - started:7.0f} s: {model.events_seen:>12} events "
              f"({(model.events_seen - events_at_start) / elapsed:,.0f}/s), rss {_mb(me.memory_info().rss)} MB, "
              f"{(redraws.count - redraws_at_start) / elapsed:.1f} redraws/s", flush=True)
    rss_end = me.memory_info().rss
    redraw_rate = (redraws.count - redraws_at_start) / (time.monotonic() - warm_at)
    session = window.controller.session
    loop = QEventLoop()
    window.run_over.connect(loop.quit)
    window.controls.stop_button.click()
    if window.controller.state != STOPPED:
        loop.exec()
    model = window.controller.model
    queue_ops = session.queue._counts[0]  # type: ignore[union-attr]
    other_events = model.events_seen - queue_events.count
    lost = session._merger.lost_ops  # type: ignore[union-attr]
    contiguous = model.last_seq == model.events_seen
    print(f"events seen {model.events_seen} of {queue_ops + other_events} sent "
          f"(queue operations: {queue_events.count} seen, {queue_ops} made)")
    print(f"seq contiguous {'yes' if contiguous else 'no'}, lost {lost}, "
          f"errors {sum(1 for e in model.errors if e.actor == 'joinscope')}")
    print(f"rss start {_mb(rss_start)} MB end {_mb(rss_end)} MB growth {_mb(rss_end - rss_start)} MB")
    print(f"redraws/s {redraw_rate:.1f}")
    window.close()


if __name__ == "__main__":
    main()
