"""The entry point of every producer and consumer process.

It names the process's actor, makes Ctrl-C the parent's business, turns the run's stop
flag (and a SIGTERM) into an orderly exit at the next point where no lock is held (so the
queue stays usable and the last events are flushed, see :mod:`core.program.termination`),
reports the start and any exception, and makes blocking calls return control when the
actor is retired or stopped.  What it asks of the system (priority, signals, watching
its parent) is in :mod:`core.system`.
"""
from __future__ import annotations

import os
import sys
import time
from multiprocessing import util
from typing import Any, NoReturn

from core.events import ACTOR_START, CONSUMER, ERROR, EXIT_RAISED, describe_exception, wire_record
from core.program import termination
from core.program.control import RunControl
from core.program.functions import actor_functions
from core.program.plan import Plan
from core.queues.acting import Retired, current_pid, set_process_actor, set_process_interrupt
from core.scenarios import ScenarioConfig
from core.stepping.gate import EXIT, actor_index, returning_from
from core.stepping.stepped_queues import SteppedJoinableQueue
from core.system import exit_when_parent_dies, leave_interrupts_to_parent, lower_priority

EXIT_TERMINATED = termination.EXIT_TERMINATED
#: The exit code of an actor whose observer died.
EXIT_PARENT_GONE = 70


def run_actor(role: str, number: int, slot: int, queue: Any, control: RunControl, config: ScenarioConfig) -> None:
    """Run one actor's code to its end; the process's exit code tells how it ended."""
    name = f"{role}-{number}"
    set_process_actor(name)
    leave_interrupts_to_parent()
    # A little below the observer's priority: when a busy run and the window share too few
    # cores, the window keeps drawing and the actors wait for it (through the bounded event
    # channel) rather than the other way round.
    lower_priority()
    termination.install(control.stop_requested)
    exit_when_parent_dies(EXIT_PARENT_GONE)
    reporter = queue._reporter
    gate = queue.step_gate if isinstance(queue, SteppedJoinableQueue) else None
    if gate is None:  # in step mode the observer announces the start, in a fixed order
        reporter.record(wire_record(time.monotonic(), ACTOR_START, name, current_pid(), item=role))
    else:
        gate.bind(actor_index(role, slot))
    plan = Plan(config, control, role, number, slot)
    if role == CONSUMER:
        def stop_if_retired() -> None:
            termination.check()
            if plan.retired():
                raise Retired(name)
        set_process_interrupt(stop_if_retired)
    else:
        set_process_interrupt(termination.check)
    code = actor_functions(config)[role]
    exitcode = 0
    try:
        try:
            code(queue, plan)
        except Retired:
            pass
        except Exception as error:  # the actor's own failure: report it, then exit like a crash
            if not getattr(error, "joinscope_reported", False):
                reporter.record(wire_record(time.monotonic(), ERROR, name, current_pid(),
                                            error=describe_exception(error)))
            exitcode = EXIT_RAISED
        if gate is not None:
            gate.pause(EXIT, reporter, where=returning_from(code))
    except SystemExit as stopped:  # the run's stop, seen at a point where no lock is held
        exitcode = stopped.code if isinstance(stopped.code, int) else EXIT_RAISED
    finally:
        if termination.requested():
            # The run is being stopped: tasks not yet sent are dropped (nobody will get
            # them), and the exit waits only for the one the feeder is sending — so it
            # never dies holding the queue's write lock, as a cancelled feeder could.
            queue.discard_unsent()
        reporter.close()
    _leave(exitcode)


def _leave(exitcode: int) -> NoReturn:
    """End the actor's process now that all it reported is on its way: multiprocessing's own
    exit work (its finalizers flush the queues and join their feeder threads, so nothing sent
    is lost) and the standard streams — but not the interpreter's teardown, which frees every
    module one by one: at an actor's low priority on a busy machine that takes half a second,
    and ``main``'s join of the process (and so the run, and a stop) would wait for it."""
    util._exit_function()  # type: ignore[attr-defined]  # (private: what a process runs at its end)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(exitcode)

