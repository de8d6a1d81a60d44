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
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import pyqtgraph.exporters
from PySide6.QtCore import QBuffer, QIODevice, QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from app import preferences
from app.bridge.controller import IDLE, RunController
from app.plots.svg_export import scene_svg
from core.events import Event
from core.recordings.background import BackgroundTraceWriter
from core.recordings.export import CSV, PERFETTO, export, replacing, save_trace
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
        controller.state_changed.connect(self._on_state)
        controller.run_started.connect(self._on_run_started)
        controller.recorded.connect(self._on_events)

    def _on_state(self, state: str) -> None:
        if state == IDLE:  # a reset: the run is gone from the window, and from the exports
            self._discard()

    def _on_run_started(self) -> None:
        self._discard()
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
        """Save the plots (all three, as shown) to ``path`` as ``kind`` (PNG or SVG)."""
        scene = self.plots.scene()
        if kind == PNG:
            image = pyqtgraph.exporters.ImageExporter(scene).export(toBytes=True)
            buffer = QBuffer()
            buffer.open(QIODevice.OpenModeFlag.WriteOnly)
            if not image.save(buffer, "PNG"):
                raise OSError("the plots could not be encoded as PNG")
            with replacing(path, "wb") as out:
                out.write(bytes(buffer.data()))
        elif kind == SVG:
            data = scene_svg(scene)
            with replacing(path, "wb") as out:
                out.write(data)
        else:
            raise ValueError(f"unknown plot format {kind!r}")

    def export_run(self, path: str, to: str) -> int:
        """Save the run shown (replay or live) to ``path`` as ``to``; returns the events or rows written."""
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
