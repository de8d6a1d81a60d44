"""The run's state machine, between the window's buttons and a core session.

idle → running ⇄ paused → finished | stalled | stopped, and reset → idle; or
idle → stepping (step mode: the actors move one operation at a time, see
``app/panels/teaching.py``) → finished | stalled | stopped; or
idle → replaying (a recording shown by ``app/panels/replay.py``) → reset → idle.  Which
controls are enabled follows from the state alone.  The controller owns the
session's event pump, folds each batch into the run model and the timeline, and
watches for a stall (no event for the scenario's stall timeout), which it names
with the same diagnosis the command line prints.
"""
from __future__ import annotations

import time

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from app.bridge.pump import EventPump, start_pump
from core.analysis.diagnosis import diagnose, stall_timeout
from core.analysis.model import RunModel
from core.analysis.step_time import StepStamper
from core.analysis.timeline import Timeline
from core.analysis.units import SECONDS, STEPS, TimeUnit
from core.events import STALL
from core.scenarios import ScenarioConfig
from core.sessions import open_session
from core.sources import FINISHED as SOURCE_FINISHED
from core.sources import EventSource, ScenarioSession
from core.stepping.stepper import MANUAL

IDLE, RUNNING, PAUSED, STOPPING, FINISHED_STATE, STALLED, STOPPED, REPLAYING, STEPPING = (
    "idle", "running", "paused", "stopping", "finished", "stalled", "stopped", "replaying", "stepping")
OVER = frozenset({FINISHED_STATE, STOPPED})
WATCHDOG_MS = 250
#: Step mode: how long a run that nobody can step stays quiet before it is called stalled
#: (its last events are still on their way for a moment).
STUCK_NOTICE_S = 0.3
#: How long closing the window waits for the pump to stop and close the session.
SHUTDOWN_WAIT_MS = 5000


class RunController(QObject):
    state_changed = Signal(str)
    #: A batch of events (a list), already folded into ``model`` and ``timeline``.  A
    #: stepped run's are shown in steps: their ``t`` is the step (see ``unit``).
    events_applied = Signal(object)
    #: Every batch of a live run's events as the session timed them (seconds), once each,
    #: whatever the display shows: what a recording of the run keeps.
    recorded = Signal(object)
    #: A fresh model and timeline (a new run, or a reset).
    run_reset = Signal()
    #: A live run of ``config`` began (after ``run_reset``); a replay is not a run.
    run_started = Signal()
    stalled = Signal(str)
    #: The run could not start: the system refused its processes, threads or pipes (why, in one line).
    start_failed = Signal(str)
    #: A replay reached the end of a recorded run that finished (the window says so, as live).
    finish_replayed = Signal()
    refused = Signal(str)
    #: The system would not freeze the run's processes (why): Pause cannot work in this run.
    pause_refused = Signal(str)
    #: Step mode: the display moved to an earlier step, or back to the present (``None``).
    viewing_changed = Signal(object)
    #: Every new batch of a run's events, also while the display shows an earlier step.
    live_events = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = IDLE
        self.config: ScenarioConfig | None = None
        #: What the run's events come from: a session it opened, a traced program, a recording.
        self.session: EventSource | None = None
        #: The scenario's session, when the controller opened it itself: it can be paused, resized, stepped.
        self._steered: ScenarioSession | None = None
        self.model = RunModel()
        self.timeline = Timeline()
        #: What the shown events' times count: seconds, or steps in step mode.
        self.unit: TimeUnit = SECONDS
        self._stamper: StepStamper | None = None
        self.diagnosis: str | None = None
        self._pump: EventPump | None = None
        self._thread: QThread | None = None
        self._last_event_at = 0.0
        #: Set by a window that calls :meth:`frame_drawn` after each redraw.
        self.frame_synced = False
        self._batch_unshown = False
        self._fold_s_per_event = 0.0
        #: Step mode: every event of the run (a stepped run has few), and the position
        #: shown when the user looks back at an earlier step (``None``: the present).
        self.stepping = False
        self.history: list = []
        self.viewing: int | None = None
        self._live: tuple[RunModel, Timeline] | None = None
        #: The run's clock when it was paused (see :meth:`run_time_now`).
        self._paused_at: float | None = None
        self._watchdog = QTimer(self)
        self._watchdog.setInterval(WATCHDOG_MS)
        self._watchdog.timeout.connect(self._on_watchdog)

    # -- commands -------------------------------------------------------------------
    def start(self, config: ScenarioConfig, source: EventSource | None = None, step: bool = False) -> None:
        """Run ``config`` (or play ``source``, whose events it describes); with ``step``,
        in step mode: every actor waits before each operation for :meth:`step`."""
        if self.state not in (IDLE, *OVER):
            return
        self.config = config
        self.model = RunModel(expected_producers=config.producers)
        self.timeline = Timeline()
        self.diagnosis = None
        self.stepping = step and source is None
        self.unit = STEPS if self.stepping else SECONDS
        self._stamper = StepStamper() if self.stepping else None
        self.history = []
        self.viewing = None
        self._live = None
        self.run_reset.emit()
        if source is None:
            self.session = self._steered = open_session(config, step=MANUAL if step else None)
        else:
            self.session, self._steered = source, None
        self._pump, self._thread = start_pump(self.session)
        self._pump.events_arrived.connect(self._on_events)
        self._pump.failed.connect(self.start_failed)
        self._pump.drained.connect(self._on_drained)
        self._last_event_at = time.monotonic()
        self._watchdog.start()
        self.run_started.emit()
        self._set_state(STEPPING if self.stepping else RUNNING)

    def begin_replay(self, config: ScenarioConfig, unit: TimeUnit = SECONDS) -> bool:
        """Enter the replaying state, showing a recording of ``config`` whose times count ``unit``
        (refused mid-run)."""
        if self.state not in (IDLE, *OVER, REPLAYING):
            return False
        self.config = config
        self.diagnosis = None
        self.session = self._steered = None
        self.stepping, self.unit = False, unit
        self._set_state(REPLAYING)
        return True

    def show_replayed(self, model: RunModel, timeline: Timeline, events: list, rebuilt: bool) -> None:
        """Show a model and timeline a replay folded: ``events`` were just folded into them,
        and ``rebuilt`` says they are new (the views start again from empty)."""
        if self.state != REPLAYING:
            return
        self.model, self.timeline = model, timeline
        if rebuilt:
            self.run_reset.emit()
        if events:
            self.events_applied.emit(events)

    def replay_reached_finish(self) -> None:
        """A replay reached the end of a recorded run that finished."""
        if self.state == REPLAYING:
            self.finish_replayed.emit()

    def replay_stalled(self, diagnosis: str) -> None:
        """A replay passed the silence where the recorded run was declared stalled."""
        if self.state == REPLAYING:
            self.diagnosis = diagnosis
            self.stalled.emit(diagnosis)

    # -- step mode ------------------------------------------------------------------
    def step(self, actor: str | None = None) -> bool:
        """Let ``actor`` (default: the next in turn) make its operation; says why not through ``refused``."""
        if not self.stepping or self._steered is None or self.state != STEPPING:
            return False
        refusal = self._steered.step(actor)
        if refusal:
            self.refused.emit(refusal)
            return False
        return True

    @property
    def ready_to_step(self) -> dict[str, tuple]:
        """The actors paused before an operation now, with that operation (empty while a step is under way)."""
        steered = self._steered
        return steered.ready_to_step() if self.stepping and steered is not None else {}

    @property
    def stepping_now(self) -> bool:
        """The run is in step mode and going on (not over, not stalled): a step may be asked for."""
        return self.stepping and self.state == STEPPING

    @property
    def steps_granted(self) -> int:
        return self._steered.steps_granted if self._steered is not None else 0

    def next_in_turn(self) -> str | None:
        """Step mode: whose turn it is in round-robin order (``None``: nobody's)."""
        return self._steered.next_in_turn() if self._steered is not None else None

    def view(self, position: int | None) -> None:
        """Show the run as it was after its first ``position`` events (``None``: as it is now).

        The processes keep their place; only the display goes back.  Events that
        arrive meanwhile are folded into the present, which :meth:`view` (None) shows again."""
        if not self.stepping:
            return
        if position is not None and position >= len(self.history):
            position = None
        if position == self.viewing:
            return
        if self._live is None:
            self._live = (self.model, self.timeline)
        if position is None:
            self.model, self.timeline = self._live
            self._live = None
            shown = self.history
        else:
            self.model = RunModel(expected_producers=self.config.producers if self.config else 0)
            self.timeline = Timeline()
            shown = self.history[:position]
            if shown:
                self.model.apply(shown)
                self.timeline.extend(shown)
        self.viewing = position
        self.run_reset.emit()
        if shown:
            self.events_applied.emit(shown)
        self.viewing_changed.emit(position)

    def pause(self) -> None:
        if self.state in (RUNNING, STALLED) and self._steered is not None:
            refusal = self._steered.pause()  # first: the picture holds still at the pause, which is an event too
            if refusal is not None:
                self.pause_refused.emit(refusal)
                return
            if not self._steered.paused:  # nothing was paused: the run ended a moment ago
                return
            self._paused_at = self.run_time_now()
            self._set_state(PAUSED)

    def resume(self) -> None:
        if self.state == PAUSED and self._steered is not None:
            self._steered.resume()
            self._last_event_at = time.monotonic()
            self._set_state(RUNNING)

    def stop(self) -> None:
        if self._pump is not None and self.state not in (STOPPING, *OVER, IDLE):
            self._pump.request_stop()
            self._set_state(STOPPING)

    def reset(self) -> None:
        """Back to idle with empty plots (stopping a run first)."""
        self.shutdown()
        self.model = RunModel()
        self.timeline = Timeline()
        self.diagnosis = None
        self.stepping, self.unit = False, SECONDS
        self.run_reset.emit()
        self._set_state(IDLE)

    def set_count(self, role: str, count: int) -> None:
        if self._steered is not None and self.state in (RUNNING, PAUSED, STALLED):
            refusal = self._steered.set_count(role, count)
            if refusal:
                self.refused.emit(refusal)

    def shutdown(self) -> None:
        """Stop the run and wait until every process, thread and pipe is released."""
        if self._pump is not None:
            self._pump.request_stop()
        if self._thread is not None:
            self._thread.wait(SHUTDOWN_WAIT_MS)
            self._on_drained()

    def run_time_now(self) -> float | None:
        """The run's clock now (seconds since it started), while a live run goes on and is
        shown as it is now (paused: when it was paused); ``None`` otherwise (over, replayed,
        stepped, looked back at).

        The plots draw every wait up to this moment, so a run in which everyone waits
        shows the waits growing, not a picture frozen at the last event."""
        if self.state == PAUSED:
            return self._paused_at  # the picture holds still while the run is paused
        if self.state not in (RUNNING, STALLED) or self.stepping or self.viewing is not None:
            return None
        t0 = self.session.t0 if self.session is not None else 0.0
        if t0 <= 0.0:
            return None
        return time.monotonic() - t0

    def live_processes(self) -> int:
        """The live processes of the run shown: a scenario's actors, or a traced program's
        processes (0 for a source that cannot tell, and for a replay)."""
        session = self.session
        if session is None or session.closed:
            return 0
        return session.live_processes()

    # -- events ---------------------------------------------------------------------
    @Slot(object)
    def _on_events(self, events: list) -> None:
        started = time.perf_counter()
        # The run's own events end a silence; the stall the watchdog itself declared does not (else it
        # would wake the run it called stalled, and be declared again at every timeout).
        quiet_again = all(event.kind == STALL for event in events)
        if not quiet_again:
            self._last_event_at = time.monotonic()
        self.recorded.emit(events)
        if self._stamper is not None:
            events = self._stamper.restamp(events)
            self.history.extend(events)
            self.live_events.emit(events)
        if self._live is not None:  # looking back at an earlier step: the present goes on unseen
            model, timeline = self._live
            model.apply(events)
            timeline.extend(events)
            self._batch_unshown = True
            self.frame_drawn()
            return
        self.model.apply(events)
        self.timeline.extend(events)
        if self.state == STALLED and not quiet_again:
            self._set_state(STEPPING if self.stepping else RUNNING)
        self.events_applied.emit(events)
        self._fold_s_per_event = (time.perf_counter() - started) / max(len(events), 1)
        self._batch_unshown = True
        if not self.frame_synced:
            self.frame_drawn()

    def frame_drawn(self) -> None:
        """What was folded is on screen: the pump may hand over the next batch.  A window
        that calls this after each redraw (``frame_synced``) makes folding and drawing
        take turns, so a flood of events slows the run rather than the redraws."""
        if self._batch_unshown:
            self._batch_unshown = False
            if self._pump is not None:
                self._pump.acknowledge(self._fold_s_per_event)

    @Slot()
    def _on_drained(self) -> None:
        thread, pump = self._thread, self._pump
        if thread is None:
            return
        self._thread = self._pump = None
        thread.wait()
        pump.deleteLater()  # type: ignore[union-attr]
        thread.deleteLater()
        self._watchdog.stop()
        completed = self.session is not None and self.session.state == SOURCE_FINISHED
        if self.state == STALLED and not completed:
            return
        self._set_state(FINISHED_STATE if completed else STOPPED)

    @Slot()
    def _on_watchdog(self) -> None:
        if self.state not in (RUNNING, STEPPING) or self.config is None:
            return
        quiet = time.monotonic() - self._last_event_at
        model = self._live[0] if self._live is not None else self.model
        if self.state == STEPPING:
            stalled = self._steered is not None and self._steered.stuck and quiet > STUCK_NOTICE_S
        else:
            stalled = quiet > stall_timeout(self.config, model)
        if stalled:
            self.diagnosis = diagnose(model, quiet, self.config.backend)
            if self.session is not None:
                self.session.note_stall(self.diagnosis)  # the recording says so where it happened
            self.stalled.emit(self.diagnosis)  # first: whoever reacts to the state sees the diagnosis shown
            self._set_state(STALLED)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
