"""The ``joinscope`` command line.

``joinscope`` (or ``joinscope gui``) opens the window; ``run`` plays a scenario headless
and narrates it; ``compare`` runs it on two backends at once in a window
(``app/windows/compare.py``); ``replay`` and ``export`` open recordings
(``app/cli/trace_files.py``); ``trace`` runs the user's own program under observation
(``app/cli/trace_cmd.py``).  Bad arguments get one line naming the problem and exit code 2.
"""
from __future__ import annotations

import argparse
import sys

from app import version
from app.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from app.cli.numbers import bounded
from app.cli.window_options import add_window_options, check_window_can_open
from core.backends import BACKENDS  # names only: it imports nothing

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing before the launch
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import NoReturn

# The scenarios (and multiprocessing) are imported by the commands that use them:
# ``joinscope trace`` launches the user's program before it needs either.


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: ``joinscope run: error: …``."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _work_ms(text: str) -> float | None:
    if text == "random":
        return None
    return bounded(float, 0, 3_600_000, "a number of ms (or 'random')")(text)


def _whole(low: int, high: int) -> Callable[[str], float]:
    return bounded(int, low, high, "a whole number")


def _pair(text: str, known: Sequence[str], what: str, example: str) -> tuple[str, str]:
    """``a,b``: two different names of ``known``, in the order they are shown."""
    names = tuple(name.strip() for name in text.split(","))
    if len(names) != 2 or any(name not in known for name in names) or names[0] == names[1]:
        raise argparse.ArgumentTypeError(f"must be two different {what}, separated by a comma (like {example}), "
                                         f"not {text!r}")
    return names  # type: ignore[return-value]


def _backend_pair(text: str) -> tuple[str, str]:
    return _pair(text, BACKENDS, f"backends of {', '.join(BACKENDS)}", "process,thread")


def _scenario_pair(text: str) -> tuple[str, str]:
    from core.scenarios import SCENARIOS
    return _pair(text, list(SCENARIOS), "scenarios", "pool,queue-fed-pool")


def _start_method(text: str) -> str:
    """A start method this system offers (:func:`core.system.start_methods`), or why not."""
    from core.system import start_method_refusal
    refusal = start_method_refusal(text)
    if refusal is not None:
        raise argparse.ArgumentTypeError(refusal)
    return text


def add_run_options(parser: argparse.ArgumentParser) -> None:
    from core.backends import BACKENDS
    from core.scenarios import MAX_ACTORS_PER_ROLE, MAX_POOL_WORKERS, MAX_TASKS, SCENARIOS
    from core.system import start_methods, unbounded_queue_note
    names = ", ".join(SCENARIOS)
    parser.add_argument("--scenario", default="seed", metavar="NAME",
                        help=f"what to run: {names} (default: seed)")
    parser.add_argument("--producers", type=_whole(0, MAX_ACTORS_PER_ROLE), metavar="N")
    parser.add_argument("--consumers", type=_whole(0, MAX_ACTORS_PER_ROLE), metavar="N")
    parser.add_argument("--tasks", type=_whole(0, MAX_TASKS), metavar="N",
                        help="tasks per producer (a pool scenario: tasks in all)")
    parser.add_argument("--workers", type=_whole(0, MAX_POOL_WORKERS), metavar="N",
                        help="a pool scenario's worker processes (0: cpu_count() - 1, the default)")
    parser.add_argument("--work-ms", type=_work_ms, metavar="MS", dest="work_ms", default=argparse.SUPPRESS,
                        help="work per task in ms, or 'random' for the tutorial's 0-1 s")
    parser.add_argument("--interval-ms", type=bounded(float, 0, 3_600_000, "a number of ms"), metavar="MS",
                        dest="interval_ms", help="pause between two puts of a producer")
    parser.add_argument("--speed", type=bounded(float, 0.001, 100_000, "a number"), metavar="X",
                        help="divide every sleep by X (default 1)")
    parser.add_argument("--maxsize", type=_whole(0, 1_000_000), metavar="N",
                        help=f"bound the queue ({unbounded_queue_note()})")
    parser.add_argument("--seed", type=_whole(-(2**63), 2**63 - 1), metavar="S", help="seed the random values")
    parser.add_argument("--start-method", dest="start_method", metavar="M", type=_start_method,
                        help=f"how processes start: one of {', '.join(start_methods())} on this system "
                             "(default spawn)")
    parser.add_argument("--backend", choices=BACKENDS, metavar="B",
                        help=f"what the actors are: {', '.join(BACKENDS)} (processes on a JoinableQueue, threads on "
                             "a queue.Queue, tasks on an asyncio.Queue; default process)")
    parser.add_argument("--timeout", type=bounded(float, 0.1, 86_400, "a number of seconds"), metavar="S",
                        dest="stall_timeout_s", help="declare a stall after S seconds with no event (default 10)")


def build_parser() -> _Parser:
    parser = _Parser(prog="joinscope", description="See multiprocessing.JoinableQueue at work.")
    parser.add_argument("--version", action="version", version=f"joinscope {version()}",
                        help="print JoinScope's version and exit")
    from core.stepping.stepper import STEP_ORDERS
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    run = commands.add_parser("run", help="run a scenario headless and narrate it")
    add_run_options(run)
    run.add_argument("--step", choices=STEP_ORDERS, metavar="ORDER",
                     help="step mode: every actor pauses before each operation, and they are let through one "
                          "at a time in ORDER (round-robin: main, the producers, the consumers, in turn)")
    run.add_argument("--record", metavar="FILE", help="write the events to FILE (JSON Lines)")
    run.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    run.add_argument("--quiet", action="store_true", help="print only the summary")
    gui = commands.add_parser("gui", help="open the window (the default)")
    add_run_options(gui)
    gui.add_argument("--step", action="store_true", help="open in step mode (teaching): every actor pauses "
                                                            "before each operation until you let it go")
    gui.add_argument("--autostart", action="store_true", help="start the run at once")
    add_window_options(gui, "the run is over", starts=" (it starts the run at once, as --autostart does)")
    compare = commands.add_parser("compare", help="run one scenario on two backends at once, side by side")
    add_run_options(compare)
    compare.add_argument("--backends", type=_backend_pair, default=("process", "thread"), metavar="A,B",
                         help=f"the two backends to compare, two of {', '.join(BACKENDS)} (default process,thread)")
    compare.add_argument("--scenarios", type=_scenario_pair, metavar="A,B",
                         help="compare two scenarios on the same settings instead (like pool,queue-fed-pool); "
                              "each runs on its own backend")
    add_window_options(compare, "both runs are over")
    commands.add_parser("scenarios", help="list the scenarios")
    from app.cli.trace_files import add_export_options, add_replay_options
    for name, add_options, summary in (("replay", add_replay_options, "replay a recording in the window"),
                                       ("export", add_export_options, "export a recording as Perfetto or CSV")):
        command = commands.add_parser(name, help=summary)
        add_options(command)
        command.set_defaults(command_parser=command)  # its errors start with "joinscope NAME:"
    from app.cli.trace_cmd import add_trace_parser
    add_trace_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from app.cli.pipe_output import never_fail_to_encode
    for stream in (sys.stdout, sys.stderr):  # a legacy code page must not turn a "·" into a traceback
        never_fail_to_encode(stream)
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["trace"]:
        # Its own parser only (the same as the one below): the traced program's wall time
        # starts with JoinScope's, so the program is launched before anything else is loaded.
        from app.cli.trace_cmd import run_trace, trace_parser
        return run_trace(trace_parser(_Parser).parse_args(args_list[1:]))
    parser = build_parser()
    if not args_list or (args_list[0].startswith("-") and args_list[0] not in ("-h", "--help", "--version")):
        args_list.insert(0, "gui")
    args = parser.parse_args(args_list)
    if args.command == "trace":
        from app.cli.trace_cmd import run_trace
        return run_trace(args)
    if args.command == "scenarios":
        from app.cli.pipe_output import PipeSafeOutput
        from core.scenarios import SCENARIOS
        out = PipeSafeOutput(sys.stdout)
        for config in SCENARIOS.values():
            out.write(f"{config.name:20} {config.title}\n")
        out.flush()
        return EXIT_OK
    if args.command in ("replay", "export"):
        from app.cli import trace_files
        run = trace_files.run_replay if args.command == "replay" else trace_files.run_export
        return run(args, args.command_parser)
    from app.cli.headless import config_from_args, run_headless
    if args.command == "compare":
        if args.backend is not None:
            parser.error("argument --backend: compare runs on --backends A,B, not on one backend")
        versus = None
        if args.scenarios:
            args.scenario, other = args.scenarios
            versus = config_from_args(argparse.Namespace(**{**vars(args), "scenario": other}), parser)
        config = config_from_args(args, parser)
        _check_window_options(parser, config, args)
        from app.cli.gui import run_compare_gui
        return run_compare_gui(args, config, args.backends, versus)
    if args.command == "gui":
        config = config_from_args(args, parser)
        _check_window_options(parser, config, args)
        from app.cli.gui import run_gui
        return run_gui(args, config)
    return run_headless(args, parser)


def _check_window_options(parser: argparse.ArgumentParser, config: object, args: argparse.Namespace) -> None:
    """What a window cannot do: fork (it runs Qt threads), save a screenshot where it cannot write,
    or open with no display."""
    if getattr(config, "start_method", None) == "fork":
        parser.error("argument --start-method: the window runs Qt threads, which must not be forked; "
                     "use spawn or forkserver")
    check_window_can_open(parser, args.command, args.screenshot)


if __name__ == "__main__":
    sys.exit(main())
