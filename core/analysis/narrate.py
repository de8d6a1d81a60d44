"""Plain-language lines for events, in the spirit of the tutorial's printed output.

``Narrator.line(event)`` is called after the run model has applied the event, so it
can say what the event means for the run (which task a ``task_done()`` finished, why
a ``join()`` returned) and not only what happened.
"""
from __future__ import annotations

from collections.abc import Iterable

from core import system
from core.analysis.model import STOP_EXIT_CODES, RunModel
from core.backends import PROCESS, describe
from core.events import (
    ACTOR_EXIT,
    ACTOR_RETIRE,
    ACTOR_START,
    ERROR,
    GET,
    GET_WAIT,
    JOIN_ENTER,
    JOIN_RETURN,
    MAIN_ACTOR,
    PUT,
    PUT_WAIT,
    RUN_STOP,
    TASK_DONE,
    Event,
    describe_item,
)

#: The kinds :meth:`Narrator.line` has a sentence for (an actor_start of main excepted).
NARRATED_KINDS = frozenset({PUT, GET, TASK_DONE, GET_WAIT, PUT_WAIT, JOIN_ENTER, JOIN_RETURN, ACTOR_RETIRE,
                            ACTOR_START, ACTOR_EXIT, RUN_STOP, ERROR})


def is_told(event: Event) -> bool:
    """Whether :meth:`Narrator.line` has a sentence for ``event`` (without making it)."""
    return event.kind in NARRATED_KINDS and (event.kind != ACTOR_START or event.actor != MAIN_ACTOR)


class Narrator:
    """Turns events into sentences; remembers which item each actor got last."""

    def __init__(self, model: RunModel, maxsize: int = 0, backend: str = PROCESS) -> None:
        self.model = model
        self.maxsize = maxsize
        #: What the actors are (processes, threads, asyncio tasks): how an actor ends reads differently.
        self.backend = backend
        self._last_got: dict[str, object] = {}

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
            if is_told(event):
                untold += 1
        return untold

    def line(self, event: Event) -> str | None:
        """The sentence for ``event``, or ``None`` for events not worth a line."""
        kind = event.kind
        who = event.actor
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
            return f"{who} marked {what} done"
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
            return f"{who} {how_it_ended(event.exitcode, self.backend)}"
        if kind == RUN_STOP:
            return "the run was stopped: every actor is asked to end now"
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
            line = (f"{who} found that all tasks are processed (waited {seconds_text(event.waited)}, "
                    f"released by task_done #{event.released_by})")
        # As the model found them when it applied this return: the narration may come after a
        # whole batch was applied, and the late producer's exit may be in it.
        wait = next((w for w in reversed(self.model.joins)
                     if w.actor == who and w.on_queue and w.returned == event.t), None)
        unfinished = wait.producers_unfinished if wait is not None else self.model.producers_unfinished()
        if unfinished:
            line += f" — but {', '.join(unfinished)} had not finished adding tasks!"
        return line


def seconds_text(seconds: float | None) -> str:
    """A wait as the narration prints it; a trace may leave it unknown (null)."""
    return "an unknown time" if seconds is None else f"{seconds:.2f} s"


def counts_suffix(event: Event) -> str:
    if event.queue is None:
        return ""
    return f"depth {event.depth:>3}  unfinished {event.unfinished:>3}"


#: What an actor is, by backend, as the narration names it.


def how_it_ended(exitcode: int, backend: str = PROCESS) -> str:
    """How an actor with this (non-zero) exit code ended, for a person to read (a thread or
    a task has no exit code of its own: 1 means it died of an exception)."""
    if backend != PROCESS:
        return f"died of an exception (its {describe(backend).unit} ended)"
    return system.how_it_ended(exitcode)  # a signal on POSIX, a Windows code by its meaning
