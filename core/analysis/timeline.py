"""What the plots draw, folded from events into numpy columns.

The run model answers "what is the state now"; the timeline keeps "how did it get
here": each queue's depth and unfinished count over time, how many tasks were
completed in each hundredth of a second, and every join (each actor's state
changes for the swimlanes are the model's).  It folds a whole batch at a time, so
its cost per event is a few list operations, and its memory stays bounded however
long the run (see :mod:`core.analysis.compaction`).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import compress
from operator import itemgetter

import numpy as np

from core.analysis.compaction import compact_steps
from core.analysis.series import Series
from core.analysis.units import SECONDS, TimeUnit
from core.events import CANCEL, DELIVER, GET, JOIN_ENTER, JOIN_RETURN, PUT, SUBMIT, TASK_DONE, TASK_START, Event

#: The kinds that change a queue's (or a pool's) counts: each is a point of its count history.
_COUNT_KINDS = frozenset({PUT, GET, TASK_DONE, SUBMIT, TASK_START, DELIVER, CANCEL})

_TIME, _KIND, _QUEUE, _DEPTH, _UNFINISHED = (itemgetter(i) for i in (1, 2, 5, 8, 9))
#: Completions are counted in bins this wide; the rate's window is a whole multiple.
RATE_BASE_S = 0.01
#: The windows the rate is averaged over, one picked per run (see :func:`rate_window`).
RATE_WINDOWS_S = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
#: The rate's window spans about this share of the run…
RATE_WINDOW_SHARE = 1 / 20
#: …and at least this many completions at the run's average rate, so a slow run's rate is
#: not drawn as spikes of one task per narrow bin.
RATE_WINDOW_TASKS = 4
#: Points the rate is drawn with at most.
RATE_POINTS = 1200
#: Rows of a queue's count history past which its older half is summarised (16 bytes a row).
MAX_STEP_ROWS = 900_000
#: ``task_done`` calls that brought unfinished to 0 remembered for naming what released a join.
_RELEASERS_KEPT = 1024


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
    #: What waited, when it is a pool's call (``join()``, ``as_completed()``, ``get()``…); ``None``
    #: for a queue's ``join()``.
    call: str | None = None

    def label(self, unit: TimeUnit = SECONDS) -> str:
        """What the plot writes at the join's return: how long it waited (in ``unit``), and what
        released it; a queue's join that returned at once is flagged (the race)."""
        call = self.call or "join()"
        if self.released_by is None:
            if self.call is None:
                return f"⚠ {self.actor}'s join() returned at once (unfinished 0)"
            return f"{self.actor}: {call} returned (waited {unit.span(self.waited)}; nothing to wait for)"
        who = f" ({self.released_by_actor})" if self.released_by_actor else ""
        what = "task_done" if self.call is None else "delivery"
        return f"{self.actor} waited {unit.span(self.waited)} in {call} · released by {what} #{self.released_by}{who}"


class Timeline:
    """Plot data for one run.  Feed it the same event batches as the run model, after it."""

    def __init__(self) -> None:
        self.queues: dict[str, Series] = {}
        #: Tasks completed in each :data:`RATE_BASE_S` since the start.
        self._done_counts = np.zeros(1024, np.int64)
        self._done_bins = 0
        #: What completes a task: task_done() on a queue — or, once the run shows a pool, a delivery
        #: (a queue feeding a pool marks a task done when its result is delivered: counted once).
        self._completing = TASK_DONE
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
        return self._done_counts.nbytes + sum(s.nbytes for s in self.queues.values())

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
                series = self.queue(name)
                if len(names) == 1:
                    series.extend(t=ts, depth=depths, unfinished=unfinished)
                else:
                    mine = [i for i, queue in enumerate(queues) if queue == name]
                    series.extend(t=[ts[i] for i in mine], depth=[depths[i] for i in mine],
                                  unfinished=[unfinished[i] for i in mine])
                if len(series) > MAX_STEP_ROWS:
                    t, depth, high = compact_steps(series.column("t"), series.column("depth"),
                                                   series.column("unfinished"), MAX_STEP_ROWS // 2)
                    series.replace(t=t, depth=depth, unfinished=high)
            if DELIVER in kinds and self._completing != DELIVER:
                self._completing = DELIVER
                self._done_counts[:self._done_bins] = 0
                self._done_bins = 0
            if self._completing in kinds:
                self._count_completions(list(compress(ts, map(self._completing.__eq__, kinds))))
            if (TASK_DONE in kinds and 0 in unfinished) or DELIVER in kinds or CANCEL in kinds:
                # What may release a join: a task_done() that brought unfinished to 0, any delivery.
                for event, kind, left in zip(counted, kinds, unfinished):
                    if (kind == TASK_DONE and left == 0) or kind == DELIVER or kind == CANCEL:
                        self._done_by[event.seq] = event.actor
                while len(self._done_by) > _RELEASERS_KEPT:
                    del self._done_by[next(iter(self._done_by))]
        if not rest:
            return
        for event in events:
            if event.kind == JOIN_ENTER:
                target = event.queue if event.queue is not None else str(event.item)
                mark = JoinMark(event.actor, target, event.queue is not None, event.t,
                                unfinished_at_entry=event.unfinished,
                                call=event.item if event.queue is not None and type(event.item) is str else None)
                self._open[event.actor] = mark
                self.joins.append(mark)
            elif event.kind == JOIN_RETURN:
                opened = self._open.pop(event.actor, None)
                if opened is not None:
                    opened.returned = event.t
                    opened.waited = event.waited
                    opened.released_by = event.released_by
                    opened.released_by_actor = self._done_by.get(event.released_by)  # type: ignore[arg-type]

    def _count_completions(self, times: list[float]) -> None:
        bins = (np.asarray(times) / RATE_BASE_S).astype(np.int64)
        first = int(bins[0])  # events come in time order
        counts = np.bincount(bins - first)
        end = first + len(counts)
        if end > len(self._done_counts):
            grown = np.zeros(max(end, 2 * len(self._done_counts)), np.int64)
            grown[:self._done_bins] = self._done_counts[:self._done_bins]
            self._done_counts = grown
        self._done_counts[first:end] += counts
        self._done_bins = max(self._done_bins, end)

    @property
    def completed(self) -> int:
        """Tasks completed so far (``task_done`` calls)."""
        return int(self._done_counts[:self._done_bins].sum())

    def rate_window(self, end: float | None = None) -> float:
        """The window the completion rate is averaged over for a run that has lasted ``end``
        seconds: a twentieth of it, at least four completions' worth at its average rate,
        rounded up to one of :data:`RATE_WINDOWS_S`."""
        end = max(self.last_t if end is None else end, RATE_BASE_S)
        done = self.completed
        wanted = max(end * RATE_WINDOW_SHARE, RATE_WINDOW_TASKS * end / done if done else 0.0)
        return next((w for w in RATE_WINDOWS_S if w >= wanted), RATE_WINDOWS_S[-1])

    def completion_rate(self, window_s: float | None = None, end: float | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Tasks completed per second over the ``window_s`` before each moment, from 0 to ``end``
        (the times, the rates).  Early on, while the run is younger than the window, the rate is
        over the run so far, so the curve's last value is always an honest rate, and its mean
        over the run is the run's average rate.  Without ``window_s``: :meth:`rate_window`."""
        end = max(self.last_t if end is None else end, RATE_BASE_S)
        if not self._done_bins:
            return np.zeros(0), np.zeros(0)
        window_s = self.rate_window(end) if window_s is None else window_s
        span = max(1, round(window_s / RATE_BASE_S))
        bins = max(int(np.ceil(end / RATE_BASE_S)), self._done_bins)
        counts = np.zeros(bins + 1, np.int64)
        counts[1:self._done_bins + 1] = self._done_counts[:self._done_bins]
        done_before = np.cumsum(counts)  # done_before[i]: completions in the bins before bin i
        step = max(1, -(-bins // RATE_POINTS))
        at = np.arange(step, bins + step, step)
        at[-1] = min(at[-1], bins)
        at = np.unique(at)
        since = np.maximum(at - span, 0)
        rates = (done_before[at] - done_before[since]) / ((at - since) * RATE_BASE_S)
        return at * RATE_BASE_S, rates

    def binned_rate(self, bin_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Tasks completed per second in bins of ``bin_s`` rounded to a whole number of
        :data:`RATE_BASE_S` (bin start times, rates)."""
        if not self._done_bins:
            return np.zeros(0), np.zeros(0)
        per_bin = max(1, round(bin_s / RATE_BASE_S))
        bins = -(-self._done_bins // per_bin)
        counts = np.zeros(bins * per_bin, np.int64)
        counts[:self._done_bins] = self._done_counts[:self._done_bins]
        width = per_bin * RATE_BASE_S
        sums = counts.reshape(bins, per_bin).sum(axis=1)
        return np.arange(bins, dtype=np.float64) * width, sums / width
