"""Replaying a recording: the run's state at any event, forward and back.

A :class:`Recording` is a trace read into memory with the scenario it describes.
A :class:`ReplayCursor` stands *after* some number of its events (its
``position``) and holds the run model, the timeline and the narration for exactly
those events — the same objects a live run builds, so the window draws a replay
with its live views.  Moving forward folds the next events into them; moving
back rebuilds them, in chunks, from the start or from the nearest snapshot
before the target.  Folding costs about a microsecond an event, so a short
recording needs no snapshot; a long one keeps at most :data:`MAX_SNAPSHOTS`
copies of the state, taken on the first pass, so that one step back never
refolds more than the events between two of them.

No Qt here: the window's replay panel (``app/panels/replay.py``) drives a cursor.
"""
from __future__ import annotations

import copy
import dataclasses
import os
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np

from core.analysis.diagnosis import diagnose
from core.analysis.model import RunModel
from core.analysis.narrate import Narrator
from core.analysis.step_time import StepStamper
from core.analysis.timeline import Timeline
from core.analysis.units import SECONDS, STEPS, TimeUnit
from core.events import ACTOR_EXIT, ERROR, JOIN_RETURN, MAIN_ACTOR, RUN_STOP, STALL, STEP_GRANT, Event
from core.recordings.choices import REPLAY_SPEEDS
from core.recordings.trace import TraceError, TraceReader
from core.scenarios import SCENARIOS, ScenarioConfig

#: The replay speeds offered, as multiples of the recorded pace.
SPEEDS = REPLAY_SPEEDS
#: The most events a replay holds (about 1 GB with the cursor's state).
MAX_REPLAY_EVENTS = 2_000_000
#: Most events folded in one call: the model's batch fold numbers a batch's actors with
#: int16, and a chunk bounds the work one GUI step does.
FOLD_CHUNK = 4096
#: The fewest events between two snapshots (a step back refolds at most this many, ~50 ms).
SNAPSHOT_EVERY = 16 * FOLD_CHUNK
#: The most snapshots a cursor keeps: their spacing grows with the recording instead.
MAX_SNAPSHOTS = 8


@dataclass
class Recording:
    """A trace in memory: its events, the scenario its header names, and the reader's warnings."""

    path: str
    header: dict[str, Any]
    events: list[Event]
    config: ScenarioConfig
    warnings: list[str] = field(default_factory=list)
    #: Each event's time, for finding positions by time (8 bytes an event).
    times: np.ndarray = field(init=False, repr=False)
    #: What the events' times count: a stepped run's recording is shown in steps, as the run
    #: was (:mod:`core.analysis.step_time`; the file keeps the seconds).
    unit: TimeUnit = field(init=False)

    def __post_init__(self) -> None:
        stepped = bool(self.header.get("step")) or any(event.kind == STEP_GRANT for event in self.events)
        self.unit = STEPS if stepped else SECONDS
        if stepped:
            self.events = StepStamper().restamp(self.events)
        self.times = np.fromiter((event.t for event in self.events), np.float64, len(self.events))

    @property
    def duration(self) -> float:
        """The time of its last event, in :attr:`unit`."""
        return float(self.times[-1]) if len(self.times) else 0.0

    def position_at(self, t: float) -> int:
        """How many events happened at or before ``t`` (in :attr:`unit`)."""
        return int(np.searchsorted(self.times, t, side="right"))


@dataclass
class Stall:
    """Where a recorded run went quiet for its stall timeout, and what a live run said then."""

    #: How many events came before the silence (the replay shows the stall past this position).
    position: int
    quiet_s: float
    diagnosis: str


#: What a run stopped after a stall records after its silence: the stop, the ends of its
#: processes, and the operations lost with them.
_ENDING_KINDS = frozenset({RUN_STOP, ACTOR_EXIT, ERROR})


def find_stall(recording: Recording) -> Stall | None:
    """The stall of ``recording``, if it has one.

    A live run is declared stalled when no event comes for its stall timeout while it
    runs, and is then stopped; its recording ends with that silence, followed only by
    the stop and the ends of its processes.  A silence the run went on after is no
    stall (the run was paused, or only slow), however long.  The diagnosis is the one
    the live run printed, from the state before the silence.

    A recording made since the ``stall`` event exists says so itself: the stall is where
    that event is, with the diagnosis it carries.
    """
    for index, event in enumerate(recording.events):
        if event.kind == STALL:
            before = recording.times[index - 1] if index else 0.0
            said = event.item if isinstance(event.item, str) else "the run was declared stalled"
            return Stall(index, float(recording.times[index] - before), said)
    times = recording.times
    if len(times) < 2 or recording.unit.stepped:  # (a stepped run's silences are the user's)
        return None
    long_gaps = np.flatnonzero(np.diff(times) >= recording.config.stall_timeout_s)
    if not len(long_gaps):
        return None
    position = int(long_gaps[-1]) + 1
    if not all(event.kind in _ENDING_KINDS for event in recording.events[position:]):
        return None
    quiet = float(times[position] - times[position - 1])
    model = RunModel(expected_producers=recording.config.producers)
    for start in range(0, position, FOLD_CHUNK):
        model.apply(recording.events[start:min(start + FOLD_CHUNK, position)])
    return Stall(position, quiet, diagnose(model, quiet, recording.config.backend))


def ended_finished(recording: Recording) -> bool:
    """Whether the recorded run finished, as a live run that shows "Finished": ``main``
    ended (with an exit code) and the run was not stopped (a stall is stopped too, but a
    recording cut off before its stop only :func:`find_stall` recognises)."""
    events = recording.events
    return (any(event.kind == ACTOR_EXIT and event.actor == MAIN_ACTOR and event.exitcode is not None
                for event in reversed(events))
            and not any(event.kind == RUN_STOP for event in events))


def load_recording(path: str | os.PathLike[str]) -> Recording:
    """Read the trace at ``path`` (raises :class:`core.recordings.trace.TraceError` or ``OSError``).

    A replay holds every event in memory (about half a kilobyte each, with the
    cursor's state), so a trace of more than :data:`MAX_REPLAY_EVENTS` is refused
    at the line that passes the limit; ``joinscope export`` streams any size.
    """
    with TraceReader(path) as reader:
        events = list(islice(reader, MAX_REPLAY_EVENTS))
        if next(reader, None) is not None:
            raise TraceError(reader.path, reader.line, f"more than {MAX_REPLAY_EVENTS:,} events, too many to "
                             f"replay in memory (joinscope export streams a trace of any size)")
        return Recording(reader.path, reader.header, events, config_of(reader.header), reader.warnings)


def config_of(header: dict[str, Any]) -> ScenarioConfig:
    """The scenario a trace header describes, as far as it can be trusted.

    The header comes from a file: each field is taken only if the configuration
    accepts it, so a hand-edited or foreign header still replays (the replay needs
    only the name, the maxsize the narration quotes and the number of producers).
    """
    scenario = header.get("scenario")
    scenario = scenario if isinstance(scenario, dict) else {}
    name = scenario.get("name")
    base = SCENARIOS.get(name) if isinstance(name, str) else None
    config = base or ScenarioConfig(name=name if isinstance(name, str) else "recording",
                                    title="A recorded run", description="")
    for key in (f.name for f in dataclasses.fields(ScenarioConfig)):
        if key not in scenario or key == "name":
            continue
        value = scenario[key]
        try:
            config = dataclasses.replace(config, **{key: value})
        except (TypeError, ValueError):
            continue
    return config


class ReplayCursor:
    """The state of a recorded run after its first ``position`` events.

    ``model`` and ``timeline`` are replaced (not cleared) when the cursor moves
    back, so a view holding the old ones keeps a consistent picture until it is
    told.  ``narration(i)`` is the sentence the command line prints for event
    ``i`` (0-based), or ``None`` for events it does not narrate.
    """

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        self.position = 0
        self.model = RunModel(expected_producers=recording.config.producers)
        self.timeline = Timeline()
        # Sentences of events 0 .. len-1, filled the first time the cursor passes them: the
        # narrator remembers what each actor got, so it must see every event once, in order.
        self._lines: list[str | None] = []
        self._narrator = Narrator(self.model, recording.config.maxsize, recording.config.backend, recording.unit)
        chunks_apart = -(-max(SNAPSHOT_EVERY, len(recording.events) // MAX_SNAPSHOTS) // FOLD_CHUNK)
        self._snapshot_spacing = chunks_apart * FOLD_CHUNK
        #: position -> (model, timeline) right after that many events; restored by copying.
        self._snapshots: dict[int, tuple[RunModel, Timeline]] = {}

    @property
    def events(self) -> list[Event]:
        return self.recording.events

    @property
    def at_end(self) -> bool:
        return self.position >= len(self.events)

    @property
    def current(self) -> Event | None:
        """The last event folded in (the one the replay shows), ``None`` at the start."""
        return self.events[self.position - 1] if self.position else None

    def narration(self, index: int) -> str | None:
        if not 0 <= index < len(self._lines):
            raise IndexError(f"event {index} has not been replayed yet")
        return self._lines[index]

    def seek(self, position: int) -> tuple[bool, list[Event]]:
        """Move to ``position`` (clamped to the recording).

        Returns ``(rebuilt, events)``: ``rebuilt`` is true when the model and timeline
        are new objects (the cursor moved back); ``events`` are the events folded in
        by this move, in order (all events up to ``position`` after a rebuild).
        """
        position = max(0, min(position, len(self.events)))
        if position >= self.position:
            added = self.events[self.position:position]
            self._fold(added)
            self.position = position
            return False, added
        base = max((at for at in self._snapshots if at <= position), default=0)
        if base:
            self.model, self.timeline = copy.deepcopy(self._snapshots[base])
        else:
            self.model = RunModel(expected_producers=self.recording.config.producers)
            self.timeline = Timeline()
        self._narrator.model = self.model
        self.position = base
        self._fold(self.events[base:position])
        self.position = position
        return True, self.events[:position]

    def step(self, count: int = 1) -> tuple[bool, list[Event]]:
        """Move ``count`` events forward (negative: back)."""
        return self.seek(self.position + count)

    def seek_time(self, t: float) -> tuple[bool, list[Event]]:
        """Move to just after the last event at or before ``t`` (in the recording's unit)."""
        return self.seek(self.recording.position_at(t))

    def _fold(self, events: list[Event]) -> None:
        """Fold ``events`` (those after ``position``) in chunks that end on multiples of
        :data:`FOLD_CHUNK`, so that every snapshot position is passed exactly."""
        start = self.position
        offset = 0
        while offset < len(events):
            first = start + offset
            chunk = events[offset:offset + FOLD_CHUNK - first % FOLD_CHUNK]
            if first + len(chunk) <= len(self._lines):
                self.model.apply(chunk)
            else:
                self._fold_narrating(chunk, first)
            self.timeline.extend(chunk)
            offset += len(chunk)
            end = first + len(chunk)
            if end % self._snapshot_spacing == 0 and end not in self._snapshots:
                self._snapshots[end] = copy.deepcopy((self.model, self.timeline))

    def _fold_narrating(self, chunk: list[Event], first: int) -> None:
        """Fold ``chunk`` (event ``first`` onwards) and narrate the events not yet narrated.

        The narrator reads the model only for a ``join_return`` (which producers are
        still unfinished) and for an exit after a ``run_stop`` (a stop's signal is not a
        crash), so the chunk is folded in runs that end at each of these, and each is
        narrated with the model just after it.
        """
        lines = self._lines
        pending: list[Event] = []
        for index, event in enumerate(chunk, start=first):
            pending.append(event)
            if event.kind in (JOIN_RETURN, RUN_STOP):
                self.model.apply(pending)
                pending = []
            if index >= len(lines):
                lines.append(self._narrator.line(event))
        if pending:
            self.model.apply(pending)
