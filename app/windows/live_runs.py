"""Live runs shown side by side in a dialog, each with its own controller and plots.

The fix-it dialog (a pitfall and its fix) and the backend comparison (one scenario
on two backends) both show a few real runs at once.  Each :class:`LiveRun` has its
own :class:`RunController` — so its own event pump thread — its own plots and a
line saying how it ended; :class:`LiveRuns` redraws them from one timer and shuts
them all down together, so closing the dialog leaves no process or thread behind.

A run that stalls is stopped (its processes freed) once its diagnosis is shown:
nobody can press Stop on a dialog's run, and a stall never ends by itself.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel

from app import theme
from app.bridge.controller import FINISHED_STATE, STALLED, STOPPED, RunController
from app.plots.run_plots import RunPlots
from core.analysis.pool_narration import pools_text
from core.scenarios import ScenarioConfig

REDRAW_MS = 100
OUTCOME_STYLE = "font-size:15px;"


class LiveRun(QObject):
    """One run: its controller, its plots and its outcome line (widgets for a dialog to place)."""

    #: The run is over and its pump has drained (``finished`` or ``stopped``, stalled runs included).
    ended = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = RunController(self)
        self.plots = RunPlots()
        self.outcome = QLabel("running…")
        self.outcome.setWordWrap(True)
        self.outcome.setStyleSheet(OUTCOME_STYLE)
        self.dirty = False
        #: The system refused the run (its outcome line says why, and stays).
        self.failed_to_start = False
        self.controller.state_changed.connect(self._on_state)
        self.controller.stalled.connect(self._on_stalled)
        self.controller.start_failed.connect(self._on_start_failed)
        self.controller.events_applied.connect(self._on_events)
        self.controller.run_reset.connect(self._on_reset)

    def start(self, config: ScenarioConfig) -> None:
        self.outcome.setText("running…")
        self.outcome.setStyleSheet(OUTCOME_STYLE)
        self.failed_to_start = False
        self.controller.start(config)

    @property
    def over(self) -> bool:
        """Ended, every process and thread of the run released."""
        return self.controller.state in (FINISHED_STATE, STOPPED)

    def redraw(self) -> None:
        self.dirty = False
        self.plots.redraw(self.controller.timeline, self.controller.model)

    def _on_events(self, _events: list) -> None:
        self.dirty = True

    def _on_reset(self) -> None:
        """A run again: the plots drop the last one's marks."""
        self.plots.clear_run()
        self.dirty = True

    def _on_state(self, state: str) -> None:
        controller = self.controller
        if state == FINISHED_STATE:
            model = controller.model
            counts = pools_text(model) or f"{model.puts} puts, {model.task_dones} task_done calls"
            self.outcome.setText(f"✔ Finished: {counts}, {len(model.errors)} error(s).")
            self.outcome.setStyleSheet(OUTCOME_STYLE + f" color:{theme.scheme().right};")
        elif state == STOPPED and controller.diagnosis is None and not self.failed_to_start:
            self.outcome.setText("stopped")
        if state in (FINISHED_STATE, STALLED, STOPPED):
            self.redraw()
            self.plots.fit(controller.model.last_t)
        if state in (FINISHED_STATE, STOPPED):
            self.ended.emit(state)

    def _on_start_failed(self, why: str) -> None:
        self.failed_to_start = True
        self.outcome.setText(f"✘ Could not start: {why}")
        self.outcome.setStyleSheet(OUTCOME_STYLE + f" color:{theme.scheme().wrong};")

    def _on_stalled(self, diagnosis: str) -> None:
        self.outcome.setText(f"✘ Stalled: {diagnosis}")
        self.outcome.setStyleSheet(OUTCOME_STYLE + f" color:{theme.scheme().wrong};")
        # After the controller has entered ``stalled`` (it emits this just before), so
        # that stopping takes it on to ``stopped`` when the pump has drained.
        QTimer.singleShot(0, self.controller.stop)


class LiveRuns(QObject):
    """``count`` live runs, redrawn from one timer and shut down together."""

    #: Every run is over (see :attr:`LiveRun.over`).
    all_ended = Signal()

    def __init__(self, count: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runs = [LiveRun(self) for _ in range(count)]
        for run in self.runs:
            run.ended.connect(self._on_run_ended)
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._redraw)
        self._timer.start()

    def start(self, configs: list[ScenarioConfig]) -> None:
        for run, config in zip(self.runs, configs):
            run.start(config)

    def link_time_axes(self) -> None:
        """One time axis for all the runs: zooming or panning one moves the others, and stops all
        following; each run's clock starts at its own start, so the runs compare as they went."""
        first = self.runs[0].plots
        for run in self.runs[1:]:
            run.plots.counts.setXLink(first.counts)
        for run in self.runs:
            run.plots.following_changed.connect(lambda on, moved=run.plots: on or self._stop_following(moved))
        # The swimlanes are an image of the visible range: a range moved by another plot (or by the
        # end of another run) must be drawn again, whichever moved it.
        first.counts.getViewBox().sigXRangeChanged.connect(self._mark_all_dirty)

    def show_whole(self) -> None:
        """Show every run whole on the shared axis (the longest sets it), and stop following: with
        every run over there is nothing new to follow, and a redraw that followed would undo it."""
        self.fit_all()
        self.runs[0].plots.follow(False)

    def fit_all(self) -> None:
        """Every run whole on the shared axis, if it follows (the longest run sets the axis)."""
        self.runs[0].plots.fit(max(run.controller.model.last_t for run in self.runs))

    def _stop_following(self, moved: RunPlots) -> None:
        for run in self.runs:
            if run.plots is not moved:
                run.plots.follow(False)

    def _mark_all_dirty(self, *_: object) -> None:
        for run in self.runs:
            run.dirty = True

    @property
    def over(self) -> bool:
        return all(run.over for run in self.runs)

    def stop(self) -> None:
        """Ask every run to stop (returns at once; each ends when its pump has drained)."""
        for run in self.runs:
            run.controller.stop()

    def shutdown(self) -> None:
        """Stop every run and wait until its processes, threads and pipes are released."""
        self._timer.stop()
        for run in self.runs:
            run.controller.shutdown()

    def _redraw(self) -> None:
        for run in self.runs:
            if run.dirty:
                run.redraw()

    def _on_run_ended(self, _state: str) -> None:
        if self.over:
            self.all_ended.emit()
