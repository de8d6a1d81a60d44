"""``joinscope trace [--record FILE] [--no-gui] [--timeout S] script.py [args…]``.

Runs the user's program under observation (see :mod:`core.tracing`): live in the
window by default, or with ``--no-gui`` only recording (and a summary at the end).
The program's standard streams are JoinScope's own, untouched; JoinScope's few
words go to standard error after the program has ended, each line starting with
``joinscope:``.  The exit code is the program's (128 + N if signal N ended it); 3 when
``--timeout`` stopped it, 130 when a Ctrl-C did not end it by itself and JoinScope had to
(on Windows 0xC000013A), 143 when JoinScope was asked to end and stopped it (SIGTERM,
closing the window after Stop; on Windows Ctrl-Break), whatever the system made of its end.
"""
from __future__ import annotations

import argparse
import os
import sys

from app.cli.exit_codes import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_STALLED, EXIT_TERMINATED
from app.cli.numbers import bounded, plain
from app.cli.output_files import write_refusal
from app.cli.window_options import add_scale_option, check_window_can_open
from core.backends import TRACEABLE, describe  # names only: it imports nothing
from core.recordings.outputs import is_same_file
from core.system import exit_code_for_shell, handle_stop_signals

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing before the launch
if TYPE_CHECKING:
    from typing import Any, TextIO

    from core.analysis.model import RunModel
    from core.scenarios import ScenarioConfig
    from core.tracing.blocks import BlockTraceWriter as TraceWriter
    from core.tracing.launch import LaunchedProgram
    from core.tracing.session import TraceSession
    from core.tracing.summary import TraceSummary
# The rest is imported when needed, much of it once the program is launched.

#: How long the headless loop waits for events before it looks at signals and the clock.
POLL_S = 0.05
#: The longest ``--timeout``: a day.
MAX_TIMEOUT_S = 86_400.0
#: The headless loop's garbage collector thresholds.  Every record that arrives is a new
#: tuple, and Python's default thresholds (700, 10, 10) would have the collector walk the
#: pending records and everything JoinScope imported over and over; the loop makes few
#: cycles, so it collects rarely (with the start-up objects frozen out of the walks).
HEADLESS_GC_THRESHOLDS = (50_000, 20, 100)


_seconds = bounded(float, 0.0, MAX_TIMEOUT_S, "a number of seconds", above=True)


QUEUE_KINDS = TRACEABLE


def _queue_kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [kind for kind in kinds if kind not in QUEUE_KINDS]
    if not kinds or unknown:
        raise argparse.ArgumentTypeError(f"must be one or more of {','.join(QUEUE_KINDS)}, comma-separated, "
                                         f"not {text!r}")
    return tuple(dict.fromkeys(kinds))


_DESCRIPTION = ("Run an unmodified Python program and observe every multiprocessing.JoinableQueue, queue.Queue, "
                "asyncio.Queue, multiprocessing.Pool, ProcessPoolExecutor and ThreadPoolExecutor it creates, in any "
                "start method. Its output and exit code are its own.")


def add_trace_parser(commands: Any) -> None:
    """``trace`` among the subcommands of the whole command line."""
    trace = commands.add_parser("trace", help="run your own Python program and watch its JoinableQueues",
                                description=_DESCRIPTION)
    _add_trace_arguments(trace)


def trace_parser(parser_class: type[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """The same parser on its own, as ``joinscope trace`` builds it to start fast."""
    trace = parser_class(prog="joinscope trace", description=_DESCRIPTION)
    _add_trace_arguments(trace)
    return trace


def _add_trace_arguments(trace: argparse.ArgumentParser) -> None:
    trace.add_argument("--record", metavar="FILE", help="write the events to FILE (JSON Lines) as they happen")
    trace.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    trace.add_argument("--no-gui", action="store_true", dest="no_gui", help="record only, no window")
    trace.add_argument("--timeout", type=_seconds, metavar="S", dest="timeout_s",
                       help="stop the program (and every process it started) if it runs longer than S seconds; "
                            "exit code 3")
    trace.add_argument("--queues", type=_queue_kinds, default=TRACEABLE, metavar="KINDS",
                       help="what to observe, comma-separated: process (multiprocessing.JoinableQueue), "
                            "thread (queue.Queue), asyncio (asyncio.Queue), pool (multiprocessing.Pool, "
                            "ProcessPoolExecutor, ThreadPoolExecutor); default all four")
    add_scale_option(trace)
    trace.add_argument("script", help="the Python program to run")
    trace.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    trace.set_defaults(trace_parser=trace, command="trace")


def trace_config(script: str, args: list[str]) -> ScenarioConfig:
    """The scenario a trace is filed under (the header's ``scenario``; the window's title)."""
    import multiprocessing

    from core.scenarios import ScenarioConfig
    return ScenarioConfig(name="trace", title=" ".join([os.path.basename(script), *args]),
                          description=f"joinscope trace {script}", producers=0, consumers=0, tasks=0,
                          start_method=multiprocessing.get_start_method(allow_none=False))


def _check_script(parser: argparse.ArgumentParser, script: str) -> None:
    if not os.path.exists(script):
        parser.error(f"cannot run {script}: no such file")
    if not os.path.isfile(script):
        parser.error(f"cannot run {script}: not a file")
    try:
        with open(script, "rb"):
            pass
    except OSError as error:
        parser.error(f"cannot run {script}: {error.strerror or error}")


def _check_record(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if not args.record:
        return
    if is_same_file(args.record, args.script):
        parser.error(f"argument --record: {args.record} is the script itself")
    refusal = write_refusal(args.record, overwrite=args.overwrite)
    if refusal is not None:
        parser.error(f"argument --record: {refusal}")


def run_trace(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args.trace_parser
    _check_script(parser, args.script)
    _check_record(parser, args)
    if args.no_gui and getattr(args, "scale", None) is not None:
        parser.error("argument --scale: --no-gui opens no window to scale")
    if not args.no_gui:
        check_window_can_open(parser, "trace")
    if args.no_gui:
        with _HeadlessSignals() as signals:
            # Launched first: its start-up overlaps the rest of JoinScope's (it runs nothing
            # of the script before the session hands it the channel).
            from core.tracing.launch import LaunchedProgram
            launched = LaunchedProgram(sys.executable, args.script, args.args, args.queues)
            try:
                writer = _open_record(parser, args, trace_config(args.script, args.args))
                launched.hand_over()  # the script runs from now on
            except BaseException:
                launched.cancel()
                raise
            from core.tracing.session import TraceSession
            session = TraceSession(args.script, args.args, timeout_s=args.timeout_s, queues=args.queues)
            summary, write_error = _run_headless(session, writer, signals, launched)
    else:
        config = trace_config(args.script, args.args)
        writer = _open_record(parser, args, config)
        from core.tracing.session import TraceSession
        session = TraceSession(args.script, args.args, timeout_s=args.timeout_s, queues=args.queues)
        summary, write_error = _run_in_window(session, writer, config, getattr(args, "scale", None))
    _report(session, summary, args, write_error)
    from core.tracing.session import INTERRUPTED, STOPPED_BY_USER, TIMED_OUT
    if session.outcome == TIMED_OUT:
        return EXIT_STALLED
    if session.outcome == INTERRUPTED and session.forced:
        return EXIT_INTERRUPTED
    if session.outcome == STOPPED_BY_USER and session.forced:
        return EXIT_TERMINATED
    code = session.returncode
    if code is None:
        return 1
    return exit_code_for_shell(code)


def _open_record(parser: argparse.ArgumentParser, args: argparse.Namespace, config: ScenarioConfig
                 ) -> TraceWriter | None:
    """The writer of ``--record FILE``, its header written (exit 2 if it cannot be)."""
    if not args.record:
        return None
    from core.recordings.trace import trace_header
    from core.tracing.blocks import BlockTraceWriter
    try:
        return BlockTraceWriter(args.record, trace_header(config, traced={"script": args.script, "args": args.args}))
    except OSError as error:  # e.g. a full disk: the header could not be written
        parser.error(f"argument --record: cannot write {args.record}: {error.strerror or error}")


#: What :class:`_HeadlessSignals` notes: Ctrl-C, or a request to end (SIGTERM; on Windows, Ctrl-Break).
_INTERRUPT, _TERMINATE = "interrupt", "terminate"


class _HeadlessSignals:
    """Ctrl-C and termination requests noted (in ``received``) from before the program is launched.

    A signal JoinScope was started ignoring (a background job's SIGINT) stays ignored,
    for the program too, which inherits the disposition."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self._restore: Any = None

    def __enter__(self) -> _HeadlessSignals:
        self._restore = handle_stop_signals(lambda: self.received.append(_INTERRUPT),
                                            lambda: self.received.append(_TERMINATE), keep_ignored=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self._restore()


def _run_headless(session: TraceSession, writer: TraceWriter | None, signals: _HeadlessSignals,
                  launched: LaunchedProgram | None = None) -> tuple[TraceSummary, OSError | None]:
    """Run the program to its end, writing the events as they come."""
    import gc

    from core.tracing.summary import TraceSummary
    summary = TraceSummary()
    write_error: OSError | None = None
    received = signals.received
    model = _diagnosing(session) if session.timeout_s is not None and writer is not None else None
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*HEADLESS_GC_THRESHOLDS)
    try:
        with session:
            session.start(launched)
            while not session.finished:
                while received:
                    if received.pop(0) == _INTERRUPT:
                        session.interrupt()
                    else:
                        session.stop()
                blocks = session.poll_blocks(POLL_S)
                if blocks:
                    summary.add_blocks(blocks)
                    if model is not None:
                        for block in blocks:
                            model.apply(block.events())
                    if writer is not None and write_error is None:
                        try:
                            writer.write_blocks(blocks)
                        except OSError as error:
                            write_error = error
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        if writer is not None:
            writer.close()
    return summary, write_error


def _diagnosing(session: TraceSession) -> RunModel:
    """A run model the program's events are folded into, so that the ``stall`` event a recorded
    ``--timeout`` writes says why the program did not end, as a stalled scenario's does (only then:
    folding costs, and the terminal's summary says it from its own counts)."""
    import time

    from core.analysis.diagnosis import diagnose
    from core.analysis.model import RunModel

    model = RunModel()
    ran_too_long = session.diagnose_timeout
    session.diagnose_timeout = lambda timeout_s: (
        f"{ran_too_long(timeout_s)}: " + diagnose(model, time.monotonic() - session.t0 - model.last_t))
    return model


def _run_in_window(session: TraceSession, writer: TraceWriter | None, config: ScenarioConfig,
                   scale: float | None = None) -> tuple[TraceSummary, OSError | None]:
    from app.windows.trace_window import show_trace
    from core.recordings.recording import RecordingSource
    from core.tracing.summary import TraceSummary
    summary = TraceSummary()
    recording = RecordingSource(session, writer) if writer is not None else None
    show_trace(session, recording or session, config, summary.add, scale)
    return summary, recording.write_error if recording is not None else None


def _report(session: TraceSession, summary: TraceSummary, args: argparse.Namespace, write_error: OSError | None,
            err: TextIO | None = None) -> None:
    """JoinScope's own words, after the program's last: what was traced, and what went wrong."""
    from core.tracing.session import INTERRUPTED, TIMED_OUT
    err = err if err is not None else sys.stderr
    lines = []
    if session.queues_created == 0:
        kinds = [describe(kind).queue_class for kind in args.queues]
        what = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " or " + kinds[-1]
        lines.append(f"{args.script} created no {what}, so there was nothing to trace")
    else:
        lines += summary.lines()
    if session.lost_ops:
        lines.append(f"{session.lost_ops} queue operation(s) were never reported: the process that made them "
                     "died first")
    if session.outcome == TIMED_OUT:
        lines.append(f"the program ran longer than --timeout {plain(args.timeout_s)} s: it was stopped, "
                     "with every process it started")
    elif session.outcome == INTERRUPTED:
        lines.append("interrupted")
    if write_error is not None:
        lines.append(f"could not write {args.record}: {write_error.strerror or write_error}; "
                     "it holds the events up to that point")
    elif args.record:
        lines.append(f"trace: {args.record}")
    err.flush()
    err.write("".join(f"joinscope: {line}\n" for line in lines))
    err.flush()


__all__ = ["EXIT_BAD_INPUT", "add_trace_parser", "run_trace"]
