"""The script a pool scenario runs: ``pool_main.py PROGRAM --tasks N --workers N …``.

A pool scenario is a real program with a real pool, run the way ``joinscope trace`` runs a
user's program (:class:`core.sessions.pools.PoolSession`): this script is its ``__main__``,
which spawn and forkserver workers import again (so it does nothing unless it is the main
module).  It builds the tasks from its arguments and calls one of
:data:`core.program.pool_programs.PROGRAMS`.
"""
from __future__ import annotations

import argparse
import multiprocessing
from collections.abc import Sequence


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pool_main.py")
    parser.add_argument("program")
    parser.add_argument("--tasks", type=int, required=True)
    parser.add_argument("--workers", type=int, default=0, help="0: cpu_count() - 1")
    parser.add_argument("--work-s", type=float, default=0.0, dest="work_s")
    parser.add_argument("--fail-every", type=int, default=0, dest="fail_every")
    parser.add_argument("--maxtasksperchild", type=int, default=0)
    parser.add_argument("--deadline-s", type=float, default=1.0, dest="deadline_s")
    parser.add_argument("--start-method", default="spawn", dest="start_method")
    return parser.parse_args(argv)


def misbehaves(number: int, fail_every: int) -> bool:
    """Whether task ``number`` is one of those that raise (or hang, or fail first)."""
    return bool(fail_every) and number % fail_every == fail_every - 1


def main(argv: Sequence[str] | None = None) -> None:
    from core.program.pool_programs import PROGRAMS

    args = arguments(argv)
    multiprocessing.set_start_method(args.start_method)
    workers = args.workers or max(multiprocessing.cpu_count() - 1, 1)
    program = PROGRAMS[args.program]
    count, seconds, every = args.tasks, args.work_s, args.fail_every
    if args.program in ("pool_map_of_a_generator", "pool_imap_of_a_generator"):
        program(count, workers)
        return
    if args.program == "executor_retries":  # a failing task fails once, every fourth of them twice
        tasks = [(n, seconds, (1 + (n // every) % 4 // 3) if misbehaves(n, every) else 0) for n in range(count)]
    else:
        tasks = [(n, seconds, misbehaves(n, every)) for n in range(count)]
    extra: dict[str, object] = {}
    if args.program == "pool_recycling_workers":
        extra["maxtasksperchild"] = args.maxtasksperchild or None
    elif args.program == "pool_with_a_deadline":
        extra["deadline_s"] = args.deadline_s
    program(tasks, workers, **extra)


if __name__ == "__main__":
    main()
