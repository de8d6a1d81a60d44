"""The options every command that opens a window shares: its size on screen, and what to
do when its run (or replay) is over.

``--scale`` is for a projector: Qt draws the whole window — text, plots, lines —
that much bigger, as a high-resolution screen would (see
:func:`app.windows.application.make_application`).
"""
from __future__ import annotations

import argparse

from app.cli.numbers import bounded, plain
from app.cli.output_files import write_refusal

#: The range of ``--scale``: from half size to four times.
MIN_SCALE, MAX_SCALE = 0.5, 4.0


_scale = bounded(float, MIN_SCALE, MAX_SCALE, "a number",
                 hint=" (1.5 for a projector: everything half as big again)")


def add_scale_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", type=_scale, metavar="X",
                        help=f"draw the window X times as big ({plain(MIN_SCALE)} to {plain(MAX_SCALE)}; 1.5 or 2 on a "
                             "projector); the default follows the screen")


def add_window_options(parser: argparse.ArgumentParser, over: str, starts: str = "") -> None:
    """``--scale``, ``--screenshot`` and ``--exit-when-done``; ``over`` says when (\"the run is over\"),
    ``starts`` what ``--exit-when-done`` starts at once (\" (it starts the run at once)\")."""
    add_scale_option(parser)
    parser.add_argument("--screenshot", metavar="FILE", help=f"when {over}, save a PNG of the window")
    parser.add_argument("--exit-when-done", action="store_true", dest="exit_when_done",
                        help=f"quit when {over}{starts}")


#: What to do instead of opening a window, by command.
_OFFSCREEN = "or draw the window unseen with QT_QPA_PLATFORM=offscreen (for --screenshot)"
INSTEAD = {
    "gui": f"run the scenario headless with 'joinscope run' (the same options), {_OFFSCREEN}",
    "compare": f"run each backend headless with 'joinscope run --backend B', {_OFFSCREEN}",
    "replay": f"read the recording with 'joinscope export FILE --to csv', {_OFFSCREEN}",
    "trace": "trace the program headless with 'joinscope trace --no-gui'",
}


def check_window_can_open(parser: argparse.ArgumentParser, command: str, screenshot: str | None = None) -> None:
    """Before anything starts: ``--screenshot`` names a file that can be written, and there is a
    display to open a window on (see :mod:`app.cli.display`).  If not, one line and exit code 2."""
    if screenshot:
        refusal = write_refusal(screenshot)
        if refusal is not None:
            parser.error(f"argument --screenshot: {refusal}")
    from app.cli.display import display_problem
    problem = display_problem()
    if problem is not None:
        parser.error(f"{problem}; instead, {INSTEAD[command]}")
