"""Plain-language lines for events, in the spirit of the tutorial's printed output.

``Narrator.line(event)`` is called after the run model has applied the event, so it
can say what the event means for the run (which task a ``task_done()`` finished, why
a ``join()`` returned) and not only what happened.
"""
from __future__ import annotations

from collections.abc import Iterable

from core import system
from core.analysis.model import STOP_EXIT_CODES, TERMINATED, RunModel
from core.analysis.pool_narration import PoolNarration
from core.analysis.units import SECONDS, TimeUnit
from core.backends import PROCESS, describe
from core.events import (
    ACTOR_EXIT,
    ACTOR_RETIRE,
    ACTOR_START,
    ACTOR_UNITS,
    CALLBACK,
    ERROR,
    EXIT_RAISED,
    GET,
    GET_EMPTY,
    GET_WAIT,
    JOIN_ENTER,
    JOIN_RETURN,
    MAIN_ACTOR,
    POOL_KINDS,
    POOL_NAME_PREFIXES,
    PUT,
    PUT_FULL,
    PUT_WAIT,
    RUN_PAUSE,
    RUN_RESUME,
    RUN_STOP,
    STALL,
    TASK_DONE,
    Event,
    describe_item,
)

#: The kinds :meth:`Narrator.line` has a sentence for (an actor_start of main excepted).
NARRATED_KINDS = frozenset({PUT, GET, TASK_DONE, GET_WAIT, PUT_WAIT, GET_EMPTY, PUT_FULL, JOIN_ENTER, JOIN_RETURN,
                            ACTOR_RETIRE, ACTOR_START, ACTOR_EXIT, RUN_STOP, RUN_PAUSE, RUN_RESUME, STALL, ERROR}
                           | POOL_KINDS) - {CALLBACK}
#: The answer to a reader's question ("does task_done() remove the item from the queue?"),
#: told at the first task_done() of a run.
TASK_DONE_ANSWER = "task_done() removes nothing from the queue: depth fell at get(), unfinished falls now"


def is_told(event: Event) -> bool:
    """Whether :meth:`Narrator.line` has a sentence for ``event`` (without making it)."""
    return event.kind in NARRATED_KINDS and (event.kind != ACTOR_START or event.actor != MAIN_ACTOR)


class Narrator:
    """Turns events into sentences; remembers which item each actor got last."""

    def __init__(self, model: RunModel, maxsize: int = 0, backend: str = PROCESS, unit: TimeUnit = SECONDS) -> None:
        self.model = model
        self.maxsize = maxsize
        #: What the actors are (processes, threads, asyncio tasks): how an actor ends reads differently.
        self.backend = backend
        #: What the events' times count: seconds, or a stepped run's steps.
        self.unit = unit
        self._last_got: dict[str, object] = {}
        #: The pools seen so far (their joins are told as a pool's), and what is told of them.
        self._pools: set[str] = set()
        self._pool = PoolNarration()
        #: The first task_done() told so far has had the answer to the reader's question.
        self._answered = False

    def follow(self, events: Iterable[Event]) -> int:
        """Keep up with ``events`` without a sentence for them (a reader shown only the newest
        lines of a long batch): what each actor got last, which its task_done() finishes.
        Returns how many of them would have had a sentence."""
        last_got = self._last_got
        untold = 0
        for event in events:
            kind = event.kind
            if kind == GET:
                last_got[event.actor] = event.item
            elif kind == TASK_DONE:
                last_got.pop(event.actor, None)
            elif kind in POOL_KINDS:
                self._pools.add(event.queue)  # type: ignore[arg-type]
                self._pool.follow(event)
            if is_told(event):
                untold += 1
        return untold

    def line(self, event: Event) -> str | None:
        """The sentence for ``event``, or ``None`` for events not worth a line."""
        kind = event.kind
        who = event.actor
        if kind in POOL_KINDS:
            self._pools.add(event.queue)  # type: ignore[arg-type]
            return self._pool.line(event)
        if event.queue is not None and event.queue in self._pools and kind != ERROR:
            return self._pool.line(event)
        if kind == PUT:
            if event.item is None:
                return f"{who} added None, the sentinel: no more tasks"
            return f"{who} added {describe_item(event.item)}"
        if kind == GET:
            self._last_got[who] = event.item
            if event.item is None:
                return f"{who} got the sentinel None"
            return f"{who} got {describe_item(event.item)}"
        if kind == TASK_DONE:
            item = self._last_got.pop(who, None)
            what = "the sentinel" if item is None else describe_item(item)
            if not self._answered:
                self._answered = True
                return f"{who} marked {what} done — {TASK_DONE_ANSWER}"
            return f"{who} marked {what} done"
        if kind == GET_EMPTY:
            return f"{who}'s get() raised Empty: no item came in time"
        if kind == PUT_FULL:
            return f"{who}'s put() of {describe_item(event.item)} raised Full: no room came in time"
        if kind == GET_WAIT:
            return f"{who} waits in get(): the queue is empty"
        if kind == PUT_WAIT:
            limit = f" ({self.maxsize} of {self.maxsize})" if self.maxsize else ""
            return f"{who} waits in put(): the queue is full{limit}"
        if kind == JOIN_ENTER:
            if event.queue is None:
                return f"{who} waits for {event.item} to finish"
            return f"{who} waits in {event.queue}.join() for {event.unfinished} unfinished task(s)"
        if kind == JOIN_RETURN:
            return self._join_returned(event)
        if kind == ACTOR_RETIRE:
            return f"{who} was asked to retire: it finishes what it holds, then exits"
        if kind == ACTOR_START:
            return f"{who} starting" if who != MAIN_ACTOR else None
        if kind == ACTOR_EXIT:
            if event.exitcode == 0:
                return f"{who} finished"
            if event.exitcode is None or (self.model.stopped and event.exitcode in STOP_EXIT_CODES):
                return f"{who} was stopped"
            if event.exitcode == TERMINATED:
                return f"{who} was terminated (SIGTERM, exit code {TERMINATED}): asked to end, not crashed"
            unit = event.item if event.item in ACTOR_UNITS else describe(self.backend).unit
            return f"{who} {how_it_ended(event.exitcode, unit)}"
        if kind == RUN_STOP:
            return "the run was stopped: every actor is asked to end now"
        if kind == RUN_PAUSE:
            return f"the run was paused: every {describe(self.backend).unit} is held where it is"
        if kind == RUN_RESUME:
            began = self.model.pauses[-1][0] if self.model.pauses else None
            length = f" after {self.unit.span(event.t - began)}" if began is not None else ""
            return f"the run goes on{length}"
        if kind == STALL:
            return f"stalled: {event.item}"
        if kind == ERROR:
            return f"{who}: {event.error}"
        return None

    def _join_returned(self, event: Event) -> str:
        who = event.actor
        if event.queue is None:
            return f"{who} found that {event.item} has finished"
        if event.released_by is None:
            line = f"{who}'s {event.queue}.join() returned at once: unfinished was 0"
        else:
            paused = self._paused_during(event.t - event.waited, event.t) if event.waited is not None else 0.0
            of_which = f", {self.unit.span(paused)} of it paused" if paused else ""
            line = (f"{who} found that all tasks are processed (waited {self.unit.span(event.waited)}{of_which}, "
                    f"released by task_done #{event.released_by})")
        # As the model found them when it applied this return: the narration may come after a
        # whole batch was applied, and the late producer's exit may be in it.
        wait = next((w for w in reversed(self.model.joins)
                     if w.actor == who and w.on_queue and w.returned == event.t), None)
        unfinished = wait.producers_unfinished if wait is not None else self.model.producers_unfinished()
        if unfinished:
            line += f" — but {', '.join(unfinished)} had not finished adding tasks!"
        return line


    def _paused_during(self, start: float, end: float) -> float:
        """How much of ``start`` … ``end`` the run spent paused."""
        return sum(max(0.0, min(end, stop if stop is not None else end) - max(start, begin))
                   for begin, stop in self.model.pauses if begin is not None)


def counts_suffix(event: Event) -> str:
    """The counts after ``event``: a queue's depth and unfinished, or a pool's tasks not yet started
    ("waiting") and not yet delivered."""
    if event.queue is None:
        return ""
    if event.kind in POOL_KINDS or event.queue.startswith(POOL_NAME_PREFIXES):
        return f"waiting {event.depth:>4}  undelivered {event.unfinished:>4}"
    return f"depth {event.depth:>3}  unfinished {event.unfinished:>3}"


def how_it_ended(exitcode: int, unit: str = PROCESS) -> str:
    """How an actor with this (non-zero) exit code ended, for a person to read; ``unit`` is
    what it ran in (a thread or a task has no exit code of its own: 1 means it died of an
    exception, another code is a task's ``sys.exit()``)."""
    if unit != PROCESS:
        if exitcode == EXIT_RAISED:
            return f"died of an exception (its {unit} ended)"
        return f"called sys.exit({exitcode}) (its {unit} ended)"
    return system.how_it_ended(exitcode)  # a signal on POSIX, a Windows code by its meaning
