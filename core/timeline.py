"""What the plots draw, folded from events into numpy columns.

The run model answers "what is the state now"; the timeline keeps "how did it get
here": each queue's depth and unfinished count over time, when tasks were
completed, every join, and each actor's state changes for the swimlanes.  It
folds a whole batch at a time, so its cost per event is a few list operations.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import compress
from operator import itemgetter

import numpy as np

from core.events import GET, JOIN_ENTER, JOIN_RETURN, PUT, TASK_DONE, Event
from core.series import Series

_COUNT_KINDS = frozenset({PUT, GET, TASK_DONE})
_TIME, _KIND, _QUEUE, _DEPTH, _UNFINISHED = (itemgetter(i) for i in (1, 2, 5, 8, 9))
RATE_BINS = 50
RATE_MIN_BIN_S = 0.05


@dataclass
class JoinMark:
    """A join() as the plots mark it: entered, returned, and what released it."""

    actor: str
    target: str
    on_queue: bool
    entered: float
    returned: float | None = None
    waited: float | None = None
    released_by: int | None = None
    released_by_actor: str | None = None
    unfinished_at_entry: int | None = None


class Timeline:
    """Plot data for one run.  Feed it the same event batches as the run model, after it."""

    def __init__(self) -> None:
        self.queues: dict[str, Series] = {}
        self.completions = Series({"t": np.float64})
        self.joins: list[JoinMark] = []
        self._open: dict[str, JoinMark] = {}
        self._done_by: dict[int, str] = {}
        self.last_t = 0.0

    def queue(self, name: str) -> Series:
        series = self.queues.get(name)
        if series is None:
            series = self.queues[name] = Series({"t": np.float64, "depth": np.int32, "unfinished": np.int32})
            series.append(t=0.0, depth=0, unfinished=0)
        return series

    @property
    def nbytes(self) -> int:
        return self.completions.nbytes + sum(s.nbytes for s in self.queues.values())

    def extend(self, events: list[Event]) -> None:
        if not events:
            return
        self.last_t = events[-1].t
        kinds = list(map(_KIND, events))
        if set(kinds) <= _COUNT_KINDS:  # the usual batch: nothing but puts, gets and task_dones
            counted, rest = events, False
        else:
            counted = [e for e, kind in zip(events, kinds) if kind in _COUNT_KINDS]
            kinds = list(map(_KIND, counted))
            rest = True
        if counted:
            queues = list(map(_QUEUE, counted))
            ts = list(map(_TIME, counted))
            depths = list(map(_DEPTH, counted))
            unfinished = list(map(_UNFINISHED, counted))
            names = set(queues)
            for name in names:
                if len(names) == 1:
                    self.queue(name).extend(t=ts, depth=depths, unfinished=unfinished)
                else:
                    mine = [i for i, queue in enumerate(queues) if queue == name]
                    self.queue(name).extend(t=[ts[i] for i in mine], depth=[depths[i] for i in mine],
                                            unfinished=[unfinished[i] for i in mine])
            if TASK_DONE in kinds:
                self.completions.extend(t=list(compress(ts, map(TASK_DONE.__eq__, kinds))))
                if 0 in unfinished:
                    for event, kind, left in zip(counted, kinds, unfinished):
                        if kind == TASK_DONE and left == 0:
                            self._done_by[event.seq] = event.actor
        if not rest:
            return
        for event in events:
            if event.kind == JOIN_ENTER:
                target = event.queue if event.queue is not None else str(event.item)
                mark = JoinMark(event.actor, target, event.queue is not None, event.t,
                                unfinished_at_entry=event.unfinished)
                self._open[event.actor] = mark
                self.joins.append(mark)
            elif event.kind == JOIN_RETURN:
                mark = self._open.pop(event.actor, None)
                if mark is not None:
                    mark.returned = event.t
                    mark.waited = event.waited
                    mark.released_by = event.released_by
                    mark.released_by_actor = self._done_by.get(event.released_by)  # type: ignore[arg-type]

    def completion_rate(self, bin_s: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Tasks completed per second, in bins of ``bin_s`` (bin start times, rates).

        Without ``bin_s`` the bins are about a fiftieth of the run, so a short run and a
        long one both show their shape."""
        times = self.completions.column("t")
        if not len(times):
            return np.zeros(0), np.zeros(0)
        if bin_s is None:
            bin_s = max(RATE_MIN_BIN_S, self.last_t / RATE_BINS)
        counts = np.bincount((times / bin_s).astype(np.int64))
        starts = np.arange(len(counts), dtype=np.float64) * bin_s
        return starts, counts / bin_s
