"""The window's File menu: open a recording (or a recent one), export the plots (PNG,
SVG) and the run (JoinScope trace, Perfetto trace-event JSON, CSV).

A live run's events are not kept in memory (the window keeps a few bytes per
event): :class:`RunRecorder` appends them to a trace file in a private temporary
folder as they are shown (written on a thread of its own, about 140 bytes of disk an
event, up to :data:`RECORD_LIMIT_EVENTS`), and the run exports read that file back.  A replay
exports its recording.  Every export goes to a temporary file that replaces the
destination only when complete.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from app import preferences
from app.bridge.controller import IDLE, RunController
from app.panels.replay import traced_program
from app.plots.export_image import RunPicture, save_png, save_svg
from core.backends import describe
from core.events import Event
from core.recordings.background import BackgroundTraceWriter
from core.recordings.export import CSV, PERFETTO, export, save_trace
from core.recordings.outputs import is_same_file, replacing
from core.recordings.replay import Recording, load_recording
from core.recordings.trace import TraceError, TraceReader, trace_header

if TYPE_CHECKING:
    from app.plots.run_plots import RunPlots

PNG, SVG, TRACE = "png", "svg", "trace"
#: (what, file dialog filter, default suffix) of each run export.
RUN_FORMATS = {
    TRACE: ("JoinScope trace", "JoinScope trace (*.jsonl)", ".jsonl"),
    PERFETTO: ("Perfetto trace", "Trace-event JSON (*.json)", ".perfetto.json"),
    CSV: ("CSV", "CSV (*.csv)", ".csv"),
}
PLOT_FORMATS = {PNG: "PNG image (*.png)", SVG: "SVG drawing (*.svg)"}
#: The most events a live run keeps for export (about 140 bytes each on disk); past it,
#: recording stops and the window says to record with ``joinscope run --record`` instead.
RECORD_LIMIT_EVENTS = 2_000_000


class RunRecorder(QObject):
    """Records the live run's events, as the window shows them, to a temporary trace."""

    def __init__(self, controller: RunController) -> None:
        super().__init__(controller)
        self.controller = controller
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._writer: BackgroundTraceWriter | None = None
        self.path: str | None = None
        self.problem: str | None = None
        #: When the run began (seconds since the epoch): an exported picture says so.
        self.started_at: float | None = None
        controller.state_changed.connect(self._on_state)
        controller.run_started.connect(self._on_run_started)
        controller.recorded.connect(self._on_events)

    def _on_state(self, state: str) -> None:
        if state == IDLE:  # a reset: the run is gone from the window, and from the exports
            self._discard()

    def _on_run_started(self) -> None:
        self._discard()
        self.started_at = time.time()
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="joinscope-run-")
        self.path = os.path.join(self._folder.name, "run.jsonl")
        self.problem = None
        try:
            self._writer = BackgroundTraceWriter(self.path, trace_header(self.controller.config))
        except OSError as error:
            self._fail(f"cannot record the run for export: {error.strerror or error}")

    def _on_events(self, events: list[Event]) -> None:
        if self._writer is None:
            return
        if self._writer.problem is not None:
            self._fail(self._writer.problem)
        elif self._writer.events_handed + len(events) > RECORD_LIMIT_EVENTS:
            self._fail(f"the run passed {RECORD_LIMIT_EVENTS:,} events, too many to keep for export "
                       f"(record long runs with joinscope run --record FILE)")
        else:
            self._writer.write(events)

    def written_path(self) -> str:
        """The trace of the run so far, once every event shown is in it (exports read it)."""
        if self._writer is not None:
            self._writer.sync()
            if self._writer.problem is not None:
                self._fail(self._writer.problem)
        if self.path is None:
            raise ValueError(self.problem or "there is no run to export yet")
        return self.path

    def _fail(self, problem: str) -> None:
        self._discard()
        self.problem = problem

    def _discard(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self.path is not None and os.path.exists(self.path):
            os.unlink(self.path)
        self.path = None

    def close(self) -> None:
        self._discard()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None


class ExportMenu(QObject):
    """The File menu of ``window`` and the exports behind it (callable without dialogs).

    It exports what ``controller`` runs, or the recording ``shown_recording()`` returns
    while one is replayed; ``plots`` as they are drawn; and it hands a recording the user
    opens to ``open_replay``, which says whether it could be shown."""

    def __init__(self, window: QMainWindow, controller: RunController, plots: RunPlots,
                 open_replay: Callable[[Recording], bool], shown_recording: Callable[[], Recording | None]) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.plots = plots
        self._open_replay = open_replay
        self._shown_recording = shown_recording
        self.recorder = RunRecorder(controller)
        menu = window.menuBar().addMenu("&File")
        self.menu = menu
        self.open_action = self._add("Open recording…", QKeySequence.StandardKey.Open, self._on_open)
        self.recent_menu = menu.addMenu("Open recent")
        self.recent_menu.aboutToShow.connect(self._list_recent)
        menu.addSeparator()
        self.plot_actions = {kind: self._add(f"Export plots as {kind.upper()}…", None,
                                             lambda _=False, kind=kind: self._on_export_plots(kind))
                             for kind in PLOT_FORMATS}
        menu.addSeparator()
        save = QKeySequence.StandardKey.Save
        self.run_actions = {to: self._add(f"Export run as {what}…", save if to == TRACE else None,
                                          lambda _=False, to=to: self._on_export_run(to))
                            for to, (what, _, _) in RUN_FORMATS.items()}
        menu.aboutToShow.connect(self._update_actions)

    def _add(self, text: str, key: QKeySequence.StandardKey | None, slot: Callable[..., None]) -> QAction:
        action = self.menu.addAction(text)
        if key is not None:
            action.setShortcut(QKeySequence(key))
        action.triggered.connect(slot)
        return action

    def close(self) -> None:
        self.recorder.close()

    # -- what there is to export ----------------------------------------------------------
    def has_run(self) -> bool:
        return self._shown_recording() is not None or self.recorder.path is not None

    def _update_actions(self) -> None:
        for action in self.run_actions.values():
            action.setEnabled(self.has_run())
        self.recent_menu.setEnabled(bool(preferences.recent_recordings()))

    def _list_recent(self) -> None:
        """File ▸ Open recent: the recordings opened or saved lately, newest first (Alt+1…)."""
        self.recent_menu.clear()
        for number, path in enumerate(preferences.recent_recordings(), start=1):
            action = self.recent_menu.addAction(f"&{number}  {os.path.basename(path).replace('&', '&&')}")
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, path=path: self.open_recording(path))

    # -- exports, without dialogs ---------------------------------------------------------
    def export_plots(self, path: str, kind: str) -> None:
        """Save the plots to ``path`` as ``kind`` (PNG or SVG): the whole run so far under a
        heading and the legends (see :mod:`app.plots.export_image`); the window's view stays as it is."""
        self._refuse_the_recording_shown(path)
        save = {PNG: save_png, SVG: save_svg}.get(kind)
        if save is None:
            raise ValueError(f"unknown plot format {kind!r}")
        controller = self.controller
        title, details = self.heading()
        save(RunPicture(controller.timeline, controller.model, controller.unit, controller.run_time_now(),
                        title, details), path)

    def heading(self) -> tuple[str, str]:
        """What a picture of the plots is titled: the window's title (the scenario and what its
        actors are, the recording replayed or the program traced), and a line of details: the
        scenario, how long the run was shown for, and when it ran (a recording: when it was saved)."""
        title = self.window.windowTitle().replace(" — ", " · ", 1)
        recording = self._shown_recording()
        model = self.controller.model
        if recording is None and not model.events_seen:
            return title, "no run yet"
        config = recording.config if recording is not None else self.controller.config
        details = []
        if config is not None:
            program = traced_program(recording) if recording is not None else None
            if program is not None:
                details.append(f"tracing {program}")
            elif config.title not in title:  # a traced program's title is its command line, in the title
                details.append(config.title if f"{config.name}:" in title else f"{config.name}: {config.title}")
            if recording is not None and program is None:
                details.append(describe(config.backend).actors_on_queue())
        if model.events_seen:
            end = max(model.last_t, self.controller.run_time_now() or 0.0)
            details.append(f"{self.controller.unit.span(end)}, {model.events_seen:,} events")
        when = self._when(recording)
        if when:
            details.append(when)
        return title, " · ".join(details)

    def _when(self, recording: Recording | None) -> str | None:
        if recording is not None:
            try:
                saved = os.path.getmtime(recording.path)
            except OSError:
                return None
            return f"recorded {_moment(saved)}"
        if self.recorder.started_at is None:
            return None
        return f"run {_moment(self.recorder.started_at)}"

    def _refuse_the_recording_shown(self, path: str) -> None:
        """Exporting over the file being replayed would lose the recording."""
        recording = self._shown_recording()
        if recording is not None and is_same_file(path, recording.path):
            raise ValueError(f"{path} is the recording shown: exporting over it would lose it "
                             "(choose another name)")

    def export_run(self, path: str, to: str) -> int:
        """Save the run shown (replay or live) to ``path`` as ``to``; returns the events or rows written."""
        self._refuse_the_recording_shown(path)
        recording = self._shown_recording()
        if recording is not None:
            header, events, title = recording.header, recording.events, f"JoinScope · {recording.config.name}"
            return self._export(header, events, path, to, title)
        recorded = self.recorder.written_path()
        config = self.controller.config
        title = f"JoinScope · {config.name if config is not None else 'run'}"
        if to == TRACE:
            with open(recorded, "rb") as source, replacing(path, "wb") as out:
                shutil.copyfileobj(source, out)
            preferences.remember_recording(path)
            return self.controller.model.events_seen
        with TraceReader(recorded) as reader:
            return self._export(reader.header, reader, path, to, title)

    @staticmethod
    def _export(header: dict, events: Iterable[Event], path: str, to: str, title: str) -> int:
        if to == TRACE:
            written = save_trace(header, events, path)
            preferences.remember_recording(path)
            return written
        return export(events, to, path, title)

    # -- menu actions, with dialogs -------------------------------------------------------
    def _on_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a recording", "",
                                              "JoinScope trace (*.jsonl);;All files (*)")
        if path:
            self.open_recording(path)

    def open_recording(self, path: str) -> None:
        """Replay the recording at ``path``, or say in a dialog why it cannot be."""
        try:
            recording = load_recording(path)
        except TraceError as error:
            self._complain("This file cannot be replayed", str(error))
            return
        except OSError as error:
            self._complain("This file cannot be read", f"{path}: {error.strerror or error}")
            return
        if not self._open_replay(recording):
            self._complain("A run is going on", "Stop the run before opening a recording.")
            return
        for warning in recording.warnings:
            self.window.statusBar().showMessage(warning, 10_000)

    def _on_export_plots(self, kind: str) -> None:
        path = self._ask(f"Export the plots as {kind.upper()}", f"joinscope-plots.{kind}", PLOT_FORMATS[kind])
        if path:
            self._attempt(lambda: self.export_plots(path, kind), f"Saved the plots to {path}")

    def _on_export_run(self, to: str) -> None:
        if not self.has_run():
            self._complain("Nothing to export", self.recorder.problem or "Start a run or open a recording first.")
            return
        what, pattern, suffix = RUN_FORMATS[to]
        path = self._ask(f"Export the run as {what}", f"joinscope-run{suffix}", pattern)
        if path:
            self._attempt(lambda: self.export_run(path, to), f"Saved the run to {path}")

    def _ask(self, title: str, name: str, pattern: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.window, title, name, pattern)
        return path

    def _attempt(self, work: Callable[[], object], done: str) -> None:
        try:
            work()
        except (OSError, ValueError) as error:  # TraceError is a ValueError
            self._complain("The export failed", str(error))
            return
        self.window.statusBar().showMessage(done, 8000)

    def _complain(self, title: str, text: str) -> None:
        QMessageBox.warning(self.window, title, text)


def _moment(seconds: float) -> str:
    """A moment as people read it, in local time: ``2 June 2025, 14:03``."""
    moment = time.localtime(seconds)
    return f"{moment.tm_mday} {time.strftime('%B %Y, %H:%M', moment)}"

