"""How a run that is over ended, judged from what it did: cleanly, or with something to say first.

A run that completes can still have gone wrong: an actor crashed or was killed, a
``task_done()`` raised ``ValueError``, ``main``'s ``join()`` returned before the work was
done (the race), operations were lost, or a traced program exited with an error — before
it even made a queue, perhaps.  The window's banner is green only for a clean completion;
otherwise it says what went wrong first (:class:`Outcome`).  A stall is told by the
diagnosis (:mod:`core.analysis.diagnosis`), a stop by the user needs no judgement.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from core.analysis.model import CRASHED, RunModel
from core.analysis.narrate import how_it_ended
from core.backends import PROCESS
from core.events import MAIN_ACTOR

#: The levels of an outcome, as the banner shows them (a stall is a level of its own).
CLEAN, WARNING, FAILED, STALLED = "clean", "warning", "failed", "stalled"


@dataclass(frozen=True)
class Outcome:
    level: str
    #: What the banner says first ("Finished.", "Finished, but …", "Failed: …").
    headline: str
    #: Each thing that went wrong, a sentence each (empty for a clean run).
    reasons: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.level == CLEAN


def judge(model: RunModel, backend: str = PROCESS, traced: bool = False) -> Outcome:
    """How the run ``model`` holds ended (it is over and was not stopped); ``traced``: it
    was a user's program run by ``joinscope trace``."""
    failures: list[str] = []
    warnings: list[str] = []
    for actor in model.actors.values():
        if actor.state == CRASHED and actor.exitcode is not None:
            where = " before it made a queue" if traced and actor.name == MAIN_ACTOR and not model.queues else ""
            why = f" ({actor.error})" if actor.error else ""
            failures.append(f"{actor.name} {how_it_ended(actor.exitcode, actor.unit_in(backend))}{where}{why}.")
    crashed = {actor.name for actor in model.actors.values() if actor.state == CRASHED}
    for error in model.errors:
        if error.actor not in crashed:  # a crash says its own error
            warnings.append(f"{error.actor}: {error.error}.")
    for join in model.joins:
        if join.on_queue and join.released_by is None and join.producers_unfinished:
            warnings.append(f"{join.actor}'s join() returned at once (unfinished was 0), too early: "
                            f"{', '.join(join.producers_unfinished)} had not finished adding tasks.")
    if traced and not model.queues and not failures:
        warnings.append("the program made no queue JoinScope observes: there was nothing to trace.")
    if failures:
        return Outcome(FAILED, "Failed: " + failures[0], failures[1:] + warnings)
    if warnings:
        return Outcome(WARNING, "Finished, but: " + warnings[0], warnings[1:])
    return Outcome(CLEAN, "Finished.")
