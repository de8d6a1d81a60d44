"""What a step did, in one or two plain sentences, with the counts before → after.

Step mode (:mod:`core.stepping.gate`) cuts a run into steps: a ``step_grant`` lets one
actor make one operation, and the events up to the next grant are what that
operation caused — the operation itself, and whatever it woke (a ``get()`` that was
waiting, a ``join()`` that unfinished = 0 released).  :class:`StepNarrator` groups
the events into :class:`Step` s and tells each one the way a teacher would: what
happened, and why, in terms of the two counters ``task_done()`` and ``join()`` are
about.  It reads the run model (after the model has folded the same events) for
what the step alone cannot say: who is still waiting, which producers are not done.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from core.analysis.model import RunModel
from core.analysis.narrate import TASK_DONE_ANSWER, how_it_ended
from core.analysis.units import STEPS
from core.backends import ASYNCIO, PROCESS, describe
from core.events import (
    ACTOR_EXIT,
    ERROR,
    GET,
    GET_WAIT,
    JOIN_ENTER,
    JOIN_RETURN,
    MAIN_ACTOR,
    PUT,
    PUT_WAIT,
    STEP_GRANT,
    STEP_READY,
    TASK_DONE,
    Event,
    counts_of,
    describe_item,
)

#: What an actor is, by backend.


@dataclass
class Step:
    """One granted operation and the events it caused."""

    number: int
    actor: str
    #: What the actor was paused before: ``(operation, target, function, line)``.
    operation: tuple
    #: The queue's (depth, unfinished) when the step was granted.
    before: tuple[int, int]
    events: list[Event] = field(default_factory=list)
    seq: int = 0
    #: Actors blocked in a queue's join() when the step began: actor -> queue.
    joining: dict[str, str] = field(default_factory=dict)

    @property
    def after(self) -> tuple[int, int]:
        """The queue's (depth, unfinished) after the last operation of the step."""
        for event in reversed(self.events):
            if event.queue is not None:
                return counts_of(event)
        return self.before


class StepNarrator:
    """Groups events into steps and says what each step did."""

    def __init__(self, model: RunModel, maxsize: int = 0, backend: str = PROCESS) -> None:
        self.model = model
        self.maxsize = maxsize
        #: What the actors are: the stories say where the backends differ.
        self.backend = backend
        self.steps: list[Step] = []
        #: How many steps a reader has already told (the CLI prints each step once).
        self.told = 0
        self._counts = (0, 0)
        self._joining: dict[str, str] = {}
        #: The step at which each actor entered its open join, and how many steps each
        #: returned join waited (by its ``seq``): a stepped wait is told in steps.
        self._join_began: dict[str, int] = {}
        self._waited_steps: dict[int, int] = {}

    @property
    def current(self) -> Step | None:
        return self.steps[-1] if self.steps else None

    def feed(self, events: list[Event]) -> None:
        """Add events (in seq order, already folded into the model)."""
        for event in events:
            if event.kind == STEP_GRANT:
                step = Step(len(self.steps) + 1, event.actor, tuple(event.item), self._counts, seq=event.seq,
                            joining=dict(self._joining))
                self.steps.append(step)
                continue
            if event.queue is not None:
                self._counts = (event.depth, event.unfinished)  # type: ignore[assignment]
                if event.kind == JOIN_ENTER:
                    self._join_began[event.actor] = len(self.steps)
                    if event.unfinished:
                        self._joining[event.actor] = event.queue
                elif event.kind == JOIN_RETURN:
                    self._joining.pop(event.actor, None)
                    began = self._join_began.pop(event.actor, None)
                    if began is not None:
                        self._waited_steps[event.seq] = len(self.steps) - began
            if self.steps:
                self.steps[-1].events.append(event)

    # -- the story ------------------------------------------------------------------------
    def story(self, step: Step | None = None) -> str:
        """One or two sentences about ``step`` (default: the latest)."""
        step = step if step is not None else self.current
        if step is None:
            return "Every actor has paused before its first operation. Press Step to let one go."
        sentences = [self._what_the_actor_did(step), self._how_it_failed(step)]
        sentences += self._what_it_woke(step)
        sentences += self._why_others_wait(step)
        sentences.append(self._backend_note(step))
        return " ".join(sentence for sentence in sentences if sentence)

    def _what_the_actor_did(self, step: Step) -> str:
        who = step.actor
        operation, target = step.operation[0], step.operation[1]
        mine = [e for e in step.events if e.actor == who]
        kinds = [e.kind for e in mine]
        unfinished_before = step.before[1]
        error = next((e for e in mine if e.kind == ERROR), None)
        if operation == "put":
            put = next((e for e in mine if e.kind == PUT), None)
            if put is None and PUT_WAIT in kinds:
                limit = f" (maxsize {self.maxsize})" if self.maxsize else ""
                return (f"{who} called put() on a full queue{limit}, so it blocks until a consumer's get() "
                        f"makes room.")
            if put is None:
                return f"{who} called put()."
            what = "None, the sentinel that tells a consumer to stop," if put.item is None else describe_item(put.item)
            depth, unfinished = counts_of(put)
            return (f"{who} put {what} on the queue: depth {depth - 1} → {depth}, unfinished "
                    f"{unfinished - 1} → {unfinished} (every put() adds an unfinished task).")
        if operation == "get":
            got = next((e for e in mine if e.kind == GET), None)
            if got is None:
                return (f"{who} called get() on an empty queue, so it blocks: it waits until someone puts an "
                        f"item.")
            depth, unfinished = counts_of(got)
            if got.item is None:
                return (f"{who} got None, the sentinel: depth {depth + 1} → {depth}; it leaves its loop. "
                        f"The sentinel still counts as unfinished ({unfinished}) until its task_done().")
            waited = " after waiting" if GET_WAIT in kinds else ""
            return (f"{who} got {describe_item(got.item)}{waited}: depth {depth + 1} → {depth}, while "
                    f"unfinished stays {unfinished} — a task counts until task_done() says it is finished.")
        if operation == "task_done":
            if error is not None:
                return (f"{who} called task_done() with unfinished already 0: ValueError, task_done() called "
                        f"too many times. Each task_done() must match one get().")
            done = next((e for e in mine if e.kind == TASK_DONE), None)
            if done is None:
                return f"{who} called task_done()."
            _, unfinished = counts_of(done)
            answer = f" {TASK_DONE_ANSWER[0].upper()}{TASK_DONE_ANSWER[1:]}." if step is self._first_step(
                "task_done") else ""
            return f"{who} called task_done(): unfinished {unfinished + 1} → {unfinished}.{answer}"
        if operation == "join" and target not in self.model.actors:
            return self._queue_join(step, mine, unfinished_before)
        if operation == "join":
            returned = any(e.kind == JOIN_RETURN for e in mine)
            if returned:
                return f"{who} called {target}.join(): {target} had already exited, so it returned at once."
            return f"{who} called {target}.join(): it waits until {target}'s process exits."
        if operation == "exit":
            exit_event = next((e for e in step.events if e.kind == ACTOR_EXIT and e.actor == who), None)
            function = step.operation[2] or "its function"
            if exit_event is not None and exit_event.exitcode not in (0, None):
                if self.backend != PROCESS:
                    return f"{who} left {function}(): its {describe(self.backend).unit} died of the exception."
                return f"{who} left {function}() and its process {how_it_ended(exit_event.exitcode)}."
            if who == MAIN_ACTOR:
                return "main returned from main(): the program is over."
            return f"{who} returned from {function}(), and its {describe(self.backend).unit} ended."
        return f"{who} made a step ({operation})."

    def _backend_note(self, step: Step) -> str:
        """Where this backend differs, said once: at the first step where it shows."""
        backend, operation = self.backend, step.operation[0]
        if backend == ASYNCIO and operation != "task_done" and any(
                e.kind == TASK_DONE and e.actor == step.actor for e in step.events):
            return ("On asyncio, task_done() is a plain call, not awaited: a task can only pause at an await, so "
                    f"{step.actor} ran on through task_done() to its next await in the same step.")
        if step is self._first_step("put"):
            return {"process": "(On processes, put() pickles the item and a feeder thread writes it to a pipe; "
                               "get() in another process unpickles a copy.)",
                    "thread": "(On threads, put() hands over the object itself: nothing is copied, and the GIL "
                              "lets one thread run Python at a time.)",
                    "asyncio": "(On asyncio, put() is awaited: a task only gives way at an await, so a coroutine "
                               "that never awaits would keep every other task waiting.)"}.get(backend, "")
        if step is self._first_step("join", queue=True):
            return {"process": "(join() waits on a semaphore that every process of the run shares.)",
                    "thread": "(main's thread sleeps in join() on the queue's condition until task_done() "
                              "wakes it.)",
                    "asyncio": "(On asyncio, join() is awaited: main's coroutine is suspended and the loop runs "
                               "the other tasks meanwhile.)"}.get(backend, "")
        if step.number == 1 and backend == PROCESS:
            return ("(Each actor is a process started with spawn: a fresh interpreter that imports the code and "
                    "unpickles its arguments — a tenth of a second, where a thread starts in microseconds.)")
        return ""

    def _first_step(self, operation: str, queue: bool = False) -> Step | None:
        for step in self.steps:
            if step.operation[0] == operation and (not queue or step.operation[1] not in self.model.actors):
                return step
        return None

    def _how_it_failed(self, step: Step) -> str:
        """An exception in the actor's own code after its operation (the crash pitfall)."""
        if step.operation[0] == "task_done":
            return ""  # a surplus task_done()'s ValueError is the operation's own story
        error = next((e for e in step.events if e.kind == ERROR and e.actor == step.actor), None)
        if error is None:
            return ""
        actor = self.model.actors.get(step.actor)
        held = actor.last_item if actor is not None and actor.in_progress else None
        if held is None:
            return f"Then {step.actor} failed: {error.error}."
        return (f"Then {step.actor} failed while working on {describe_item(held)}: {error.error}. Nobody will call "
                f"task_done() for that task, so unfinished can never reach 0.")

    def _queue_join(self, step: Step, mine: list[Event], unfinished0: int) -> str:
        who, target = step.actor, step.operation[1]
        returned = next((e for e in mine if e.kind == JOIN_RETURN), None)
        if returned is None:
            return (f"{who} called {target}.join() with unfinished = {unfinished0}, so it blocks until "
                    f"task_done() has been called for every one of them.")
        wait = next((w for w in reversed(self.model.joins) if w.actor == who and w.on_queue), None)
        late = wait.producers_unfinished if wait is not None else ()
        line = f"{who} called {target}.join() with unfinished = 0, so it returned at once"
        if late:
            return (line + f" — while {', '.join(late)} had not finished adding tasks. join() only waits "
                    f"for tasks already put: it saw unfinished = 0 too early. Join the producer first.")
        return line + "."

    def _what_it_woke(self, step: Step) -> list[str]:
        sentences = []
        for event in step.events:
            if event.actor == step.actor:
                continue
            if event.kind == GET:
                what = "None, the sentinel" if event.item is None else describe_item(event.item)
                depth, _ = counts_of(event)
                sentences.append(f"That woke {event.actor}, which was waiting in get(): it got {what} "
                                 f"(depth {depth + 1} → {depth}).")
            elif event.kind == PUT:
                sentences.append(f"That made room, so {event.actor}'s put() of {describe_item(event.item)} "
                                 f"went through (depth {event.depth}).")
            elif event.kind == JOIN_RETURN and event.queue is not None:
                sentences.append(f"Unfinished reached 0, so {event.actor}'s {event.queue}.join() returned after "
                                 f"waiting {STEPS.span(self._waited_steps.get(event.seq))}.")
            elif event.kind == JOIN_RETURN:
                sentences.append(f"{event.actor}'s join() of {event.item} returned: {event.item} has exited.")
            elif event.kind == ERROR:
                sentences.append(f"{event.actor} failed: {event.error}.")
        return sentences

    def _why_others_wait(self, step: Step) -> list[str]:
        """Who is still blocked in a queue's join() after the step, and on how many tasks."""
        returned = {e.actor for e in step.events if e.kind == JOIN_RETURN}
        unfinished = step.after[1]
        if unfinished <= 0:
            return []
        tasks = "task is" if unfinished == 1 else "tasks are"
        return [f"{actor} is still blocked in join() because {unfinished} {tasks} not done."
                for actor in step.joining if actor not in returned]


@dataclass(frozen=True)
class Whereabouts:
    """Where an actor is in its code in step mode."""

    operation: str
    target: str | None
    function: str
    line: int
    #: Paused before the operation (``True``), or let through and not back yet (blocked, working).
    paused: bool


def where_actors_are(events: list[Event]) -> dict[str, Whereabouts]:
    """Each live actor's place after ``events``: its last ``step_ready`` or ``step_grant``."""
    places: dict[str, Whereabouts] = {}
    for event in events:
        kind = event.kind
        if kind == STEP_READY or kind == STEP_GRANT:
            operation, target, function, line = event.item
            places[event.actor] = Whereabouts(operation, target, function, line, kind == STEP_READY)
        elif kind == ACTOR_EXIT:
            places.pop(event.actor, None)
    return places


def step_is_over(events: list[Event], grant_seq: int) -> bool:
    """Whether the step granted at ``grant_seq`` has settled in ``events`` (a ``step_ready`` followed it)."""
    return any(e.kind == STEP_READY for e in events[grant_seq:])  # events[i] has seq i + 1
