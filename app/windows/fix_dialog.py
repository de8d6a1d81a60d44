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

from PySide6.QtCore import QSize
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDialog, QGridLayout, QHBoxLayout, QLabel, QPushButton, QTextBrowser, QWidget

from app import theme
from app.bridge.controller import RunController
from app.plots.run_plots import RunPlots
from app.windows.fit import fit_to_screen
from app.windows.live_runs import LiveRuns
from core.scenarios import ScenarioConfig
from core.teaching.fixes import Fix

#: How much faster than the scenario's own pace both versions run.
SPEED = 10.0


def code_html(functions: list, others: list, sign: str) -> str:
    """The source of ``functions``, each line that differs from ``others`` marked with ``sign``
    (− broken, + fixed, as a diff does) on a shaded ground."""
    shade = theme.scheme().shade
    rows = []
    for function, other in zip(functions, others):
        lines = [line.rstrip("\n") for line in inspect.getsourcelines(function)[0]]
        other_lines = [line.rstrip("\n") for line in inspect.getsourcelines(other)[0]]
        changed = set()
        for tag, i1, i2, _, _ in difflib.SequenceMatcher(a=lines, b=other_lines).get_opcodes():
            if tag != "equal":
                changed.update(range(i1, i2))
        for number, line in enumerate(lines):
            marked = number in changed
            style = f" background:{shade}; font-weight:bold;" if marked else ""
            rows.append(f'<p style="white-space:pre-wrap; font-family:monospace; font-size:{theme.px(14)}px; '
                        f'margin:0;{style}">{sign if marked else " "} {html.escape(line) or " "}</p>')
        rows.append('<p style="margin:0;"> </p>')
    return "".join(rows)


class FixDialog(QDialog):
    """The broken scenario on the left, its fix on the right, both running."""

    def __init__(self, fix: Fix, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fix = fix
        self.setWindowTitle(f"Break it, fix it — {fix.pitfall}")
        fit_to_screen(self, QSize(1500, 900))
        layout = QGridLayout(self)
        explanation = QLabel(f"<b>The fix:</b> {html.escape(fix.explanation)}")
        explanation.setWordWrap(True)
        explanation.setStyleSheet("font-size:15px;")
        layout.addWidget(explanation, 0, 0, 1, 2)
        changed = fix.changed_functions()
        settings = fix.changed_settings()
        self.live = LiveRuns(2, self)
        sides = ((fix.broken, "Broken", "−", self.live.runs[0]),
                 (fix.fixed, "Fixed", "+", self.live.runs[1]))
        for column, (config, title, sign, run) in enumerate(sides):
            mine = [pair[1 + column] for pair in changed]
            theirs = [pair[2 - column] for pair in changed]
            heading = QLabel(f"<h3>{title}: {html.escape(config.title)}</h3>")
            code = QTextBrowser()
            code.setObjectName(f"fix-code-{title.lower()}")
            text = code_html(mine, theirs, sign)
            for name, broken, fixed in settings:
                value = broken if column == 0 else fixed
                text += (f'<p style="font-family:monospace; font-size:{theme.px(14)}px; font-weight:bold; '
                         f'background:{theme.scheme().shade};">{sign} {name} = {html.escape(repr(value))}</p>')
            code.setHtml(text)
            layout.addWidget(heading, 1, column)
            layout.addWidget(code, 2, column)
            layout.addWidget(run.plots, 3, column)
            layout.addWidget(run.outcome, 4, column)
        layout.setRowStretch(2, 2)
        layout.setRowStretch(3, 3)
        # One time axis for both: the fix is not made to look slower by a scale of its own.
        self.live.link_time_axes()
        self.live.all_ended.connect(self._on_all_ended)
        self.again_button = QPushButton("Run both again")
        self.again_button.setShortcut(QKeySequence("Ctrl+R"))
        self.again_button.setToolTip("Run the broken and the fixed program again, side by side (Ctrl+R)")
        self.again_button.setEnabled(False)
        self.again_button.clicked.connect(self.run_again)
        close = QPushButton("Close")
        close.setToolTip("Close, stopping both runs (Esc)")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.again_button)
        buttons.addWidget(close)
        layout.addLayout(buttons, 5, 0, 1, 2)
        self.live.start(self._configs())

    def _configs(self) -> list[ScenarioConfig]:
        return [_brisk(self.fix.broken), _brisk(self.fix.fixed)]

    def run_again(self) -> None:
        """Both versions again, from the start (once both are over)."""
        if self.live.over:
            self.again_button.setEnabled(False)
            for run in self.live.runs:
                run.plots.follow(True)
            self.live.start(self._configs())

    def _on_all_ended(self) -> None:
        for run in self.live.runs:
            run.redraw()
        self.live.show_whole()
        self.again_button.setEnabled(True)

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
