"""Swimlanes drawn as one image, a column of pixels at a time.

A busy run changes an actor's state hundreds of thousands of times a second; as
rectangles, all but the newest would be narrower than a pixel, and painting them
would cost the window its frame rate.  Instead each redraw samples every lane at
the centre of each pixel column of the view — the state the actor was in at that
moment — and paints the lanes as one RGBA image, so a frame costs the same however
long or busy the run.
"""
from __future__ import annotations

from array import array

import numpy as np

from app import theme
from core.analysis.model import CRASHED, EXITED, STATE_CODES, STATES, STOPPED

#: Image rows per lane; the outer ones stay clear, so lanes are separated.
ROWS_PER_LANE = 10
#: Pixels a final state other than a plain exit (crashed, stopped) stays visible for.
FINAL_MARK_PX = 4
BLANK = -1

_EXITED = STATE_CODES[EXITED]
_MARKED_FINAL = np.array([STATE_CODES[CRASHED], STATE_CODES[STOPPED]], np.int8)


def _rgba(colour: str) -> tuple[int, int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16), 255


#: Colour of each state code; the last row (index -1) is transparent, for BLANK.
PALETTE = np.array([_rgba(theme.STATE_COLOURS.get(state, "#dddddd")) for state in STATES] + [(0, 0, 0, 0)],
                   np.uint8)
#: The codes drawn striped: every other row of their lane is left clear, the plot's ground showing
#: through, light or dark (see theme.STRIPED_STATES).
_STRIPED = np.array([STATE_CODES[state] for state in theme.STRIPED_STATES], np.int8)
_STRIPE = np.array((0, 0, 0, 0), np.uint8)


def lane_pixels(times: array, codes: array, start: float, stop: float, width: int, now: float) -> np.ndarray:
    """The state code at the centre of each of ``width`` pixel columns spanning
    ``start``–``stop``, or :data:`BLANK` where the lane shows nothing (before its launch,
    after ``now``, after a plain exit)."""
    step = (stop - start) / width
    centres = start + (np.arange(width) + 0.5) * step
    pixels = np.full(width, BLANK, np.int8)
    if not len(times):
        return pixels
    t = np.frombuffer(times, np.float64)
    c = np.frombuffer(codes, np.int8)
    index = np.searchsorted(t, centres, side="right") - 1
    known = (index >= 0) & (centres <= now)
    pixels[known] = c[index[known]]
    last, since = c[-1], t[-1]
    if last == _EXITED or last in _MARKED_FINAL:
        after = centres >= since
        keep = last != _EXITED
        pixels[after] = np.where(keep & (centres[after] < since + FINAL_MARK_PX * step), last, BLANK)
    return pixels


def lanes_image(lanes: list[tuple[array, array]], start: float, stop: float, width: int, now: float) -> np.ndarray:
    """An RGBA image (rows × ``width`` × 4, row 0 at the bottom) of ``lanes``, the first on top."""
    count = len(lanes)
    codes = np.full((count * ROWS_PER_LANE, width), BLANK, np.int8)
    for position, (times, lane_codes) in enumerate(lanes):
        row = (count - 1 - position) * ROWS_PER_LANE
        codes[row + 1: row + ROWS_PER_LANE - 1] = lane_pixels(times, lane_codes, start, stop, width, now)
    image = PALETTE[codes]
    striped = np.isin(codes, _STRIPED)
    striped[::2] = False  # the stripes: every other row
    image[striped] = _STRIPE
    return image
