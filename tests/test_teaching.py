"""The teaching panel with real processes, offscreen: stepping, looking back, the code marks, the quiz, fix it."""
from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt

from app.bridge.controller import FINISHED_STATE, STALLED, STEPPING
from app.plots.lanes import ROWS_PER_LANE
from app.windows.fix_dialog import FixDialog
from core.analysis.model import PAUSED
from core.scenarios import scenario
from core.teaching.fixes import FIXES
from core.teaching.quiz import YES, Question

pytestmark = pytest.mark.timeout(120)

#: What the code on an actor's line must call, for each operation it is paused before.
CALLS = {"put": "put(", "get": "get()", "task_done": "task_done()", "join": "join"}


def _start(window, qtbot, name: str = "seed", backend: str = "process"):
    window.start_run(scenario(name, speed=100.0, seed=5, backend=backend), step=True)
    assert window.controller.state == STEPPING and window.teaching.dock.isVisible()
    _wait_ready(window, qtbot)


def _wait_ready(window, qtbot) -> None:
    qtbot.waitUntil(lambda: bool(window.teaching.ready()) or window.controller.state != STEPPING,
                    timeout=20_000)
    window.teaching.refresh()


def _step(window, qtbot, actor: str | None = None) -> None:
    steps = len(window.teaching.narrator.steps)
    assert window.teaching.step(actor)
    qtbot.waitUntil(lambda: len(window.teaching.narrator.steps) > steps, timeout=10_000)
    _wait_ready(window, qtbot)


def _step_to_the_end(window, qtbot) -> None:
    """Step the next actor in turn until nobody can (the run finished or is stuck)."""
    while window.controller.state == STEPPING:
        _wait_ready(window, qtbot)
        if window.teaching.ready():
            _step(window, qtbot)


#: Steps of seed: a put, get and task_done per task (11 each), main's joins and everyone's exit.
#: On asyncio task_done() is not awaited, so it is made within the step before it — and the
#: turns fall so that consumer-0 has exited before main comes to join it (27 = 11 + 11 + 2 + 3).
SEED_STEPS = {"process": 39, "thread": 39, "asyncio": 27}


@pytest.mark.parametrize("backend", ["process", "thread", "asyncio"])
def test_stepping_seed_to_completion_in_the_window(window, qtbot, backend):
    _start(window, qtbot, backend=backend)
    _step_to_the_end(window, qtbot)
    qtbot.waitUntil(lambda: window.controller.state == FINISHED_STATE, timeout=10_000)
    model = window.controller.model
    assert (model.puts, model.gets, model.task_dones) == (11, 11, 11)
    assert len(window.teaching.narrator.steps) == SEED_STEPS[backend]
    assert "program is over" in window.teaching.narration.text()


def test_a_stuck_run_is_named_in_the_banner_and_the_narration(window, qtbot):
    _start(window, qtbot, "forgot-task-done")
    _step_to_the_end(window, qtbot)
    assert window.controller.state == STALLED
    assert "task_done() call(s) are missing" in window.banner.text()
    assert "Stuck: nobody can take another step" in window.teaching.narration.text()
    assert "task_done() call(s) are missing" in window.teaching.narration.text()


@pytest.mark.parametrize("backend", ["process", "asyncio"])
def test_the_highlighted_line_follows_each_actor(window, qtbot, backend):
    _start(window, qtbot, backend=backend)
    for _ in range(14):
        marks = window.teaching.code.marks
        ready = window.teaching.ready()
        assert ready
        for actor, (operation, _target, function, line) in ready.items():
            assert actor in marks[(function, line)]
            assert CALLS[operation] in window.teaching.code.line_text(function, line), (actor, operation, line)
        _step(window, qtbot)


def test_step_back_shows_the_earlier_counters_and_highlights(window, qtbot):
    _start(window, qtbot)
    seen = {}
    for number in range(1, 9):
        _step(window, qtbot)
        queue = window.controller.model.queues.get("tasks")
        seen[number] = ((queue.depth, queue.unfinished) if queue else (0, 0), dict(window.teaching.code.marks),
                        window.teaching.narration.text())
    teaching = window.teaching
    qtbot.keyClick(window, Qt.Key.Key_Left)
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert teaching.shown_step() == 6 and window.controller.viewing is not None
    queue = window.controller.model.queues["tasks"]
    assert ((queue.depth, queue.unfinished), teaching.code.marks) == seen[6][:2]
    assert seen[6][2] in teaching.narration.text() and "Looking back" in teaching.narration.text()
    teaching.scrubber.setValue(3)
    queue = window.controller.model.queues["tasks"]
    assert ((queue.depth, queue.unfinished), teaching.code.marks) == seen[3][:2]
    qtbot.keyClick(window, Qt.Key.Key_End)
    assert window.controller.viewing is None
    queue = window.controller.model.queues["tasks"]
    assert ((queue.depth, queue.unfinished), teaching.code.marks) == seen[8][:2]
    _step(window, qtbot)  # the processes kept their place: stepping goes on from the present
    assert len(teaching.narrator.steps) == 9


def test_clicking_a_swimlane_steps_that_actor(window, qtbot):
    _start(window, qtbot)
    window._redraw()
    steps = len(window.teaching.narrator.steps)
    window.plots.lane_clicked.emit("consumer-0")
    qtbot.waitUntil(lambda: len(window.teaching.narrator.steps) > steps, timeout=10_000)
    assert window.teaching.narrator.steps[-1].actor == "consumer-0"


def test_quiz_answers_are_judged_by_what_really_happened(window, qtbot):
    _start(window, qtbot)
    teaching = window.teaching
    teaching.quiz.setChecked(True)
    verdicts = []
    teaching.answered.connect(lambda right, correct: verdicts.append((right, correct)))
    asked: list[tuple[Question, str]] = []
    while len(asked) < 6 and window.controller.state == STEPPING:
        if teaching.step():  # no question for this step
            qtbot.waitUntil(lambda: (teaching.lesson.awaiting_verdict is None and bool(teaching.ready()))
                            or window.controller.state != STEPPING, timeout=10_000)
            continue
        question = teaching.question
        assert question is not None and teaching.answer_buttons
        given = _expected(question) if len(asked) % 2 == 0 else _wrong(question)
        asked.append((question, given))
        count = len(verdicts)
        teaching.answer(given)
        qtbot.waitUntil(lambda count=count: len(verdicts) > count, timeout=10_000)
        _wait_ready(window, qtbot)
    assert len(verdicts) == len(asked) >= 4
    for (question, given), (right, correct) in zip(asked, verdicts):
        assert right == (given == correct) == (given == _expected(question)), question.text
    assert teaching.score.asked == len(asked)
    assert teaching.score.right == sum(1 for right, _ in verdicts if right)


def _expected(question: Question) -> str:
    """The answer the seed run's real behaviour gives (the rules a learner should know)."""
    text = question.text
    if question.about == "unfinished":
        unfinished = int(text.split("unfinished is ")[1].split(".")[0])
        return str(unfinished + 1 if question.operation == "put" else unfinished - 1)
    if question.about == "join":
        return YES
    if question.operation == "get":
        return "no"
    return YES if "unfinished is 0" in text else "no"


def _wrong(question: Question) -> str:
    return next(choice for choice in question.choices if choice != _expected(question))


def test_fix_it_runs_the_pitfall_and_its_fix_side_by_side(qtbot):
    dialog = FixDialog(FIXES["forgot-task-done"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.over, timeout=60_000)
    broken, fixed = dialog.controllers
    assert broken.diagnosis and "task_done() call(s) are missing" in broken.diagnosis
    assert fixed.state == FINISHED_STATE and fixed.model.task_dones == fixed.model.puts
    assert "Stalled" in dialog.outcomes[0].text() and "Finished" in dialog.outcomes[1].text()
    # One time axis: both shown whole over the longer run, the fix not stretched to look slower.
    qtbot.waitUntil(lambda: dialog.again_button.isEnabled(), timeout=10_000)
    ranges = [plots.counts.viewRange()[0] for plots in dialog.plots]
    longest = max(controller.model.last_t for controller in dialog.controllers)
    assert ranges[0] == pytest.approx(ranges[1]) and ranges[0][1] >= longest
    dialog.again_button.click()  # both again, from the start
    assert not dialog.again_button.isEnabled() and not dialog.over
    qtbot.waitUntil(lambda: dialog.over and dialog.again_button.isEnabled(), timeout=60_000)
    assert "Finished" in dialog.outcomes[1].text()
    dialog.close()


def _lane_alpha(window, actor: str, x: float) -> int:
    """How opaque ``actor``'s swimlane is drawn at ``x`` (0: nothing drawn there)."""
    plots = window.plots
    window._redraw()
    drawn = plots.lane_image.mapRectToParent(plots.lane_image.boundingRect())
    image = plots.lane_image.image
    column = int((x - drawn.left()) / drawn.width() * image.shape[1])
    bottom = (len(plots._lanes) - 1 - plots._lanes.index(actor)) * ROWS_PER_LANE  # row 0 is the bottom
    return int(image[bottom:bottom + ROWS_PER_LANE, column, 3].max())


def test_step_mode_is_drawn_and_told_in_steps_however_long_the_user_takes(window, qtbot):
    _start(window, qtbot)
    for _ in range(6):
        _step(window, qtbot)
    controller = window.controller
    # Each event is at the step it belongs to: the user's seconds between steps are not drawn.
    grants = 0
    for event in controller.history:
        grants += event.kind == "step_grant"
        assert event.t == grants
    assert controller.model.last_t == 6
    assert window.plots.lanes.getAxis("bottom").labelText == "steps since start"
    assert window.log.model.headerData(1, Qt.Orientation.Horizontal) == "step"
    # The log shows the queue's operations; the gates (two rows a step) only when asked for.
    shown = window.log.table.model()
    kinds = {shown.index(row, 3).data() for row in range(shown.rowCount())}
    assert "step_ready" not in kinds and "step_grant" not in kinds and {"put", "get"} <= kinds
    window.log.gates.setChecked(True)
    shown = window.log.table.model()
    assert "step_grant" in {shown.index(row, 3).data() for row in range(shown.rowCount())}
    lines = window.story.story().splitlines()
    assert lines and all(line.startswith("step ") for line in lines)
    # An actor held at its gate is paused, not running.
    paused = [name for name, actor in controller.model.actors.items() if actor.state == PAUSED]
    assert set(paused) >= set(window.teaching.ready()) - {"main"}
    # Back and Now: the present's lanes are drawn again, and go on with the next steps.
    qtbot.keyClick(window, Qt.Key.Key_Left)
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert _lane_alpha(window, "consumer-0", 3.5) > 0 and controller.model.last_t == 4
    qtbot.keyClick(window, Qt.Key.Key_End)
    assert controller.viewing is None and _lane_alpha(window, "consumer-0", 5.5) > 0
    _step(window, qtbot)
    _step(window, qtbot)
    assert controller.model.last_t == 8 and _lane_alpha(window, "consumer-0", 7.5) > 0
    # The end of the run: the banner counts main's wait in join() in steps.
    _step_to_the_end(window, qtbot)
    qtbot.waitUntil(lambda: controller.state == FINISHED_STATE, timeout=10_000)
    assert re.search(r"main waited \d+ steps? in join\(\)", window.banner.text()), window.banner.text()
