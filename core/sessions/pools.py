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
from collections.abc import Callable

import psutil

from core.backends import TRACEABLE
from core.scenarios import ScenarioConfig
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
    def _program_processes(self) -> list[psutil.Process]:
        if self.process is None or self.process.poll() is not None:
            return []
        try:
            main = psutil.Process(self.process.pid)
            return [main, *main.children(recursive=True)]
        except psutil.Error:
            return []

    def pause(self) -> None:
        """Freeze the program and its pool's workers where they are."""
        self._to_every_process(psutil.Process.suspend)
        self.paused = True

    def resume(self) -> None:
        self._to_every_process(psutil.Process.resume)
        self.paused = False

    def _to_every_process(self, action: Callable[[psutil.Process], None]) -> None:
        for process in self._program_processes():
            try:
                action(process)
            except psutil.Error:  # it has just ended
                pass

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
