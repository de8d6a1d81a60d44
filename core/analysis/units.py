"""What a run's times are counted in, for everything that prints or draws them.

A live run, a replay and a traced program run in seconds; a stepped run is shown in
steps (see :mod:`core.analysis.step_time`).  The plots' axis, the rate's label, the
story's time column and every "waited …" read their words from one :class:`TimeUnit`.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TimeUnit:
    #: One of it, and several ("s", "s"; "step", "steps").
    one: str
    many: str
    #: The plots' x axis.
    axis_label: str
    #: The event log's time column.
    column: str
    stepped: bool = False

    def span(self, value: float | None) -> str:
        """A length of time (a wait), e.g. ``2.31 s`` or ``3 steps``; a trace may leave it unknown."""
        if value is None:
            return "an unknown time"
        if self.stepped:
            count = round(value)
            return f"{count} {self.one if count == 1 else self.many}"
        return f"{value:.2f} s"

    def at(self, t: float) -> str:
        """A moment, as the story's left column shows it (fixed width)."""
        return f"step {round(t):>3}" if self.stepped else f"{t:7.3f} s"

    def cell(self, t: float) -> str:
        """A moment in the event log's time column."""
        return f"{round(t)}" if self.stepped else f"{t:.3f}"

    def rate_label(self) -> str:
        """The rate plot's axis label."""
        return f"done / {self.one}"

    def rate_window(self, window: float) -> str:
        """What the rate is averaged over, for the legend: "the last 2 s", "the last 30 steps"."""
        return f"the last {self.span(window) if self.stepped else f'{window:g} s'}"


SECONDS = TimeUnit("s", "s", "seconds since start", "time (s)")
STEPS = TimeUnit("step", "steps", "steps since start", "step", stepped=True)
