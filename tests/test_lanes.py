"""Swimlane pixels: each column shows the state the actor was in at that moment."""
from __future__ import annotations

from array import array

import numpy as np

from app.plots.lanes import BLANK, PALETTE, ROWS_PER_LANE, lane_pixels, lanes_image
from core.analysis.model import CRASHED, EXITED, STARTING, STATE_CODES, WAITING_GET, WORKING


def lane(*changes: tuple[float, str]) -> tuple[array, array]:
    return array("d", [t for t, _ in changes]), array("b", [STATE_CODES[state] for _, state in changes])


def test_each_pixel_shows_the_state_in_force_at_its_centre():
    times, codes = lane((1.0, STARTING), (2.0, WORKING), (3.0, WAITING_GET))
    pixels = lane_pixels(times, codes, 0.0, 4.0, 8, now=3.6)  # centres 0.25, 0.75, …, 3.75
    expected = [BLANK, BLANK, STATE_CODES[STARTING], STATE_CODES[STARTING], STATE_CODES[WORKING],
                STATE_CODES[WORKING], STATE_CODES[WAITING_GET], BLANK]  # nothing after "now"
    assert pixels.tolist() == expected


def test_an_exit_ends_the_lane_and_a_crash_stays_marked():
    exited = lane_pixels(*lane((0.0, WORKING), (1.0, EXITED)), 0.0, 2.0, 20, now=2.0)
    assert (exited[10:] == BLANK).all() and (exited[:10] == STATE_CODES[WORKING]).all()
    crashed = lane_pixels(*lane((0.0, WORKING), (1.0, CRASHED)), 0.0, 2.0, 20, now=2.0)
    assert (crashed[10:14] == STATE_CODES[CRASHED]).all() and (crashed[14:] == BLANK).all()


def test_the_image_stacks_lanes_first_on_top_with_gaps():
    first = lane((0.0, WORKING))
    second = lane((0.0, WAITING_GET))
    image = lanes_image([first, second], 0.0, 1.0, 5, now=1.0)
    assert image.shape == (2 * ROWS_PER_LANE, 5, 4)
    top_lane_row, bottom_lane_row = image[ROWS_PER_LANE + 5, 0], image[5, 0]  # row 0 is drawn at the bottom
    assert (top_lane_row == PALETTE[STATE_CODES[WORKING]]).all()
    assert (bottom_lane_row == PALETTE[STATE_CODES[WAITING_GET]]).all()
    assert image[0, 0, 3] == 0 and image[ROWS_PER_LANE - 1, 0, 3] == 0  # transparent gap rows
    assert np.array_equal(PALETTE[BLANK], [0, 0, 0, 0])
