"""The pool scenarios: a real program with a real pool, watched the way ``joinscope trace`` watches one.

A pool scenario (``config.pooled``) runs one of :data:`core.program.pool_programs.PROGRAMS`
as its own program: :mod:`core.program.pool_main` is started as a traced script
(:class:`core.tracing.session.TraceSession`), so its main process is ``main``, the pool's
workers are its children (``worker-0``, ``worker-1``, … as the pool starts them), its
result handler thread has a lane of its own, and every pool operation is observed on the
pool's own counts (:mod:`core.queues.pools`).  Its output goes nowhere: the narration
tells the story.

It is a :class:`core.sources.ScenarioSession`: the window's controller and the command line
drive it like the others.  Pause freezes the program's processes; a pool's size is fixed
when it is made, and its steps are the stdlib's, so the sliders and step mode are refused.
"""
from __future__ import annotations

import os
import sys
import time

from core import system
from core.backends import TRACEABLE
from core.events import OBSERVER_ACTOR, RUN_PAUSE, RUN_RESUME, wire_record
from core.scenarios import ScenarioConfig
from core.sources import RUNNING
from core.system import SuspendRefused
from core.tracing.session import TraceSession

#: The script a pool scenario runs (its ``__main__``).
PROGRAM_SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "program", "pool_main.py")
NO_STEPS = "step mode steps the queue scenarios' own code; a pool's steps are inside the stdlib"


def program_arguments(config: ScenarioConfig) -> list[str]:
    """The command line of ``pool_main.py`` for ``config``."""
    work_s = 0.0 if config.work_ms is None else config.scaled_s(config.work_ms)
    return [config.program, "--tasks", str(config.tasks), "--workers", str(config.workers),
            "--work-s", repr(work_s), "--fail-every", str(config.fail_every),
            "--maxtasksperchild", str(config.maxtasksperchild), "--start-method", config.start_method,
            "--deadline-s", repr(max(config.stall_timeout_s / 3, 0.5))]


class PoolSession(TraceSession):
    """One run of a pool scenario.  Use as a context manager, or call :meth:`close`."""

    def __init__(self, config: ScenarioConfig, step: str | None = None) -> None:
        if not config.pooled:
            raise ValueError(f"scenario {config.name!r} runs no pool program")
        if step is not None:
            raise ValueError(NO_STEPS)
        super().__init__(PROGRAM_SCRIPT, program_arguments(config), python=sys.executable, queues=TRACEABLE,
                         quiet=True)
        self.config = config
        self.paused = False

    def __enter__(self) -> PoolSession:
        return self

    # -- steering --------------------------------------------------------------------------
    def _program_pids(self) -> list[int]:
        """The program's main process and every process below it (its pool's workers)."""
        if self.process is None or self.process.poll() is not None:
            return []
        return [self.process.pid, *system.descendants(self.process.pid)]

    def pause(self) -> str | None:
        """Freeze the program and its pool's workers where they are; the pause is an event of the
        run (``run_pause``), as a queue scenario's is.  Returns why the system would not freeze
        them (``None``: paused, or nothing left to pause)."""
        pids = [] if self.paused or self.state != RUNNING else self._program_pids()
        if not pids:
            return None
        try:
            system.suspend(pids)
        except SuspendRefused as refusal:
            return str(refusal)
        self._note(RUN_PAUSE)
        self.paused = True
        return None

    def resume(self) -> None:
        if not self.paused:
            return
        try:
            system.resume(self._program_pids())
        except SuspendRefused:
            pass  # it was never frozen, then
        self.paused = False
        if self.state == RUNNING:
            self._note(RUN_RESUME)

    def _note(self, kind: str) -> None:
        with self._lock:
            self._inbox.append(wire_record(time.monotonic(), kind, OBSERVER_ACTOR, os.getpid()))

    def stop(self) -> None:
        if self.paused:
            self.resume()
        super().stop()

    def set_count(self, role: str, count: int) -> str | None:
        return "a pool's size is fixed when it is made (Pool(processes=N)): set Workers before Start"

    # -- step mode: refused -------------------------------------------------------------------
    @property
    def stepping(self) -> bool:
        return False

    def step(self, actor: str | None = None) -> str | None:
        return NO_STEPS

    def ready_to_step(self) -> dict[str, tuple]:
        return {}

    @property
    def steps_granted(self) -> int:
        return 0

    def next_in_turn(self) -> str | None:
        return None

    @property
    def stuck(self) -> bool:
        return False

    @property
    def caught_up(self) -> bool:
        """Every event reported so far has come out of ``poll``."""
        return self._merger is not None and not self._merger.pending and not self._inbox
