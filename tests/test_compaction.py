"""A long, busy run's history stays within its memory budget and keeps what matters."""
from __future__ import annotations

from array import array

import numpy as np
import pytest

from core.analysis import model as model_module
from core.analysis import timeline as timeline_module
from core.analysis.compaction import FACTOR, compact_lane, compact_steps
from core.analysis.model import STATE_CODES, WAITING_JOIN, WORKING, RunModel
from core.analysis.timeline import Timeline
from core.events import GET, PUT, TASK_DONE, Event


def busy_events(first_seq: int, cycles: int, dt: float = 1e-4) -> list[Event]:
    """put, get, task_done cycles on one queue; unfinished climbs to 3 then falls to 0 every 50 cycles."""
    events = []
    seq = first_seq
    for cycle in range(cycles):
        t = (seq + 3 * cycle) * dt
        peak = 3 if (first_seq + cycle) % 50 == 0 else 1
        for kind, actor, depth, unfinished in ((PUT, "producer-0", 1, peak), (GET, "consumer-0", 0, peak),
                                               (TASK_DONE, "consumer-0", 0, peak - 1)):
            events.append(Event(seq, t, kind, actor, 1, "tasks", seq, None, depth, unfinished))
            seq += 1
    return events


def test_binned_steps_keep_every_peak_and_the_newest_rows_exactly():
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.random(10_001))
    low = rng.integers(0, 50, 10_001).astype(np.int32)
    high = low + rng.integers(0, 50, 10_001).astype(np.int32)
    ct, clow, chigh = compact_steps(t, low, high, keep=1_000)
    assert len(ct) == 9_000 // FACTOR + 1_001
    assert (ct[-1_001:] == t[-1_001:]).all() and (chigh[-1_001:] == high[-1_001:]).all()
    assert chigh.max() == high.max() and clow.min() == low.min()
    assert (np.diff(ct) > 0).all()


def test_a_long_wait_survives_a_lane_summary():
    times = array("d", np.arange(1_000, dtype=np.float64) * 0.001)
    codes = array("b", [STATE_CODES[WORKING]] * 1_000)
    times[401:] = array("d", (np.arange(599) * 0.001 + 5.0))  # a five-second wait starts at change 400
    codes[400] = STATE_CODES[WAITING_JOIN]
    new_times, new_codes = compact_lane(times, codes, keep=100)
    assert len(new_times) == len(new_codes) == 900 // FACTOR + 100
    assert STATE_CODES[WAITING_JOIN] in new_codes
    assert new_times[-100:] == times[-100:] and new_codes[-100:] == codes[-100:]


def test_a_long_run_keeps_its_plots_and_lanes_bounded(monkeypatch):
    monkeypatch.setattr(timeline_module, "MAX_STEP_ROWS", 3_000)
    monkeypatch.setattr(model_module, "MAX_LANE_CHANGES", 1_000)
    timeline, model = Timeline(), RunModel()
    seq = 1
    for _ in range(40):
        events = busy_events(seq, 500)
        seq += len(events)
        model.apply(events)
        timeline.extend(events)
    series = timeline.queue("tasks")
    assert len(series) <= 3_000
    assert series.column("unfinished").max() == 3  # the peaks are still there
    assert series.column("t")[-1] == events[-1].t  # the newest row is exact
    assert all(len(times) <= 1_000 for times, _ in model.transitions.values())
    assert timeline.completed == model.task_dones == 20_000
    _starts, rates = timeline.binned_rate(0.5)
    assert rates.sum() * 0.5 == pytest.approx(20_000)
