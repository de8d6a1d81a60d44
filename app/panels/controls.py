"""The control panel: scenario, the run's settings as labelled sliders, and the run buttons."""
from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.widgets import LabelledSlider
from core.backends import ASYNCIO, PROCESS, THREAD
from core.events import CONSUMER, PRODUCER
from core.numbers import plain
from core.scenarios import SCENARIOS, ScenarioConfig, default_pool_workers
from core.system import unbounded_queue_note

MAX_LIVE_ACTORS = 8
#: A pool scenario's workers at most from the slider (the command line goes further).
MAX_POOL_WORKERS = 16
#: The backends the picker offers: what the actors are, and the queue they share.
BACKEND_CHOICES = ((PROCESS, "processes · multiprocessing.JoinableQueue"), (THREAD, "threads · queue.Queue"),
                   (ASYNCIO, "asyncio tasks · asyncio.Queue"))
# What each slider offers, roughly evenly spaced on a log scale; a scenario's or the command
# line's own value is added where it is missing (see LabelledSlider), so every run shows and
# sends its real settings.
TASKS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 150, 200, 300, 500, 1_000, 2_000,
         5_000, 10_000, 20_000, 50_000, 100_000)
#: Work per task in ms; ``None`` is the tutorial's: each task's own random value, 0–1 s.
WORK_MS = (None, 0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 150.0, 200.0, 300.0, 500.0, 1000.0, 2000.0)
INTERVAL_MS = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
MAXSIZES = (0, 1, 2, 3, 4, 5, 8, 10, 15, 20, 50, 100, 1_000, 10_000)
#: The speeds the slider offers: slow enough to follow by eye, fast enough to skip ahead.
SPEEDS = (0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 20.0, 30.0, 40.0, 50.0, 100.0)


def _work_text(work_ms: float | None) -> str:
    if work_ms is None:
        return "random 0–1 s"
    return "no work" if work_ms == 0 else f"{plain(work_ms)} ms"


#: What Pause does, in its tooltip (a refusal replaces it for the rest of that run).
PAUSE_TIP = "Hold every actor where it is, and go on again (Space)"

class ControlPanel(QWidget):
    """Emits what the user asks for; the window decides what each request does."""

    start_requested = Signal()
    pause_requested = Signal()
    stop_requested = Signal()
    reset_requested = Signal()
    follow_requested = Signal()
    #: Run the settings shown on two backends at once, side by side.
    compare_requested = Signal()
    #: (role, count): a producers or consumers slider moved.
    actors_changed = Signal(str, int)
    #: The user picked another scenario (its name), or turned step mode on or off.
    choice_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: Why the system would not freeze a run's processes, once it has said so.
        self._pause_refusal: str | None = None
        self.scenario = QComboBox()
        for config in SCENARIOS.values():
            self.scenario.addItem(f"{config.name} — {config.title}", config.name)
        # Its list opens as wide as its titles; closed, it fits the panel (a pool pitfall's title is long).
        self.scenario.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.scenario.setMinimumContentsLength(20)
        self.scenario.view().setMinimumWidth(self.scenario.view().sizeHintForColumn(0) + 24)
        self.scenario.setToolTip("What to run: the tutorial's program, its pitfalls, pools")
        self.backend = QComboBox()
        self.backend.setToolTip("What the producers and consumers are, and the queue they share")
        for backend, label in BACKEND_CHOICES:
            self.backend.addItem(label, backend)
        # Room for the Compare button beside it: the labels are long, the panel narrow.
        self.backend.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.backend.setMinimumContentsLength(16)
        self.compare_button = QPushButton("Compare…")
        self.compare_button.setToolTip("Run these settings on this backend and another at once, side by side "
                                       "(Ctrl+Shift+B)")
        self.compare_button.clicked.connect(self.compare_requested)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setMinimumHeight(70)

        self.producers = LabelledSlider("Producers", range(1, MAX_LIVE_ACTORS + 1))
        self.consumers = LabelledSlider("Consumers", range(1, MAX_LIVE_ACTORS + 1))
        self.tasks = LabelledSlider("Tasks per producer", TASKS, text=lambda v: f"{v:,}")
        cpus = default_pool_workers()
        self.workers = LabelledSlider("Workers", range(0, MAX_POOL_WORKERS + 1),
                                      text=lambda v: f"cpu_count() − 1 = {cpus}" if v == 0 else plain(v))
        self.workers.setToolTip("The pool's worker processes: Pool(workers)")
        self.work = LabelledSlider("Work per task", WORK_MS, text=_work_text)
        self.interval = LabelledSlider("Production interval", INTERVAL_MS, text=lambda v: f"{plain(v)} ms")
        self.maxsize = LabelledSlider("Maxsize", MAXSIZES, text=lambda v: "unbounded" if v == 0 else f"{v:,}")
        self.maxsize.setToolTip(f"The queue's maxsize: put() blocks while it holds this many items. "
                                f"{unbounded_queue_note()}.")
        self.speed = LabelledSlider("Speed", SPEEDS, text=lambda v: f"{plain(v)}×")
        self.producers.value_changed.connect(lambda v: self.actors_changed.emit(PRODUCER, int(v)))
        self.consumers.value_changed.connect(lambda v: self.actors_changed.emit(CONSUMER, int(v)))

        self.step_mode = QCheckBox("Step through (teaching mode)")
        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.reset_button = QPushButton("Reset")
        self.follow_button = QPushButton("Follow newest")
        self.start_button.setShortcut("Ctrl+R")
        self.pause_button.setShortcut("Space")
        self.stop_button.setShortcut("Ctrl+.")
        self.start_button.clicked.connect(self.start_requested)
        self.pause_button.clicked.connect(self.pause_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.reset_button.clicked.connect(self.reset_requested)
        self.reset_button.setShortcut("Ctrl+Backspace")
        self.follow_button.clicked.connect(self.follow_requested)
        self.start_button.setToolTip("Start the run with these settings (Ctrl+R)")
        self.pause_button.setToolTip(PAUSE_TIP)
        self.stop_button.setToolTip("End the run now: every actor is asked to end (Ctrl+.)")
        self.reset_button.setToolTip("Stop if running and clear the plots (Ctrl+Backspace)")
        self.follow_button.setToolTip("Follow the newest events again after you moved the plots")
        self.step_mode.setToolTip("Every actor pauses before each put, get, task_done and join until you let it "
                                  "go: S steps, P plays, ← → look back and forth, Q asks before each step")

        settings = QGroupBox("Run")
        form = QVBoxLayout(settings)
        form.addWidget(self.scenario)
        backend_row = QHBoxLayout()
        backend_row.addWidget(self.backend, 1)
        backend_row.addWidget(self.compare_button)
        form.addLayout(backend_row)
        form.addWidget(self.description)
        for slider in (self.producers, self.consumers, self.workers, self.tasks, self.work, self.interval,
                       self.maxsize, self.speed):
            form.addWidget(slider)
        form.addWidget(self.step_mode)
        buttons = QGridLayout()
        buttons.addWidget(self.start_button, 0, 0)
        buttons.addWidget(self.pause_button, 0, 1)
        buttons.addWidget(self.stop_button, 1, 0)
        buttons.addWidget(self.reset_button, 1, 1)
        buttons.addWidget(self.follow_button, 2, 0, 1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(settings)
        layout.addLayout(buttons)
        #: Says which program is shown when it is a user's own, not a scenario (see show_program).
        self.program = QLabel()
        self.program.setWordWrap(True)
        self.program.setObjectName("program-heading")
        self.program.hide()
        layout.insertWidget(0, self.program)
        self._settings = settings
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setObjectName("problems")
        layout.addWidget(self.problems)
        #: The settings shown: the sliders' values replace its own when a run starts, the rest
        #: (seed, timeouts, the code the actors run…) it keeps.
        self._shown = SCENARIOS[self.scenario.currentData()]
        self.scenario.currentIndexChanged.connect(self._on_scenario_changed)
        self._on_scenario_changed()

    def show_program(self, heading: str | None) -> None:
        """Show a user's own program (``heading``, rich text) instead of a scenario's settings,
        which do not apply to it; ``None``: the scenarios again."""
        self.program.setText(heading or "")
        self.program.setVisible(heading is not None)
        self._settings.setVisible(heading is None)
    def new_run(self) -> None:
        """A run begins: a refusal to pause was the last run's (another backend may well pause)."""
        self._pause_refusal = None
        self.pause_button.setToolTip(PAUSE_TIP)

    def refuse_pause(self, why: str) -> None:
        """The system would not freeze this run's processes: Pause stays off, and says why."""
        self._pause_refusal = why
        self.pause_button.setEnabled(False)
        self.pause_button.setToolTip(why)

    def select_scenario(self, name: str) -> None:
        self.scenario.setCurrentIndex(self.scenario.findData(name))
        self._on_scenario_changed()

    def _on_scenario_changed(self) -> None:
        config = SCENARIOS[self.scenario.currentData()]
        self.description.setText(config.description)
        # The backend picked stays: any scenario runs on any backend (a pool scenario, on processes only,
        # leaves the picker as it is for the next).
        self.show_config(config if config.pooled else
                         dataclasses.replace(config, backend=self.backend.currentData() or PROCESS))
        self.choice_changed.emit()

    def _shape(self, pooled: bool) -> None:
        """A pool scenario has workers and tasks, not producers, consumers or a queue of its own."""
        for slider in (self.producers, self.consumers, self.interval, self.maxsize):
            slider.setVisible(not pooled)
        self.workers.setVisible(pooled)
        self.tasks.name_label.setText("Tasks" if pooled else "Tasks per producer")
        if pooled:
            self.step_mode.setChecked(False)
        self._enable_choices(self.scenario.isEnabled())  # a scenario is picked only while no run goes on

    def _enable_choices(self, idle: bool) -> None:
        """Step mode and the backend are chosen before a run, for a queue scenario: a pool's steps
        are the stdlib's, and a process pool runs on processes."""
        pooled = self._shown.pooled
        self.step_mode.setEnabled(idle and not pooled)
        self.backend.setEnabled(idle and not pooled)

    def show_config(self, config: ScenarioConfig) -> None:
        """Show ``config`` (and start it, unless the sliders are moved before Start)."""
        self._shown = config
        self._shape(config.pooled)
        self.producers.set_value(config.producers)
        self.consumers.set_value(config.consumers)
        self.workers.set_value(config.workers)
        self.tasks.set_value(config.tasks)
        self.work.set_value(config.work_ms)
        self.interval.set_value(config.interval_ms)
        self.maxsize.set_value(config.maxsize)
        self.speed.set_value(config.speed)
        if not config.pooled:
            self.backend.setCurrentIndex(max(self.backend.findData(config.backend), 0))

    def config(self) -> ScenarioConfig:
        """The settings shown, with the sliders' and the backend picker's values."""
        shown = self._shown
        if shown.pooled:
            return dataclasses.replace(shown, tasks=self.tasks.value(), work_ms=self.work.value(),
                                       speed=self.speed.value(), workers=self.workers.value())
        return dataclasses.replace(shown, producers=self.producers.value(), consumers=self.consumers.value(),
                                   tasks=self.tasks.value(), work_ms=self.work.value(),
                                   interval_ms=self.interval.value(), maxsize=self.maxsize.value(),
                                   speed=self.speed.value(), backend=self.backend.currentData())

    def set_run_state(self, state: str, paused: bool) -> None:
        """Enable what makes sense in ``state`` (the controller's state names)."""
        idle = state in ("idle", "finished", "stopped")
        live = state in ("running", "paused", "stalled", "stepping")
        self.start_button.setEnabled(idle)
        # A stepped run moves only when told; a system that would not freeze processes cannot pause.
        self.pause_button.setEnabled(live and state != "stepping" and self._pause_refusal is None)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_button.setShortcut("Space")
        self.stop_button.setEnabled(live)
        self.reset_button.setEnabled(state != "stopping")
        self.scenario.setEnabled(idle)
        self._enable_choices(idle)
        stepping = state == "stepping"
        for slider in (self.producers, self.consumers):
            slider.setEnabled(not stepping and state != "replaying")
        for slider in (self.tasks, self.workers, self.work, self.interval, self.maxsize, self.speed):
            slider.setEnabled(idle)
