"""The rules of step mode, without Qt: a :class:`Lesson` steps a real session on threads."""
from __future__ import annotations

import time

import pytest

from core.analysis.model import RunModel
from core.events import Event
from core.scenarios import scenario
from core.sessions import open_session
from core.sources import RUNNING
from core.stepping.stepper import MANUAL
from core.teaching.lesson import ASKED, NOT_NOW, REFUSED, STEPPED, Lesson
from core.teaching.quiz import Question
from core.teaching.step_narration import StepNarrator

pytestmark = pytest.mark.timeout(60)

FACT_TIMEOUT_S = 10.0


class SessionRun:
    """A :class:`core.teaching.lesson.SteppedRun` around a bare session: the part of the
    window's run controller a lesson uses, with the events taken by hand (:meth:`pump`)."""

    def __init__(self, session) -> None:
        self.session = session
        self.history: list[Event] = []
        self.viewing: int | None = None
        self.present = RunModel()

    @property
    def model(self) -> RunModel:
        if self.viewing is None:
            return self.present
        model = RunModel()
        model.apply(self.history[:self.viewing])
        return model

    @property
    def stepping_now(self) -> bool:
        return self.session.state == RUNNING

    @property
    def ready_to_step(self) -> dict[str, tuple]:
        return self.session.ready_to_step()

    @property
    def steps_granted(self) -> int:
        return self.session.steps_granted

    def next_in_turn(self) -> str | None:
        return self.session.next_in_turn()

    def step(self, actor: str | None = None) -> bool:
        return self.session.step(actor) is None

    def view(self, position: int | None) -> None:
        self.viewing = None if position is None or position >= len(self.history) else position

    def pump(self, lesson: Lesson, until, what: str) -> None:
        """Hand the session's events to the lesson until ``until()`` holds."""
        deadline = time.monotonic() + FACT_TIMEOUT_S
        while not until():
            assert time.monotonic() < deadline, f"never: {what}"
            events = self.session.poll(0.02)
            if events:
                self.history.extend(events)
                self.present.apply(events)
                lesson.feed(events)


@pytest.fixture
def lesson():
    config = scenario("seed", backend="thread", speed=1000.0, seed=3)
    with open_session(config, step=MANUAL) as session:
        run = SessionRun(session)
        session.start()
        lesson = Lesson(run, StepNarrator(run.present, config.maxsize, config.backend))
        run.pump(lesson, lambda: lesson.ready(), "the first actors paused")
        yield lesson, run


def test_a_step_waits_until_the_last_one_is_shown(lesson):
    lesson, run = lesson
    assert lesson.step().outcome == STEPPED
    # The session has granted it, but the lesson has not seen its events yet: no second step.
    assert lesson.ready() == {}
    assert lesson.step().outcome == NOT_NOW
    assert run.steps_granted == 1
    run.pump(lesson, lambda: lesson.ready(), "the first step shown")
    assert len(lesson.steps) == 1 and lesson.step().outcome == STEPPED


def test_an_actor_that_is_not_paused_is_refused(lesson):
    lesson, _ = lesson
    attempt = lesson.step("consumer-7")
    assert attempt.outcome == REFUSED and "consumer-7 cannot take a step now" in attempt.why


def _take_steps(lesson: Lesson, run: SessionRun, count: int) -> None:
    for _ in range(count):
        assert lesson.step().outcome == STEPPED
        run.pump(lesson, lambda: lesson.ready(), "a step shown")


def test_looking_back_and_coming_back(lesson):
    lesson, run = lesson
    _take_steps(lesson, run, 3)
    controls = lesson.controls(lesson.ready())
    assert controls.back and not controls.present and controls.where == "step 3 of 3"
    lesson.back()
    assert lesson.shown_step() == 2 and run.viewing == lesson.steps[2].seq - 1
    assert lesson.story().startswith("Looking back at step 2 of 3")
    controls = lesson.controls({})
    assert controls.present and controls.forward and "(looking back)" in controls.where
    lesson.view_step(0)
    assert lesson.shown_step() == 0 and not lesson.controls({}).back
    lesson.back()  # nothing before the first step
    assert lesson.shown_step() == 0
    assert lesson.forward().outcome == NOT_NOW and lesson.shown_step() == 1
    # A step asked for while looking back comes back to the present first.
    assert lesson.step().outcome == STEPPED and run.viewing is None
    run.pump(lesson, lambda: len(lesson.steps) == 4 and lesson.ready(), "the fourth step shown")
    assert lesson.shown_step() == 4


def test_the_quiz_asks_first_and_judges_by_what_happened(lesson):
    lesson, run = lesson
    lesson.quiz = True
    judged: list[tuple[Question, str]] = []
    rights = 0
    while len(judged) < 3:
        granted = run.steps_granted
        attempt = lesson.step()
        if attempt.outcome == STEPPED:  # no question worth asking before this one
            run.pump(lesson, lambda: lesson.ready(), "a step shown")
            continue
        assert attempt.outcome == ASKED and lesson.question is attempt.question
        assert run.steps_granted == granted, "asking takes no step"
        assert lesson.step().outcome == NOT_NOW, "the question waits for its answer"
        question = attempt.question
        given = question.choices[len(judged) % len(question.choices)]
        assert lesson.answer(given) and lesson.question is None and lesson.awaiting_verdict == given
        run.pump(lesson, lambda: lesson.verdict is not None, "the answer judged")
        verdict = lesson.verdict
        step = lesson.steps[-1]
        if question.about == "unfinished":
            assert verdict.correct == str(step.after[1])  # what the counter really became
        assert verdict.right == (given == verdict.correct) and verdict.story
        judged.append((question, given))
        rights += verdict.right
        run.pump(lesson, lambda: lesson.ready(), "the judged step over")
    assert lesson.score.asked == 3 and lesson.score.right == rights
    # The next step clears the last verdict.
    lesson.quiz = False
    assert lesson.step().outcome == STEPPED and lesson.verdict is None
