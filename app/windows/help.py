"""The Help menu: the keys, what the counts mean (with a small picture), and About.

Everything here is text a learner can read while the run waits: the keyboard shortcuts of
the window and of step mode, the three numbers every plot and narration line uses (depth,
unfinished, in progress) drawn as a queue with its tasks, and the versions a bug report needs.
"""
from __future__ import annotations

import platform
import sys

import pyqtgraph
import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox

from app import theme, version

#: Every key of the window, by what it is for.
SHORTCUTS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("A run", (("Ctrl+R", "Start"), ("Space", "Pause / Resume"), ("Ctrl+.", "Stop"),
               ("Ctrl+Backspace", "Reset: stop and clear the plots"), ("Ctrl+Shift+B", "Compare two backends"))),
    ("Step mode", (("S", "Let the next actor in turn make its operation"), ("P", "Play / pause the steps"),
                   ("← / →", "Look back a step / forward again"), ("End", "Back to the present step"),
                   ("Q", "Quiz: predict before each step"), ("1, 2, 3…", "Answer the quiz's question"),
                   ("F", "Fix it: the pitfall and its fix side by side"),
                   ("click a lane", "Let that actor make its operation"))),
    ("A replay", (("Space", "Play / pause"), ("← / →", "One event back / forward"),
                  ("Home / End", "To the start / the end"), ("] / [", "Faster / slower"))),
    ("The view", (("Home", "Show the whole run"), ("Ctrl+L", "Fold the run's settings and story away"),
                  ("Ctrl + / Ctrl − / Ctrl 0", "Bigger text / smaller / actual size"),
                  ("drag, wheel", "Pan and zoom the plots (A: the whole run again)"))),
    ("Files", (("Ctrl+O", "Open a recording"), ("Ctrl+Q", "Quit"))),
)


def shortcuts_html() -> str:
    rows = []
    for group, keys in SHORTCUTS:
        rows.append(f'<tr><td colspan="2"><b>{group}</b></td></tr>')
        rows += [f'<tr><td style="padding-right:16px;"><code>{key}</code></td><td>{what}</td></tr>'
                 for key, what in keys]
    return f"<table>{''.join(rows)}</table>"


def counts_html() -> str:
    """Depth, unfinished and in progress, drawn as a queue with three tasks in it and two taken out."""
    quiet = theme.scheme().quiet
    return (
        "<p>Every plot, lane and sentence uses three numbers of the queue:</p>"
        '<pre style="font-size:13px;">'
        "  producer ── put() ──▶  [ t5  t4  t3 ]  ── get() ──▶  consumer: t2 ⚙, t1 ⚙\n"
        "                          └─ depth = 3 ─┘               └ in progress = 2 ┘\n"
        "                          └──────────── unfinished = 5 ───────────────┘\n"
        "\n"
        "  consumer ── task_done() ──▶  unfinished 5 → 4     (depth stays 3)\n"
        "  main ── join() ── waits until unfinished is 0</pre>"
        "<p><b>depth</b>: tasks put and not yet got — what is in the queue.<br>"
        "<b>unfinished</b>: tasks put and not yet marked done; every <code>put()</code> adds one, every "
        "<code>task_done()</code> takes one away, and <code>join()</code> waits for 0.<br>"
        "<b>in progress</b> (the shaded band between the lines): got but not yet marked done — "
        "unfinished minus depth.</p>"
        f'<p style="color:{quiet};"><code>task_done()</code> removes nothing from the queue: the task left '
        "it at <code>get()</code>. A pool counts the same way: waiting tasks are its depth, tasks not yet "
        "delivered its unfinished.</p>")


def versions() -> dict[str, str]:
    """What a bug report needs: JoinScope's, Python's, Qt's and the libraries' versions."""
    return {"JoinScope": version(), "Python": f"{platform.python_version()} ({sys.platform})",
            "Qt": qVersion(), "PySide6": PySide6.__version__, "pyqtgraph": pyqtgraph.__version__}


def about_html() -> str:
    rows = "".join(f"<tr><td>{name}</td><td>{version}</td></tr>" for name, version in versions().items())
    return ("<p><b>JoinScope</b> makes Python's <code>multiprocessing.JoinableQueue</code> visible: real "
            "producer and consumer processes, every put, get, task_done and join as it happens.</p>"
            f"<table>{rows}</table>")


def add_help_menu(window: QMainWindow) -> None:
    """The window's Help menu, and Quit (Ctrl+Q) in its File menu's place for it."""
    menu = window.menuBar().addMenu("&Help")
    for text, title, html, key in (("Keyboard shortcuts", "Keyboard shortcuts", shortcuts_html, "F1"),
                                   ("What the numbers mean", "Depth, unfinished, in progress", counts_html, None),
                                   ("About JoinScope", "About JoinScope", about_html, None)):
        action = menu.addAction(text)
        if key is not None:
            action.setShortcut(QKeySequence(key))
        action.triggered.connect(lambda _=False, title=title, html=html: _show(window, title, html()))


def quit_action(window: QMainWindow) -> QAction:
    """Quit: close the window (which stops every run first)."""
    action = QAction("Quit", window)
    action.setShortcut(QKeySequence("Ctrl+Q"))  # (the standard key is none on Windows)
    action.triggered.connect(window.close)
    return action


def _show(window: QMainWindow, title: str, html: str) -> None:
    box = QMessageBox(window)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(html)
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.open()
