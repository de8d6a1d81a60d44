"""Step mode in core: blocking stays honest, round-robin runs repeat exactly, the stories are right."""
from __future__ import annotations

import json

import pytest

from app.cli.main import main as cli_main
from core.analysis.diagnosis import EVERYONE_WAITS_S, stall_timeout
from core.analysis.model import WAITING_GET, RunModel
from core.events import (
    ACTOR_START,
    GET,
    GET_WAIT,
    JOIN_ENTER,
    JOIN_RETURN,
    PUT,
    RUN_STOP,
    STEP_GRANT,
    STEP_READY,
    Event,
)
from core.scenarios import scenario
from core.sessions import open_session
from core.sessions.processes import ProcessSession
from core.sessions.runner import COMPLETED, STALLED, run_session
from core.stepping.stepper import MANUAL, ROUND_ROBIN
from core.teaching.step_narration import StepNarrator

pytestmark = pytest.mark.timeout(120)


def _sequence(events):
    """What must repeat: kinds, actors, items and the counts (times and pids may not).  A
    stalled run is stopped: what its processes do while they are being ended is not the run's."""
    facts = [(e.kind, e.actor, e.queue, e.item, e.depth, e.unfinished, e.exitcode) for e in events]
    stop = next((i for i, e in enumerate(events) if e.kind == RUN_STOP), len(events))
    return facts[:stop + 1]


def _stepped_run(name: str, **overrides):
    config = scenario(name, speed=200.0, seed=7, **overrides)
    model = RunModel(expected_producers=config.producers)
    narrator = StepNarrator(model, config.maxsize, config.backend)
    events = []

    def take(batch):
        events.extend(batch)
        narrator.feed(batch)

    with open_session(config, step=ROUND_ROBIN) as session:
        result = run_session(session, model, take)
    return result, events, narrator


@pytest.mark.parametrize("backend", ["process", "thread", "asyncio"])
@pytest.mark.parametrize("name", ["seed", "too-few-sentinels", "bounded", "crash"])
def test_round_robin_runs_repeat_exactly(name, backend):
    first, events_1, _ = _stepped_run(name, backend=backend)
    second, events_2, _ = _stepped_run(name, backend=backend)
    assert first.outcome == second.outcome == scenario(name).expected
    assert _sequence(events_1) == _sequence(events_2)
    assert sum(e.kind == STEP_GRANT for e in events_1) > 20


@pytest.mark.parametrize("backend", ["thread", "asyncio"])
def test_stepping_ends_each_pitfall_as_on_processes(backend):
    for name in ("race", "forgot-task-done", "too-many-task-done"):
        on_processes, _, _ = _stepped_run(name)
        here, _events, narrator = _stepped_run(name, backend=backend)
        assert here.outcome == on_processes.outcome, name
        assert (here.model.puts, here.model.gets, here.model.task_dones) == \
            (on_processes.model.puts, on_processes.model.gets, on_processes.model.task_dones), name
        assert here.diagnosis == on_processes.diagnosis, name
        assert all(step.actor in ("main", "producer-0", "consumer-0") for step in narrator.steps)


def test_each_backend_says_where_it_differs():
    stories = {}
    for backend in ("process", "thread", "asyncio"):
        _, _, narrator = _stepped_run("seed", backend=backend)
        stories[backend] = " ".join(narrator.story(step) for step in narrator.steps)
    assert "pickles the item" in stories["process"] and "spawn" in stories["process"]
    assert "nothing is copied" in stories["thread"] and "GIL" in stories["thread"]
    assert "only gives way at an await" in stories["asyncio"]
    assert "task_done() is a plain call, not awaited" in stories["asyncio"]
    assert "its thread ended" in stories["thread"] and "its task ended" in stories["asyncio"]


def test_every_operation_is_granted_first_and_pauses_are_announced_in_order():
    result, events, narrator = _stepped_run("seed")
    assert result.outcome == COMPLETED
    granted = [e for e in events if e.kind == STEP_GRANT]
    # 11 puts, 11 gets, 11 task_dones, main's 3 joins and 3 exits: one step each
    assert len(granted) == 11 + 11 + 11 + 3 + 3
    for step in narrator.steps:
        own = [e for e in step.events if e.actor == step.actor and e.kind in (PUT, GET, "task_done")]
        assert all(e.kind.startswith(step.operation[0][:3]) for e in own)
    first_ready = [e.actor for e in events if e.kind == STEP_READY][:3]
    assert first_ready == ["main", "producer-0", "consumer-0"]


def test_a_granted_get_on_an_empty_queue_blocks_until_a_put_wakes_it(qtbot):
    config = scenario("seed", speed=200.0, seed=1)
    model = RunModel(expected_producers=1)
    events = []

    def poll(session):
        batch = session.poll(0.02)
        model.apply(batch)
        events.extend(batch)

    with ProcessSession(config, step=MANUAL) as session:
        session.start()
        stepper = session.stepper
        qtbot.waitUntil(lambda: (poll(session), len(stepper.ready) == 3)[1], timeout=20_000)
        assert session.step("consumer-0") is None  # get() on the empty queue
        qtbot.waitUntil(lambda: (poll(session), stepper.settled)[1], timeout=10_000)
        assert "consumer-0" not in stepper.ready, "a blocked consumer cannot be stepped"
        qtbot.waitUntil(lambda: (poll(session), model.actors["consumer-0"].state == WAITING_GET)[1], timeout=5_000)
        assert session.step("consumer-0") is not None  # refused, with a reason
        assert session.step("producer-0") is None  # the put wakes it
        qtbot.waitUntil(lambda: (poll(session), stepper.settled and "consumer-0" in stepper.ready
                                 and any(e.kind == GET for e in events))[1], timeout=10_000)
        kinds = [(e.kind, e.actor) for e in events if e.kind in (GET_WAIT, PUT, GET)]
        assert kinds == [(GET_WAIT, "consumer-0"), (PUT, "producer-0"), (GET, "consumer-0")]
        got = next(e for e in events if e.kind == GET)
        assert got.item == next(e for e in events if e.kind == PUT).item and got.depth == 0
        session.stop()
        while not session.finished:
            session.poll(0.05)


def test_each_pitfall_gets_its_own_explanation_when_it_bites():
    _race, _, narrator = _stepped_run("race")
    stories = " ".join(narrator.story(step) for step in narrator.steps)
    assert "returned at once" in stories and "too early" in stories and "producer-0" in stories
    crash, _, narrator = _stepped_run("crash")
    assert crash.outcome == STALLED and "crashed" in crash.diagnosis
    stories = " ".join(narrator.story(step) for step in narrator.steps)
    assert "Nobody will call task_done() for that task" in stories
    _too_many, _, narrator = _stepped_run("too-many-task-done")
    assert any("ValueError" in narrator.story(step) for step in narrator.steps)


def test_a_task_done_story_gives_the_counts_before_and_after_and_who_still_waits():
    _, _, narrator = _stepped_run("seed")
    stories = [narrator.story(step) for step in narrator.steps]
    assert any("called task_done(): unfinished 3 → 2." in s and "main is still blocked in join() because 2 tasks"
               in s for s in stories)
    # The wait is told in steps (the seconds are the user's), counted from the step main entered join().
    entered = next(s.number for s in narrator.steps for e in s.events
                   if e.kind == JOIN_ENTER and e.queue is not None and e.actor == "main")
    returned = next(s.number for s in narrator.steps for e in s.events
                    if e.kind == JOIN_RETURN and e.queue is not None and e.actor == "main")
    assert returned > entered
    assert any(f"Unfinished reached 0, so main's tasks.join() returned after waiting {returned - entered} steps." in s
               for s in stories)


def test_a_stepped_run_that_nobody_can_step_is_named_at_once():
    result, _, _ = _stepped_run("forgot-task-done")
    assert result.outcome == STALLED and "task_done() call(s) are missing" in result.diagnosis
    assert result.duration_s < scenario("forgot-task-done").stall_timeout_s + 5  # not the quiet-time rule


def test_when_every_actor_waits_a_stall_is_called_within_two_seconds():
    model = RunModel()
    config = scenario("forgot-task-done", stall_timeout_s=30.0)
    assert stall_timeout(config, model) == 30.0
    model.apply([Event(1, 0.1, ACTOR_START, "main", 1, None, 0, "main", None, None),
                 Event(2, 0.2, ACTOR_START, "consumer-0", 2, None, 0, "consumer", None, None),
                 Event(3, 0.3, JOIN_ENTER, "main", 1, "tasks", 1, None, 0, 1)])
    assert stall_timeout(config, model) == 30.0, "consumer-0 is running: it may still call task_done()"
    model.apply([Event(4, 0.4, GET_WAIT, "consumer-0", 2, "tasks", 2, None, 0, 1)])
    assert stall_timeout(config, model) == EVERYONE_WAITS_S <= 2.0


def test_joinscope_run_step_records_the_same_events_twice(tmp_path, capsys):
    paths = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    for path in paths:
        code = cli_main(["run", "--scenario", "too-few-sentinels", "--seed", "3", "--speed", "200",
                         "--step", "round-robin", "--record", str(path)])
        assert code == 3
    lines = [path.read_text().splitlines() for path in paths]
    header = json.loads(lines[0][0])
    assert header["step"] == "round-robin"
    sequences = [[{k: v for k, v in json.loads(line).items() if k not in ("t", "pid", "waited", "seq")}
                  for line in found[1:]] for found in lines]
    stop = next(i for i, record in enumerate(sequences[0]) if record["kind"] == "run_stop")
    assert sequences[0][:stop + 1] == sequences[1][:stop + 1]
    out = capsys.readouterr().out
    assert "step   1  main" in out and "Diagnosis:" in out


def test_joinscope_run_step_refuses_an_unknown_order(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["run", "--step", "random"])
    assert exit_info.value.code == 2
    assert "--step" in capsys.readouterr().err


def test_a_stepped_put_whose_send_fails_is_counted_given_up_once(qtbot):
    """A put step ends when this process's feeder has sent its item, or given up on it: an item
    the feeder could not send (the pipe is gone) is counted once, not twice (which would let the
    next put step end before its own item was sent)."""
    import multiprocessing
    from multiprocessing import queues as stdlib_queues

    from core.stepping.gate import StepGate
    from core.stepping.stepped_queues import SteppedJoinableQueue

    ctx = multiprocessing.get_context("spawn")
    queue = SteppedJoinableQueue(gate=StepGate(ctx), ctx=ctx)
    queue._reader.close()  # nobody can read: the feeder's send fails
    stdlib_queues.Queue.put(queue, "item")  # the put itself, past the step gate
    qtbot.waitUntil(lambda: queue._sent_here >= 1, timeout=5_000)
    queue.close()
    queue.join_thread()
    assert queue._sent_here == 1
