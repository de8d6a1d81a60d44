"""The window with real processes, offscreen: a run, live sliders, stop and close."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSlider

from app.bridge.controller import FINISHED_STATE, STOPPED
from app.windows.main_window import MainWindow
from core.analysis.narrate import TASK_DONE_ANSWER
from core.scenarios import scenario
from tests.runs import live_children


def test_the_window_opens_idle(window):
    assert window.controller.state == "idle"
    assert window.controls.start_button.isEnabled() and not window.controls.stop_button.isEnabled()
    assert window.controls.scenario.currentData() == "seed"


def test_a_sped_up_seed_run_shows_every_operation_and_the_join(window, qtbot):
    with qtbot.waitSignal(window.run_over, timeout=30_000) as over:
        window.start_run(scenario("seed", speed=40.0))
    assert over.args == [FINISHED_STATE]
    model = window.controller.model
    assert (model.puts, model.gets, model.task_dones) == (11, 11, 11)
    queue_joins = [m for m in window.controller.timeline.joins if m.on_queue]
    assert len(queue_joins) == 1 and queue_joins[0].returned is not None
    assert len(window.plots.join_entries.data) == 1 and len(window.plots._join_lines) == 1
    assert window.log.model.rowCount() == model.events_seen
    assert "task_done 11" in window.status.text() and "live processes 0" in window.status.text()
    assert window.banner.isVisible() and "Finished" in window.banner.text()
    (start, stop), _ = window.plots.lanes.viewRange()  # the whole run, its lanes drawn for that range
    drawn = window.plots.lane_image.mapRectToParent(window.plots.lane_image.boundingRect())
    assert (drawn.left(), drawn.right()) == pytest.approx((start, stop))
    story = window.story.text.toPlainText()  # told by the end of the run, with no refresh awaited
    assert "producer-0 added None, the sentinel: no more tasks" in story
    assert "consumer-0 marked the sentinel done" in story
    assert story.splitlines()[-1].endswith("main finished")


def test_the_consumer_slider_changes_the_live_consumer_processes(window, qtbot):
    window.start_run(scenario("seed", tasks=300, work_ms=20.0, interval_ms=20.0, speed=1.0))
    qtbot.waitUntil(lambda: window.controller.model.gets > 0, timeout=20_000)
    slider = window.controls.consumers.slider
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_Right)
    qtbot.keyClick(slider, Qt.Key.Key_Right)
    assert window.controls.consumers.value() == 3
    # the new processes' lanes appear at once, in "starting", before they run any code
    qtbot.waitUntil(lambda: {"consumer-1", "consumer-2"} <= set(window.controller.model.transitions), timeout=500)
    qtbot.waitUntil(lambda: len([a for a in window.controller.model.actors_of("consumer") if a.alive]) == 3,
                    timeout=20_000)
    assert window.controller.live_processes() == live_children() == 4
    qtbot.keyClick(slider, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: window.controller.model.actors["consumer-2"].retiring, timeout=500)
    qtbot.waitUntil(lambda: len([a for a in window.controller.model.actors_of("consumer") if a.alive]) == 2,
                    timeout=20_000)
    qtbot.waitUntil(lambda: window.controller.live_processes() == live_children() == 3, timeout=5_000)
    with qtbot.waitSignal(window.run_over, timeout=5_000) as over:
        window.controls.stop_button.click()
    assert over.args == [STOPPED]
    assert live_children() == 0


def test_closing_the_window_mid_run_leaves_no_process(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.start_run(scenario("seed", tasks=500, work_ms=50.0, consumers=3, speed=1.0))
    qtbot.waitUntil(lambda: window.controller.model.gets >= 3, timeout=20_000)
    window.close()
    assert live_children() == 0


def test_a_surplus_task_done_shows_its_value_error(window, qtbot):
    with qtbot.waitSignal(window.run_over, timeout=30_000):
        window.start_run(scenario("too-many-task-done", speed=40.0))
    problems = window.controls.problems.text()
    assert "consumer-0" in problems and "ValueError" in problems
    assert any(row.kind == "error" for row in window.log.model._rows)


def test_a_crash_and_the_stall_it_causes_are_named_in_the_window(window, qtbot):
    with qtbot.waitSignal(window.controller.stalled, timeout=30_000) as stalled:
        window.start_run(scenario("crash", speed=40.0, stall_timeout_s=1.0))
    assert "consumer-0 crashed (exit code 1) holding task" in stalled.args[0]
    assert window.banner.isVisible() and "Stalled" in window.banner.text()
    assert "consumer-0 crashed: it exited with code 1" in window.controls.problems.text()
    # a stalled run still stops at once: main is blocked in join() for good
    assert window.controls.stop_button.isEnabled()
    with qtbot.waitSignal(window.run_over, timeout=1_000) as over:
        window.controls.stop_button.click()
    assert over.args == [STOPPED]
    assert live_children() == 0


def test_stop_ends_a_busy_run_within_a_second(window, qtbot):
    window.start_run(scenario("throughput", producers=2, consumers=3, tasks=1_000_000))
    qtbot.waitUntil(lambda: window.controller.model.task_dones > 1_000, timeout=20_000)
    with qtbot.waitSignal(window.run_over, timeout=1_000) as over:
        window.controls.stop_button.click()
    assert over.args == [STOPPED]
    assert live_children() == 0 and window.controller.live_processes() == 0


def _story_events(count: int) -> list:
    """``count`` put, get, task_done triples of one producer and one consumer, as events."""
    from core.events import GET, PUT, TASK_DONE, Event
    events: list[Event] = []
    for number in range(count):
        for kind, actor, item in ((PUT, "producer-0", number), (GET, "consumer-0", number),
                                  (TASK_DONE, "consumer-0", None)):
            seq = len(events) + 1
            events.append(Event(seq, seq / 1000, kind, actor, 1, "tasks", seq, item, 0, 0, None, None, None, None))
    return events


def test_the_story_tells_the_newest_of_a_long_batch_and_the_task_each_task_done_finished(window):
    from app.panels.story import LINES_PER_BATCH, untold_line

    window.controller.config = scenario("seed")
    window.story.flush()  # the window's own reset is behind it: this is a run going on
    events = _story_events(501)
    first, second = events[:1500], events[1500:]
    window.controller.model.apply(events)
    window.story.add(first)
    window.story.add(second)
    lines = window.story.story().splitlines()
    assert len(lines) == 1 + LINES_PER_BATCH + 3
    assert lines[0] == untold_line(len(first) - LINES_PER_BATCH)  # the events not told are counted
    # its get was followed, not told; the first task_done() told answers the reader's question
    assert lines[1].endswith(f"consumer-0 marked 466 done — {TASK_DONE_ANSWER}")
    assert lines[2].endswith("producer-0 added 467")
    assert lines[-1].endswith("consumer-0 marked 500 done")


def test_a_view_rebuilt_from_the_start_is_told_in_full_and_the_text_holds_still_while_read_back(window, qtbot):
    from app.panels.story import STORY_LINES, TITLE_HELD

    window.controller.config = scenario("seed")
    window.resize(1500, 950)
    window.show()
    events = _story_events(90)  # 270 sentences
    window.controller.model.apply(events)
    window.story.clear()  # as a step looked back at, or a replay's seek, starts
    window.story.add(events)
    assert len(window.story.story().splitlines()) == 270 < STORY_LINES
    text, bar = window.story.text, window.story.text.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == bar.maximum()  # it shows the newest line
    bar.triggerAction(QAbstractSlider.SliderAction.SliderToMinimum)  # the reader scrolls back
    more = _story_events(95)[270:]
    window.story.add(more)
    window.story.flush()
    assert text.toPlainText().count("\n") == 269 and bar.value() == 0  # held still
    assert window.story.title.text() == TITLE_HELD
    bar.triggerAction(QAbstractSlider.SliderAction.SliderToMaximum)  # back to the end: the story goes on
    qtbot.waitUntil(lambda: text.toPlainText().count("\n") > 269, timeout=5_000)
    assert text.toPlainText().splitlines()[-1].endswith("consumer-0 marked 94 done")
    assert bar.value() == bar.maximum() and "held" not in window.story.title.text()


def test_the_plots_run_up_to_the_present_and_hold_still_while_paused(window, qtbot):
    import time

    window.start_run(scenario("seed", tasks=40, work_ms=50.0, speed=1.0))
    qtbot.waitUntil(lambda: window.controller.model.gets > 1, timeout=20_000)
    now = window.controller.run_time_now()
    assert now is not None and now >= window.controller.model.last_t
    window.controls.pause_button.click()
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=5_000)
    paused_at = window.controller.run_time_now()
    since = time.monotonic()
    qtbot.waitUntil(lambda: time.monotonic() - since > 0.3, timeout=5_000)  # time goes by...
    assert window.controller.run_time_now() == paused_at  # ... the picture does not
    window._redraw()
    x, _ = window.plots.unfinished_curve.getData()
    assert x[-1] == pytest.approx(paused_at)
    window.controls.pause_button.click()
    qtbot.waitUntil(lambda: window.controller.run_time_now() > paused_at + 0.2, timeout=5_000)
    window.controls.stop_button.click()
    qtbot.waitUntil(lambda: window.controller.state == STOPPED, timeout=10_000)
    assert window.controller.run_time_now() is None  # over: drawn up to its last event


def test_the_window_remembers_its_place_and_the_recordings_opened_lately(qtbot, seed_trace, tmp_path):
    import shutil

    from core.recordings.replay import load_recording

    first = MainWindow()
    qtbot.addWidget(first)
    first.resize(640, 480)  # within the offscreen screen: a place off the screen is moved onto it
    first.show()
    size = (first.width(), first.height())
    first.exports.recent_menu.aboutToShow.emit()
    assert not first.exports.recent_menu.actions()  # nothing opened yet
    other = tmp_path / "other.jsonl"
    shutil.copy(seed_trace, other)
    for path in (other, seed_trace):
        first.open_replay(load_recording(path))
    first.close()

    second = MainWindow()  # the next session
    qtbot.addWidget(second)
    second.show()
    assert (second.width(), second.height()) == size
    second.exports.recent_menu.aboutToShow.emit()
    recent = second.exports.recent_menu.actions()
    assert [action.toolTip() for action in recent] == [str(seed_trace), str(other)]  # newest first
    assert recent[1].text() == "&2  other.jsonl"
    other.unlink()  # a recording that is gone is no longer offered
    second.exports.recent_menu.aboutToShow.emit()
    assert [action.toolTip() for action in second.exports.recent_menu.actions()] == [str(seed_trace)]
    second.exports.recent_menu.actions()[0].trigger()  # opens it again
    assert second.replay is not None and second.replay.recording.path == str(seed_trace)
    second.resize(720, 520)
    second.close()

    scripted = MainWindow(remember_place=False, remember_recordings=False)  # a screenshot run, say
    qtbot.addWidget(scripted)
    scripted.show()
    assert (scripted.width(), scripted.height()) != size  # the default size, not the one remembered
    scripted.open_replay(load_recording(other_copy := shutil.copy(seed_trace, tmp_path / "scripted.jsonl")))
    scripted.close()
    third = MainWindow()
    qtbot.addWidget(third)
    third.show()
    assert (third.width(), third.height()) == (second.width(), second.height())  # as the last remembering one left it
    third.exports.recent_menu.aboutToShow.emit()
    assert str(other_copy) not in [action.toolTip() for action in third.exports.recent_menu.actions()]
    third.close()


def test_settings_edited_by_hand_or_by_another_version_are_ignored(qtbot):
    from app import preferences

    settings = preferences._settings()
    settings.setValue("window/geometry", "hello")
    settings.setValue("recent/recordings", 5)
    settings.sync()
    window = MainWindow()  # opens, at the default size
    qtbot.addWidget(window)
    window.show()
    assert preferences.recent_recordings() == []
    window.exports.recent_menu.aboutToShow.emit()
    assert not window.exports.recent_menu.actions()
    window.close()


def _as_the_command_line_runs(name: str):
    from app.cli.headless import config_from_args
    from app.cli.main import build_parser

    parser = build_parser()
    return config_from_args(parser.parse_args(["run", "--scenario", name]), parser)


def test_every_scenario_starts_from_the_controls_as_the_command_line_runs_it(window, qtbot):
    """The sliders show and send each scenario's real values (throughput's 10,000 tasks with no
    work, not 1,000 of random work), also after switching scenarios back and forth."""
    from core.scenarios import SCENARIOS

    controls = window.controls
    names = list(SCENARIOS)
    for name, other in zip(names, names[1:] + names[:1]):
        controls.select_scenario(name)
        controls.select_scenario(other)
        controls.scenario.setCurrentIndex(controls.scenario.findData(name))  # as the user picks it
        expected = _as_the_command_line_runs(name)
        assert controls.config() == expected, name
        with qtbot.waitSignal(window.controller.run_started, timeout=10_000):
            controls.start_button.click()
        assert window.controller.config == expected, name
        with qtbot.waitSignal(window.run_over, timeout=20_000):
            window.controller.stop()
    assert controls.tasks.value() == SCENARIOS[names[-1]].tasks
    controls.select_scenario("throughput")
    assert controls.work.value_label.text() == "no work" and controls.tasks.value_label.text() == "10,000"
    controls.select_scenario("seed")
    assert controls.work.value_label.text() == "random 0–1 s"


@pytest.mark.parametrize(("name", "level", "headline"), [
    ("seed", "clean", "<b>Finished.</b>"),
    ("race", "warning", "<b>Finished, but: main's join() returned at once"),
    ("too-many-task-done", "failed", "<b>Failed: consumer-0 exited with code 1"),
])
def test_the_banner_is_green_only_for_a_clean_run(window, qtbot, name, level, headline):
    from app import theme

    with qtbot.waitSignal(window.run_over, timeout=30_000):
        window.start_run(scenario(name, speed=40.0, seed=1))
    assert window.banner.isVisible()
    assert window.banner.text().startswith(headline)
    assert window.banner.styleSheet() == theme.banner_style(level)


def test_a_stall_the_window_declares_is_an_event_of_the_run(window, qtbot):
    with qtbot.waitSignal(window.controller.stalled, timeout=30_000) as stalled:
        window.start_run(scenario("crash", speed=40.0, seed=1, stall_timeout_s=0.5))
    qtbot.waitUntil(lambda: window.controller.model.stall is not None, timeout=10_000)
    assert window.controller.model.stall == stalled.args[0]
    # Its own stall event does not wake the run it called stalled (to be declared again and again).
    assert window.controller.state == "stalled" and window.controller.model.events_seen == window.log.model.rowCount()
    assert sum(1 for row in range(window.log.model.rowCount()) if window.log.model.event_at(row).kind == "stall") == 1
    window.story.flush()
    assert "stalled: " + stalled.args[0] in window.story.text.toPlainText()
    with qtbot.waitSignal(window.run_over, timeout=10_000):
        window.controller.stop()


def test_the_story_follows_the_run_until_the_reader_scrolls_back(window, qtbot):
    """Long lines that wrap, and a panel that narrows or gets shorter (text wrapped anew, another
    panel's text growing above it), move the scroll bar's end without anyone scrolling: the
    story keeps following; only a scroll holds it."""
    from PySide6.QtWidgets import QAbstractSlider

    from app.panels.story import TITLE_HELD
    from core.events import ERROR, Event

    window.controller.config = scenario("crash")
    window.resize(1024, 700)
    window.show()
    window.story.flush()
    qtbot.waitExposed(window)
    story, bar = window.story, window.story.text.verticalScrollBar()
    events = _story_events(40)
    window.controller.model.apply(events)
    story.add(events)
    story.flush()
    seq = len(events)
    for round_ in range(5):
        crash = Event(seq + 1, 9.0 + round_, ERROR, f"consumer-{round_}", 1, None, 0, None, None, None,
                      error="RuntimeError: " + "a long message that wraps over several lines " * 4)
        seq += 1
        window.controller.model.apply([crash])
        story.add([crash])
        story.flush()
        story.setFixedSize(360 - 40 * round_, 300 - 40 * round_)  # wrapped anew, fewer lines in view...
        qtbot.wait(50)
        story.add(_story_events(41 + round_)[-3:])  # ...and the run goes on
        story.flush()
        assert story.following and bar.value() == bar.maximum(), round_
        assert story.title.text() != TITLE_HELD
    bar.triggerAction(QAbstractSlider.SliderAction.SliderPageStepSub)  # the reader scrolls back
    held_at = bar.value()
    more = _story_events(45)[120:]
    story.add(more)
    story.flush()
    assert not story.following and bar.value() == held_at and story.title.text() == TITLE_HELD
    bar.triggerAction(QAbstractSlider.SliderAction.SliderToMaximum)
    assert story.following
    qtbot.waitUntil(lambda: story.title.text() != TITLE_HELD and bar.value() == bar.maximum(), timeout=5_000)


def test_pause_at_the_very_end_of_a_run_does_not_show_it_paused(qtbot):
    """The session had nothing left to pause (its run ended a moment before the click, and the
    window has not drained it yet): the window stays running, to show "finished" next."""
    from app.bridge.controller import RUNNING, RunController

    class Ended:
        paused = False

        def pause(self):
            return None  # no refusal: nothing to pause

    controller = RunController()
    controller.state, controller._steered = RUNNING, Ended()
    changes: list[str] = []
    controller.state_changed.connect(changes.append)
    controller.pause()
    assert controller.state == RUNNING and changes == []
