""""What happened": the run told in plain sentences, newest last, beside the plots.

The plots show the counts and the event log the raw records; a learner (or a class
watching a projector) also wants the story — "consumer-0 got (3, 0.42)", "main found
that all tasks are processed" — the lines ``joinscope run`` prints, as they happen.
The panel narrates with :class:`core.narrate.Narrator` every batch the controller
folds (a live run, a traced program, a replay, a step looked back at).

A busy run folds thousands of events a frame, far more than anyone can read: only
the newest :data:`LINES_PER_BATCH` of a batch are put into words (the rest are only
followed, so each ``task_done`` still names the task it finished), and the text is
brought up to date at most every :data:`REFRESH_MS`, keeping :data:`STORY_LINES`.
"""
from __future__ import annotations

from collections import deque

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from app.controller import RunController
from core.events import Event
from core.narrate import NARRATED_KINDS, Narrator

#: Lines the panel keeps; older ones drop off the top.
STORY_LINES = 300
#: The most events of one batch put into words.
LINES_PER_BATCH = 100
#: How often new lines reach the text (a busy run brings hundreds a second).
REFRESH_MS = 150


class StoryPanel(QWidget):
    """The narrated run: one sentence per event, with its time, newest at the bottom."""

    def __init__(self, controller: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._narrator: Narrator | None = None
        self._pending: deque[str] = deque(maxlen=STORY_LINES)
        self._reset_text = False

        title = QLabel("<b>What happened</b>")
        self.text = QPlainTextEdit()
        self.text.setObjectName("story")
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(STORY_LINES)
        self.text.setFont(QFont(self.text.font().family(), max(self.text.font().pointSize(), 11)))
        self.text.setPlaceholderText("The run, in words, as it happens.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.text, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.flush)
        self._timer.start()
        controller.run_reset.connect(self.clear)
        controller.events_applied.connect(self.add)
        controller.state_changed.connect(self.flush)  # the end of a run is told at once

    def clear(self) -> None:
        """A new run (or a new view of one) starts from an empty story."""
        self._narrator = None
        self._pending.clear()
        self._reset_text = True

    def add(self, events: list[Event]) -> None:
        narrator = self._narrator_now()
        narrated = 0
        cut = len(events)
        # Walk back to the newest LINES_PER_BATCH events worth a line; follow the ones before.
        while cut > 0 and narrated < LINES_PER_BATCH:
            cut -= 1
            if events[cut].kind in NARRATED_KINDS:
                narrated += 1
        narrator.follow(events[:cut])
        for event in events[cut:]:
            line = narrator.line(event)
            if line is not None:
                self._pending.append(f"{event.t:7.3f} s  {line}")

    def flush(self) -> None:
        """Bring the text up to date with the lines narrated since the last time; it keeps
        showing the newest line unless the reader has scrolled back."""
        if not self._pending and not self._reset_text:
            return
        bar = self.text.verticalScrollBar()
        follow = self._reset_text or bar.value() >= bar.maximum() - 2
        text = "\n".join(self._pending)
        self._pending.clear()
        if self._reset_text:
            self._reset_text = False
            self.text.setPlainText(text)
        else:
            self.text.appendPlainText(text)
        if follow:
            bar.setValue(bar.maximum())

    def story(self) -> str:
        """Everything the panel tells, shown or about to be (for tests and the curious)."""
        self.flush()
        return self.text.toPlainText()

    def _narrator_now(self) -> Narrator:
        """The narrator of the run the controller shows now (a new one after each reset)."""
        model = self.controller.model
        if self._narrator is None or self._narrator.model is not model:
            config = self.controller.config
            self._narrator = Narrator(model, config.maxsize if config else 0, config.backend if config else "process")
        return self._narrator
