"""What the overhead benchmarks share, whatever runs the program: the workloads, and an
observer that counts every record as it arrives and proves, after the clock stops, that
each arrived exactly once (see :mod:`benchmarks.overhead`)."""
from __future__ import annotations

import statistics
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter

from core.events import GET, JOIN_RETURN, PUT, TASK_DONE
from core.queues.merge import EventMerger

QUEUE_NAME = "tasks"
#: How long the observer waits on the channel before it looks at the stop flag, and
#: how long it waits on the channel before it looks whether the program is over.
OBSERVER_POLL_S = 0.005
#: How long the observed run may take to deliver its last event after the consumer exited.
DRAIN_DEADLINE_S = 30.0


@dataclass(frozen=True)
class Workload:
    name: str
    tasks: int
    work_s: float


WORKLOADS = (Workload("tiny-tasks", 100_000, 0.0), Workload("1ms-tasks", 2_000, 0.001))
QUICK_WORKLOADS = (Workload("tiny-tasks", 10_000, 0.0), Workload("1ms-tasks", 200, 0.001))



class Observer(threading.Thread):
    """Takes every record as it arrives (``take(timeout)`` returns those there are, waiting
    up to ``timeout`` for a first) and counts them by kind.  Merging them into one numbered
    stream is the window's and the CLI's work, not the cost of observing, so it happens
    after the clock stops, where :func:`_check` proves every event arrived exactly once."""

    def __init__(self, take: Callable[[float], list]) -> None:
        super().__init__(name="overhead-observer", daemon=True)
        self._take = take
        self._program_done = threading.Event()
        self.records: list[tuple] = []
        self.kinds: Counter[str] = Counter()

    def finish(self) -> None:
        """The program is over: drain what is left, then stop."""
        self._program_done.set()

    def run(self) -> None:
        take, records, kinds = self._take, self.records, self.kinds
        while True:
            done = self._program_done.is_set()  # read before taking: nothing can arrive after it
            received = take(OBSERVER_POLL_S)
            if received:
                kinds.update(map(_kind, received))
                records += received
            elif done:
                return


_kind = itemgetter(1)


def verify(observer: Observer, t0: float, workload: Workload) -> None:
    """Every operation was counted as it arrived, and the merged stream is exact (after the clock stopped)."""
    for kind in (PUT, GET, TASK_DONE):
        assert observer.kinds[kind] == workload.tasks + 1, f"{observer.kinds[kind]} {kind} events counted"
    merger = EventMerger(t0)
    merger.add(observer.records)
    _check(merger.pop_ready(final=True), workload.tasks, merger.lost_ops)


def _check(events: list, tasks: int, lost_ops: int) -> None:
    """Every event arrived exactly once, in a contiguous ``seq``, and the counts add up."""
    assert not lost_ops, f"{lost_ops} operations never reported"
    assert [e.seq for e in events] == list(range(1, len(events) + 1)), "seq not contiguous"
    kinds = Counter(e.kind for e in events)
    for kind in (PUT, GET, TASK_DONE):
        assert kinds[kind] == tasks + 1, f"{kinds[kind]} {kind} events for {tasks + 1} operations"
    done = [e for e in events if e.kind == TASK_DONE]
    assert done[-1].unfinished == 0, f"final unfinished {done[-1].unfinished}"
    queue_joins = [e for e in events if e.kind == JOIN_RETURN and e.queue == QUEUE_NAME]
    assert len(queue_joins) == 1 and queue_joins[0].unfinished == 0, queue_joins


def report(title: str, name: str, plain: list[float], observed: list[float]) -> None:
    """Print the throughputs of each round and the median ratio observed/plain, as ``NAME ratio 0.xx``."""
    ratios = [o / p for p, o in zip(plain, observed)]
    print(title)
    print(f"  plain    tasks/s  median {statistics.median(plain):10.0f}  " + " ".join(f"{v:.0f}" for v in plain))
    print(f"  observed tasks/s  median {statistics.median(observed):10.0f}  " + " ".join(f"{v:.0f}" for v in observed))
    print("  ratios " + " ".join(f"{r:.2f}" for r in ratios))
    print(f"{name} ratio {statistics.median(ratios):.2f}", flush=True)
