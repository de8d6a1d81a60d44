"""Pools in the window, offscreen: a pool scenario live (its lanes, its join marker, its words), the
Workers slider, and pool against queue-fed-pool in the compare window."""
from __future__ import annotations

import pytest

from app.bridge.controller import FINISHED_STATE, OVER
from app.cli.main import main
from app.windows.compare import CompareWindow, counterpart
from core.events import RESULT_HANDLER
from core.scenarios import scenario


@pytest.mark.timeout(60)
def test_a_pool_runs_live_with_lanes_for_its_workers_and_its_result_handler(window, qtbot):
    controls = window.controls
    controls.select_scenario("pool")
    assert controls.workers.isVisible() and not controls.producers.isVisible()
    assert not controls.step_mode.isEnabled() and not controls.backend.isEnabled()
    controls.workers.set_value(2)
    controls.tasks.set_value(300)
    config = controls.config()
    assert (config.workers, config.tasks, config.work_ms) == (2, 300, 2.0)  # 2 ms, not "random"
    with qtbot.waitSignal(window.run_over, timeout=40_000) as over:
        window.start_run()
    assert over.args == [FINISHED_STATE]
    model = window.controller.model
    pool = next(q for q in model.queues.values() if q.is_pool)
    assert pool.delivered == 300 and pool.raised == 6
    lanes = set(model.transitions)
    assert {"main", RESULT_HANDLER, "worker-0", "worker-1"} <= lanes
    marks = [m for m in window.controller.timeline.joins if m.call == "join()"]
    assert len(marks) == 1 and "released by delivery #" in marks[0].label()
    assert len(window.plots._join_lines) == 1
    assert "300 task(s) submitted to 1 pool(s), 300 delivered (6 raised)" in window.banner.text()
    assert "not delivered 0" in window.status.text()
    story = window.story.story()  # the newest of each busy batch are told
    assert "ran on result-handler" in story and "main's pool-1.join() returned" in story
    controls.select_scenario("seed")  # back to a queue: its sliders, step mode and backend again
    assert controls.producers.isVisible() and not controls.workers.isVisible() and controls.step_mode.isEnabled()


@pytest.mark.timeout(60)
def test_a_pitfall_shows_its_finding_under_the_buttons(window, qtbot):
    with qtbot.waitSignal(window.run_over, timeout=40_000):
        window.start_run(scenario("pool-no-error-callback", workers=2, tasks=100, speed=10.0))
    assert "no callback heard of it" in window.controls.problems.text()


@pytest.mark.timeout(90)
def test_compare_runs_pool_against_the_queue_fed_pool_on_the_same_tasks(window, qtbot):
    window.controls.select_scenario("pool")
    window.controls.workers.set_value(2)
    window.controls.tasks.set_value(200)
    window.compare_action.trigger()
    compare = window.compare_window
    assert compare.labels == ("pool", "queue-fed-pool")
    assert [c.tasks for c in compare.configs] == [200, 200] and [c.workers for c in compare.configs] == [2, 2]
    with qtbot.waitSignal(compare.compared, timeout=80_000):
        pass
    assert [run.controller.state for run in compare.runs] == [FINISHED_STATE, FINISHED_STATE]
    rows = {row[0]: row[1:] for row in compare.rows()}
    throughput = next(values for label, values in rows.items() if label.startswith("throughput: tasks delivered"))
    assert all(value.endswith(" /s") for value in throughput)
    failure = rows["what a failure does"]
    assert failure[0].startswith("4 task(s) raised in their workers; 4 reached an error_callback")
    assert "task_done() was called for each, so the queue's join() still returned" in failure[1]
    assert rows["outcome"] == ["finished (200 tasks submitted, 200 delivered)"] * 2
    # which one is sooner varies from run to run; the verdict names it, or says they took the same time
    verdict = compare.verdict.text()
    assert verdict.split()[0] in ("pool", "queue-fed-pool") or verdict.startswith("Both took")


def test_a_pool_scenarios_counterpart_keeps_its_tasks():
    config = scenario("pool", tasks=700, workers=3)
    other = counterpart(config)
    assert (other.name, other.tasks, other.workers) == ("queue-fed-pool", 700, 3)
    assert counterpart(scenario("queue-fed-pool")).name == "pool"


@pytest.mark.timeout(60)
def test_joinscope_compare_takes_two_scenarios(qtbot, monkeypatch):
    shown = []
    monkeypatch.setattr("app.cli.gui.run_compare_gui", lambda args, config, backends, versus: shown.append(
        (config.name, versus.name, config.tasks, versus.tasks)) or 0)
    assert main(["compare", "--scenarios", "pool,queue-fed-pool", "--tasks", "50"]) == 0
    assert shown == [("pool", "queue-fed-pool", 50, 50)]
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "--scenarios", "pool,pool"])
    assert exit_.value.code == 2


@pytest.mark.timeout(60)
def test_closing_a_pool_comparison_mid_run_leaves_nothing_behind(qtbot):
    config = scenario("pool", workers=2, tasks=3000, work_ms=5.0)
    compare = CompareWindow(config, versus=counterpart(config))
    qtbot.addWidget(compare)
    compare.show()
    qtbot.waitUntil(lambda: all(run.controller.model.queues and any(q.delivered > 5 for q in
                                run.controller.model.queues.values()) for run in compare.runs), timeout=40_000)
    compare.close()
    assert all(run.controller.state in OVER for run in compare.runs)
    # (the autouse leak check finds any process, thread or pump left behind)
