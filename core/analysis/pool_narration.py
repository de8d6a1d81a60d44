"""Plain-language lines for a pool's events: what happened to each task, and what it means.

:class:`core.analysis.narrate.Narrator` asks here for the events of a pool (see
:data:`core.events.POOL_KINDS`) and for the joins on one: a task submitted, taken by a
worker, finished (in how long), delivered (and whether any callback heard of a failure),
its callback run on the result handler's thread, and how many tasks are still not
delivered — the pool's own "unfinished".
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.events import (
    CALLBACK,
    CALLBACK_RETURN,
    CANCEL,
    DELIVER,
    GET_WAIT,
    JOIN_ENTER,
    JOIN_RETURN,
    MAP_LISTED,
    SUBMIT,
    TASK_FINISH,
    TASK_START,
    Event,
)

if TYPE_CHECKING:
    from core.analysis.model import RunModel

#: Calls that wait for every task (and for the workers to exit), not for one task's result.
WHOLE_POOL_CALLS = frozenset({"join()", "shutdown()"})


def task_name(item: Any) -> str:
    """``task 41`` (a task's key is the first field of its item, or the item itself)."""
    key = item[0] if type(item) is tuple else item
    return f"task {key}"


def undelivered(event: Event) -> str:
    count = event.unfinished or 0
    return f"{count:,} task{'' if count == 1 else 's'} not yet delivered"


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.001 else f"{seconds * 1000:.2f} ms"


class PoolNarration:
    """What a narrator remembers of pools: when each worker started its task, when each callback began."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}
        self._callback_began: dict[str, float] = {}

    def follow(self, event: Event) -> None:
        """Keep up with an event that gets no sentence."""
        kind = event.kind
        if kind == TASK_START:
            self._started[event.actor] = event.t
        elif kind == TASK_FINISH:
            self._started.pop(event.actor, None)
        elif kind == CALLBACK:
            self._callback_began[event.actor] = event.t

    def line(self, event: Event) -> str | None:
        kind, who, item = event.kind, event.actor, event.item
        if kind == SUBMIT:
            return f"{who} submitted {task_name(item)}: {item[1]}"
        if kind == TASK_START:
            self._started[who] = event.t
            return f"{who} started {task_name(item)}"
        if kind == TASK_FINISH:
            began = self._started.pop(who, None)
            took = f" in {milliseconds(event.t - began)}" if began is not None else ""
            if item[1]:
                return f"{who} finished {task_name(item)}{took} → {item[2]}"
            return f"{who}: {task_name(item)} raised {item[2]}{' after ' + took[4:] if took else ''}"
        if kind == DELIVER:
            return self._delivered(event)
        if kind == CANCEL:
            return f"{who}: {task_name(item)} left the pool without running ({item[1]}); {undelivered(event)}"
        if kind == CALLBACK:
            self._callback_began[who] = event.t
            return None
        if kind == CALLBACK_RETURN:
            began = self._callback_began.pop(who, None)
            took = f" ({milliseconds(event.t - began)})" if began is not None else ""
            which = item[1]
            outcome = "" if item[2] else " — and raised"
            return f"{task_name(item)}'s {which} ran on {who}{took}{outcome}; {undelivered(event)}"
        if kind == MAP_LISTED:
            count, seconds = item
            return (f"{who}'s map() read all {count:,} items into a list ({seconds:.2f} s) before it submitted a "
                    "task: an iterable with no len() is consumed up front")
        if kind == GET_WAIT:
            return f"{who} waits for its first task"
        if kind == JOIN_ENTER:
            return self._join_entered(event)
        if kind == JOIN_RETURN:
            return self._join_returned(event)
        return None

    def _delivered(self, event: Event) -> str:
        who, item = event.actor, event.item
        task = task_name(item)
        if item[1]:
            return f"{who} delivered {task}'s result; {undelivered(event)}"
        if item[2] is False:
            return (f"{who} delivered {task}'s exception — it has no error_callback, so nobody hears of it "
                    f"until get() is called; {undelivered(event)}")
        to = " to its error_callback" if item[2] else ""
        return f"{who} delivered {task}'s exception{to}; {undelivered(event)}"

    @staticmethod
    def _join_entered(event: Event) -> str:
        call = event.item
        if call in WHOLE_POOL_CALLS:
            return f"{event.actor} waits in {event.queue}.{call} for {undelivered(event)} and the workers to exit"
        return f"{event.actor} waits in {call} for a result from {event.queue} ({undelivered(event)})"

    @staticmethod
    def _join_returned(event: Event) -> str:
        call, who = event.item, event.actor
        waited = f"waited {event.waited:.2f} s" if event.waited is not None else "waited an unknown time"
        where = f"{event.queue}.{call}" if call in WHOLE_POOL_CALLS else call
        if event.released_by is not None:
            return f"{who}'s {where} returned ({waited}, released by delivery #{event.released_by})"
        if call in WHOLE_POOL_CALLS:
            return f"{who}'s {where} returned ({waited}): every task was delivered already; the workers exited"
        return f"{who}'s {where} returned ({waited})"


def pools_text(model: RunModel) -> str | None:
    """What a run's pools did, in one sentence (``None``: the run has no pool)."""
    pools = model.pools
    if not pools:
        return None
    submitted, delivered = sum(q.submitted for q in pools), sum(q.delivered for q in pools)
    raised, callbacks = sum(q.raised for q in pools), sum(q.callbacks for q in pools)
    return (f"{submitted:,} task(s) submitted to {len(pools)} pool(s), {delivered:,} delivered ({raised:,} raised), "
            f"{callbacks:,} callback(s) run")
