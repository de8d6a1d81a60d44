"""Predict, then reveal: questions asked before a step, judged by what really happened.

Before a step that moves one of the two counters — or decides whether a blocked
call returns — the teaching mode may ask the learner what will happen.  The answer
is not computed from a rule of thumb: it is read off the step's real events once the
step is over (:class:`core.teaching.step_narration.Step`), so a surprise (a ``ValueError``,
a ``join()`` returning too early) is judged as it really happened.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.events import GET, JOIN_RETURN
from core.teaching.step_narration import Step

YES, NO = "yes", "no"


@dataclass(frozen=True)
class Question:
    """What to ask before ``actor``'s ``operation``; ``about`` says how to judge it."""

    actor: str
    operation: str
    text: str
    choices: tuple[str, ...]
    #: "unfinished": the counter's value after the step; "returns": whether the call
    #: returns within the step; "join": whether someone's join() returns within the step.
    about: str
    #: For "join": whose join() is meant.
    joiner: str | None = None


def question_for(actor: str, item: tuple, depth: int, unfinished: int, joining: list[str]) -> Question | None:
    """The question worth asking before ``actor`` makes the operation ``item`` (a step's
    ``(operation, target, function, line)``), with the queue at ``depth``/``unfinished``
    and ``joining`` the actors blocked in the queue's ``join()``; ``None`` if none is."""
    operation, target = item[0], item[1]
    if operation == "task_done" and joining and unfinished == 1:
        joiner = joining[0]
        return Question(actor, operation, f"{actor} is about to call task_done() with unfinished = 1. "
                        f"Will {joiner}'s join() return?", (YES, NO), "join", joiner)
    if operation in ("put", "task_done"):
        choices = tuple(str(value) for value in sorted({max(unfinished - 1, 0), unfinished, unfinished + 1}))
        return Question(actor, operation, f"unfinished is {unfinished}. What will it be after {actor}'s "
                        f"{operation}()?", choices, "unfinished")
    if operation == "get" and depth == 0:
        return Question(actor, operation, f"The queue is empty. Will {actor}'s get() return now?", (YES, NO),
                        "returns")
    if operation == "join" and target is not None and not target.startswith(("producer-", "consumer-")):
        return Question(actor, operation, f"unfinished is {unfinished}. Will {actor}'s {target}.join() return "
                        f"now?", (YES, NO), "returns")
    return None


def answer(question: Question, step: Step) -> str:
    """The right answer, read from what the step really did."""
    if question.about == "unfinished":
        return str(step.after[1])
    if question.about == "join":
        returned = any(e.kind == JOIN_RETURN and e.actor == question.joiner and e.queue is not None
                       for e in step.events)
        return YES if returned else NO
    kind = GET if question.operation == "get" else JOIN_RETURN
    returned = any(e.kind == kind and e.actor == question.actor for e in step.events)
    return YES if returned else NO


@dataclass
class Score:
    asked: int = 0
    right: int = 0

    def judge(self, question: Question, step: Step, given: str) -> tuple[bool, str]:
        """Count ``given`` as an answer to ``question``; returns (right?, the right answer)."""
        correct = answer(question, step)
        self.asked += 1
        if given == correct:
            self.right += 1
        return given == correct, correct

    def __str__(self) -> str:
        return f"{self.right} of {self.asked} right"
