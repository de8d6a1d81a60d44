"""Replaying a recording without a window: any position shows exactly the state a live run had there."""
from __future__ import annotations

import numpy as np
import pytest

from core.analysis.model import RunModel
from core.analysis.narrate import Narrator
from core.analysis.timeline import Timeline
from core.recordings.replay import ReplayCursor, config_of, load_recording
from core.scenarios import SCENARIOS


def folded(events):
    """A model and timeline fed ``events`` one at a time, as the slowest live run would."""
    model, timeline = RunModel(expected_producers=1), Timeline()
    for event in events:
        model.apply([event])
        timeline.extend([event])
    return model, timeline


def snapshot(model: RunModel, timeline: Timeline) -> dict:
    """What the window draws from a model and timeline, in comparable form."""
    series = next(iter(timeline.queues.values()), None)
    return {
        "counts": (model.puts, model.gets, model.task_dones, model.events_seen, model.last_seq),
        "queues": {name: (q.depth, q.unfinished) for name, q in model.queues.items()},
        "actors": {name: (a.state, a.since, a.exitcode) for name, a in model.actors.items()},
        "lanes": {name: (list(times), list(codes)) for name, (times, codes) in model.transitions.items()},
        "joins": [(j.actor, j.target, j.returned, j.released_by) for j in model.joins],
        "series": None if series is None else [series.column(c).tolist() for c in ("t", "depth", "unfinished")],
        "done": [a.tolist() for a in timeline.binned_rate(0.01)],
        "marks": [(m.actor, m.entered, m.returned, m.released_by_actor) for m in timeline.joins],
    }


def test_every_position_forward_and_back_equals_a_fresh_fold(seed_trace):
    recording = load_recording(seed_trace)
    events = recording.events
    assert len(events) > 40 and recording.config.name == "seed" and not recording.warnings
    cursor = ReplayCursor(recording)
    # forward one event at a time, then back one at a time, then jumps both ways
    path = list(range(1, len(events) + 1)) + list(range(len(events) - 1, -1, -1)) + [30, 5, len(events), 17, 18, 0]
    for position in path:
        cursor.seek(position)
        assert cursor.position == position
        assert cursor.current == (events[position - 1] if position else None)
        assert snapshot(cursor.model, cursor.timeline) == snapshot(*folded(events[:position])), position


def test_seeking_back_gives_new_objects_and_forward_reports_the_events_folded(seed_trace):
    cursor = ReplayCursor(load_recording(seed_trace))
    rebuilt, added = cursor.seek(10)
    assert not rebuilt and [e.seq for e in added] == list(range(1, 11))
    model = cursor.model
    rebuilt, added = cursor.step(1)
    assert not rebuilt and [e.seq for e in added] == [11] and cursor.model is model
    rebuilt, added = cursor.step(-1)
    assert rebuilt and cursor.model is not model and [e.seq for e in added] == list(range(1, 11))
    assert cursor.seek(10_000) == (False, cursor.events[10:]) and cursor.at_end
    assert cursor.seek(-5)[0] and cursor.position == 0 and cursor.model.events_seen == 0


def test_narration_is_the_command_lines_and_survives_moving_back(seed_trace):
    recording = load_recording(seed_trace)
    model = RunModel(expected_producers=recording.config.producers)
    narrator = Narrator(model, recording.config.maxsize)
    expected = []
    for event in recording.events:
        model.apply([event])
        expected.append(narrator.line(event))
    assert any("main found that all tasks are processed" in (line or "") for line in expected)
    cursor = ReplayCursor(recording)
    cursor.seek(25)
    cursor.seek(3)
    cursor.seek(len(recording.events))
    cursor.seek(12)
    assert [cursor.narration(i) for i in range(len(recording.events))] == expected


def test_seek_time_stops_after_the_last_event_at_that_time(seed_trace):
    recording = load_recording(seed_trace)
    cursor = ReplayCursor(recording)
    middle = recording.events[20].t
    cursor.seek_time(middle)
    assert cursor.current.t <= middle
    assert cursor.at_end or recording.events[cursor.position].t > middle
    cursor.seek_time(-1.0)
    assert cursor.position == 0
    cursor.seek_time(recording.duration)
    assert cursor.at_end


def test_a_header_scenario_is_trusted_field_by_field():
    config = config_of({"scenario": {"name": "bounded", "maxsize": 7, "producers": "many", "speed": -1,
                                     "tags": ["a", 3], "invented": True}})
    assert config.name == "bounded" and config.maxsize == 7
    assert config.producers == SCENARIOS["bounded"].producers and config.speed == SCENARIOS["bounded"].speed
    foreign = config_of({"scenario": {"name": "my program", "producers": 3}})
    assert foreign.name == "my program" and foreign.producers == 3
    assert config_of({"scenario": []}).name == "recording"


def test_rebuilding_a_long_recording_folds_in_chunks(tmp_path):
    """More events than one fold chunk, from more actors than the model's batch numbering holds at once."""
    from core.events import ACTOR_START, PUT, Event
    from core.recordings.replay import FOLD_CHUNK, Recording

    events = [Event(1, 0.0, ACTOR_START, "main", 1, None, 0, "main", None, None)]
    for i in range(2, 3 * FOLD_CHUNK):
        events.append(Event(i, i / 1000, PUT, f"producer-{i}", i, "tasks", i - 1, i, i - 1, i - 1))
    cursor = ReplayCursor(Recording("synthetic", {}, events, config_of({})))
    cursor.seek(len(events))
    cursor.seek(len(events) - 1)
    assert cursor.model.puts == len(events) - 2 and len(cursor.model.actors) == len(events) - 1
    assert np.array_equal(cursor.timeline.queues["tasks"].column("depth")[1:], np.arange(1, len(events) - 1))


def test_snapshots_restore_exactly_and_stay_untouched(seed_trace, monkeypatch):
    """With tiny chunks and snapshots, every position reached through a snapshot equals a fresh fold."""
    import core.recordings.replay

    monkeypatch.setattr(core.recordings.replay, "FOLD_CHUNK", 3)
    monkeypatch.setattr(core.recordings.replay, "SNAPSHOT_EVERY", 6)
    monkeypatch.setattr(core.recordings.replay, "MAX_SNAPSHOTS", 4)
    recording = load_recording(seed_trace)
    events = recording.events
    cursor = ReplayCursor(recording)
    cursor.seek(len(events))
    spacing = cursor._snapshot_spacing
    assert spacing % 3 == 0 and spacing >= len(events) // 4
    assert sorted(cursor._snapshots) == list(range(spacing, len(events) + 1, spacing))
    for position in [len(events) - 1, spacing + 1, spacing, spacing - 1, 2, len(events) - 1, spacing + 1]:
        back = position < cursor.position
        rebuilt, added = cursor.seek(position)
        assert rebuilt == back and (not back or added == events[:position])
        assert snapshot(cursor.model, cursor.timeline) == snapshot(*folded(events[:position])), position
        cursor.step(1)  # moving on from a restored state must not change the snapshot it came from


def test_lanes_are_ordered_by_role_then_number_whatever_the_names():
    from core.analysis.model import lane_order

    names = ["main", "consumer-10", "weird", "consumer-2", "producer-0", "producer-²", "consumer-" + "9" * 5000, ""]
    ordered = sorted(names, key=lane_order)
    assert ordered[:2] == ["producer-0", "producer-²"]
    assert ordered[2:5] == ["consumer-" + "9" * 5000, "consumer-2", "consumer-10"]
    assert ordered[5] == "main" and set(ordered[6:]) == {"weird", ""}


def test_a_stall_is_found_where_the_run_went_quiet_and_diagnosed_as_live(seed_trace, tmp_path):
    from core.recordings.replay import find_stall
    from tests.recordings import stalled_copy

    assert find_stall(load_recording(seed_trace)) is None
    recording = load_recording(stalled_copy(seed_trace, tmp_path / "stalled.jsonl"))
    stall = find_stall(recording)
    assert stall is not None and stall.position == len(recording.events) - 1
    assert stall.quiet_s == pytest.approx(2 * recording.config.stall_timeout_s, abs=1e-5)
    assert stall.diagnosis.startswith("main's tasks.join() waits with unfinished=6")


def test_a_silence_the_run_went_on_after_is_no_stall(seed_trace, tmp_path):
    """A run paused longer than its stall timeout was not stalled: only a recording that ended
    in its silence (then stopped) was."""
    from core.recordings.replay import find_stall
    from tests.recordings import paused_copy

    recording = load_recording(paused_copy(seed_trace, tmp_path / "paused.jsonl"))
    assert max(b.t - a.t for a, b in zip(recording.events, recording.events[1:])) > recording.config.stall_timeout_s
    assert find_stall(recording) is None
