"""The narration's sentences, told as events come or a whole run at once."""
from __future__ import annotations

from core.analysis.model import RunModel
from core.analysis.narrate import TASK_DONE_ANSWER, Narrator
from core.events import JOIN_RETURN, describe_item
from tests.runs import run_scenario


def _told(events: list, batches: list[list]) -> list[str]:
    model = RunModel(expected_producers=1)
    narrator = Narrator(model)
    lines = []
    for batch in batches:
        model.apply(batch)
        lines += [line for line in map(narrator.line, batch) if line is not None]
    return lines


def test_the_race_is_told_even_when_the_late_producer_ends_in_the_same_batch():
    _, events = run_scenario("race", seed=1)
    returned = next(e for e in events if e.kind == JOIN_RETURN and e.queue is not None)
    exited = next(e for e in events if e.kind == "actor_exit" and e.actor == "producer-0")
    assert returned.seq < exited.seq
    one_at_a_time = _told(events, [[event] for event in events])
    all_at_once = _told(events, [events])  # a replay's seek, a step looked back at, a busy batch
    warning = "main's tasks.join() returned at once: unfinished was 0 — but producer-0 had not finished adding tasks!"
    assert warning in one_at_a_time and warning in all_at_once
    assert all_at_once == one_at_a_time


def test_following_events_counts_the_sentences_it_skips_and_keeps_what_each_task_done_finished():
    _, events = run_scenario("seed", seed=2)
    model = RunModel(expected_producers=1)
    model.apply(events)
    last_get = max(i for i, e in enumerate(events) if e.kind == "get" and e.item is not None)
    skipped = events[:last_get + 1]
    followed, told = Narrator(model), Narrator(model)
    assert followed.follow(skipped) == sum(1 for e in skipped if told.line(e) is not None)
    task_done = next(e for e in events[last_get + 1:] if e.kind == "task_done")
    line = told.line(task_done)
    # The reader's question is answered at the first task_done() told: the follower's, not the teller's.
    assert followed.line(task_done) == f"{line} — {TASK_DONE_ANSWER}"
    assert line.endswith(f"marked {describe_item(events[last_get].item)} done")


def test_a_pause_is_told_and_a_join_says_how_much_of_its_wait_was_paused():
    from core.analysis.model import RunModel
    from core.analysis.narrate import Narrator
    from core.events import JOIN_ENTER, JOIN_RETURN, OBSERVER_ACTOR, RUN_PAUSE, RUN_RESUME, Event

    model = RunModel()
    narrator = Narrator(model)
    events = [Event(1, 1.0, JOIN_ENTER, "main", 1, "tasks", 1, None, 2, 2),
              Event(2, 2.0, RUN_PAUSE, OBSERVER_ACTOR, 1, None, 0, None, None, None),
              Event(3, 5.0, RUN_RESUME, OBSERVER_ACTOR, 1, None, 0, None, None, None),
              Event(4, 6.0, JOIN_RETURN, "main", 1, "tasks", 2, None, 0, 0, released_by=9, waited=5.0)]
    lines = []
    for event in events:
        model.apply([event])
        lines.append(narrator.line(event))
    assert lines[1] == "the run was paused: every process is held where it is"
    assert lines[2] == "the run goes on after 3.00 s"
    assert lines[3].startswith("main found that all tasks are processed (waited 5.00 s, 3.00 s of it paused,")
