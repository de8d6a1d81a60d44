"""Break it, fix it: a pitfall and its corrected program, run side by side.

Two columns, each with the code that differs (the changed lines marked), a live
run of that version with its own plots, and how the run ended.  Both runs are real
sessions with their own event pumps, started together at a brisk speed.
"""
from __future__ import annotations

import dataclasses
import difflib
import html
import inspect

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog, QGridLayout, QLabel, QTextBrowser, QWidget

from app.controller import FINISHED_STATE, STALLED, STOPPED, RunController
from app.plots import RunPlots
from core.fixes import Fix
from core.scenarios import ScenarioConfig

#: How much faster than the scenario's own pace both versions run.
SPEED = 10.0
REDRAW_MS = 100


def code_html(functions: list, others: list, colour: str) -> str:
    """The source of ``functions``, each line that differs from ``others`` marked in ``colour``."""
    rows = []
    for function, other in zip(functions, others):
        lines = [line.rstrip("\n") for line in inspect.getsourcelines(function)[0]]
        other_lines = [line.rstrip("\n") for line in inspect.getsourcelines(other)[0]]
        changed = set()
        for tag, i1, i2, _, _ in difflib.SequenceMatcher(a=lines, b=other_lines).get_opcodes():
            if tag != "equal":
                changed.update(range(i1, i2))
        for number, line in enumerate(lines):
            background = f" background:{colour};" if number in changed else ""
            rows.append(f'<p style="white-space:pre; font-family:monospace; font-size:14px; margin:0;{background}">'
                        f'{html.escape(line) or " "}</p>')
        rows.append('<p style="margin:0;"> </p>')
    return "".join(rows)


class FixDialog(QDialog):
    """The broken scenario on the left, its fix on the right, both running."""

    def __init__(self, fix: Fix, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fix = fix
        self.setWindowTitle(f"Break it, fix it — {fix.pitfall}")
        self.resize(1500, 900)
        layout = QGridLayout(self)
        explanation = QLabel(f"<b>The fix:</b> {html.escape(fix.explanation)}")
        explanation.setWordWrap(True)
        explanation.setStyleSheet("font-size:15px;")
        layout.addWidget(explanation, 0, 0, 1, 2)
        changed = fix.changed_functions()
        settings = fix.changed_settings()
        self.controllers: list[RunController] = []
        self.plots: list[RunPlots] = []
        self.outcomes: list[QLabel] = []
        for column, (config, title, colour) in enumerate(
                ((fix.broken, "Broken", "#ffc9c9"), (fix.fixed, "Fixed", "#b2f2bb"))):
            mine = [pair[1 + column] for pair in changed]
            theirs = [pair[2 - column] for pair in changed]
            heading = QLabel(f"<h3>{title}: {html.escape(config.title)}</h3>")
            code = QTextBrowser()
            code.setObjectName(f"fix-code-{title.lower()}")
            text = code_html(mine, theirs, colour)
            for name, broken, fixed in settings:
                value = broken if column == 0 else fixed
                text += (f'<p style="font-family:monospace; font-size:14px; background:{colour};">'
                         f'{name} = {html.escape(repr(value))}</p>')
            code.setHtml(text)
            plots = RunPlots()
            outcome = QLabel("running…")
            outcome.setWordWrap(True)
            outcome.setStyleSheet("font-size:15px;")
            controller = RunController(self)
            controller.state_changed.connect(lambda state, c=column: self._on_state(c, state))
            controller.stalled.connect(lambda why, c=column: self._on_stalled(c, why))
            layout.addWidget(heading, 1, column)
            layout.addWidget(code, 2, column)
            layout.addWidget(plots, 3, column)
            layout.addWidget(outcome, 4, column)
            self.controllers.append(controller)
            self.plots.append(plots)
            self.outcomes.append(outcome)
        layout.setRowStretch(2, 2)
        layout.setRowStretch(3, 3)
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self._redraw)
        self._timer.start()
        for controller, config in zip(self.controllers, (fix.broken, fix.fixed)):
            controller.start(_brisk(config))

    def _redraw(self) -> None:
        for controller, plots in zip(self.controllers, self.plots):
            plots.redraw(controller.timeline, controller.model)

    def _on_state(self, column: int, state: str) -> None:
        controller = self.controllers[column]
        if state == FINISHED_STATE:
            model = controller.model
            self.outcomes[column].setText(f"✔ Finished: {model.puts} puts, {model.task_dones} task_done calls, "
                                          f"{len(model.errors)} error(s).")
            self.outcomes[column].setStyleSheet("font-size:15px; color:#2b8a3e;")
        elif state == STOPPED and controller.diagnosis is None:
            self.outcomes[column].setText("stopped")
        if state in (FINISHED_STATE, STALLED, STOPPED):
            self._redraw()
            self.plots[column].fit(controller.model.last_t)

    def _on_stalled(self, column: int, diagnosis: str) -> None:
        self.outcomes[column].setText(f"✘ Stalled: {diagnosis}")
        self.outcomes[column].setStyleSheet("font-size:15px; color:#c92a2a;")
        self.controllers[column].stop()

    @property
    def over(self) -> bool:
        return all(c.state in (FINISHED_STATE, STALLED, STOPPED) for c in self.controllers)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self._timer.stop()
        for controller in self.controllers:
            controller.shutdown()
        super().closeEvent(event)


def _brisk(config: ScenarioConfig) -> ScenarioConfig:
    return dataclasses.replace(config, speed=config.speed * SPEED)
