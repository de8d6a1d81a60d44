"""Side by side: one scenario on two backends at once — or two scenarios (``pool`` against
``queue-fed-pool``) on the same tasks — and a table of what differs.

Both runs start together, each a real session with its own controller and event
pump (``app/windows/live_runs.py``).  Their plots are stacked with one time axis — panning
or zooming either moves both, since the two sessions' clocks both start at their
own start — and the table beside them holds only measured facts
(:mod:`core.analysis.comparison`): start-up, wall time, throughput, peak memory, outcome and
what a crash did.  When both runs are over, one line says which was faster.
Closing the window stops both runs and waits until everything they held is freed.
"""
from __future__ import annotations

import dataclasses
import html
import time

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.bridge.controller import FINISHED_STATE, OVER, STALLED
from app.panels.controls import BACKEND_CHOICES
from app.widgets import counts_legend, lane_legend
from app.windows.fit import fit_to_screen
from app.windows.live_runs import LiveRun, LiveRuns
from core.analysis.comparison import (
    FINISHED,
    STOPPED,
    MemoryPeak,
    RunSummary,
    StartupClock,
    comparison_rows,
    faster_line,
)
from core.analysis.comparison import STALLED as STALLED_OUTCOME
from core.backends import PROCESS, THREAD
from core.scenarios import SCENARIOS, ScenarioConfig

#: How often the actors' memory is sampled (short-lived actors at high speed need it often).
MEMORY_SAMPLE_MS = 40
#: Samples taken on arriving events are at least this far apart.
MIN_SAMPLE_GAP_S = 0.01
#: How often the table shows the running numbers.
TABLE_REFRESH_MS = 250
BACKEND_LABELS = dict(BACKEND_CHOICES)
DEFAULT_BACKENDS = (PROCESS, THREAD)


def describe_config(config: ScenarioConfig) -> str:
    """The settings both runs share, in one line."""
    work = "random 0–1 s" if config.work_ms is None else f"{config.work_ms:g} ms"
    if config.pooled:
        workers = config.workers or "cpu_count() − 1"
        return f"{config.tasks:,} task(s) of {work}, a pool of {workers} worker(s), speed {config.speed:g}×"
    bound = f", maxsize {config.maxsize}" if config.maxsize else ""
    return (f"{config.producers} producer(s) × {config.tasks} task(s), {config.consumers} consumer(s), "
            f"work {work}{bound}, speed {config.speed:g}×")


class CompareWindow(QDialog):
    """``config`` run on ``backends`` (two of process, thread, asyncio) at once — or, with ``versus``,
    ``config`` and ``versus`` (two scenarios, each on its own backend) at once."""

    #: Both runs are over and the table holds their final numbers.
    compared = Signal()

    def __init__(self, config: ScenarioConfig, backends: tuple[str, str] = DEFAULT_BACKENDS,
                 parent: QWidget | None = None, *, versus: ScenarioConfig | None = None) -> None:
        super().__init__(parent)
        if versus is not None:
            if versus.name == config.name:
                raise ValueError(f"compare two different scenarios, not {config.name!r} twice")
            self.configs: tuple[ScenarioConfig, ...] = (config, versus)
            self.labels: tuple[str, ...] = (config.name, versus.name)
            title = f"{config.name} and {versus.name}"
        else:
            if len(backends) != 2 or backends[0] == backends[1]:
                raise ValueError(f"compare two different backends, not {backends!r}")
            self.configs, self.labels = tuple(_on(config, backend) for backend in backends), tuple(backends)
            title = f"{config.name} on {backends[0]} and {backends[1]}"
        self.config = config
        self.backends = tuple(c.backend for c in self.configs)
        self.setWindowTitle(f"JoinScope — {title}")
        fit_to_screen(self, QSize(1600, 1000))
        self.live = LiveRuns(2, self)
        self.runs: list[LiveRun] = self.live.runs
        self.summaries: list[RunSummary] = []
        self.live.link_time_axes()
        for run in self.runs[:-1]:  # stacked on one time axis: its times are written once, at the bottom
            run.plots.show_times(False)

        heading = QLabel(f"<b>{html.escape(title)}</b> — {html.escape(config.title)} · "
                         f"{html.escape(describe_config(config))}" if versus is None else
                         f"<b>{html.escape(title)}</b> on the same tasks · {html.escape(describe_config(config))}")
        heading.setWordWrap(True)
        heading.setStyleSheet("font-size:16px;")
        plots = QSplitter(Qt.Orientation.Vertical)
        for run, run_config, label in zip(self.runs, self.configs, self.labels):
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            what = run_config.title if versus is not None else BACKEND_LABELS[run_config.backend]
            run_title = QLabel(f"<b>{html.escape(label)}</b> · {html.escape(what)}")
            run_title.setObjectName(f"compare-title-{label}")
            run_title.setStyleSheet("font-size:16px;")
            column.addWidget(run_title)
            column.addWidget(run.plots, 1)
            column.addWidget(run.outcome)
            plots.addWidget(box)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(counts_legend())
        left_layout.addWidget(plots, 1)
        left_layout.addWidget(lane_legend())

        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["", *self.labels])
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setStyleSheet("font-size:14px;")
        self.verdict = QLabel("Both runs are going…")
        self.verdict.setObjectName("compare-verdict")
        self.verdict.setWordWrap(True)
        self.verdict.setStyleSheet("font-size:17px; font-weight:bold; padding:6px;")
        self.verdict.setMinimumHeight(4 * self.verdict.fontMetrics().lineSpacing())
        self.follow_button = QPushButton("Follow newest")
        self.follow_button.clicked.connect(self._on_follow)
        self.stop_button = QPushButton("Stop both")
        self.stop_button.setShortcut("Ctrl+.")
        self.stop_button.clicked.connect(self.live.stop)
        self.again_button = QPushButton("Run both again")
        self.again_button.setShortcut("Ctrl+R")
        self.again_button.setEnabled(False)
        self.again_button.clicked.connect(self.run_again)
        buttons = QHBoxLayout()
        buttons.addWidget(self.follow_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.again_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(QLabel("<b>What differs</b> (measured in these two runs)"))
        right_layout.addWidget(self.table)
        right_layout.addWidget(self.verdict)
        right_layout.addLayout(buttons)
        right_layout.addStretch(1)

        # The table and the verdict scroll on a short screen rather than push the window past it.
        right_scroll = QScrollArea()
        right_scroll.setWidget(right)
        right_scroll.setWidgetResizable(True)
        right_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(left)
        body.addWidget(right_scroll)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 2)
        body.setSizes([960, 640])
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(body, 1)

        self._sampled_at = 0.0
        self._memory_timer = QTimer(self)
        self._memory_timer.setInterval(MEMORY_SAMPLE_MS)
        self._memory_timer.timeout.connect(self._sample_memory)
        self._table_timer = QTimer(self)
        self._table_timer.setInterval(TABLE_REFRESH_MS)
        self._table_timer.timeout.connect(self._fill_table)
        self.live.all_ended.connect(self._on_all_ended)
        for index, run in enumerate(self.runs):
            run.controller.state_changed.connect(self._on_state)
            run.controller.events_applied.connect(lambda events, index=index: self._on_events_of(index, events))
        self._closed = False
        self._started = False
        self.finished.connect(self._shut_down)  # Escape closes a dialog without a closeEvent

    # -- running ----------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        """Start both runs once the window is first shown and painted: memory measured in
        JoinScope's own process then grows with the runs, not with building the window."""
        super().showEvent(event)
        if not self._started:
            self._started = True
            QTimer.singleShot(0, self._start)

    def _start(self) -> None:
        """Start both runs together: the first time the window shows, and at each Run both again."""
        if self._closed:
            return
        self.summaries = [RunSummary(config.backend, config, run.controller.model, StartupClock(),
                                     MemoryPeak(config.backend), label=label)
                          for run, config, label in zip(self.runs, self.configs, self.labels)]
        self.live.start(list(self.configs))
        for run, summary in zip(self.runs, self.summaries):
            summary.model = run.controller.model  # a new run has a new model
            summary.memory.sample(summary.model)  # in JoinScope's own process: the baseline
        self.verdict.setText("Both runs are going…")
        self.stop_button.setEnabled(True)
        self.again_button.setEnabled(False)
        for run in self.runs:
            run.plots.follow(True)
        self._memory_timer.start()
        self._table_timer.start()
        self._fill_table()

    def run_again(self) -> None:
        """Both runs again, from the start, with the same settings (runs differ: spawn, the
        scheduler and the random work times see to it); the table and plots start afresh."""
        if self.over:
            self._start()

    def _on_events_of(self, index: int, events: list) -> None:
        """Every batch of run ``index`` (not only on the timer: at high speed actors live for a few frames)."""
        if index < len(self.summaries):
            self.summaries[index].startup.apply(events)
        self._sample_memory()

    @property
    def over(self) -> bool:
        return self.live.over

    def _on_follow(self) -> None:
        """Follow the newest events again; with both runs over, show them whole."""
        for run in self.runs:
            run.plots.follow(True)
            run.redraw()
        if self.over:
            self._show_whole()

    def _show_whole(self) -> None:
        self.live.show_whole()

    def _sample_memory(self, *_: object) -> None:
        """A sample of each run still going (a few psutil reads: microseconds)."""
        now = time.monotonic()
        if now - self._sampled_at < MIN_SAMPLE_GAP_S:
            return
        self._sampled_at = now
        for run, summary in zip(self.runs, self.summaries):
            if run.controller.state not in OVER:
                summary.memory.sample(run.controller.model)

    def _on_state(self, state: str) -> None:
        if state in OVER:
            self.live.fit_all()

    def _update_outcomes(self) -> None:
        """How each run ended, from its controller (a stalled run is stopped afterwards, and stays stalled)."""
        for run, summary in zip(self.runs, self.summaries):
            controller = run.controller
            if controller.state == FINISHED_STATE:
                summary.outcome = FINISHED
            elif controller.diagnosis is not None and controller.state in (STALLED, *OVER):
                summary.outcome, summary.diagnosis = STALLED_OUTCOME, controller.diagnosis
            elif controller.state in OVER:
                summary.outcome = STOPPED

    def _on_all_ended(self) -> None:
        self._memory_timer.stop()
        self._table_timer.stop()
        self._fill_table()
        self.stop_button.setEnabled(False)
        self.again_button.setEnabled(True)
        for run in self.runs:  # the last events first, then both whole on the shared axis
            run.redraw()
        self._show_whole()
        self.verdict.setText(faster_line(*self.summaries))
        self.layout().activate()  # a screenshot taken on ``compared`` shows the verdict whole
        self.compared.emit()

    def _fill_table(self) -> None:
        self._update_outcomes()
        rows = comparison_rows(*self.summaries)
        self.table.setRowCount(len(rows))
        for number, row in enumerate(rows):
            for column, text in enumerate(row):
                item = self.table.item(number, column)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(number, column, item)
                    if column == 0:
                        font = item.font()
                        font.setBold(True)
                        item.setFont(font)
                if item.text() != text:
                    item.setText(text)
                    item.setToolTip(text)
        self.table.resizeRowsToContents()
        header = self.table.horizontalHeader()
        self.table.setFixedHeight(header.height() + self.table.verticalHeader().length() + 2 * self.table.frameWidth())

    def rows(self) -> list[list[str]]:
        """The table as shown, row by row (for tests and screenshots)."""
        return [[self.table.item(r, c).text() for c in range(3)] for r in range(self.table.rowCount())]

    # -- closing ----------------------------------------------------------------------
    def _shut_down(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._memory_timer.stop()
        self._table_timer.stop()
        self.live.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self._shut_down()
        super().closeEvent(event)


def counterpart(config: ScenarioConfig) -> ScenarioConfig:
    """What a pool scenario is compared with, on the same tasks: the reader's queue-fed pool against the
    plain pool (and any other pool program against the plain pool)."""
    other = SCENARIOS["queue-fed-pool" if config.name == "pool" else "pool"]
    return dataclasses.replace(other, tasks=config.tasks, work_ms=config.work_ms, workers=config.workers,
                               fail_every=config.fail_every, speed=config.speed, start_method=config.start_method)


def _on(config: ScenarioConfig, backend: str) -> ScenarioConfig:
    return dataclasses.replace(config, backend=backend)
