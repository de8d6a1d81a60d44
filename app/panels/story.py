""""What happened": the run told in plain sentences, newest last, beside the plots.

The plots show the counts and the event log the raw records; a learner (or a class
watching a projector) also wants the story — "consumer-0 got (3, 0.42)", "main found
that all tasks are processed" — the lines ``joinscope run`` prints, as they happen.
The panel narrates with :class:`core.analysis.narrate.Narrator` every batch the controller
folds (a live run, a traced program, a replay, a step looked back at).

A busy run folds thousands of events a frame, far more than anyone can read: only
the newest :data:`LINES_PER_BATCH` of a batch are put into words (the rest are only
followed, so each ``task_done`` still names the task it finished, and a line says how
many were not told), and the text is brought up to date at most every
:data:`REFRESH_MS`, keeping :data:`STORY_LINES`.  While the reader has scrolled back,
the text holds still; it goes on when they scroll to the end.
"""
from __future__ import annotations

from collections import deque

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from app.bridge.controller import RunController
from core.analysis.narrate import Narrator, is_told
from core.events import Event

#: Lines the panel keeps; older ones drop off the top.
STORY_LINES = 300
#: The most events of one batch put into words (a view rebuilt from the start: STORY_LINES).
LINES_PER_BATCH = 100
#: How often new lines reach the text (a busy run brings hundreds a second).
REFRESH_MS = 150
TITLE = "<b>What happened</b>"
TITLE_HELD = "<b>What happened</b> — held while you read back; scroll to the end to go on"


def untold_line(count: int) -> str:
    return f"          … {count:,} more event(s), not told one by one"


class StoryPanel(QWidget):
    """The narrated run: one sentence per event, with its time, newest at the bottom."""

    def __init__(self, controller: RunController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._narrator: Narrator | None = None
        self._pending: deque[str] = deque(maxlen=STORY_LINES)
        #: How many untold events the last pending line counts (0: it is a sentence).
        self._untold_at_end = 0
        self._reset_text = False
        #: The text shows its newest line, until the reader scrolls back (and again once they
        #: scroll to the end).  Kept, not read off the scroll bar: text that wraps anew, or a
        #: long line arriving, moves the bar's end without anyone scrolling.
        self._follows = True

        self.title = QLabel(TITLE)
        self.title.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName("story")
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(STORY_LINES)
        self.text.setPlaceholderText("The run, in words, as it happens.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.flush)
        self._timer.start()
        bar = self.text.verticalScrollBar()
        # The reader's scrolls (wheel, keys, the bar's buttons, a drag) decide whether the story
        # follows; the text edit moves the bar by itself too (laying out text anew), which must not.
        bar.actionTriggered.connect(self._on_reader_scrolled)
        bar.sliderMoved.connect(self._on_reader_scrolled)
        bar.rangeChanged.connect(self._on_range_changed)
        controller.run_reset.connect(self.clear)
        controller.events_applied.connect(self.add)
        controller.state_changed.connect(self.flush)  # the end of a run is told at once

    def clear(self) -> None:
        """A new run (or a new view of one) starts from an empty story."""
        self._narrator = None
        self._pending.clear()
        self._untold_at_end = 0
        self._reset_text = True
        self._follows = True

    def add(self, events: list[Event]) -> None:
        narrator = self._narrator_now()
        limit = STORY_LINES if self._reset_text else LINES_PER_BATCH
        told = 0
        cut = len(events)
        # Walk back to the newest events worth a line; follow the ones before.
        while cut > 0 and told < limit:
            cut -= 1
            if is_told(events[cut]):
                told += 1
        untold = narrator.follow(events[:cut])
        if untold:
            self._note_untold(untold)
        for event in events[cut:]:
            line = narrator.line(event)
            if line is not None:
                self._pending.append(f"{narrator.unit.at(event.t)}  {line}")
                self._untold_at_end = 0

    def _note_untold(self, count: int) -> None:
        if self._untold_at_end and self._pending:
            self._pending.pop()
            count += self._untold_at_end
        self._pending.append(untold_line(count))
        self._untold_at_end = count

    @property
    def following(self) -> bool:
        """Whether the text follows its newest line (the reader has not scrolled back)."""
        return self._follows

    def flush(self) -> None:
        """Bring the text up to date with the lines narrated since the last time, unless the
        reader has scrolled back: then the text holds still, and the newest lines wait."""
        if not self._pending and not self._reset_text:
            if self._follows:
                self._scroll_to_end()  # the text edit may have moved it by itself (laying text out anew)
            return
        reset = self._reset_text
        if not reset and not self.following:
            self.title.setText(TITLE_HELD)
            return
        text = "\n".join(self._pending)
        self._pending.clear()
        self._untold_at_end = 0
        self._reset_text = False
        if reset:
            self.text.setPlainText(text)
        else:
            self.text.appendPlainText(text)
        self.title.setText(TITLE)
        self._scroll_to_end()

    def _scroll_to_end(self) -> None:
        bar = self.text.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _on_reader_scrolled(self, *_: object) -> None:
        bar = self.text.verticalScrollBar()
        self._follows = bar.sliderPosition() >= bar.maximum() - 1  # the action's place; value comes next
        if self._pending and self._follows:
            QTimer.singleShot(0, self.flush)

    def _on_range_changed(self, low: int, high: int) -> None:
        if self._follows:  # new lines, or the old ones wrapped anew: still at the end
            self._scroll_to_end()

    def story(self) -> str:
        """Everything the panel tells, shown or waiting (for tests and the curious)."""
        self.flush()
        shown = self.text.toPlainText()
        return "\n".join([shown, *self._pending]) if self._pending else shown

    def _narrator_now(self) -> Narrator:
        """The narrator of the run the controller shows now (a new one after each reset)."""
        model = self.controller.model
        unit = self.controller.unit
        if self._narrator is None or self._narrator.model is not model or self._narrator.unit is not unit:
            config = self.controller.config
            self._narrator = Narrator(model, config.maxsize if config else 0,
                                      config.backend if config else "process", unit)
        return self._narrator
