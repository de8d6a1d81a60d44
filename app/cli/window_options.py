"""The options every command that opens a window shares: its size on screen, and what to
do when its run (or replay) is over.

``--scale`` is for a projector: Qt draws the whole window — text, plots, lines —
that much bigger, as a high-resolution screen would (see
:func:`app.windows.application.make_application`).
"""
from __future__ import annotations

import argparse

#: The range of ``--scale``: from half size to four times.
MIN_SCALE, MAX_SCALE = 0.5, 4.0


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not MIN_SCALE <= value <= MAX_SCALE:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a number from {MIN_SCALE:g} to {MAX_SCALE:g} "
                                         f"(1.5 for a projector: everything half as big again), not {text!r}")
    return value


def add_scale_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", type=_scale, metavar="X",
                        help=f"draw the window X times as big ({MIN_SCALE:g} to {MAX_SCALE:g}; 1.5 or 2 on a "
                             "projector); the default follows the screen")


def add_window_options(parser: argparse.ArgumentParser, over: str) -> None:
    """``--scale``, ``--screenshot`` and ``--exit-when-done``; ``over`` says when (\"the run is over\")."""
    add_scale_option(parser)
    parser.add_argument("--screenshot", metavar="FILE", help=f"when {over}, save a PNG of the window")
    parser.add_argument("--exit-when-done", action="store_true", dest="exit_when_done", help=f"quit when {over}")
