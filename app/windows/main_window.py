"""The main window: controls on the left, live plots and swimlanes, the event log below."""
from __future__ import annotations

import os
from html import escape
from importlib.resources import files

from pyqtgraph.util.garbage_collector import GarbageCollector
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QScrollArea, QSizePolicy, QSplitter, QVBoxLayout, QWidget

from app import preferences, theme
from app.appearance import appearance
from app.bridge.controller import FINISHED_STATE, IDLE, PAUSED, REPLAYING, STALLED, STOPPED, RunController
from app.panels.controls import ControlPanel
from app.panels.event_log import EventLog
from app.panels.export_menu import ExportMenu
from app.panels.replay import ReplayPanel, traced_program
from app.panels.story import StoryPanel
from app.panels.teaching import TeachingPanel
from app.plots.run_plots import REDRAW_HZ, RunPlots
from app.widgets import counts_legend, counts_legend_text, lane_legend
from app.windows import application
from app.windows.compare import CompareWindow, counterpart
from app.windows.fit import fit_to_screen, keep_on_screen
from app.windows.fix_dialog import FixDialog
from app.windows.help import add_help_menu, quit_action
from core.analysis.model import CRASHED
from core.analysis.narrate import how_it_ended
from core.analysis.outcome import FAILED as FAILED_OUTCOME
from core.analysis.outcome import STALLED as STALLED_OUTCOME
from core.analysis.outcome import judge
from core.analysis.pool_diagnosis import pool_findings
from core.analysis.pool_narration import pools_text
from core.backends import BACKENDS, PROCESS, THREAD, describe
from core.recordings.replay import Recording
from core.scenarios import ScenarioConfig
from core.teaching.fixes import Fix

COMPARE_SHORTCUT = "Ctrl+Shift+B"
#: The size the window would like; a smaller screen gets a window that fits it (app/windows/fit.py).
PREFERRED_SIZE = QSize(1500, 950)
#: Below this width, step mode folds the run's controls and story away to make room for its panel
#: (View ▸ Run controls brings them back).
ROOM_FOR_STEPS_PX = 1500
#: While a live run is quiet (everyone waits), how often the plots are drawn again to show
#: the waits growing.
QUIET_REDRAW_S = 0.25


_garbage_collector: GarbageCollector | None = None


def collect_garbage_on_the_gui_thread() -> None:
    """Run Python's cycle collector only on the GUI thread, from a timer.

    Left to itself it runs in whichever thread happens to allocate — the event pump,
    say — and a Qt object it frees there (a closed window's menu) is destroyed off the
    GUI thread, which deadlocks Qt and the GIL against each other."""
    global _garbage_collector
    if _garbage_collector is None:
        _garbage_collector = GarbageCollector(interval=1.0)


class MainWindow(QMainWindow):
    #: The run ended (finished, stalled or stopped) and the window shows its final state.
    run_over = Signal(str)

    def __init__(self, remember_place: bool = True, remember_recordings: bool = True) -> None:
        """``remember_place``: open where the last window was closed, and remember this one's
        place (a scripted screenshot keeps the default size instead, the same for everyone;
        a scaled window keeps the usual place as it was).  ``remember_recordings``: add the
        recordings opened to File ▸ Open recent (not those a script opens)."""
        super().__init__()
        appearance()  # the system's scheme and the user's zoom, before anything is drawn
        collect_garbage_on_the_gui_thread()
        self._remember_place = remember_place
        self._remember_recordings = remember_recordings
        #: The user's own program the window traces (``joinscope trace``): its command line.  It is
        #: judged as a program, not a scenario, and its title says so.
        self.program: str | None = None
        self.setWindowTitle("JoinScope")
        self.setWindowIcon(QIcon(str(files("resources") / "joinscope.svg")))
        self.controller = RunController(self)
        self.controller.frame_synced = True  # _redraw() tells it each frame
        self.controls = ControlPanel()
        self.plots = RunPlots()
        self.log = EventLog()
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.hide()

        self.story = StoryPanel(self.controller)
        side_box = QWidget()
        side_layout = QVBoxLayout(side_box)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.controls)
        story_margins = QVBoxLayout()
        story_margins.setContentsMargins(9, 0, 9, 9)
        story_margins.addWidget(self.story)
        side_layout.addLayout(story_margins, 1)
        side = QScrollArea()
        side.setWidget(side_box)
        side.setWidgetResizable(True)
        side.setMinimumWidth(380)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addWidget(self.banner)
        plots_box = QWidget()
        plots_layout = QVBoxLayout(plots_box)
        plots_layout.setContentsMargins(0, 0, 0, 0)
        self.counts_legend = counts_legend()
        self._legend_pools = False
        self._rate_window: str | None = None
        self.plots.rate_window_changed.connect(self._on_rate_window)
        plots_layout.addWidget(self.counts_legend)
        plots_layout.addWidget(self.plots, 1)
        plots_layout.addWidget(lane_legend())
        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.addWidget(plots_box)
        vertical.addWidget(self.log)
        vertical.setSizes([640, 230])
        centre_layout.addWidget(vertical)
        horizontal = QSplitter(Qt.Orientation.Horizontal)
        horizontal.addWidget(side)
        horizontal.addWidget(centre)
        horizontal.setStretchFactor(1, 1)
        horizontal.setCollapsible(1, False)
        self.setCentralWidget(horizontal)
        self._columns = horizontal
        #: The side column's width when it was last folded away, and whether step mode folded it.
        self._side_width: int | None = None
        self._folded_for_steps = False
        self.status = QLabel()
        # Its text changes every frame: a size hint that follows it would re-lay out (and
        # repaint) the whole window each time.
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        # A normal widget, not a permanent one: a message (an export saved, a pause refused) takes
        # its place for a while instead of being squeezed to nothing beside it.
        self.statusBar().addWidget(self.status, 1)
        fit_to_screen(self, PREFERRED_SIZE)
        if remember_place and preferences.restore_window(self):  # where it was last closed, if it was
            keep_on_screen(self)
        if application.scale_note:
            self.statusBar().showMessage(application.scale_note, 20_000)

        self._dirty = False
        self._problems_shown = (0, 0)
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setInterval(int(1000 / REDRAW_HZ))
        self._redraw_timer.timeout.connect(self._on_redraw_tick)
        self._redraw_timer.start()

        self.controls.start_requested.connect(self._on_start)
        self.controls.pause_requested.connect(self._on_pause)
        self.controls.stop_requested.connect(self.controller.stop)
        self.controls.reset_requested.connect(self.controller.reset)
        self.controls.follow_requested.connect(self.plots.follow)
        self.controls.actors_changed.connect(self.controller.set_count)
        self.controls.choice_changed.connect(self._on_choice_changed)
        self.controls.step_mode.toggled.connect(self._on_choice_changed)
        for picker in (self.controls.scenario, self.controls.backend):  # the title names what Start runs
            picker.currentIndexChanged.connect(self._update_title)
        self.controller.state_changed.connect(self._on_state_changed)
        self.controller.events_applied.connect(self._on_events)
        self.controller.run_reset.connect(self._on_run_reset)
        self.controller.stalled.connect(self._on_stalled)
        self.controller.start_failed.connect(self._on_start_failed)
        self.controller.finish_replayed.connect(self._on_finish_replayed)
        self.controller.refused.connect(lambda why: self.statusBar().showMessage(why, 6000))
        self.controller.pause_refused.connect(self.controls.refuse_pause)
        self.replay: ReplayPanel | None = None  # while a recording is shown
        # Before the step panel shows (its own slot comes next): a window the panel would widen past
        # the screen makes room first.
        self.controller.run_started.connect(lambda: self._make_room_for_steps(self.controller.stepping))
        self.teaching = TeachingPanel(self, self.controller)
        self.teaching.dock.visibilityChanged.connect(lambda shown: shown or self._make_room_for_steps(False))
        self.teaching.fix_requested.connect(self.open_fix)
        self.fix_dialog: FixDialog | None = None
        self.plots.lane_clicked.connect(self._on_lane_clicked)
        self.exports = ExportMenu(self, self.controller, self.plots,
                                  open_replay=lambda recording: self.open_replay(recording) is not None,
                                  shown_recording=lambda: self.replay.recording if self.replay is not None else None)
        self.compare_window: CompareWindow | None = None
        self.compare_action = QAction("Compare backends…", self)
        self.compare_action.setShortcut(QKeySequence(COMPARE_SHORTCUT))
        self.compare_action.triggered.connect(lambda: self.open_compare())
        self.exports.menu.insertAction(self.exports.open_action, self.compare_action)
        self.exports.menu.insertSeparator(self.exports.open_action)
        self.exports.menu.addSeparator()
        self.exports.menu.addAction(quit_action(self))
        self.controls.compare_requested.connect(lambda: self.open_compare())
        view_menu = self.menuBar().addMenu("&View")
        self.show_all_action = view_menu.addAction("Show the whole run")
        self.show_all_action.setShortcut(QKeySequence(Qt.Key.Key_Home))
        self.show_all_action.setToolTip("Every plot and swimlane from the start to now (Home; the plots' A button)")
        self.show_all_action.triggered.connect(lambda: self.plots.show_all())
        self.side_action = view_menu.addAction("Run controls and story")
        self.side_action.setCheckable(True)
        self.side_action.setChecked(True)
        self.side_action.setShortcut(QKeySequence("Ctrl+L"))
        self.side_action.setToolTip("Show or fold away the left column: the run's settings and what happened (Ctrl+L)")
        self.side_action.toggled.connect(self._show_side)
        view_menu.addSeparator()
        looks = appearance()
        for text, keys, slot in (("Zoom in", QKeySequence.StandardKey.ZoomIn, looks.zoom_in),
                                 ("Zoom out", QKeySequence.StandardKey.ZoomOut, looks.zoom_out),
                                 ("Actual size", QKeySequence("Ctrl+0"), lambda: looks.set_zoom(1.0))):
            action = view_menu.addAction(text)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(slot)
        looks.changed.connect(self._restyle)
        view_menu.addSeparator()
        self.follow_action = view_menu.addAction("Follow newest")
        self.follow_action.triggered.connect(lambda: self.plots.follow(True))
        self.plots.following_changed.connect(self._on_following_changed)
        self.plots.view_moved.connect(self._mark_dirty)
        add_help_menu(self)
        # An event picked in the log is marked on the plots; a moment clicked on the plots picks its event.
        self.log.event_picked.connect(lambda event: self.plots.mark_moment(event.t))
        self.plots.moment_clicked.connect(self._on_moment_clicked)
        self._on_state_changed(self.controller.state)

    # -- room -----------------------------------------------------------------------------
    def _make_room_for_steps(self, stepping: bool) -> None:
        """Step mode's panel takes the right of the window: on a screen too narrow for three
        columns the left one (the run's settings, disabled while it runs, and its story, which the
        step panel tells better) folds away while the panel shows, and comes back after."""
        if stepping and self.width() < ROOM_FOR_STEPS_PX and self.side_action.isChecked():
            self._folded_for_steps = True
            self.side_action.setChecked(False)
        elif not stepping and self._folded_for_steps:
            self._folded_for_steps = False
            self.side_action.setChecked(True)

    def _show_side(self, shown: bool) -> None:
        side = self._columns.widget(0)
        if shown != side.isHidden():  # (isHidden: hidden by us, not merely not on screen yet)
            return
        if shown:
            total = sum(self._columns.sizes())
            width = min(self._side_width or side.sizeHint().width(), total // 2)
            side.show()
            self._columns.setSizes([width, total - width])
        else:
            self._side_width = self._columns.sizes()[0]
            side.hide()
            # At once, not at the next layout pass: a panel shown next must find the room made.
            self._columns.updateGeometry()
            self.layout().activate()

    # -- run control ----------------------------------------------------------------------
    def start_run(self, config: ScenarioConfig | None = None, step: bool | None = None) -> None:
        """Start ``config`` (or what the controls say), in step mode if ``step`` (or the box) says so."""
        config = config or self.controls.config()
        self.controls.show_config(config)
        if step is not None:
            self.controls.step_mode.setChecked(step)
        self.controller.start(config, step=self.controls.step_mode.isChecked())

    def open_replay(self, recording: Recording, speed: float = 1.0) -> ReplayPanel | None:
        """Show ``recording`` with replay controls; ``None`` while a live run goes on."""
        if self.controller.state not in (IDLE, FINISHED_STATE, STOPPED, REPLAYING):
            return None
        if self.replay is not None:
            self.replay.close_replay()
        if self._remember_recordings:
            preferences.remember_recording(recording.path)
        self.replay = ReplayPanel(self, self.controller, self.controls, recording, speed)
        self.replay.closed.connect(self._on_replay_closed)
        self.replay.replay_finished.connect(self._on_replay_finished)
        self.replay.position_changed.connect(self._on_replay_moved)
        self._update_title()
        return self.replay

    def trace(self, program: str) -> None:
        """Show a user's own program, traced (``joinscope trace``), instead of the scenarios."""
        self.program = program
        self._show_hint()
        self.controls.show_program(self._program_heading())
        self._update_title()

    def _program_heading(self) -> str | None:
        return None if self.program is None else f"Tracing <b>{escape(self.program, quote=False)}</b>"

    def _update_title(self) -> None:
        """The title says what is shown: the file replayed, the program traced, or the scenario
        and what its actors are."""
        if self.replay is not None:
            shown = f"replay of {os.path.basename(self.replay.recording.path)}"
        elif self.program is not None:
            shown = f"tracing {self.program}"
        else:
            config = self.controller.config if self.controller.state != IDLE else None
            config = config or self.controls.config()
            backend = describe(config.backend)
            shown = f"{config.name}: {'a process pool' if config.pooled else backend.actors_on_queue()}"
        self.setWindowTitle(f"JoinScope — {shown}")

    def open_compare(self, backends: tuple[str, str] | None = None) -> CompareWindow:
        """The settings the controls show, run on ``backends`` at once in a window of their own
        (by default the backend picked and another: process beside thread or asyncio)."""
        config = self.controls.config()
        if self.compare_window is not None:
            self.compare_window.close()
            self.compare_window.deleteLater()
        if config.pooled:  # a pool program runs on processes: it is compared with another program
            self.compare_window = CompareWindow(config, parent=self, versus=counterpart(config))
            self.compare_window.show()
            return self.compare_window
        if backends is None:
            other = THREAD if config.backend == PROCESS else PROCESS
            backends = tuple(sorted((config.backend, other), key=BACKENDS.index))  # type: ignore[assignment]
        self.compare_window = CompareWindow(config, backends, self)
        self.compare_window.show()
        return self.compare_window

    def open_fix(self, fix: Fix) -> FixDialog:
        """A pitfall and its fix, run side by side in a dialog of their own."""
        if self.fix_dialog is not None:
            self.fix_dialog.close()
            self.fix_dialog.deleteLater()
        self.fix_dialog = FixDialog(fix, self)
        self.fix_dialog.show()
        return self.fix_dialog

    def _on_lane_clicked(self, actor: str) -> None:
        if self.controller.stepping:
            self.teaching.step(actor)

    def _on_replay_closed(self) -> None:
        self.replay = None
        self.controls.show_program(self._program_heading())
        self._update_title()

    def _on_replay_moved(self, position: int, total: int) -> None:
        """At the recording's end (End, the scrubber, a step), the whole run is in view, as when
        playing reaches it: a short recording does not sit in the corner of a 10 s axis."""
        if position == total and total:
            self._on_replay_finished()

    def _on_replay_finished(self) -> None:
        self._redraw()
        self.plots.fit(self.controller.model.last_t)

    def _on_start(self) -> None:
        self.start_run()

    def _on_pause(self) -> None:
        if self.controller.state == PAUSED:
            self.controller.resume()
        else:
            self.controller.pause()

    def _on_state_changed(self, state: str) -> None:
        self.controls.set_run_state(state, state == PAUSED)
        self._update_title()
        self._show_hint()
        self.show_all_action.setEnabled(state != REPLAYING)  # the replay's Home goes to its start
        if state == FINISHED_STATE:
            self._show_finished()
        self._dirty = True
        self._update_status()
        if state in (FINISHED_STATE, STALLED, STOPPED):
            self._redraw()
            if state != STALLED:  # a stalled run goes on: its waits keep growing in view
                self.plots.fit(self.controller.model.last_t)
            self.run_over.emit(state)

    def _on_moment_clicked(self, t: float) -> None:
        event = self.log.select_nearest(t)
        self.plots.mark_moment(event.t if event is not None else None)

    def _on_choice_changed(self) -> None:
        """Another scenario (or step mode) picked: the last run's plots and banner go, as they
        are another program's; the empty plots say what to do."""
        if self.controller.state in (FINISHED_STATE, STOPPED, STALLED) and self.program is None:
            self.controller.reset()
        self._show_hint()

    def _show_hint(self) -> None:
        """What to do, on the empty plots of a window with no run (none once a run starts)."""
        if self.controller.state != IDLE or self.program is not None or self.replay is not None:
            self.plots.show_hint(None)
            return
        config = self.controls.config()
        stepping = self.controls.step_mode.isChecked() and not config.pooled
        if stepping:
            self._make_room_for_steps(True)
        self.teaching.preview(config if stepping else None)
        if stepping:
            what = "step through it: every actor will pause before its first operation, then <b>S</b> lets one go"
        else:
            what = "run it"
        self.plots.show_hint(f"Press <b>Start</b> (Ctrl+R) to {what}<br>"
                             f"<i>{escape(config.name)}</i> — {escape(config.title)}<br>"
                             "or pick another scenario on the left: race, crash, pool…")

    def _on_run_reset(self) -> None:
        self._problems_shown = (0, 0)
        self.controls.new_run()
        self._rate_window = None
        self.plots.clear_run(self.controller.unit)
        self.plots.mark_moment(None)
        self.log.clear(self.controller.unit)
        self._show_counts_legend()
        self.banner.hide()
        self.controls.problems.setText("")
        self._dirty = True

    def _show_counts_legend(self) -> None:
        """The counts legend, in the words of the run shown: steps or seconds, a queue's or a pool's."""
        config = self.controller.config
        pools = (config is not None and config.pooled) or bool(self.controller.model.pools)
        self._legend_pools = pools
        self.counts_legend.setText(counts_legend_text(self.controller.unit, pools, self._rate_window))

    def _on_rate_window(self, window: str) -> None:
        self._rate_window = window
        self._show_counts_legend()

    def _on_finish_replayed(self) -> None:
        self._show_finished()

    def _on_start_failed(self, why: str) -> None:
        self._show_banner(f"<b>Could not start the run.</b> {escape(why, quote=False)}", FAILED_OUTCOME)

    def _on_stalled(self, diagnosis: str) -> None:
        self._show_banner(f"<b>Stalled.</b> {escape(diagnosis, quote=False)}", STALLED_OUTCOME)

    def _show_banner(self, text: str, level: str) -> None:
        """Say how the run ended, in the colour of its outcome (``level``: see core.analysis.outcome)."""
        self.banner.setText(text)
        self.banner.setProperty("level", level)
        self.banner.setStyleSheet(theme.banner_style(level))
        self.banner.show()

    def _restyle(self) -> None:
        """The scheme or the zoom changed: what was drawn with the old ones is drawn again."""
        level = self.banner.property("level")
        if level:
            self.banner.setStyleSheet(theme.banner_style(level))
        self._show_counts_legend()
        self._show_problems()

    def _show_finished(self) -> None:
        """The banner of a run that ended by itself: green only if it ended cleanly; otherwise
        what went wrong comes first (see :mod:`core.analysis.outcome`)."""
        model = self.controller.model
        config = self.controller.config
        traced = self.program is not None or (self.replay is not None and traced_program(self.replay.recording))
        outcome = judge(model, config.backend if config is not None else PROCESS, traced=bool(traced))
        text = f"<b>{escape(outcome.headline, quote=False)}</b>"
        text += "".join(f" {escape(reason, quote=False)}" for reason in outcome.reasons)
        pools = pools_text(model)
        if pools is None:
            text += f" {model.puts} puts, {model.gets} gets, {model.task_dones} task_done calls."
        else:
            text += f" {escape(pools, quote=False)}." + (
                f" Also {model.puts} puts and {model.task_dones} task_done calls on a queue." if model.puts else "")
        for join in model.joins:
            if join.on_queue and join.call is None and join.released_by is not None:
                text += f" {escape(join.actor, quote=False)} waited {self.controller.unit.span(join.waited)} in join()."
        self._show_banner(text, outcome.level)

    # -- events and redraws ---------------------------------------------------------------
    def _on_events(self, events: list) -> None:
        self.log.append(events)
        self._dirty = True
        model = self.controller.model
        if not self._legend_pools and model.pools:
            self._show_counts_legend()  # a traced program made a pool
        crashed = sum(1 for a in model.actors.values() if a.state == CRASHED and a.exitcode is not None)
        problems = (len(model.errors), crashed, *((q.unheard, len(q.listed)) for q in model.queues.values()))
        if problems != self._problems_shown:
            self._problems_shown = problems
            self._show_problems()

    def _show_problems(self) -> None:
        model = self.controller.model
        lines = [f"⚠ {e.actor}: {e.error}" for e in model.errors]
        backend = self.controller.config.backend if self.controller.config else "process"
        lines += [f"✖ {a.name} crashed: it {how_it_ended(a.exitcode, a.unit_in(backend))}"
                  for a in model.actors.values() if a.state == CRASHED and a.exitcode is not None]
        lines += [f"⚠ {finding}" for finding in pool_findings(model)]
        self.controls.problems.setText("<br>".join(lines))
        self.controls.problems.setStyleSheet(f"color:{theme.scheme().wrong}; font-size:{theme.px(13)}px;")

    def _on_following_changed(self, following: bool) -> None:
        self.controls.follow_button.setEnabled(not following)
        self._dirty = True

    def _mark_dirty(self) -> None:
        self._dirty = True

    def _on_redraw_tick(self) -> None:
        now = self.controller.run_time_now()
        # Quiet, the run's clock still moves the picture on (not while paused: it stands still).
        if self._dirty or (now is not None and now - self.plots.drawn_now >= QUIET_REDRAW_S):
            self._redraw()

    def _redraw(self) -> None:
        self._dirty = False
        self.plots.redraw(self.controller.timeline, self.controller.model, now=self.controller.run_time_now())
        self._update_status()
        self.controller.frame_drawn()

    def _update_status(self) -> None:
        model = self.controller.model
        queue = next(iter(model.queues.values()), None)
        depth, unfinished = (queue.depth, queue.unfinished) if queue else (0, 0)
        pool = next(iter(model.pools), None)
        if pool is not None:
            self.status.setText(
                f"{pool.name}: not started {pool.depth}  ·  not delivered {pool.unfinished}  ·  submitted "
                f"{pool.submitted}  ·  delivered {pool.delivered}  ·  callbacks {pool.callbacks}  ·  live processes "
                f"{self.controller.live_processes()}  ·  {self.controller.state}")
            return
        self.status.setText(
            f"depth {depth}  ·  unfinished {unfinished}  ·  puts {model.puts}  ·  gets {model.gets}  ·  "
            f"task_done {model.task_dones}  ·  live {self._actor_units()} {self.controller.live_processes()}  ·  "
            f"{self.controller.state}")

    def _actor_units(self) -> str:
        """What the live count counts: processes, threads or asyncio tasks."""
        config = self.controller.config
        return describe(config.backend if config is not None else PROCESS).units

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self._remember_place:
            preferences.save_window(self)
        self._redraw_timer.stop()
        if self.replay is not None:
            self.replay.close_replay()
        # Dialogs with runs of their own: a child deleted with the window gets no closeEvent.
        for dialog in (self.compare_window, self.fix_dialog):
            if dialog is not None:
                dialog.close()
        self.controller.shutdown()
        self.exports.close()
        super().closeEvent(event)
