"""The rules of step mode, with no Qt: may a step be taken now, which step is shown, looking
back and coming back, asking the quiz's question and judging its answer.

The teaching panel (``app/panels/teaching.py``) draws a :class:`Lesson` and forwards
clicks and keys to it; the lesson steers the run through the small
:class:`SteppedRun` interface, which the window's run controller implements (and a test
can implement around a bare session).

Two rules carry the lesson's honesty:

* A step may be taken only once the last one is over *on screen*: the session knows a
  moment before the window shows it, and nobody should step past what they saw.
* A quiz answer is judged by what the step really did, read from its events once it is
  over (:mod:`core.teaching.quiz`), not by a rule of thumb.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.analysis.model import RunModel
from core.events import Event
from core.teaching.quiz import Question, Score, question_for
from core.teaching.step_narration import Step, StepNarrator, Whereabouts, step_is_over, where_actors_are


class SteppedRun(Protocol):
    """What a lesson asks of the run it steps."""

    #: Every event of the run so far (a stepped run has few).
    history: list[Event]
    #: How many events the display shows while looking back (``None``: the present).
    viewing: int | None

    @property
    def model(self) -> RunModel:
        """The run as shown (the present, or an earlier step looked back at)."""
        ...

    @property
    def stepping_now(self) -> bool:
        """The run is in step mode and going on (not over, not stalled)."""
        ...

    @property
    def ready_to_step(self) -> dict[str, tuple]:
        """The actors paused before an operation, with that operation (empty while a step is under way)."""
        ...

    @property
    def steps_granted(self) -> int: ...

    def next_in_turn(self) -> str | None: ...

    def step(self, actor: str | None = None) -> bool:
        """Let ``actor`` make its operation; whether it was let through."""
        ...

    def view(self, position: int | None) -> None:
        """Show the run after its first ``position`` events (``None``: as it is now)."""
        ...


#: What :meth:`Lesson.step` did.
STEPPED, ASKED, REFUSED, NOT_NOW = "stepped", "asked", "refused", "not now"


@dataclass(frozen=True)
class Attempt:
    """The outcome of asking for a step: :data:`STEPPED`, :data:`ASKED` (the quiz asks
    :attr:`question` first), :data:`REFUSED` (with :attr:`why`) or :data:`NOT_NOW`."""

    outcome: str
    why: str = ""
    question: Question | None = None


@dataclass(frozen=True)
class Verdict:
    """A quiz answer judged: right or not, the right answer, and what the step did."""

    right: bool
    correct: str
    given: str
    story: str


@dataclass(frozen=True)
class Controls:
    """Which of the panel's controls may be used now, and the line that says where the run is."""

    step: bool
    play: bool
    back: bool
    forward: bool
    present: bool
    where: str


class Lesson:
    """One stepped run as a learner goes through it."""

    def __init__(self, run: SteppedRun, narrator: StepNarrator) -> None:
        self.run = run
        self.narrator = narrator
        self.score = Score()
        #: Ask before each step that has a question worth asking.
        self.quiz = False
        #: The question asked, waiting for an answer, and whose step it is about.
        self.question: Question | None = None
        self.asked_of: str | None = None
        #: A question answered, waiting for its step to be over: (question, answer given, step number).
        self._to_judge: tuple[Question, str, int] | None = None
        #: The last verdict, shown until the next step is taken.
        self.verdict: Verdict | None = None
        #: Why the run stalled, told after the last step's story.
        self.stall: str | None = None

    @property
    def steps(self) -> list[Step]:
        return self.narrator.steps

    def feed(self, events: list[Event]) -> Verdict | None:
        """New events of the run; the verdict on an answered question, once its step is over."""
        self.narrator.feed(events)
        return self.judge_if_over()

    # -- which step is shown -------------------------------------------------------------
    def shown_step(self) -> int:
        """The number of the step the display stands after (0: before the first)."""
        viewing = self.run.viewing
        if viewing is None:
            return len(self.steps)
        return sum(1 for step in self.steps if step.seq <= viewing)

    def view_step(self, number: int) -> None:
        """Show the run as it was after step ``number`` (0: before the first; the last: the present)."""
        steps = self.steps
        number = max(0, min(number, len(steps)))
        self.run.view(None if number >= len(steps) else steps[number].seq - 1)

    def back(self) -> None:
        shown = self.shown_step()
        if shown > 0:
            self.view_step(shown - 1)

    def forward(self) -> Attempt:
        """One step on: the next step looked back at, or — at the present — a new step."""
        if self.run.viewing is None:
            return self.step()
        self.view_step(self.shown_step() + 1)
        return Attempt(NOT_NOW)

    def to_present(self) -> None:
        self.run.view(None)

    # -- taking a step -------------------------------------------------------------------
    def places(self) -> dict[str, Whereabouts]:
        """Where each actor is in the events shown."""
        run = self.run
        shown = run.history if run.viewing is None else run.history[:run.viewing]
        return where_actors_are(shown)

    def ready(self, places: dict[str, Whereabouts] | None = None) -> dict[str, tuple]:
        """The actors that may be stepped now — once the events of the last step are all on
        screen, so nobody steps past what they saw.  ``places``: where the actors are now,
        if the caller has worked it out already."""
        run = self.run
        ready = run.ready_to_step
        if not ready:
            return {}
        steps = self.steps
        if len(steps) != run.steps_granted or (steps and not step_is_over(run.history, steps[-1].seq)):
            return {}
        places = where_actors_are(run.history) if places is None else places
        shown = {actor for actor, place in places.items() if place.paused}
        return ready if shown == set(ready) else {}

    def step(self, actor: str | None = None) -> Attempt:
        """Let ``actor`` (default: the next in turn) go — after asking the quiz's question, if any.

        Looking back, it first comes back to the present."""
        run = self.run
        if not run.stepping_now:
            return Attempt(NOT_NOW)
        if run.viewing is not None:
            run.view(None)
        ready = self.ready()
        if not ready or self._to_judge is not None or self.question is not None:
            return Attempt(NOT_NOW)  # the last step is under way, or a question waits for its answer
        chosen = actor if actor is not None else run.next_in_turn() or next(iter(ready))
        if chosen not in ready:
            return Attempt(REFUSED, f"{chosen} cannot take a step now: it is not paused before an operation")
        if self.quiz:
            question = self._question(chosen, ready[chosen])
            if question is not None:
                self.question, self.asked_of = question, chosen
                self.verdict = None
                return Attempt(ASKED, question=question)
        if not run.step(chosen):
            return Attempt(NOT_NOW)
        self.verdict = None
        return Attempt(STEPPED)

    # -- the quiz ------------------------------------------------------------------------
    def _question(self, actor: str, item: tuple) -> Question | None:
        model = self.run.model
        queue = next(iter(model.queues.values()), None)
        depth, unfinished = (queue.depth, queue.unfinished) if queue else (0, 0)
        joining = [wait.actor for wait in model.open_joins() if wait.on_queue]
        return question_for(actor, item, depth, unfinished, joining)

    def answer(self, given: str) -> bool:
        """Take ``given`` as the answer to the question asked, and make the step it is about;
        whether the step was taken (it is judged once it is over)."""
        question, actor = self.question, self.asked_of
        if question is None:
            return False
        self.question = self.asked_of = None
        if not self.run.step(actor):
            return False
        self._to_judge = (question, given, len(self.steps) + 1)
        return True

    @property
    def awaiting_verdict(self) -> str | None:
        """The answer given to a question whose step is not over yet."""
        return self._to_judge[1] if self._to_judge is not None else None

    def judge_if_over(self) -> Verdict | None:
        """Judge the answered question once its step is over (or the run is): the verdict, once."""
        if self._to_judge is None:
            return None
        question, given, number = self._to_judge
        steps = self.steps
        if len(steps) < number:
            return None
        step = steps[number - 1]
        if not step_is_over(self.run.history, step.seq) and self.run.stepping_now:
            return None
        self._to_judge = None
        right, correct = self.score.judge(question, step, given)
        self.verdict = Verdict(right, correct, given, self.narrator.story(step))
        return self.verdict

    # -- what the panel shows ------------------------------------------------------------
    def story(self) -> str:
        """What the step shown did and why — and, at the end of a stuck run, why it is stuck."""
        number = self.shown_step()
        steps = self.steps
        story = self.narrator.story(steps[number - 1]) if number else self.narrator.story(None)
        viewing = self.run.viewing
        if viewing is None and self.stall:
            story += f"\n\nStuck: nobody can take another step. {self.stall}"
        if viewing is not None:
            story = f"Looking back at step {number} of {len(steps)} — the processes wait where they are. {story}"
        return story

    def controls(self, ready: dict[str, tuple], over: str | None = None) -> Controls:
        """What may be used now, given who is ``ready`` to step; ``over``: how the run ended, if it did."""
        number, total = self.shown_step(), len(self.steps)
        looking_back = self.run.viewing is not None
        live = self.run.stepping_now
        where = f"step {number} of {total}" + ("  (looking back)" if looking_back else "")
        if over:
            where += f"  · run {over}"
        return Controls(step=live and bool(ready) and self.question is None and self._to_judge is None,
                        play=live, back=number > 0, forward=looking_back or live, present=looking_back, where=where)
