"""What ``joinscope trace`` says at the end, folded from the events without the run model.

The run model needs numpy and folds per-actor lanes; the end-of-trace report needs
only counts, the queues with their last counts, and the joins still waiting (what a
timeout interrupted), so a traced program's run does not pay for more.  Events come
as :class:`core.events.Event` lists (the window) or column blocks (``--no-gui``).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import compress, repeat
from typing import Any

from core.events import (
    CALLBACK,
    CANCEL,
    DELIVER,
    GET,
    JOIN_ENTER,
    JOIN_RETURN,
    POOL_KINDS,
    PUT,
    SUBMIT,
    TASK_DONE,
    TASK_START,
    Event,
)
from core.tracing.blocks import EventBlock

_JOINS = frozenset({JOIN_ENTER, JOIN_RETURN})
#: The kinds :attr:`TraceSummary.by_actor` counts: who took tasks and who marked them done.
_HOLDING = frozenset({GET, TASK_DONE})


def _last_index(values: Sequence[Any], value: Any) -> int:
    """The index of the last ``value`` in ``values`` (which holds it), found from the end."""
    if values[-1] == value:
        return len(values) - 1
    return len(values) - 1 - list(reversed(values)).index(value)


class TraceSummary:
    """Counts by kind, each queue's last depth and unfinished, and the joins not returned."""

    def __init__(self) -> None:
        self.events = 0
        self.kinds: Counter[str] = Counter()
        #: queue -> (depth, unfinished) after its last event.
        self.queues: dict[str, tuple[int, int]] = {}
        #: actor -> what it joins (a queue name, or a process's actor name), whether it is a queue, and
        #: for a pool the call that waits (``as_completed()``).
        self.open_joins: dict[str, tuple[Any, ...]] = {}
        #: (kind, actor, queue) -> how many, for gets and task_done calls: who took tasks and who marked them done.
        self.by_actor: Counter[tuple[str, str, Any]] = Counter()
        #: The pools among the queues, and how many of their tasks were delivered as an exception.
        self.pools: set[str] = set()
        self.raised = 0

    def add(self, events: list[Event]) -> None:
        if events:
            self._fold(len(events), *zip(*(event[2:10] for event in events)))

    def add_blocks(self, blocks: Iterable[EventBlock]) -> None:
        for block in blocks:
            if block.times:
                self._fold(len(block.times), *block.columns[:8])

    def _fold(self, count: int, kinds: Sequence[str], actors: Sequence[str], _pids: Any, queues: Sequence[Any],
              _ops: Any, items: Sequence[Any], depths: Sequence[Any], unfinished: Sequence[Any]) -> None:
        # Counted a kind (and an actor or queue) at a time with the sequences' own C loops:
        # a block has a handful of each, and a Counter over (kind, actor, queue) tuples costs
        # a tuple and its hash for every event.
        self.events += count
        kind_names = set(kinds)
        kind_counts = self.kinds
        for kind in kind_names:
            kind_counts[kind] += kinds.count(kind)
        names = set(queues)
        names.discard(None)
        if names:
            backwards = list(reversed(queues)) if len(names) > 1 else None
            for name in names:
                last = count - 1 - backwards.index(name) if backwards is not None else _last_index(queues, name)
                self.queues[name] = (depths[last], unfinished[last])
        if not kind_names.isdisjoint(_HOLDING):
            self._count_holders(kinds, actors, queues, kind_names, names)
        if not kind_names.isdisjoint(POOL_KINDS):
            self.pools.update(compress(queues, map(POOL_KINDS.__contains__, kinds)))
            if DELIVER in kind_names:
                self.raised += sum(1 for kind, item in zip(kinds, items) if kind == DELIVER and not item[1])
        if not _JOINS.isdisjoint(kind_names):
            for i, kind in enumerate(kinds):
                if kind == JOIN_ENTER:
                    on_queue = queues[i] is not None
                    self.open_joins[actors[i]] = (queues[i] if on_queue else str(items[i]), on_queue)
                    if on_queue and queues[i] in self.pools:
                        self.open_joins[actors[i]] = (queues[i], on_queue, str(items[i]))
                elif kind == JOIN_RETURN:
                    self.open_joins.pop(actors[i], None)

    def _count_holders(self, kinds: Sequence[str], actors: Sequence[str], queues: Sequence[Any],
                       kind_names: set[str], queue_names: set[str]) -> None:
        """Count the gets and task_done calls of each actor on each queue (what :meth:`_holders` compares)."""
        by_actor = self.by_actor
        actor_names = set(actors)
        if len(actor_names) == 1 and len(queue_names) == 1 and None not in queues:
            actor, queue = next(iter(actor_names)), next(iter(queue_names))
            for kind in _HOLDING & kind_names:
                by_actor[(kind, actor, queue)] += kinds.count(kind)
            return
        for kind in _HOLDING & kind_names:
            chosen = list(map(kind.__eq__, kinds))
            if len(queue_names) == 1 and None not in queues:
                queue = next(iter(queue_names))
                by_actor.update(zip(repeat(kind), compress(actors, chosen), repeat(queue)))
            else:
                by_actor.update(zip(repeat(kind), compress(actors, chosen), compress(queues, chosen)))

    def lines(self) -> Iterable[str]:
        kinds = self.kinds
        queues = len(self.queues) - len(self.pools)
        if queues or not self.pools:
            yield (f"{self.events} events on {queues} queue(s): puts {kinds[PUT]} · gets {kinds[GET]} · "
                   f"task_done calls {kinds[TASK_DONE]}")
        if self.pools:
            cancelled = f" · {kinds[CANCEL]} cancelled" if kinds[CANCEL] else ""
            yield (f"{f'{self.events} events' if not queues else 'and'} on {len(self.pools)} pool(s): "
                   f"{kinds[SUBMIT]} tasks submitted · {kinds[TASK_START]} started · {kinds[DELIVER]} delivered "
                   f"({self.raised} raised){cancelled} · {kinds[CALLBACK]} callbacks run")
        for actor, (target, on_queue, *call) in self.open_joins.items():
            if call:
                depth, unfinished = self.queues[target]
                yield (f"{actor} was still waiting in {call[0]} on {target} with {unfinished} task(s) not delivered "
                       f"({depth} not started)")
            elif on_queue:
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
