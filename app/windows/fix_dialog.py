"""Break it, fix it: a pitfall and its corrected program, run side by side.

Two columns, each with the code that differs (the changed lines marked), a live
run of that version with its own plots, and how the run ended.  Both runs are real
sessions with their own event pumps (``app/windows/live_runs.py``), started together at a
brisk speed.
"""
from __future__ import annotations

import dataclasses
import difflib
import html
import inspect

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog, QGridLayout, QLabel, QTextBrowser, QWidget

from app.bridge.controller import RunController
from app.plots.run_plots import RunPlots
from app.windows.live_runs import LiveRuns
from core.scenarios import ScenarioConfig
from core.teaching.fixes import Fix

#: How much faster than the scenario's own pace both versions run.
SPEED = 10.0


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
        self.live = LiveRuns(2, self)
        sides = ((fix.broken, "Broken", "#ffc9c9", self.live.runs[0]),
                 (fix.fixed, "Fixed", "#b2f2bb", self.live.runs[1]))
        for column, (config, title, colour, run) in enumerate(sides):
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
            layout.addWidget(heading, 1, column)
            layout.addWidget(code, 2, column)
            layout.addWidget(run.plots, 3, column)
            layout.addWidget(run.outcome, 4, column)
        layout.setRowStretch(2, 2)
        layout.setRowStretch(3, 3)
        self.live.start([_brisk(fix.broken), _brisk(fix.fixed)])

    @property
    def controllers(self) -> list[RunController]:
        return [run.controller for run in self.live.runs]

    @property
    def plots(self) -> list[RunPlots]:
        return [run.plots for run in self.live.runs]

    @property
    def outcomes(self) -> list[QLabel]:
        return [run.outcome for run in self.live.runs]

    @property
    def over(self) -> bool:
        """Both runs ended and released everything they held."""
        return self.live.over

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.live.shutdown()
        super().closeEvent(event)


def _brisk(config: ScenarioConfig) -> ScenarioConfig:
    return dataclasses.replace(config, speed=config.speed * SPEED)
