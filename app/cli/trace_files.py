"""``joinscope replay FILE`` and ``joinscope export FILE --to perfetto|csv OUT``.

A recording is a file from outside: it is read with :mod:`core.recordings.trace` only (JSON,
never pickle or eval), and any problem with it — not a trace, empty, wrong
version, a gap in ``seq``, a wrong type, invalid UTF-8, an endless line, deep
nesting — ends the command with one line naming the file and line, and exit code
2.  A last line cut off by a crash is forgiven with a warning on stderr.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, NoReturn, TextIO

from app.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from app.cli.numbers import bounded, plain
from app.cli.output_files import write_refusal
from app.cli.window_options import add_window_options, check_window_can_open
from core.recordings.choices import EXPORT_FORMATS as FORMATS
from core.recordings.choices import REPLAY_SPEEDS as SPEEDS
from core.recordings.outputs import is_same_file

if TYPE_CHECKING:
    from core.events import Event
    from core.recordings.replay import Recording
# The readers and exporters (the run model, numpy) are imported when a command runs:
# this module is imported for every command line, ``joinscope trace`` included.


def add_replay_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a trace written by joinscope run --record")
    parser.add_argument("--speed", type=_speed, default=1.0, metavar="X",
                        help=f"play X times as fast as recorded, {plain(SPEEDS[0])} to {plain(SPEEDS[-1])} (default 1)")
    parser.add_argument("--play", action="store_true", help="start playing at once")
    add_window_options(parser, "the replay reaches the end", starts=" (it plays at once, as --play does)")


def add_export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a trace written by joinscope run --record")
    parser.add_argument("--to", required=True, choices=FORMATS, help="perfetto (trace-event JSON) or csv")
    parser.add_argument("out", metavar="OUT", help="the file to write")
    parser.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")


_speed = bounded(float, SPEEDS[0], SPEEDS[-1], "a number")


def _refuse(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    parser.exit(EXIT_BAD_INPUT, f"{parser.prog}: error: {' '.join(message.splitlines())}\n")


def _warn(parser: argparse.ArgumentParser, warnings: list[str], err: TextIO) -> None:
    for warning in warnings:
        print(f"{parser.prog}: warning: {' '.join(warning.splitlines())}", file=err)


def open_recording(path: str, parser: argparse.ArgumentParser, err: TextIO | None = None) -> Recording:
    """The recording at ``path``, or exit 2 with one line saying why it cannot be replayed."""
    from core.recordings.replay import load_recording
    from core.recordings.trace import TraceError
    try:
        recording = load_recording(path)
    except TraceError as error:
        _refuse(parser, str(error))
    except OSError as error:
        _refuse(parser, f"cannot read {path}: {error.strerror or error}")
    except MemoryError:
        _refuse(parser, f"{path}: too many events to hold in memory")
    _warn(parser, recording.warnings, err or sys.stderr)
    return recording


def run_replay(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    recording = open_recording(args.file, parser)
    check_window_can_open(parser, "replay", args.screenshot)
    from app.cli.gui import run_replay_gui
    return run_replay_gui(args, recording)


def run_export(args: argparse.Namespace, parser: argparse.ArgumentParser, out: TextIO | None = None,
               err: TextIO | None = None) -> int:
    if is_same_file(args.out, args.file):
        _refuse(parser, f"{args.out} is the recording {args.file} itself: exporting over it would lose it "
                        "(name another file)")
    refusal = write_refusal(args.out, overwrite=args.overwrite)
    if refusal is not None:
        _refuse(parser, refusal)
    from core.recordings.export import export
    from core.recordings.trace import TraceError, TraceReader
    try:
        reader = TraceReader(args.file)
    except TraceError as error:
        _refuse(parser, str(error))
    except OSError as error:
        _refuse(parser, f"cannot read {args.file}: {error.strerror or error}")
    with reader:
        title = f"JoinScope · {reader.header['scenario'].get('name', 'recording')} · {os.path.basename(args.file)}"
        events: Iterator[Event] = iter(reader)
        try:
            written = export(events, args.to, args.out, title=str(title))
        except TraceError as error:
            _refuse(parser, str(error))
        except OSError as error:
            _refuse(parser, f"cannot write {args.out}: {error.strerror or error}")
        _warn(parser, reader.warnings, err or sys.stderr)
    what = "trace events" if args.to == "perfetto" else "rows"
    from app.cli.pipe_output import PipeSafeOutput
    said = PipeSafeOutput(out or sys.stdout)
    said.write(f"{args.out}: {written} {what} from {args.file}\n")
    said.flush()
    return EXIT_OK

