"""What ``joinscope trace`` says at the end, folded from the events without the run model.

The run model needs numpy and folds per-actor lanes; the end-of-trace report needs
only counts, the queues with their last counts, and the joins still waiting (what a
timeout interrupted), so a traced program's run does not pay for more.  Events come
as :class:`core.events.Event` lists (the window) or column blocks (``--no-gui``).
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Sequence

from core.events import GET, JOIN_ENTER, JOIN_RETURN, PUT, TASK_DONE, Event
from core.tracing.blocks import EventBlock

_JOINS = frozenset({JOIN_ENTER, JOIN_RETURN})


class TraceSummary:
    """Counts by kind, each queue's last depth and unfinished, and the joins not returned."""

    def __init__(self) -> None:
        self.events = 0
        self.kinds: Counter[str] = Counter()
        #: queue -> (depth, unfinished) after its last event.
        self.queues: dict[str, tuple[int, int]] = {}
        #: actor -> what it joins (a queue name, or a process's actor name) and whether it is a queue.
        self.open_joins: dict[str, tuple[str, bool]] = {}
        #: (kind, actor, queue) -> how many: who took tasks and who marked them done.
        self.by_actor: Counter[tuple[str, str, Any]] = Counter()

    def add(self, events: list[Event]) -> None:
        if events:
            self._fold(len(events), *zip(*(event[2:10] for event in events)))

    def add_blocks(self, blocks: Iterable[EventBlock]) -> None:
        for block in blocks:
            if block.times:
                self._fold(len(block.times), *block.columns[:8])

    def _fold(self, count: int, kinds: Sequence[str], actors: Sequence[str], _pids: Any, queues: Sequence[Any],
              _ops: Any, items: Sequence[Any], depths: Sequence[Any], unfinished: Sequence[Any]) -> None:
        self.events += count
        self.kinds.update(kinds)
        self.by_actor.update(zip(kinds, actors, queues))
        names = set(queues)
        names.discard(None)
        if names:
            backwards = list(reversed(queues))
            for name in names:
                last = count - 1 - backwards.index(name)
                self.queues[name] = (depths[last], unfinished[last])
        if not _JOINS.isdisjoint(kinds):
            for i, kind in enumerate(kinds):
                if kind == JOIN_ENTER:
                    on_queue = queues[i] is not None
                    self.open_joins[actors[i]] = (queues[i] if on_queue else str(items[i]), on_queue)
                elif kind == JOIN_RETURN:
                    self.open_joins.pop(actors[i], None)

    def lines(self) -> Iterable[str]:
        kinds = self.kinds
        yield (f"{self.events} events on {len(self.queues)} queue(s): puts {kinds[PUT]} · gets {kinds[GET]} · "
               f"task_done calls {kinds[TASK_DONE]}")
        for actor, (target, on_queue) in self.open_joins.items():
            if on_queue:
                depth, unfinished = self.queues[target]
                yield f"{actor} was still waiting in {target}.join() with unfinished={unfinished} (depth {depth})"
                yield from self._holders(target)
            else:
                yield f"{actor} was still waiting in join() of process {target}"

    def _holders(self, queue: str) -> Iterable[str]:
        """Each actor whose gets from ``queue`` and task_done() calls on it do not match."""
        counts = self.by_actor
        for actor in sorted({a for (kind, a, q) in counts if q == queue}):
            got, done = counts[(GET, actor, queue)], counts[(TASK_DONE, actor, queue)]
            if got != done:
                yield f"  {actor} got {got} item(s) from {queue} and called task_done() {done} time(s)"
