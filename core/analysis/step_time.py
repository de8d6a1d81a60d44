"""Step mode's clock: a stepped run is drawn and told in steps, not seconds.

In step mode nearly all of a run's wall-clock time is the user's: reading, answering a
quiz question, fetching a coffee.  Drawn in seconds, that time is flat stretches and
waits that are the teacher's, and the few milliseconds of each step are slivers.  So a
stepped run's events are shown with ``t`` = the number of steps granted so far: every
event of step *k* (its grant, the operation, the actor reaching its next gate) is at
*k*, and the stretch from *k* to *k + 1* is the state between two steps.  (The other
choice, wall-clock time with the waits at the gates cut out, would keep each step's few
milliseconds: a picture of scheduling noise, uneven from step to step, where a class
wants to point at "step 12".)

A ``join_return``'s ``waited`` becomes the steps the join waited.  The recording keeps the
real times; only what is shown is restamped.
"""
from __future__ import annotations

from collections.abc import Iterable

from core.events import JOIN_ENTER, JOIN_RETURN, STEP_GRANT, Event


class StepStamper:
    """Restamps a stepped run's events, batch after batch, with step numbers for times."""

    def __init__(self) -> None:
        self.steps = 0
        #: Where each actor's open join began, in steps.
        self._join_entered: dict[str, int] = {}

    def restamp(self, events: Iterable[Event]) -> list[Event]:
        shown = []
        for event in events:
            kind = event.kind
            if kind == STEP_GRANT:
                self.steps += 1
            step = float(self.steps)
            if kind == JOIN_ENTER:
                self._join_entered[event.actor] = self.steps
            elif kind == JOIN_RETURN:
                entered = self._join_entered.pop(event.actor, None)
                waited = None if event.waited is None or entered is None else float(self.steps - entered)
                shown.append(event._replace(t=step, waited=waited))
                continue
            shown.append(event._replace(t=step))
        return shown
