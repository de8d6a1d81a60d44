"""A recording replayed in the real window: play, pause, step back and forward by key, scrub, export."""
from __future__ import annotations

import csv
import json
import os
import re
import stat
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, Qt
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QFileDialog

from app.bridge.controller import IDLE, REPLAYING
from app.plots.export_image import PAGE_SIZE_PX, ExportPage, RunPicture
from app.windows.main_window import MainWindow
from core.recordings.replay import load_recording
from core.recordings.trace import TraceWriter, read_trace
from core.scenarios import scenario
from tests.runs import replay_mismatch

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def window(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()


@pytest.fixture
def replay(window, seed_trace):
    return window.open_replay(load_recording(seed_trace))


def shown(window) -> tuple:
    """What the window shows of the run: the model's totals, the log, the join lines."""
    model = window.controller.model
    return (model.events_seen, model.puts, model.gets, model.task_dones, window.log.model.rowCount(),
            len(window.plots._join_lines))


def test_playing_to_the_end_shows_what_the_live_run_showed(window, replay, qtbot):
    events = replay.recording.events
    assert window.controller.state == REPLAYING and shown(window) == (0, 0, 0, 0, 0, 0)
    assert not window.controls.start_button.isEnabled() and window.controls.reset_button.isEnabled()
    assert window.controls.scenario.currentData() == "seed" and window.controls.speed.value() == 40.0
    replay.speed.setCurrentIndex(replay.speed.findData(100.0))
    with qtbot.waitSignal(replay.replay_finished, timeout=20_000):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not replay.playing and replay.position == len(events)
    assert shown(window) == (len(events), 11, 11, 11, len(events), 1)
    assert replay.scrubber.value() == len(events)
    assert f"event {len(events)} of {len(events)}" in replay.where.text()
    assert replay.narration.text().splitlines()[-1].endswith("main finished")
    assert "task_done 11" in window.status.text()


def test_pause_stops_the_replay_clock(window, replay, qtbot):
    replay.speed.setCurrentIndex(replay.speed.findData(1.0))
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert replay.playing and replay.play_button.text().endswith("Pause")
    qtbot.waitUntil(lambda: replay.position > 5, timeout=10_000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not replay.playing and replay.play_button.text().endswith("Play")
    stopped_at = replay.position
    assert not replay._timer.isActive()  # nothing left to advance the replay clock
    QApplication.processEvents()
    assert replay.position == stopped_at < len(replay.recording.events)


def test_stepping_back_and_forward_event_by_event(window, replay, qtbot):
    events = replay.recording.events
    join_return = next(i for i, e in enumerate(events) if e.kind == "join_return" and e.queue == "tasks")
    replay.seek(join_return + 1)
    window._redraw()
    assert len(window.plots._join_lines) == 1
    assert "found that all tasks are processed" in replay.narration.text().splitlines()[-1]
    qtbot.keyClick(window, Qt.Key.Key_Left)  # back before the join returned
    window._redraw()
    assert replay.position == join_return and replay.cursor.current == events[join_return - 1]
    assert shown(window)[0] == join_return and window.log.model.rowCount() == join_return
    assert len(window.plots._join_lines) == 0 and window.controller.model.open_joins()
    narrated = replay.narration.text().splitlines()[-1]
    assert narrated.startswith("▶") and f"#{events[join_return - 1].seq} " in narrated
    qtbot.keyClick(window, Qt.Key.Key_Right)
    window._redraw()
    assert replay.position == join_return + 1 and len(window.plots._join_lines) == 1
    assert window.log.model.event_at(window.log.model.rowCount() - 1) == events[join_return]
    qtbot.keyClick(window, Qt.Key.Key_Home)
    assert replay.position == 0 and shown(window)[0] == 0 and not replay.back_button.isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert replay.position == 0
    qtbot.keyClick(window, Qt.Key.Key_End)
    assert replay.position == len(events) and not replay.forward_button.isEnabled()
    replay.back_button.click()
    assert replay.position == len(events) - 1


def test_the_scrubber_moves_anywhere_and_the_speed_keys_change_speed(window, replay, qtbot):
    replay.scrubber.setValue(20)
    assert replay.position == 20 and window.controller.model.events_seen == 20
    replay.scrubber.setValue(7)
    assert replay.position == 7 and window.log.model.rowCount() == 7
    speed = replay.speed_factor
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    assert replay.speed_factor > speed
    qtbot.keyClick(window, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(window, Qt.Key.Key_BracketLeft)
    assert replay.speed_factor < speed


def test_reset_ends_the_replay_and_a_live_run_can_follow(window, replay, qtbot):
    replay.seek(15)
    window.controls.reset_button.click()
    assert window.controller.state == IDLE and window.replay is None
    assert window.findChild(type(replay.dock), "replay-dock") is None or not replay.dock.isVisible()
    assert window.controls.start_button.isEnabled() and shown(window)[0] == 0
    window.start_run(scenario("seed", speed=2.0))
    qtbot.waitUntil(lambda: window.controller.model.gets > 0, timeout=20_000)
    qtbot.keyClick(window, Qt.Key.Key_Space)  # Space is the live Pause button's again (an animated click)
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=5_000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.controller.state == "running", timeout=5_000)
    with qtbot.waitSignal(window.run_over, timeout=30_000) as over:
        window.controls.stop_button.click()
    assert over.args == ["stopped"]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")  # the IHDR chunk


def test_the_plots_export_as_a_titled_page_with_the_legends_and_the_whole_run(window, replay, tmp_path):
    """Not the bare plots at the window's size over the 0-10 s in view: a page at a size that reads,
    under a heading, with both legends, every plot spanning the whole run; the window's view stays."""
    window.resize(900, 600)
    replay.seek(len(replay.recording.events))
    window._redraw()
    end = replay.recording.duration
    window.plots.counts.setXRange(0, 10, padding=0)  # the user zoomed out: 0-10 s of a 1 s run
    in_view = window.plots.counts.viewRange()
    assert in_view[0][1] > 2 * end
    png, svg = tmp_path / "plots.png", tmp_path / "plots.svg"
    window.exports.export_plots(str(png), "png")
    window.exports.export_plots(str(svg), "svg")
    ratio = window.devicePixelRatio()
    assert _png_size(png) == (round(PAGE_SIZE_PX[0] * ratio), round(PAGE_SIZE_PX[1] * ratio))
    assert window.plots.counts.viewRange() == in_view  # what the user sees is as it was

    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text and "<path" in text
    assert QSvgRenderer(QByteArray(svg.read_bytes())).isValid()
    words = " ".join(re.sub(r"<[^>]+>", " ", text).split())
    title, details = window.exports.heading()
    assert title == "JoinScope · replay of seed.jsonl" and f"<title>{title}</title>" in text
    assert details.startswith("seed: The tutorial's program · processes on a JoinableQueue · ")
    assert f"{end:.2f} s, {len(replay.recording.events)} events · recorded " in details
    for said in ("replay of seed.jsonl", "The tutorial", "unfinished tasks", "queue depth", "join() entered",
                 "Swimlanes:", "working on a task", "waiting in join()", "seconds since start", "producer-0"):
        assert said in words, said
    # closed shapes (bars, the in-progress band) keep their plain closepath, and Qt reads the drawing
    outlines = re.findall(r'\sd="([^"]*)"', text)  # path data only (an embedded image's base64 may hold "Z4")
    assert any(" Z" in d for d in outlines) and not any(re.search(r"Z[-0-9]", d) for d in outlines)

    controller = window.controller
    page = ExportPage(RunPicture(controller.timeline, controller.model, controller.unit, None, title, details))
    try:
        (start, stop), _ = page.plots.counts.viewRange()
        assert start <= 0.0 and end < stop < end * 1.05  # the whole run, and nothing after it
        assert page.plots.lanes.viewRange()[0] == pytest.approx([start, stop])
    finally:
        page.discard()


@pytest.mark.skipif(sys.platform == "win32", reason="Windows files have no permission bits but read-only")
def test_exports_get_the_permissions_a_recording_gets(window, replay, tmp_path):
    """Not mkstemp's owner-only 0o600: a new file's mode less the umask, or the mode of the file replaced."""
    replay.seek(len(replay.recording.events))
    previous = os.umask(0o027)
    try:
        recording = tmp_path / "recorded.jsonl"
        TraceWriter(recording, replay.recording.header).close()
        expected = stat.S_IMODE(recording.stat().st_mode)
        assert expected == 0o640
        for name, export in (("p.png", lambda p: window.exports.export_plots(p, "png")),
                             ("p.svg", lambda p: window.exports.export_plots(p, "svg")),
                             ("r.jsonl", lambda p: window.exports.export_run(p, "trace")),
                             ("r.csv", lambda p: window.exports.export_run(p, "csv")),
                             ("r.json", lambda p: window.exports.export_run(p, "perfetto"))):
            export(str(tmp_path / name))
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == expected, name
        kept = tmp_path / "shared.csv"
        kept.write_text("old")
        kept.chmod(0o664)
        window.exports.export_run(str(kept), "csv")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o664 and kept.read_text().startswith("seq,")
    finally:
        os.umask(previous)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_the_status_bar_confirms_each_save(window, replay, tmp_path, monkeypatch):
    replay.seek(len(replay.recording.events))
    for kind, action in (("png", window.exports.plot_actions["png"]), ("csv", window.exports.run_actions["csv"])):
        target = tmp_path / f"saved.{kind}"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, target=target, **kwargs: (str(target), ""))
        window.exports.menu.aboutToShow.emit()
        action.trigger()
        assert target.exists()
        assert window.statusBar().currentMessage().startswith("Saved the ") and str(target) in \
            window.statusBar().currentMessage()
        # The live counts make room for it (beside them, as a permanent widget, it was squeezed to nothing).
        assert not window.status.isVisible()
        window.statusBar().clearMessage()
        assert window.status.isVisible()


def test_an_export_over_the_recording_shown_is_refused(window, replay, tmp_path):
    shown = tmp_path / "shown.jsonl"
    shown.write_bytes(Path(replay.recording.path).read_bytes())
    panel = window.open_replay(load_recording(str(shown)))
    panel.seek(len(panel.recording.events))
    before = shown.read_bytes()
    for export in (lambda: window.exports.export_run(str(shown), "csv"),
                   lambda: window.exports.export_run(str(shown), "trace"),
                   lambda: window.exports.export_plots(str(shown), "png")):
        with pytest.raises(ValueError, match="is the recording shown"):
            export()
    assert shown.read_bytes() == before


def test_a_live_runs_picture_is_headed_by_what_ran_on_what_and_when(window, qtbot):
    assert window.exports.heading() == ("JoinScope · seed: processes on a JoinableQueue", "no run yet")
    months = {time.strftime("%B %Y", time.localtime())}
    with qtbot.waitSignal(window.run_over, timeout=30_000):
        window.start_run(scenario("seed", speed=40.0, backend="thread", tasks=3))
    title, details = window.exports.heading()
    model = window.controller.model
    assert title == "JoinScope · seed: threads on a queue.Queue"
    assert details.startswith(f"The tutorial's program · {model.last_t:.2f} s, {model.events_seen} events · run ")
    months.add(time.strftime("%B %Y", time.localtime()))  # (a run across midnight at a month's end)
    assert any(month in details for month in months)


def test_the_replayed_run_exports_as_trace_perfetto_and_csv(window, replay, tmp_path, seed_trace, monkeypatch):
    recorded = read_trace(seed_trace)
    saved = tmp_path / "again.jsonl"
    assert window.exports.export_run(str(saved), "trace") == len(recorded.events)
    assert read_trace(saved).events == recorded.events
    # through the File menu, with the save dialog answered
    target = tmp_path / "menu.perfetto.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    window.exports.menu.aboutToShow.emit()
    assert window.exports.run_actions["perfetto"].isEnabled()
    window.exports.run_actions["perfetto"].trigger()
    names = {r["args"]["name"].split(" (pid")[0] for r in json.loads(target.read_text())["traceEvents"]
             if r["name"] == "thread_name"}
    assert names == {"main", "producer-0", "consumer-0"}
    target = tmp_path / "menu.csv"
    window.exports.run_actions["csv"].trigger()
    with open(target, newline="") as rows:
        assert len(list(csv.reader(rows))) == len(recorded.events) + 1


def test_a_live_run_exports_every_event_it_showed(window, qtbot, tmp_path, monkeypatch):
    writers = set()
    write = TraceWriter.write

    def writing(self, events):
        writers.add(threading.current_thread())
        return write(self, events)

    monkeypatch.setattr(TraceWriter, "write", writing)
    window.exports.menu.aboutToShow.emit()
    assert not window.exports.run_actions["trace"].isEnabled()
    with qtbot.waitSignal(window.run_over, timeout=30_000):
        window.start_run(scenario("seed", speed=40.0))
    saved = tmp_path / "live.jsonl"
    assert window.exports.export_run(str(saved), "trace") == window.controller.model.events_seen
    # Recorded as shown, but not by the GUI thread: the disk never holds up a redraw.
    assert writers and threading.main_thread() not in writers
    trace = read_trace(saved)
    assert trace.header["scenario"]["name"] == "seed" and replay_mismatch(trace.events) is None
    assert len(trace.events) == window.controller.model.events_seen
    window.exports.export_run(str(tmp_path / "live.csv"), "csv")
    assert len((tmp_path / "live.csv").read_text().splitlines()) == len(trace.events) + 1
    # the recording is replaced by the next run, and a reset discards it
    window.controls.reset_button.click()
    with pytest.raises(ValueError, match="no run to export"):
        window.exports.export_run(str(tmp_path / "gone.jsonl"), "trace")


def test_a_live_run_too_long_to_keep_says_so_instead_of_filling_the_disk(window, qtbot, tmp_path, monkeypatch):
    import app.panels.export_menu

    monkeypatch.setattr(app.panels.export_menu, "RECORD_LIMIT_EVENTS", 20)
    with qtbot.waitSignal(window.run_over, timeout=30_000):
        window.start_run(scenario("seed", speed=40.0))
    assert window.controller.model.events_seen > 20
    with pytest.raises(ValueError, match="passed 20 events, too many to keep for export"):
        window.exports.export_run(str(tmp_path / "long.jsonl"), "trace")
    assert not (tmp_path / "long.jsonl").exists()


def test_open_recording_from_the_file_menu_replays_a_good_file_and_names_a_bad_ones_line(
        window, tmp_path, seed_trace, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    lines = seed_trace.read_text(encoding="utf-8").splitlines(keepends=True)
    header = json.loads(lines[0])
    header["scenario"]["name"] = "someone's program"  # not a library scenario
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text(json.dumps(header) + "\n" + "".join(lines[1:]), encoding="utf-8")
    complaints = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: complaints.append(text))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(foreign), ""))
    window.exports.open_action.trigger()
    assert not complaints and window.replay is not None and window.replay.recording.config.name == "someone's program"
    window.replay.seek(len(lines) - 1)
    assert window.controller.model.task_dones == 11
    bad = tmp_path / "bad.jsonl"
    bad.write_text(lines[0] + lines[2], encoding="utf-8")  # seq 2 where 1 should be
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(bad), ""))
    window.exports.open_action.trigger()
    assert complaints == [f"{bad} line 2: the first event has seq 2, not 1"]
    assert window.replay.recording.path == str(foreign)  # the replay shown stays


def test_home_while_playing_plays_on_from_the_start(window, replay, qtbot):
    replay.speed.setCurrentIndex(replay.speed.findData(0.1))  # the 0.2 s run lasts 2 s
    replay.seek(len(replay.recording.events) // 2)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: replay.position > len(replay.recording.events) // 2, timeout=10_000)
    qtbot.keyClick(window, Qt.Key.Key_Home)
    assert replay.playing and replay.position == 0
    with qtbot.waitSignal(replay.position_changed, timeout=10_000):
        pass
    assert 0 < replay.position < len(replay.recording.events) // 2
    replay.pause()


def test_passing_the_silence_of_a_stalled_recording_shows_the_live_diagnosis(window, seed_trace, tmp_path, qtbot):
    from tests.recordings import stalled_copy

    replay = window.open_replay(load_recording(stalled_copy(seed_trace, tmp_path / "stalled.jsonl")))
    quiet_from = replay.stall.position
    replay.seek(quiet_from)
    assert not window.banner.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert window.banner.isVisible() and window.banner.text().startswith("<b>Stalled.</b> main's tasks.join() waits")
    assert replay.narration.text().splitlines()[-1].endswith("main was stopped")
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert not window.banner.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_End)
    assert window.banner.isVisible()


def test_the_end_of_a_finished_recording_shows_the_finished_banner(window, replay, qtbot):
    events = replay.recording.events
    replay.seek(len(events) - 1)
    assert not window.banner.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert window.banner.isVisible()
    assert window.banner.text().startswith("<b>Finished.</b> 11 puts, 11 gets, 11 task_done calls.")
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert not window.banner.isVisible()
    replay.speed.setCurrentIndex(replay.speed.findData(100.0))
    with qtbot.waitSignal(replay.replay_finished, timeout=20_000):
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.banner.isVisible() and window.banner.text().startswith("<b>Finished.</b>")


def test_a_recording_paused_past_the_stall_timeout_shows_no_stall(window, seed_trace, tmp_path, qtbot):
    from tests.recordings import paused_copy

    replay = window.open_replay(load_recording(paused_copy(seed_trace, tmp_path / "paused.jsonl")))
    assert replay.stall is None
    for position in range(len(replay.recording.events) + 1):
        replay.seek(position)
        assert "Stalled" not in window.banner.text() or not window.banner.isVisible(), position
    assert window.banner.isVisible() and window.banner.text().startswith("<b>Finished.</b>")


def test_a_stalled_run_records_its_verdict_and_its_replay_says_it_at_that_event(window, tmp_path, qtbot):
    """``joinscope run`` prints the stall's diagnosis; the recording carries it (a ``stall`` event,
    actor joinscope), and the replay raises the same banner with the same words at that event."""
    import subprocess
    import sys

    from core.events import OBSERVER_ACTOR, STALL

    record = tmp_path / "crash.jsonl"
    result = subprocess.run([sys.executable, "-m", "app", "run", "--scenario", "crash", "--speed", "40",
                             "--timeout", "0.5", "--quiet", "--record", str(record)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, result.stderr
    recording = load_recording(record)
    stalls = [i for i, e in enumerate(recording.events) if e.kind == STALL]
    assert len(stalls) == 1
    stall = recording.events[stalls[0]]
    assert stall.actor == OBSERVER_ACTOR and stall.item in result.stdout  # the words the command line said
    replay = window.open_replay(recording)
    replay.seek(stalls[0])
    assert not window.banner.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Right)  # the stall event itself
    assert window.banner.isVisible()
    assert window.banner.text() == f"<b>Stalled.</b> {stall.item}".replace("&", "&amp;")
    assert "crashed" in stall.item


def test_a_traced_program_replays_as_itself(window, tmp_path, qtbot):
    """Its command line, not the seed scenario's controls; the title names the file shown; a
    --timeout that stopped it is a stall, said at its event."""
    import subprocess
    import sys

    from core.events import STALL

    record = tmp_path / "hang.jsonl"
    program = ROOT / "tests" / "programs" / "hang.py"
    result = subprocess.run([sys.executable, "-m", "app", "trace", "--no-gui", "--timeout", "2",
                             "--record", str(record), str(program)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, result.stderr
    recording = load_recording(record)
    stall = next(e for e in recording.events if e.kind == STALL)
    assert stall.item.startswith("the program ran longer than --timeout 2 s: ")
    window.open_replay(recording)
    assert window.windowTitle() == "JoinScope — replay of hang.jsonl"
    assert window.controls.program.isVisible() and str(program) in window.controls.program.text()
    assert not window.controls.scenario.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_End)
    assert window.banner.isVisible() and window.banner.text().startswith("<b>Stalled.</b> the program ran longer")


def test_a_stepped_run_replays_in_steps_as_it_was_shown(window, qtbot, tmp_path):
    from app.cli.main import main as cli_main
    from core.events import STEP_GRANT

    path = tmp_path / "stepped.jsonl"
    assert cli_main(["run", "--scenario", "seed", "--tasks", "3", "--speed", "200", "--step", "round-robin",
                     "--record", str(path), "--quiet"]) == 0
    recording = load_recording(path)
    steps = sum(1 for event in recording.events if event.kind == STEP_GRANT)
    # The file keeps the seconds; the replay shows each event at its step, as step mode did.
    assert recording.unit.stepped and recording.duration == steps
    assert [e.t for e in recording.events] == sorted(e.t for e in recording.events)
    assert all(e.t == int(e.t) for e in recording.events)
    assert max(event["t"] for event in map(json.loads, path.read_text().splitlines()[1:])) != steps
    replay = window.open_replay(recording)
    replay.seek(len(recording.events))
    assert f"step {steps} of {steps} steps" in replay.where.text()
    assert window.plots.lanes.getAxis("bottom").labelText == "steps since start"
    assert re.search(r"step +\d+  #\d+", replay.narration.text())
    joins = [e for e in recording.events if e.kind == "join_return" and e.waited is not None]
    assert joins and all(e.waited == int(e.waited) for e in joins)  # main's join waited whole steps


def test_at_the_end_of_a_recording_the_whole_run_is_in_view(window, replay):
    """However the end is reached (End, the scrubber, playing): a short run fills the plots, not
    the first few percent of a 10 s axis."""
    end = replay.recording.duration
    assert end < 5
    replay.scrubber.setValue(len(replay.recording.events))
    for plot in (window.plots.counts, window.plots.lanes):
        low, high = plot.viewRange()[0]
        assert low <= 0.05 * end and end <= high <= 1.1 * end, (plot, low, high, end)
