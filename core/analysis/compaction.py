"""Keeping a long, busy run's history in bounded memory.

A run at full rate makes a few hundred thousand events a second; kept one by one,
half an hour of them would not fit in memory.  The plots need every operation of
the recent past, but of the older past only what a pixel can show.  So when a
history grows past its budget, everything except its newest half is summarised:

* a count history (queue depth and unfinished tasks over time) is cut into bins of
  :data:`FACTOR` rows, each kept as its first time, its lowest depth and its highest
  unfinished count — every peak and dip stays visible, as in
  :func:`app.plots.run_plots.visible_steps`;
* an actor's state changes (a swimlane) are cut into time buckets, each kept as the
  state it spent the longest in, so long waits survive and flicker does not.

Older history is summarised again at the next compaction, so resolution falls off
with age and the total stays under the budget.  The trace file, if one is recorded,
keeps every event.
"""
from __future__ import annotations

from array import array

import numpy as np

#: How many rows of old history become one.
FACTOR = 4


def compact_steps(t: np.ndarray, low: np.ndarray, high: np.ndarray,
                  keep: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two step series sampled at ``t``, with all but the newest ``keep`` rows binned."""
    old = len(t) - keep
    bins = old // FACTOR
    if bins <= 0:
        return t, low, high
    cut = bins * FACTOR
    return (np.concatenate([t[:cut:FACTOR], t[cut:]]),
            np.concatenate([low[:cut].reshape(bins, FACTOR).min(axis=1), low[cut:]]),
            np.concatenate([high[:cut].reshape(bins, FACTOR).max(axis=1), high[cut:]]))


def compact_lane(times: array, codes: array, keep: int) -> tuple[array, array]:
    """A lane's state changes (``array('d')``, ``array('b')``) with all but the newest
    ``keep`` summarised: each run of :data:`FACTOR` changes becomes the one whose
    state lasted longest."""
    old = len(times) - keep
    bins = old // FACTOR
    if bins <= 0:
        return times, codes
    cut = bins * FACTOR
    t = np.frombuffer(times, np.float64)
    c = np.frombuffer(codes, np.int8)
    lasted = np.diff(t[:cut + 1]).reshape(bins, FACTOR)
    longest = lasted.argmax(axis=1) + np.arange(bins) * FACTOR
    kept_t = t[:cut:FACTOR].copy()  # each bucket starts where it started
    kept_c = c[longest]
    new_times = array("d", kept_t.tobytes())
    new_times.extend(times[cut:])
    new_codes = array("b", kept_c.tobytes())
    new_codes.extend(codes[cut:])
    return new_times, new_codes
