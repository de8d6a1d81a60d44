"""Side by side: one scenario on two backends at once, and the table of what differs."""
from __future__ import annotations

import pytest

from app.bridge.controller import FINISHED_STATE, OVER
from app.cli.main import main
from app.plots.run_plots import X_PADDING
from app.windows.compare import CompareWindow
from core.analysis.comparison import FINISHED, STALLED, MemoryPeak, RunSummary, StartupClock, faster_line
from core.analysis.model import RunModel
from core.events import Event
from core.scenarios import scenario

#: Crash settings whose outcome does not depend on when a spawned consumer starts
#: (as in tests/test_backends.py): consumer-0 always gets its second task.
STEADY_CRASH = {"tasks": 20, "work_ms": 100.0, "speed": 1.0, "stall_timeout_s": 1.0}
ROWS = ("start-up: run start → first producer/consumer", "start-up: run start → first put", "total wall time",
        "throughput", "peak memory", "outcome", "what a crash does")


def _row(window: CompareWindow, starts: str) -> list[str]:
    return next(row for row in window.rows() if row[0].startswith(starts))


def _seconds(text: str) -> float:
    if text.endswith(" ms"):
        return float(text[:-3]) / 1000
    assert text.endswith(" s"), text
    return float(text[:-2])


@pytest.mark.timeout(60)
def test_the_window_compares_its_settings_on_process_and_thread(window, qtbot):
    controls = window.controls
    controls.select_scenario("seed")
    controls.tasks.set_value(5)
    controls.speed.set_value(100.0)
    window.compare_action.trigger()
    compare = window.compare_window
    assert compare.backends == ("process", "thread")
    assert compare.config == controls.config()  # the settings shown, as they are
    with qtbot.waitSignal(compare.compared, timeout=40_000):
        pass
    assert [run.controller.state for run in compare.runs] == [FINISHED_STATE, FINISHED_STATE]
    assert [run.controller.session.config.backend for run in compare.runs] == ["process", "thread"]
    assert [row[0].split(":")[0].split(" —")[0] for row in compare.rows()] == [r.split(":")[0] for r in ROWS]
    for column, run in enumerate(compare.runs, start=1):
        model = run.controller.model
        assert (model.puts, model.gets, model.task_dones) == (6, 6, 6)
        duration = model.last_t
        assert _row(compare, "total wall time")[column] == f"{duration:.3f} s"
        assert _row(compare, "throughput")[column] == f"{model.task_dones / duration:,.1f} /s"
        first_start = _seconds(_row(compare, "start-up: run start → first producer")[column])
        first_put = _seconds(_row(compare, "start-up: run start → first put")[column])
        assert 0 <= first_start <= first_put + 0.0001 and first_put <= duration
        assert _row(compare, "outcome")[column] == "finished (6 puts, 6 task_done calls)"
    process_memory, thread_memory = _row(compare, "peak memory")[1:]
    assert process_memory.endswith(" MiB") and float(process_memory.split()[0]) > 1  # two live interpreters
    assert thread_memory.startswith("+") and thread_memory.endswith(" MiB")
    assert "actor processes' RSS" in _row(compare, "peak memory")[0]
    assert "JoinScope's own RSS" in _row(compare, "peak memory")[0]
    assert _row(compare, "what a crash does")[1].startswith("a process that dies takes the task it holds")
    fast, slow = sorted(compare.summaries, key=lambda s: s.duration_s)
    sooner = slow.duration_s - fast.duration_s
    assert compare.verdict.text().startswith(f"{fast.backend} finished {sooner:.3f} s sooner")


@pytest.mark.timeout(60)
def test_the_stacked_plots_share_one_time_axis(qtbot):
    compare = CompareWindow(scenario("seed", tasks=3, speed=100.0, seed=1), ("thread", "asyncio"))
    qtbot.addWidget(compare)
    compare.show()
    first, second = (run.plots for run in compare.runs)
    assert second.counts.getViewBox().linkedView(0) is first.counts.getViewBox()
    # The times are written once, under the lower run's lanes: the upper run gives that height to its plots.
    times = [(run.lanes.getAxis("bottom").style["showValues"], run.lanes.getAxis("bottom").label.isVisible())
             for run in (first, second)]
    assert times == [(False, False), (True, True)]
    with qtbot.waitSignal(compare.compared, timeout=30_000):
        pass
    # The lanes' names widen the left axes (all of them alike): once laid out, the views are as wide.
    qtbot.waitUntil(lambda: len({plot.getViewBox().width() for run in (first, second)
                                 for plot in (run.counts, run.rate, run.lanes)}) == 1, timeout=5_000)
    end = max(max(run.controller.model.last_t for run in compare.runs), 0.1)  # as RunPlots.fit shows it
    whole = pytest.approx([-end * X_PADDING, end * (1 + X_PADDING)])
    assert first.counts.viewRange()[0] == whole  # both whole, on one axis
    second.counts.setXRange(0.25, 0.5, padding=0)
    assert first.counts.viewRange()[0] == pytest.approx([0.25, 0.5])
    first.lanes.setXRange(0.1, 0.2, padding=0)  # each plot's own plots stay linked too
    assert second.counts.viewRange()[0] == pytest.approx([0.1, 0.2])
    compare.follow_button.click()  # both over: back to the whole of both runs
    assert second.counts.viewRange()[0] == whole
    first.follow(True)
    second.follow(True)
    second.counts.getViewBox().sigRangeChangedManually.emit(None)  # as a mouse drag on one
    assert not first.following and not second.following  # a look back stops both following
    compare.close()


@pytest.mark.timeout(60)
def test_run_both_again_starts_afresh_with_the_same_settings(qtbot):
    compare = CompareWindow(scenario("seed", tasks=4, speed=100.0), ("process", "asyncio"))
    qtbot.addWidget(compare)
    compare.show()
    assert not compare.again_button.isEnabled()
    with qtbot.waitSignal(compare.compared, timeout=30_000):
        pass
    first_models = [run.controller.model for run in compare.runs]
    first_summaries = list(compare.summaries)
    assert compare.again_button.isEnabled() and not compare.stop_button.isEnabled()
    with qtbot.waitSignal(compare.compared, timeout=30_000):
        compare.again_button.click()
        assert not compare.again_button.isEnabled() and compare.stop_button.isEnabled()
    for column, (run, old_model, old_summary) in enumerate(zip(compare.runs, first_models, first_summaries), 1):
        model = run.controller.model
        assert model is not old_model and (model.puts, model.task_dones) == (5, 5)
        assert compare.summaries[column - 1] is not old_summary
        assert _row(compare, "total wall time")[column] == f"{model.last_t:.3f} s"  # this run's, not the last one's
        assert len(run.plots.join_entries.data) == 1  # the plots dropped the first run's join
    fast, slow = sorted(compare.summaries, key=lambda s: s.duration_s)
    sooner = slow.duration_s - fast.duration_s
    assert compare.verdict.text().startswith(f"{fast.backend} finished {sooner:.3f} s sooner")
    compare.close()


@pytest.mark.timeout(90)
def test_the_crash_scenario_shows_what_the_crash_did_on_each_backend(qtbot):
    compare = CompareWindow(scenario("crash", seed=1, **STEADY_CRASH), ("process", "thread"))
    qtbot.addWidget(compare)
    compare.show()
    with qtbot.waitSignal(compare.compared, timeout=60_000):
        pass
    for column, run in enumerate(compare.runs, start=1):
        crashed = run.controller.model.actors["consumer-0"]
        assert crashed.state == "crashed" and crashed.exitcode == 1
        crash = _row(compare, "what a crash does")[column]
        assert crash.startswith("consumer-0 crashed, exit code 1")
        assert "RuntimeError: consumer-0 crashed while working on task" in crash
        assert crash.endswith("the task it held was never marked done")
        outcome = _row(compare, "outcome")[column]
        how = ("exit code 1", "its thread died")[column - 1]  # the columns: process, thread
        assert outcome.startswith("stalled") and f"consumer-0 crashed ({how}) holding task" in outcome
        assert run.controller.live_processes() == 0
    assert "set by JoinScope" not in _row(compare, "what a crash does")[1]
    assert "set by JoinScope: a thread or task has none of its own" in _row(compare, "what a crash does")[2]
    assert compare.verdict.text().startswith("Neither run finished (process stalled, thread stalled)")
    compare.close()


@pytest.mark.timeout(60)
def test_closing_mid_run_stops_both_runs(qtbot):
    config = scenario("seed", tasks=400, work_ms=20.0, speed=1.0, consumers=2)
    compare = CompareWindow(config, ("process", "asyncio"))
    qtbot.addWidget(compare)
    compare.show()
    qtbot.waitUntil(lambda: all(run.controller.model.task_dones > 2 for run in compare.runs), timeout=30_000)
    assert not compare.over
    compare.close()
    assert all(run.controller.state in OVER for run in compare.runs)
    assert [run.controller.live_processes() for run in compare.runs] == [0, 0]
    # (the autouse leak check finds any process, thread or pump left behind)


@pytest.mark.parametrize("value", ["process,process", "process", "process,fibre", "thread,asyncio,process", ""])
def test_compare_refuses_bad_backends_in_one_line(value, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "--backends", value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "argument --backends: must be two different backends" in err


def test_compare_takes_backends_not_backend(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "--backend", "thread"])
    assert exit_.value.code == 2 and capsys.readouterr().err.count("\n") == 1


def _summary(backend: str, outcome: str, end: float) -> RunSummary:
    model = RunModel()
    model.last_t = end
    return RunSummary(backend, scenario("seed"), model, StartupClock(), MemoryPeak(backend), outcome)


def test_the_verdict_names_the_faster_run_only_when_both_finished():
    assert faster_line(_summary("process", FINISHED, 2.0), _summary("thread", FINISHED, 0.5)) == \
        "thread finished 1.500 s sooner: 0.500 s against 2.000 s on process (4.00× as fast)."
    assert faster_line(_summary("process", FINISHED, 2.0), _summary("thread", STALLED, 0.5)).startswith(
        "Only process finished (2.000 s); thread stalled")


def test_the_startup_clock_takes_the_first_worker_start_and_the_first_put():
    def event(seq: int, t: float, kind: str, actor: str) -> Event:
        return Event(seq, t, kind, actor, 1, "tasks" if kind == "put" else None, 0, None, None, None)
    clock = StartupClock()
    clock.apply([event(1, 0.001, "actor_start", "main"), event(2, 0.2, "actor_start", "consumer-0")])
    clock.apply([event(3, 0.3, "actor_start", "producer-0"), event(4, 0.31, "put", "producer-0")])
    assert (clock.first_worker_start, clock.first_put) == (0.2, 0.31)


def test_a_run_the_system_will_not_start_says_so_beside_the_other(qtbot, monkeypatch):
    from tests.runs import live_children
    from tests.test_command_line_edges import refuse_the_second_actor

    refuse_the_second_actor(monkeypatch)  # the process run's consumer; the thread run starts as ever
    compare = CompareWindow(scenario("seed", tasks=4, speed=100.0), ("process", "thread"))
    qtbot.addWidget(compare)
    with qtbot.waitSignal(compare.compared, timeout=30_000):
        compare.show()
    refused, ran = compare.runs
    assert refused.outcome.text() == "✘ Could not start: OSError: [Errno 24] Too many open files"
    assert ran.outcome.text().startswith("✔ Finished")
    assert live_children() == 0
    compare.close()
