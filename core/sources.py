"""What every source of events offers its reader: a scenario's session on any backend,
a traced program, a recording that records as it passes events on.

The window's event pump and the command line's loop drain a source the same way —
``start``, then ``poll`` until ``finished``, ``stop`` when asked, ``close`` at the end —
and read its ``state`` (one of the four below), its clock ``t0`` and how many of its
processes are alive.  A scenario's session can also be steered while it runs
(:class:`ScenarioSession`): paused, given more or fewer actors, stepped.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from core.events import Event
    from core.scenarios import ScenarioConfig

#: A source's states: not started; running; over by itself (completed); stopped.
NEW, RUNNING, FINISHED, STOPPED = "new", "running", "finished", "stopped"
SOURCE_STATES = (NEW, RUNNING, FINISHED, STOPPED)


class EventSource(Protocol):
    """A stream of events to drain: ``start``, ``poll`` until :attr:`finished`, ``close``."""

    #: One of :data:`SOURCE_STATES`.
    state: str
    #: The ``time.monotonic()`` at which the run started (0.0 before), which event times count from.
    t0: float
    #: Closed: every process, thread and pipe of the source is released.
    closed: bool

    @property
    def finished(self) -> bool:
        """The run is over (completed or stopped) and every event has come out of :meth:`poll`."""
        ...

    def start(self) -> None: ...

    def poll(self, timeout: float = 0.0) -> list[Event]:
        """The next events, in ``seq`` order; waits up to ``timeout`` for the first."""
        ...

    def stop(self) -> None:
        """End the run now (its last events still come out of :meth:`poll`)."""
        ...

    def close(self) -> None:
        """Stop if running, and release everything."""
        ...

    def live_processes(self) -> int:
        """Its actors (processes, threads or tasks), or the traced program's processes, still running."""
        ...

    def note_stall(self, diagnosis: str) -> None:
        """The run was declared stalled, for ``diagnosis``: a ``stall`` event joins its events
        (so its recording says so where it happened)."""
        ...


class ScenarioSession(EventSource, Protocol):
    """A scenario's session: a source JoinScope runs itself, which it can also steer."""

    config: ScenarioConfig
    paused: bool

    def pause(self) -> str | None:
        """Freeze the run's actors; why the system would not, or ``None``."""
        ...

    def resume(self) -> None: ...

    def set_count(self, role: str, count: int) -> str | None:
        """Add or retire actors of ``role`` until ``count`` are active; why not, or ``None``."""
        ...

    # -- step mode ----------------------------------------------------------------------
    @property
    def stepping(self) -> bool: ...

    def step(self, actor: str | None = None) -> str | None:
        """Let ``actor`` (default: the next in turn) make its operation; why not, or ``None``."""
        ...

    def ready_to_step(self) -> dict[str, tuple]:
        """The actors paused before an operation now, with that operation (empty while a step is under way)."""
        ...

    @property
    def steps_granted(self) -> int: ...

    def next_in_turn(self) -> str | None:
        """Whose turn it is in round-robin order (``None``: nobody can step)."""
        ...

    @property
    def stuck(self) -> bool:
        """In step mode: the run has settled with nobody left to step, and it is not over."""
        ...
