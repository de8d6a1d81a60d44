"""What ``joinscope trace`` says at the end, folded from the events without the run model.

The run model needs numpy and folds per-actor lanes; the end-of-trace report needs
only counts, the queues, and the joins still waiting (what a timeout interrupted),
so a traced program's run does not pay for more.
"""
from __future__ import annotations

from collections import Counter
from operator import attrgetter
from typing import Iterable

from core.events import GET, JOIN_ENTER, JOIN_RETURN, PUT, TASK_DONE, Event

_kind = attrgetter("kind")
_queue = attrgetter("queue")
_JOINS = frozenset({JOIN_ENTER, JOIN_RETURN})


class TraceSummary:
    """Counts by kind, the queues seen, the last counts of each, and the joins not returned."""

    def __init__(self) -> None:
        self.events = 0
        self.kinds: Counter[str] = Counter()
        self.queues: dict[str, Event] = {}
        self.open_joins: dict[str, Event] = {}

    def add(self, events: list[Event]) -> None:
        self.events += len(events)
        self.kinds.update(map(_kind, events))
        for name in set(map(_queue, events)) - {None}:
            self.queues[name] = next(e for e in reversed(events) if e.queue == name)
        if JOIN_ENTER in self.kinds or JOIN_RETURN in self.kinds:
            for event in events:
                if event.kind in _JOINS:
                    if event.kind == JOIN_ENTER:
                        self.open_joins[event.actor] = event
                    else:
                        self.open_joins.pop(event.actor, None)

    def lines(self) -> Iterable[str]:
        kinds = self.kinds
        yield (f"{self.events} events on {len(self.queues)} queue(s): puts {kinds[PUT]} · gets {kinds[GET]} · "
               f"task_done calls {kinds[TASK_DONE]}")
        for wait in self.open_joins.values():
            if wait.queue is None:
                yield f"{wait.actor} was still waiting in join() of process {wait.item}"
            else:
                last = self.queues[wait.queue]
                yield (f"{wait.actor} was still waiting in {wait.queue}.join() with unfinished={last.unfinished} "
                       f"(depth {last.depth})")
