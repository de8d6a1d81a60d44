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
from app.cli.window_options import add_window_options
from core.recordings.choices import EXPORT_FORMATS as FORMATS
from core.recordings.choices import REPLAY_SPEEDS as SPEEDS

if TYPE_CHECKING:
    from core.events import Event
    from core.recordings.replay import Recording
# The readers and exporters (the run model, numpy) are imported when a command runs:
# this module is imported for every command line, ``joinscope trace`` included.


def add_replay_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a trace written by joinscope run --record")
    parser.add_argument("--speed", type=_speed, default=1.0, metavar="X",
                        help=f"play X times as fast as recorded, {SPEEDS[0]:g} to {SPEEDS[-1]:g} (default 1)")
    parser.add_argument("--play", action="store_true", help="start playing at once")
    add_window_options(parser, "the replay reaches the end")


def add_export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a trace written by joinscope run --record")
    parser.add_argument("--to", required=True, choices=FORMATS, help="perfetto (trace-event JSON) or csv")
    parser.add_argument("out", metavar="OUT", help="the file to write")
    parser.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not SPEEDS[0] <= value <= SPEEDS[-1]:
        raise argparse.ArgumentTypeError(f"must be a number from {SPEEDS[0]:g} to {SPEEDS[-1]:g}, not {text!r}")
    return value


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
    if args.screenshot and not _writable(args.screenshot):
        _refuse(parser, f"argument --screenshot: cannot write {args.screenshot}")
    from app.cli.gui import run_replay_gui
    return run_replay_gui(args, recording)


def run_export(args: argparse.Namespace, parser: argparse.ArgumentParser, out: TextIO | None = None,
               err: TextIO | None = None) -> int:
    if os.path.exists(args.out) and not args.overwrite:
        _refuse(parser, f"{args.out} already exists (use --overwrite to replace it)")
    if not _writable(args.out) or os.path.isdir(args.out):
        _refuse(parser, f"cannot write {args.out}")
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


def _writable(path: str) -> bool:
    folder = os.path.dirname(os.path.abspath(path))
    return os.path.isdir(folder) and os.access(folder, os.W_OK)
