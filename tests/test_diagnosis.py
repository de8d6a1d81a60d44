"""The stall diagnosis of a traced program: its own names, and the queue that join() waits on."""
from __future__ import annotations

from core.analysis.diagnosis import diagnose
from core.analysis.model import RunModel
from core.events import Event


class _Program:
    """Events of a program with a tasks queue and a results queue, numbered and counted as observed."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._ops: dict[str, int] = {}
        self._counts: dict[str, list[int]] = {}

    def __call__(self, kind: str, actor: str, queue: str | None = None, item: object = None) -> None:
        op = depth = unfinished = None
        if queue is not None:
            op = self._ops[queue] = self._ops.get(queue, 0) + 1
            counts = self._counts.setdefault(queue, [0, 0])
            counts[0] += {"put": 1, "get": -1}.get(kind, 0)
            counts[1] += {"put": 1, "task_done": -1}.get(kind, 0)
            depth, unfinished = counts
        seq = len(self.events) + 1
        self.events.append(Event(seq, seq / 100, kind, actor, 1, queue, op or 0, item, depth, unfinished))


def test_only_the_joined_queues_holders_are_named():
    # The worker forgets one task_done() on "tasks"; main reads "results" and, as such programs
    # often do, never marks them done — which is not why main's tasks.join() waits.
    event = _Program()
    event("actor_start", "main", item="main")
    event("actor_start", "worker", item="worker")
    for number in range(5):
        event("put", "main", "tasks", number)
    for number in range(5):
        event("get", "worker", "tasks", number)
        if number != 2:
            event("task_done", "worker", "tasks")
        event("put", "worker", "results", number * number)
    for number in range(5):
        event("get", "main", "results", number * number)
    event("get_wait", "worker", "tasks")
    event("join_enter", "main", "tasks")
    model = RunModel()
    model.apply(event.events)
    assert diagnose(model, 2.0) == ("main's tasks.join() waits with unfinished=1 while the queue holds 0 and every "
                                    "consumer is idle in get(): 1 task_done() call(s) are missing "
                                    "(worker got 5 item(s) and marked 4 done)")
