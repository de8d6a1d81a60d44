"""The teaching panel: step through a real run with its code, a narration and questions.

Docked at the right of the main window while a run is in step mode (``--step``, or
the "Step through" box before Start).  Every actor waits before each operation;
the panel lets one go at a time — the next in turn (Step), the one clicked in the
list or in its swimlane — or plays steps at a chosen rate.  The code panel shows
the functions that really run, each actor's line in its colour; the narration
says what the last step did and why; the quiz asks first and judges the answer by
what really happened.  Going back (←, the scrubber) shows the run as it was after
an earlier step; the processes keep their place, and → or End come back.

Keys: S step · P play/pause · ← / → a step back / forward · End the present · Q the quiz · F fix it.
"""
from __future__ import annotations

import html
import inspect
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QSlider,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app import theme
from app.appearance import appearance
from app.bridge.controller import FINISHED_STATE, IDLE, REPLAYING, STALLED, STEPPING, STOPPED, RunController
from app.widgets import LabelledSlider, state_swatch
from core.analysis.model import BLOCKED_PUT, JOINING_PROCESS, WAITING_GET, WAITING_JOIN, WORKING, RunModel
from core.events import CONSUMER, MAIN_ACTOR, PRODUCER
from core.program.functions import actor_functions
from core.scenarios import ScenarioConfig
from core.stepping.stepper import step_order
from core.teaching.fixes import FIXES
from core.teaching.lesson import ASKED, REFUSED, STEPPED, Lesson
from core.teaching.quiz import Question, Score
from core.teaching.step_narration import StepNarrator, Whereabouts

#: What the step panel says before a stepped run starts.
PREVIEW_TEXT = ("Press Start (Ctrl+R) to begin. Every actor (main, the producers, the consumers) will pause "
                "before its first put(), get(), task_done() or join(); then S lets the next one go, P plays, "
                "← and → look back and forth, and Q asks you to predict each step.")
#: Steps per second that Play offers.
PLAY_RATES = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
#: The step panel's narrowest: its buttons in a row, the code lines readable (scrolled sideways past that).
DOCK_MIN_WIDTH_PX = 420
REFRESH_MS = 150
_OVER = (FINISHED_STATE, STALLED, STOPPED)


def actor_badge(name: str, names: list[str]) -> str:
    """An actor's badge (①, ②, …) in the step list and the code: who is who without a colour, as
    every colour already says an actor's state (app/theme.py)."""
    return theme.ACTOR_BADGES[names.index(name) % len(theme.ACTOR_BADGES)] if name in names else "•"


def _anchor(function: str, line: int) -> str:
    return f"{function}-{line}"


class CodeView(QTextBrowser):
    """The source of the functions the actors run, with each actor's current line marked."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("step-code")
        self.setOpenLinks(False)
        self._functions: dict[str, tuple[int, list[str]]] = {}
        self._files: dict[str, str] = {}
        self.marks: dict[tuple[str, int], list[str]] = {}

    def set_functions(self, functions: list[Callable[..., None]]) -> None:
        self._functions = {}
        for function in functions:
            if function.__name__ not in self._functions:
                lines, first = inspect.getsourcelines(function)
                self._functions[function.__name__] = (first, [line.rstrip("\n") for line in lines])
                self._files[function.__name__] = function.__module__.replace(".", "/") + ".py"
        self.show_places({}, [])

    def line_text(self, function: str, line: int) -> str:
        first, lines = self._functions[function]
        return lines[line - first]

    def show_places(self, places: dict[str, Whereabouts], names: list[str], focus: str | None = None) -> None:
        """Mark each actor's line (its badge and what it does there, on a line of its own under the
        code, so a narrow panel cuts neither), and scroll to ``focus``'s line (default: the first).
        A line an actor is paused before is shaded; one it is inside (blocked, working) is not."""
        marks: dict[tuple[str, int], list[str]] = {}
        for actor in step_order(places):
            place = places[actor]
            marks.setdefault((place.function, place.line), []).append(actor)
        self.marks = marks
        shade, quiet = theme.scheme().shade, theme.scheme().quiet
        rows = []
        for name, (first, lines) in self._functions.items():
            rows.append(f'<p style="font-family:monospace; font-size:{theme.px(12)}px; color:{quiet}; '
                        f'margin:4px 0 0 0;"># {html.escape(self._files[name])}, {html.escape(name)}()</p>')
            for offset, text in enumerate(lines):
                number = first + offset
                actors = marks.get((name, number), [])
                # pre-wrap: a long line (a comment) wraps in a narrow panel instead of running out of it.
                style = f"white-space:pre-wrap; font-family:monospace; font-size:{theme.px(14)}px; margin:0;"
                anchor = ""
                if actors:
                    anchor = f'<a name="{_anchor(name, number)}"></a>'
                    if any(places[a].paused for a in actors):
                        style += f" background:{shade}; font-weight:bold;"
                rows.append(f'<p style="{style}">{anchor}<span style="color:{quiet}">{number:>4}  </span>'
                            f'{html.escape(text) or " "}</p>')
                for actor in actors:
                    doing = f"▶ next: {places[actor].operation}()" if places[actor].paused else "○ inside this call"
                    who = f"{actor_badge(actor, names)} {html.escape(actor)}"
                    rows.append(f'<p style="white-space:pre; font-family:monospace; font-size:{theme.px(13)}px; '
                                f'margin:0;">      <b>▲ {who} {doing}</b></p>')
        self.setHtml("".join(rows))
        target = places.get(focus) if focus is not None else None
        if target is None and marks:
            function, line = next(iter(marks))
        elif target is not None:
            function, line = target.function, target.line
        else:
            return
        self.scrollToAnchor(_anchor(function, line))


class TeachingPanel(QObject):
    """Step controls, the code, the narration and the quiz, for the window's stepped run.

    The rules are the :class:`core.teaching.lesson.Lesson`'s; the panel draws it and
    forwards clicks and keys to it."""

    #: A step was judged: (right?, the right answer).
    answered = Signal(bool, str)
    #: The story shown changed.
    story_changed = Signal(str)
    #: The learner asked to see this pitfall fixed (a :class:`core.teaching.fixes.Fix`).
    fix_requested = Signal(object)

    def __init__(self, window: QMainWindow, controller: RunController) -> None:
        """Docked in ``window``, stepping the run of ``controller``."""
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.lesson = Lesson(controller, StepNarrator(RunModel()))
        self._lanes: list[str] = []
        self._build()
        self._play_timer = QTimer(self)
        self._play_timer.timeout.connect(self._on_play_tick)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        #: The panel shows what is coming, before a stepped run starts (see :meth:`preview`).
        self._previewing = False
        self._shortcuts = [self._shortcut(key, slot) for key, slot in (
            ("S", lambda: self.step()), ("P", self.toggle_play), (Qt.Key.Key_Left, self.back),
            (Qt.Key.Key_Right, self.forward), (Qt.Key.Key_End, self.to_present),
            ("Q", self.quiz.toggle), ("F", self.show_fix))]
        self.controller.run_started.connect(self._on_run_started)
        self.controller.live_events.connect(self._on_live_events)
        self.controller.state_changed.connect(self._on_state_changed)
        self.controller.viewing_changed.connect(lambda _: self.refresh())
        self.controller.stalled.connect(self._on_stalled)
        self.dock.hide()
        self._enable_keys()

    @property
    def narrator(self) -> StepNarrator:
        return self.lesson.narrator

    @property
    def score(self) -> Score:
        return self.lesson.score

    @property
    def question(self) -> Question | None:
        return self.lesson.question

    # -- building -----------------------------------------------------------------------
    def _build(self) -> None:
        self.step_button = QPushButton("Step ▶")
        self.play_button = QPushButton("Play")
        self.back_button = QPushButton("◀ Back")
        self.forward_button = QPushButton("Forward ▶")
        self.present_button = QPushButton("Now")
        for button in (self.step_button, self.play_button, self.back_button, self.forward_button, self.present_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.step_button.setToolTip("Let the next actor in turn make its operation (S)")
        self.play_button.setToolTip("Step by itself at the play speed, or stop (P)")
        self.back_button.setToolTip("Show the run as it was one step earlier; the actors keep their place (←)")
        self.forward_button.setToolTip("Show the next step again, or take a new one at the present (→)")
        self.present_button.setToolTip("Back to the present step (End)")
        self.step_button.clicked.connect(lambda: self.step())
        self.play_button.clicked.connect(self.toggle_play)
        self.back_button.clicked.connect(self.back)
        self.forward_button.clicked.connect(self.forward)
        self.present_button.clicked.connect(self.to_present)
        self.rate = LabelledSlider("Play speed", PLAY_RATES, text=lambda v: f"{v:g} step{'' if v == 1 else 's'}/s")
        self.rate.set_value(1.0)
        self.rate.value_changed.connect(self._on_rate_changed)
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.scrubber.setObjectName("step-scrubber")
        self.scrubber.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scrubber.setToolTip("Drag back to see the run after any earlier step")
        self.scrubber.valueChanged.connect(self._on_scrubbed)
        self.where = QLabel()
        self.pending = QListWidget()
        self.pending.setObjectName("step-pending")
        self.pending.setToolTip("Click an actor that is about to make an operation to let it go")
        self.pending.itemClicked.connect(self._on_pending_clicked)
        rows = self.pending.fontMetrics().lineSpacing() + 6
        self.pending.setMinimumHeight(3 * rows + 6)
        self.pending.setMaximumHeight(4 * rows + 6)
        self.narration = QLabel()
        self.narration.setObjectName("step-narration")
        self.narration.setWordWrap(True)
        self.narration.setTextFormat(Qt.TextFormat.PlainText)
        self.narration.setMinimumHeight(90)
        self.narration.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.quiz = QCheckBox("Quiz: predict before each step (Q)")
        self.quiz.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.quiz.toggled.connect(self._on_quiz_toggled)
        self.question_label = QLabel()
        self.question_label.setWordWrap(True)
        self.answers = QHBoxLayout()
        self.answer_buttons: list[QPushButton] = []
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.score_label = QLabel()
        self.fix_button = QPushButton("Fix it…")
        self.fix_button.setToolTip("Run this pitfall and its corrected program side by side (F)")
        self.fix_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.fix_button.clicked.connect(self.show_fix)
        self.code = CodeView()

        buttons = QHBoxLayout()
        for widget in (self.step_button, self.play_button, self.back_button, self.forward_button, self.present_button):
            buttons.addWidget(widget)
        quiz_row = QHBoxLayout()
        quiz_row.addWidget(self.quiz)
        quiz_row.addStretch(1)
        quiz_row.addWidget(self.score_label)
        quiz_row.addWidget(self.fix_button)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addLayout(buttons)
        layout.addWidget(self.rate)
        layout.addWidget(self.scrubber)
        layout.addWidget(self.where)
        layout.addWidget(self.pending)
        layout.addWidget(self.narration)
        layout.addLayout(quiz_row)
        layout.addWidget(self.question_label)
        layout.addLayout(self.answers)
        layout.addWidget(self.verdict)
        layout.addWidget(self.code, 1)
        self.dock = QDockWidget("Step through")
        self.dock.setObjectName("teaching-dock")
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        self.dock.setWidget(body)
        self._restyle()
        appearance().changed.connect(self._restyle)
        self.dock.setMinimumWidth(DOCK_MIN_WIDTH_PX)
        self.window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)

    def _restyle(self) -> None:
        """Text sizes at the zoom now, and grounds and colours of the scheme now (light or dark)."""
        scheme = theme.scheme()
        self.narration.setStyleSheet(f"font-size:{theme.px(16)}px; padding:6px; background:{scheme.shade};")
        self.question_label.setStyleSheet(f"font-size:{theme.px(15)}px; font-weight:bold; color:{scheme.question};")
        self.verdict.setStyleSheet(f"font-size:{theme.px(15)}px;")
        if self.controller.stepping:
            self.refresh()  # the code marks and the verdict, drawn anew

    def _shortcut(self, key: object, slot: Callable[[], None]) -> QShortcut:
        shortcut = QShortcut(QKeySequence(key), self.window)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(slot)
        return shortcut

    # -- a run in step mode ---------------------------------------------------------------
    def _enable_keys(self) -> None:
        """The panel's keys work only while a stepped run is shown (the replay panel uses ← → End too)."""
        active = self.controller.stepping and self.controller.state != REPLAYING and self.dock.isVisible()
        for shortcut in self._shortcuts:
            shortcut.setEnabled(active)
        if self._previewing and self.dock.isVisible() and not active:
            self._shortcuts[0].setEnabled(True)  # S before Start says what to do

    def _on_run_started(self) -> None:
        self._previewing = False
        if not self.controller.stepping:
            self.dock.hide()
            self._refresh_timer.stop()
            return
        config = self.controller.config
        assert config is not None
        self.lesson = Lesson(self.controller, StepNarrator(self.controller.model, config.maxsize, config.backend))
        self.lesson.quiz = self.quiz.isChecked()
        self._show_question()
        functions = actor_functions(config)
        self.code.set_functions([functions[role] for role in (MAIN_ACTOR, PRODUCER, CONSUMER)])
        self.fix_button.setVisible(config.name in FIXES)
        self.dock.show()
        self._enable_keys()
        self._refresh_timer.start()
        self.refresh()

    def _on_live_events(self, events: list) -> None:
        verdict = self.lesson.feed(events)
        if verdict is not None:
            self.answered.emit(verdict.right, verdict.correct)
        self.refresh()

    def _on_stalled(self, diagnosis: str) -> None:
        if self.controller.stepping:
            self.lesson.stall = diagnosis
            self.refresh()

    def _on_state_changed(self, state: str) -> None:
        if state in _OVER:
            self.pause()
            self._refresh_timer.stop()
        if state in (IDLE, REPLAYING):
            self.pause()
            self.dock.hide()
        self._enable_keys()
        self.refresh()

    def _on_quiz_toggled(self, on: bool) -> None:
        self.lesson.quiz = on

    # -- commands ---------------------------------------------------------------------------
    def preview(self, config: ScenarioConfig | None) -> None:
        """Before a stepped run starts (step mode picked, or ``joinscope gui --step``): the panel
        shows what is coming and what to press; ``None``: step mode is off again."""
        if self.controller.stepping and self.controller.state not in (IDLE, *_OVER):
            return
        if config is None or config.pooled:
            self._previewing = False
            if not self.controller.stepping or self.controller.state == IDLE:
                self.dock.hide()
            self._enable_keys()
            return
        self._previewing = True
        functions = actor_functions(config)
        self.code.set_functions([functions[role] for role in (MAIN_ACTOR, PRODUCER, CONSUMER)])
        self.narration.setText(PREVIEW_TEXT)
        for button in (self.step_button, self.play_button, self.back_button, self.forward_button,
                       self.present_button):
            button.setEnabled(False)
        self.pending.clear()
        self.where.setText("")
        self.dock.show()
        self._enable_keys()

    def step(self, actor: str | None = None) -> bool:
        """Let ``actor`` (default: the next in turn) go — after asking the quiz question, if any."""
        if not self.controller.stepping or self.controller.state == IDLE:
            self.controller.refused.emit("Press Start (Ctrl+R) first: the actors pause before their first "
                                         "operation, then S lets one go")
            return False
        attempt = self.lesson.step(actor)
        if attempt.outcome == REFUSED:
            self.controller.refused.emit(attempt.why)
        elif attempt.outcome == ASKED:
            self.pause()
            self._show_question()
        self.refresh()
        return attempt.outcome == STEPPED

    def ready(self, places: dict[str, Whereabouts] | None = None) -> dict[str, tuple]:
        """The actors that may be stepped now (see :meth:`core.teaching.lesson.Lesson.ready`)."""
        return self.lesson.ready(places)

    def toggle_play(self) -> None:
        if self._play_timer.isActive():
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        if self.controller.state != STEPPING:
            return
        self._play_timer.start(int(1000 / float(self.rate.value())))
        self.play_button.setText("Pause")

    def pause(self) -> None:
        self._play_timer.stop()
        self.play_button.setText("Play")

    def back(self) -> None:
        self.lesson.back()

    def forward(self) -> None:
        if self.controller.viewing is None:
            self.step()
        else:
            self.lesson.forward()

    def to_present(self) -> None:
        self.lesson.to_present()

    def view_step(self, number: int) -> None:
        """Show the run as it was after step ``number`` (0: before the first; the last: the present)."""
        self.lesson.view_step(number)

    def shown_step(self) -> int:
        """The number of the step the display stands after."""
        return self.lesson.shown_step()

    # -- the quiz -----------------------------------------------------------------------------
    def _show_question(self) -> None:
        """The question asked (if any) and its answer buttons."""
        for button in self.answer_buttons:
            self.answers.removeWidget(button)
            button.deleteLater()
        self.answer_buttons = []
        question = self.lesson.question
        self.question_label.setText(question.text if question is not None else "")
        if question is None:
            return
        for number, choice in enumerate(question.choices, start=1):
            # Answered from the keyboard too: 1, 2, 3… (a projector's clicker has no mouse).
            button = QPushButton(f"{number}  {choice}")
            button.setShortcut(QKeySequence(str(number)))
            button.setToolTip(f"Answer {choice!r} ({number})")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, given=choice: self.answer(given))
            self.answers.addWidget(button)
            self.answer_buttons.append(button)

    def answer(self, given: str) -> None:
        """Take ``given`` as the answer to the question shown, and make the step it is about."""
        self.lesson.answer(given)
        self._show_question()
        self.refresh()

    # -- showing ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Bring the controls, the list of actors, the code marks and the narration up to date."""
        if not self.controller.stepping:
            return
        lesson = self.lesson
        verdict = lesson.judge_if_over()
        if verdict is not None:
            self.answered.emit(verdict.right, verdict.correct)
        steps = lesson.steps
        number = lesson.shown_step()
        self.scrubber.blockSignals(True)
        self.scrubber.setRange(0, len(steps))
        self.scrubber.setValue(number)
        self.scrubber.blockSignals(False)
        places = lesson.places()
        model = self.controller.model
        self._lanes = step_order(model.actors)
        self.code.show_places(places, self._lanes, focus=self.controller.next_in_turn())
        viewing = self.controller.viewing
        ready = lesson.ready(places) if viewing is None else {}
        self._show_pending(places, model, ready)
        story = lesson.story()
        if story != self.narration.text():
            self.narration.setText(story)
            self.story_changed.emit(story)
        state = self.controller.state
        controls = lesson.controls(ready, over=None if self.controller.stepping_now else state)
        self.where.setText(controls.where)
        self.step_button.setEnabled(controls.step)
        self.play_button.setEnabled(controls.play)
        self.back_button.setEnabled(controls.back)
        self.forward_button.setEnabled(controls.forward)
        self.present_button.setEnabled(controls.present)
        self.score_label.setText(f"Quiz: {lesson.score}" if lesson.score.asked else "")
        self._show_verdict()
        for label in (self.question_label, self.verdict):
            label.setVisible(bool(label.text()))

    def _show_verdict(self) -> None:
        verdict, waiting = self.lesson.verdict, self.lesson.awaiting_verdict
        if verdict is not None:
            self.verdict.setText(("✔ Right! " if verdict.right else f"✘ Not quite: the answer is {verdict.correct}. ")
                                 + verdict.story)
            colour = theme.scheme().right if verdict.right else theme.scheme().wrong
            self.verdict.setStyleSheet(f"font-size:{theme.px(15)}px; color:{colour};")
        elif waiting is not None:
            self.verdict.setText(f"You said {waiting}. Let's see…")
            self.verdict.setStyleSheet(f"font-size:{theme.px(15)}px;")
        else:
            self.verdict.setText("")

    def _show_pending(self, places: dict[str, Whereabouts], model: RunModel, ready: dict[str, tuple]) -> None:
        self.pending.clear()
        for actor in step_order(places):
            place = places[actor]
            target = f"{place.target}." if place.target else ""
            badge = actor_badge(actor, self._lanes)
            if place.paused:
                text = (f"{badge} {actor} is about to call {target}{place.operation}()   — {place.function}, "
                        f"line {place.line}")
            else:
                state = model.actors[actor].state if actor in model.actors else ""
                text = {WAITING_GET: f"{badge} {actor} is blocked in get(): the queue is empty",
                        BLOCKED_PUT: f"{badge} {actor} is blocked in put(): the queue is full",
                        WAITING_JOIN: f"{badge} {actor} is blocked in {target}join()",
                        JOINING_PROCESS: f"{badge} {actor} is blocked in {target}join()",
                        WORKING: f"{badge} {actor} is working on its task"}.get(state, f"{badge} {actor} is on its way")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, actor)
            item.setToolTip(text)
            # Its state's colour (the lanes' own), as a swatch: the list says what each actor does now.
            colour = theme.STATE_COLOURS.get(model.actors[actor].state) if actor in model.actors else None
            if colour is not None:
                item.setIcon(state_swatch(colour, striped=model.actors[actor].state in theme.STRIPED_STATES))
            if actor not in ready:
                item.setForeground(self.pending.palette().color(QPalette.ColorRole.PlaceholderText))
            self.pending.addItem(item)

    def _on_pending_clicked(self, item: QListWidgetItem) -> None:
        self.step(item.data(Qt.ItemDataRole.UserRole))

    def _on_scrubbed(self, value: int) -> None:
        self.view_step(value)

    def _on_rate_changed(self, value: float) -> None:
        if self._play_timer.isActive():
            self._play_timer.start(int(1000 / float(value)))

    def _on_play_tick(self) -> None:
        if self.controller.state != STEPPING:
            self.pause()
            return
        self.step()

    def show_fix(self) -> None:
        """Ask for the run's pitfall side by side with its fix (the window opens it)."""
        config = self.controller.config
        if config is not None and config.name in FIXES:
            self.fix_requested.emit(FIXES[config.name])

