"""A run that is over is judged by what it did: green only for a clean completion."""
from __future__ import annotations

import pytest

from core.analysis.outcome import CLEAN, FAILED, WARNING, judge
from tests.runs import run_scenario

pytestmark = pytest.mark.timeout(60)


def test_the_tutorial_program_ends_cleanly():
    result, _ = run_scenario("seed", seed=1)
    outcome = judge(result.model)
    assert outcome.level == CLEAN and outcome.headline == "Finished." and outcome.reasons == []


def test_a_join_that_returned_too_early_is_a_warning_first():
    result, _ = run_scenario("race", seed=1)
    outcome = judge(result.model)
    assert outcome.level == WARNING
    assert outcome.headline.startswith("Finished, but: main's join() returned at once")
    assert "producer-0 had not finished" in outcome.headline


@pytest.mark.parametrize("backend", ["process", "thread"])
def test_an_actor_that_died_of_a_value_error_fails_the_run(backend):
    result, _ = run_scenario("too-many-task-done", seed=1, backend=backend)
    assert result.outcome == "completed"  # the work was all done...
    outcome = judge(result.model, backend)
    assert outcome.level == FAILED  # ...but a consumer died of it
    assert outcome.headline.startswith("Failed: consumer-0")
    assert "ValueError: task_done() called too many times" in outcome.headline


def test_a_traced_program_that_dies_before_making_a_queue_failed():
    from core.analysis.model import RunModel
    from core.events import ACTOR_EXIT, ACTOR_START, Event

    model = RunModel()
    model.apply([Event(1, 0.0, ACTOR_START, "main", 7, None, 0, "main", None, None),
                 Event(2, 0.1, ACTOR_EXIT, "main", 7, None, 0, "main", None, None, exitcode=2)])
    outcome = judge(model, traced=True)
    assert outcome.level == FAILED
    assert outcome.headline == "Failed: main exited with code 2 before it made a queue."
    model = RunModel()
    model.apply([Event(1, 0.0, ACTOR_START, "main", 7, None, 0, "main", None, None),
                 Event(2, 0.1, ACTOR_EXIT, "main", 7, None, 0, "main", None, None, exitcode=0)])
    assert judge(model, traced=True).level == WARNING
