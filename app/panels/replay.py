"""The replay panel: a recording played in the main window, with a time scrubber.

The panel drives a :class:`core.recordings.replay.ReplayCursor` and hands what it folds to
the run controller (``show_replayed``), so the window's plots, swimlanes and
event log draw a replay exactly as they draw a live run.  Playing advances a
replay clock by the real time elapsed times the speed, on a frame timer; stepping
moves one event; the scrubber moves anywhere.  The narration of the event the
replay stands on is shown under the scrubber.

Keys (anywhere in the window while replaying): Space play/pause, → / ← one event
forward / back, Home / End the start / end, ] / [ faster / slower.
"""
from __future__ import annotations

import time
from html import escape

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app import theme
from app.bridge.controller import REPLAYING, RunController
from app.panels.controls import ControlPanel
from app.panels.event_log import LOG_ROWS
from core.events import Event
from core.recordings.replay import SPEEDS, Recording, ReplayCursor, ended_finished, find_stall
from core.scenarios import SCENARIOS

FRAME_MS = 16
#: Narrated lines shown: the current event's and the ones before it (fewer in a short window,
#: whose plots need the height more).
NARRATION_LINES = 3
SHORT_NARRATION_LINES = 2
#: A window shorter than this (logical pixels) is short: a laptop's 720 lines, a projector at 1.5×.
SHORT_WINDOW_PX = 820
#: How far back the panel looks for narrated events (most events are narrated).
NARRATION_LOOKBACK = 50


def traced_program(recording: Recording) -> str | None:
    """The command line of the user's program a recording traced (``joinscope trace``), if it did."""
    traced = recording.header.get("traced")
    if not isinstance(traced, dict) or not isinstance(traced.get("script"), str):
        return None
    args = traced.get("args")
    words = [traced["script"], *(arg for arg in args if isinstance(arg, str))] if isinstance(args, list) else [
        traced["script"]]
    return " ".join(words)


class ReplayPanel(QObject):
    """Transport controls for one recording, docked at the top of ``window``."""

    #: The position changed: (events folded, events in the recording).
    position_changed = Signal(int, int)
    playing_changed = Signal(bool)
    #: Playing reached the last event.
    replay_finished = Signal()
    #: The panel was removed (a reset or another recording ended this replay).
    closed = Signal()

    def __init__(self, window: QMainWindow, controller: RunController, controls: ControlPanel, recording: Recording,
                 speed: float = 1.0) -> None:
        """Docked in ``window``, showing ``recording`` through ``controller`` (``controls`` show its settings)."""
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.recording = recording
        self.cursor = ReplayCursor(recording)
        self.stall = find_stall(recording)
        self._stall_shown = False
        #: The recorded run finished: its end shows the "Finished" banner, as the live run did.
        self.finishes = self.stall is None and ended_finished(recording)
        self._finish_shown = False
        self.playing = False
        self._clock_t = 0.0
        self._last_tick = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._on_tick)
        if not self.controller.begin_replay(recording.config, recording.unit):
            raise RuntimeError("a run is going on: stop it before replaying")
        self._build(speed)
        self._shortcuts = [self._shortcut(key, slot) for key, slot in (
            (Qt.Key.Key_Space, self.toggle_play), (Qt.Key.Key_Right, lambda: self.step(1)),
            (Qt.Key.Key_Left, lambda: self.step(-1)), (Qt.Key.Key_Home, lambda: self.seek(0)),
            (Qt.Key.Key_End, lambda: self.seek(len(recording.events))),
            (Qt.Key.Key_BracketRight, lambda: self._change_speed(1)),
            (Qt.Key.Key_BracketLeft, lambda: self._change_speed(-1)))]
        program = traced_program(recording)
        if program is not None:  # a user's own program: its command line, not a scenario's settings
            controls.show_program(f"Replaying a trace of <b>{escape(program, quote=False)}</b>")
        else:
            controls.show_program(None)
            if recording.config.name in SCENARIOS:
                controls.select_scenario(recording.config.name)
            controls.show_config(recording.config)  # the recorded run's settings, greyed out while replaying
        self.controller.state_changed.connect(self._on_state_changed)
        self.controller.show_replayed(self.cursor.model, self.cursor.timeline, [], rebuilt=True)
        self._show_position()

    # -- building ---------------------------------------------------------------------
    def _build(self, speed: float) -> None:
        self.start_button = QPushButton("|◀ start")
        self.back_button = QPushButton("◀ step")
        self.play_button = QPushButton("▶ Play")
        self.forward_button = QPushButton("step ▶")
        self.end_button = QPushButton("end ▶|")
        for button, tip in ((self.start_button, "To the start (Home)"), (self.back_button, "One event back (←)"),
                            (self.play_button, "Play or pause (Space)"),
                            (self.forward_button, "One event forward (→)"), (self.end_button, "To the end (End)")):
            button.setToolTip(tip)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space and arrows belong to the replay
        self.start_button.clicked.connect(lambda: self.seek(0))
        self.back_button.clicked.connect(lambda: self.step(-1))
        self.play_button.clicked.connect(self.toggle_play)
        self.forward_button.clicked.connect(lambda: self.step(1))
        self.end_button.clicked.connect(lambda: self.seek(len(self.recording.events)))
        self.speed = QComboBox()
        for value in SPEEDS:
            self.speed.addItem(f"{value:g}×", value)
        self.speed.setCurrentIndex(min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - speed)))
        self.speed.setToolTip("Replay speed ([ slower, ] faster)")
        self.speed.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.scrubber.setRange(0, len(self.recording.events))
        self.scrubber.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scrubber.setToolTip("Drag to any event of the recording")
        self.scrubber.valueChanged.connect(self._on_scrubbed)
        self.where = QLabel()
        self.where.setObjectName("replay-position")
        self.narration = QLabel()
        self.narration.setObjectName("replay-narration")
        self.narration.setTextFormat(Qt.TextFormat.PlainText)
        self.narration.setStyleSheet(f"font-size:{theme.px(15)}px;")
        self.narration_lines = NARRATION_LINES if self.window.height() >= SHORT_WINDOW_PX else SHORT_NARRATION_LINES
        self.narration.setMinimumHeight(self.narration.fontMetrics().lineSpacing() * self.narration_lines + 4)

        # One row of controls, the scrubber stretching between them and the position: the plots
        # below need the height more than the scrubber needs a row of its own.
        top = QHBoxLayout()
        for widget in (self.start_button, self.back_button, self.play_button, self.forward_button, self.end_button):
            top.addWidget(widget)
        top.addWidget(QLabel("speed"))
        top.addWidget(self.speed)
        top.addWidget(self.scrubber, 1)
        top.addWidget(self.where)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.narration)
        self.dock = QDockWidget(f"Replay — {self.recording.path}")
        self.dock.setObjectName("replay-dock")
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        self.dock.setWidget(body)
        self.window.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, self.dock)

    def _shortcut(self, key: Qt.Key, slot: object) -> QShortcut:
        shortcut = QShortcut(QKeySequence(key), self.window)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(slot)
        return shortcut

    # -- commands ---------------------------------------------------------------------
    @property
    def position(self) -> int:
        return self.cursor.position

    @property
    def speed_factor(self) -> float:
        return float(self.speed.currentData())

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def play(self) -> None:
        if self.cursor.at_end:
            self.seek(0)
        current = self.cursor.current
        self._clock_t = current.t if current is not None else 0.0
        self._last_tick = time.monotonic()
        self._set_playing(True)

    def pause(self) -> None:
        self._set_playing(False)

    def step(self, count: int) -> None:
        """Move ``count`` events (negative: back), pausing playback."""
        self.pause()
        self.seek(self.cursor.position + count)

    def seek(self, position: int) -> None:
        """Move to ``position`` (while playing, playing goes on from there)."""
        self._move(position)
        current = self.cursor.current
        self._clock_t = current.t if current is not None else 0.0

    def _move(self, position: int) -> None:
        rebuilt, events = self.cursor.seek(position)
        if rebuilt or events:
            self.controller.show_replayed(self.cursor.model, self.cursor.timeline,
                                          events[-LOG_ROWS:] if rebuilt else events, rebuilt)
        if rebuilt:
            self._stall_shown = self._finish_shown = False  # the views started again, without the banner
        if self.stall is not None and not self._stall_shown and self.cursor.position > self.stall.position:
            self._stall_shown = True
            self.controller.replay_stalled(self.stall.diagnosis)
        if self.finishes and not self._finish_shown and self.cursor.at_end:
            self._finish_shown = True
            self.controller.replay_reached_finish()
        self._show_position()

    def close_replay(self) -> None:
        """Stop playing and remove the panel (the window returns to live runs after a reset)."""
        self._timer.stop()
        self.playing = False
        for shortcut in self._shortcuts:
            shortcut.setEnabled(False)
            shortcut.deleteLater()
        self._shortcuts = []
        self.window.removeDockWidget(self.dock)
        self.dock.deleteLater()
        try:
            self.controller.state_changed.disconnect(self._on_state_changed)
        except (RuntimeError, TypeError):
            pass
        self.closed.emit()

    # -- internals --------------------------------------------------------------------
    def _set_playing(self, playing: bool) -> None:
        if playing == self.playing:
            return
        self.playing = playing
        if playing:
            self._timer.start()
        else:
            self._timer.stop()
        self.play_button.setText("⏸ Pause" if playing else "▶ Play")
        self.playing_changed.emit(playing)

    def _on_tick(self) -> None:
        now = time.monotonic()
        self._clock_t += (now - self._last_tick) * self.speed_factor
        self._last_tick = now
        target = self.recording.position_at(self._clock_t)
        if target > self.cursor.position:
            self._move(target)
        if self.cursor.at_end:
            self.pause()
            self.replay_finished.emit()

    def _on_scrubbed(self, value: int) -> None:
        if value != self.cursor.position:
            self.pause()
            self.seek(value)

    def _change_speed(self, steps: int) -> None:
        self.speed.setCurrentIndex(max(0, min(self.speed.count() - 1, self.speed.currentIndex() + steps)))

    def _on_state_changed(self, state: str) -> None:
        if state != REPLAYING:  # Reset, or a live run, ends the replay
            self.close_replay()

    def _show_position(self) -> None:
        cursor = self.cursor
        total = len(self.recording.events)
        self.scrubber.blockSignals(True)
        self.scrubber.setValue(cursor.position)
        self.scrubber.blockSignals(False)
        current = cursor.current
        now = current.t if current is not None else 0.0
        unit = self.recording.unit
        if unit.stepped:
            where = f"step {round(now)} of {unit.span(self.recording.duration)}"
        else:
            where = f"{now:.3f} s of {self.recording.duration:.3f} s"
        self.where.setText(f"event {cursor.position} of {total}  ·  {where}")
        self.back_button.setEnabled(cursor.position > 0)
        self.start_button.setEnabled(cursor.position > 0)
        self.forward_button.setEnabled(not cursor.at_end)
        self.end_button.setEnabled(not cursor.at_end)
        self.narration.setText("\n".join(self._narration_lines()))
        self.position_changed.emit(cursor.position, total)

    def _narration_lines(self) -> list[str]:
        """The narrated events up to the current one, newest last (the current one marked)."""
        lines: list[str] = []
        index = self.cursor.position - 1
        oldest = max(index - NARRATION_LOOKBACK, -1)
        while index > oldest and len(lines) < self.narration_lines:
            text = self.cursor.narration(index)
            if text is not None:
                event: Event = self.recording.events[index]
                marker = "▶ " if index == self.cursor.position - 1 else "   "
                lines.append(f"{marker}{self.recording.unit.at(event.t)}  #{event.seq}  {text}")
            index -= 1
        if not lines:
            lines.append("Start of the recording: press Space to play, → to step.")
        return lines[::-1]
