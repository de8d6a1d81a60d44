"""The entry point of every producer and consumer process.

It names the process's actor, makes Ctrl-C the parent's business, turns SIGTERM
into an orderly exit (so the last events are flushed), reports the start and any
exception, and makes ``get()`` return control when the consumer is retired.
"""
from __future__ import annotations

import signal
import sys
import time
import traceback
from typing import Any

from core.control import CONSUMER, RunControl
from core.events import ACTOR_START, ERROR
from core.plan import Plan
from core.reporter import Stopped, current_pid, set_process_actor, set_process_interrupt
from core.scenarios import ScenarioConfig
from core.workers import CONSUMER_CODE, PRODUCER_CODE

EXIT_TERMINATED = 143


class Retired(Stopped):
    """Raised in a retired consumer's ``get()``: it takes no new task and exits."""


def run_actor(role: str, number: int, slot: int, queue: Any, control: RunControl, config: ScenarioConfig) -> None:
    """Run one actor's code to its end; the process's exit code tells how it ended."""
    global _queue
    _queue = queue
    name = f"{role}-{number}"
    set_process_actor(name)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    reporter = queue._reporter
    reporter.exit_with_parent = True
    reporter.record((time.monotonic(), ACTOR_START, name, current_pid(), None, 0, role, None, None, None, None, None, None))
    plan = Plan(config, control, role, number, slot)
    if role == CONSUMER:
        def stop_if_retired() -> None:
            if plan.retired():
                raise Retired(name)
        set_process_interrupt(stop_if_retired)
    code = (PRODUCER_CODE if role == "producer" else CONSUMER_CODE)[
        config.producer_code if role == "producer" else config.consumer_code]
    exitcode = 0
    try:
        code(queue, plan)
    except Retired:
        pass
    except Exception as error:  # the actor's own failure: report it, then exit like a crash
        if not getattr(error, "joinscope_reported", False):
            reporter.record((time.monotonic(), ERROR, name, current_pid(), None, 0, None, None, None, None, None,
                             describe_exception(error), None))
        exitcode = 1
    finally:
        reporter.close()
    if exitcode:
        sys.exit(exitcode)


def describe_exception(error: BaseException) -> str:
    """``Type: message (file:line in function)`` of where it was raised."""
    where = ""
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        last = frames[-1]
        where = f" (at {last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name})"
    return f"{type(error).__name__}: {error}{where}"


_queue: Any = None


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    """Stop now, but flush the events: the run is being stopped, so items this actor
    still buffers for the task queue may be dropped rather than block the exit."""
    if _queue is not None:
        _queue.cancel_join_thread()
    raise SystemExit(EXIT_TERMINATED)
