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
from core.scenarios import SCENARIOS, ScenarioConfig
from core.system import unbounded_queue_note

MAX_LIVE_ACTORS = 8
WORK_STEP_MS = 10
#: The backends the picker offers: what the actors are, and the queue they share.
BACKEND_CHOICES = ((PROCESS, "processes · multiprocessing.JoinableQueue"), (THREAD, "threads · queue.Queue"),
                   (ASYNCIO, "asyncio tasks · asyncio.Queue"))
#: The speeds the slider offers: slow enough to follow by eye, fast enough to skip ahead.
SPEEDS = (0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 20.0, 30.0, 40.0, 50.0, 100.0)


def _speed(position: int) -> float:
    return SPEEDS[position]


def _speed_position(speed: float) -> int:
    return min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - speed))


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

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: Why the system would not freeze a run's processes, once it has said so.
        self._pause_refusal: str | None = None
        self.scenario = QComboBox()
        for config in SCENARIOS.values():
            self.scenario.addItem(f"{config.name} — {config.title}", config.name)
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

        self.producers = LabelledSlider("Producers", 1, MAX_LIVE_ACTORS)
        self.consumers = LabelledSlider("Consumers", 1, MAX_LIVE_ACTORS)
        self.tasks = LabelledSlider("Tasks per producer", 1, 1000)
        self.work = LabelledSlider("Work per task", 0, 200, to_value=lambda p: None if p == 0 else p * WORK_STEP_MS,
                                   from_value=lambda v: 0 if v is None else round(v / WORK_STEP_MS),
                                   text=lambda v: "random 0–1 s" if v is None else f"{v:g} ms")
        self.interval = LabelledSlider("Production interval", 0, 100, to_value=lambda p: p * WORK_STEP_MS,
                                       from_value=lambda v: round(v / WORK_STEP_MS), text=lambda v: f"{v:g} ms")
        self.maxsize = LabelledSlider("Maxsize", 0, 100, text=lambda v: "unbounded" if v == 0 else f"{v:g}")
        self.maxsize.setToolTip(f"The queue's maxsize: put() blocks while it holds this many items. "
                                f"{unbounded_queue_note()}.")
        self.speed = LabelledSlider("Speed", 0, len(SPEEDS) - 1, to_value=_speed, from_value=_speed_position,
                                    text=lambda v: f"{v:g}×")
        self.producers.value_changed.connect(lambda v: self.actors_changed.emit(PRODUCER, int(v)))
        self.consumers.value_changed.connect(lambda v: self.actors_changed.emit(CONSUMER, int(v)))

        self.step_mode = QCheckBox("Step through (teaching mode)")
        self.step_mode.setToolTip("Every actor pauses before each put, get, task_done and join until you let it go")
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

        settings = QGroupBox("Run")
        form = QVBoxLayout(settings)
        form.addWidget(self.scenario)
        backend_row = QHBoxLayout()
        backend_row.addWidget(self.backend, 1)
        backend_row.addWidget(self.compare_button)
        form.addLayout(backend_row)
        form.addWidget(self.description)
        for slider in (self.producers, self.consumers, self.tasks, self.work, self.interval, self.maxsize,
                       self.speed):
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
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setObjectName("problems")
        layout.addWidget(self.problems)
        self.scenario.currentIndexChanged.connect(self._on_scenario_changed)
        self._on_scenario_changed()

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
        # The backend picked stays: any scenario runs on any backend.
        self.show_config(dataclasses.replace(config, backend=self.backend.currentData() or PROCESS))

    def show_config(self, config: ScenarioConfig) -> None:
        self.producers.set_value(min(config.producers, MAX_LIVE_ACTORS))
        self.consumers.set_value(min(config.consumers, MAX_LIVE_ACTORS))
        self.tasks.set_value(min(config.tasks, 1000))
        self.work.set_value(config.work_ms)
        self.interval.set_value(config.interval_ms)
        self.maxsize.set_value(config.maxsize)
        self.speed.set_value(config.speed)
        self.backend.setCurrentIndex(max(self.backend.findData(config.backend), 0))

    def config(self) -> ScenarioConfig:
        """The scenario picked, with the sliders' values."""
        base = SCENARIOS[self.scenario.currentData()]
        return dataclasses.replace(base, producers=int(self.producers.value()), consumers=int(self.consumers.value()),
                                   tasks=int(self.tasks.value()), work_ms=self.work.value(),
                                   interval_ms=float(self.interval.value()), maxsize=int(self.maxsize.value()),
                                   speed=float(self.speed.value()), backend=self.backend.currentData())

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
        self.step_mode.setEnabled(idle)
        stepping = state == "stepping"
        for slider in (self.producers, self.consumers):
            slider.setEnabled(not stepping and state != "replaying")
        self.backend.setEnabled(idle)
        for slider in (self.tasks, self.work, self.interval, self.maxsize, self.speed):
            slider.setEnabled(idle)
