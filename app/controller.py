"""The run's state machine, between the window's buttons and a core session.

idle → running ⇄ paused → finished | stalled | stopped, and reset → idle; or
idle → replaying (a recording shown by ``app/replay.py``) → reset → idle.  Which
controls are enabled follows from the state alone.  The controller owns the
session's event pump, folds each batch into the run model and the timeline, and
watches for a stall (no event for the scenario's stall timeout), which it names
with the same diagnosis the command line prints.
"""
from __future__ import annotations

import time

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from app.pump import EventPump, EventSource, start_pump
from core.diagnosis import diagnose
from core.model import RunModel
from core.scenarios import ScenarioConfig
from core.session import FINISHED, Session
from core.timeline import Timeline

IDLE, RUNNING, PAUSED, STOPPING, FINISHED_STATE, STALLED, STOPPED, REPLAYING = (
    "idle", "running", "paused", "stopping", "finished", "stalled", "stopped", "replaying")
OVER = frozenset({FINISHED_STATE, STOPPED})
WATCHDOG_MS = 250
#: How long closing the window waits for the pump to stop and close the session.
SHUTDOWN_WAIT_MS = 5000


class RunController(QObject):
    state_changed = Signal(str)
    #: A batch of events (a list), already folded into ``model`` and ``timeline``.
    events_applied = Signal(object)
    #: A fresh model and timeline (a new run, or a reset).
    run_reset = Signal()
    #: A live run of ``config`` began (after ``run_reset``); a replay is not a run.
    run_started = Signal()
    stalled = Signal(str)
    #: A replay reached the end of a recorded run that finished (the window says so, as live).
    finish_replayed = Signal()
    refused = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = IDLE
        self.config: ScenarioConfig | None = None
        self.session: EventSource | None = None
        self.model = RunModel()
        self.timeline = Timeline()
        self.diagnosis: str | None = None
        self._pump: EventPump | None = None
        self._thread: QThread | None = None
        self._last_event_at = 0.0
        #: Set by a window that calls :meth:`frame_drawn` after each redraw.
        self.frame_synced = False
        self._batch_unshown = False
        self._fold_s_per_event = 0.0
        self._watchdog = QTimer(self)
        self._watchdog.setInterval(WATCHDOG_MS)
        self._watchdog.timeout.connect(self._on_watchdog)

    # -- commands -------------------------------------------------------------------
    def start(self, config: ScenarioConfig, source: EventSource | None = None) -> None:
        """Run ``config`` (or play ``source``, whose events it describes)."""
        if self.state not in (IDLE, *OVER):
            return
        self.config = config
        self.model = RunModel(expected_producers=config.producers)
        self.timeline = Timeline()
        self.diagnosis = None
        self.run_reset.emit()
        self.session = source if source is not None else Session(config)
        self._pump, self._thread = start_pump(self.session)
        self._pump.events_arrived.connect(self._on_events)
        self._pump.drained.connect(self._on_drained)
        self._last_event_at = time.monotonic()
        self._watchdog.start()
        self.run_started.emit()
        self._set_state(RUNNING)

    def begin_replay(self, config: ScenarioConfig) -> bool:
        """Enter the replaying state, showing a recording of ``config`` (refused mid-run)."""
        if self.state not in (IDLE, *OVER, REPLAYING):
            return False
        self.config = config
        self.diagnosis = None
        self.session = None
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

    def pause(self) -> None:
        if self.state in (RUNNING, STALLED) and isinstance(self.session, Session):
            self.session.pause()
            self._set_state(PAUSED)

    def resume(self) -> None:
        if self.state == PAUSED and isinstance(self.session, Session):
            self.session.resume()
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
        self.run_reset.emit()
        self._set_state(IDLE)

    def set_count(self, role: str, count: int) -> None:
        if isinstance(self.session, Session) and self.state in (RUNNING, PAUSED, STALLED):
            refusal = self.session.set_count(role, count)
            if refusal:
                self.refused.emit(refusal)

    def shutdown(self) -> None:
        """Stop the run and wait until every process, thread and pipe is released."""
        if self._pump is not None:
            self._pump.request_stop()
        if self._thread is not None:
            self._thread.wait(SHUTDOWN_WAIT_MS)
            self._on_drained()

    def live_processes(self) -> int:
        """The live processes of the run shown: a scenario's actors, or a traced program's
        processes (0 for a source that cannot tell, and for a replay)."""
        session = self.session
        if session is None or getattr(session, "closed", True):
            return 0
        count = getattr(session, "live_processes", None)
        return count() if callable(count) else 0

    # -- events ---------------------------------------------------------------------
    @Slot(object)
    def _on_events(self, events: list) -> None:
        started = time.perf_counter()
        self.model.apply(events)
        self.timeline.extend(events)
        self._last_event_at = time.monotonic()
        if self.state == STALLED:
            self._set_state(RUNNING)
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
        completed = getattr(self.session, "state", None) == FINISHED
        if self.state == STALLED and not completed:
            return
        self._set_state(FINISHED_STATE if completed else STOPPED)

    @Slot()
    def _on_watchdog(self) -> None:
        if self.state != RUNNING or self.config is None:
            return
        quiet = time.monotonic() - self._last_event_at
        if quiet > self.config.stall_timeout_s:
            self.diagnosis = diagnose(self.model, quiet)
            self.stalled.emit(self.diagnosis)  # first: whoever reacts to the state sees the diagnosis shown
            self._set_state(STALLED)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
