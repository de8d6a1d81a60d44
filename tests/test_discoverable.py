"""What a user finds without reading a manual: the Help menu, Quit, keys named in tooltips, the quiz
answered from the keyboard, the plots explaining what is under the pointer, and the log and the
plots pointing at each other."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QPushButton

from app.windows.help import counts_html, shortcuts_html, versions
from core.scenarios import scenario

pytestmark = pytest.mark.timeout(60)


def test_the_help_menu_tells_the_keys_the_numbers_and_the_versions(window):
    menus = {action.text().replace("&", ""): action.menu() for action in window.menuBar().actions()}
    assert {"File", "View", "Help"} <= set(menus)
    assert [a.text() for a in menus["Help"].actions()] == [
        "Keyboard shortcuts", "What the numbers mean", "About JoinScope"]
    assert "Ctrl+R" in shortcuts_html() and "Ctrl+Q" in shortcuts_html()
    assert "depth = 3" in counts_html() and "unfinished = 5" in counts_html()
    assert set(versions()) == {"JoinScope", "Python", "Qt", "PySide6", "pyqtgraph"}
    quit_action = next(a for a in menus["File"].actions() if a.text() == "Quit")
    assert quit_action.shortcut().toString() == "Ctrl+Q"


def test_every_button_with_a_key_names_it_in_its_tooltip(window):
    for button in window.findChildren(QPushButton):
        key = button.shortcut().toString()
        if key:
            assert key in button.toolTip() or key.replace("Ctrl+", "Ctrl ") in button.toolTip(), button.text()


def _finished_seed(window, qtbot):
    with qtbot.waitSignal(window.run_over, timeout=30_000):
        window.start_run(scenario("seed", speed=40.0, seed=1))
    window._redraw()


def test_the_plots_say_what_is_under_the_pointer(window, qtbot):
    _finished_seed(window, qtbot)
    plots, model = window.plots, window.controller.model
    join = next(j for j in window.controller.timeline.joins if j.on_queue)
    view = plots.counts.getViewBox()
    text = plots.describe_at(view.mapViewToScene(QPointF(join.entered + 1e-6, 0)))
    assert text is not None and f"unfinished {join.unfinished_at_entry}" in text and "depth" in text
    lanes = plots.lanes.getViewBox()
    top = len(plots._lanes) - 1  # the first lane is drawn on top
    consumer = plots._lanes.index("consumer-0")
    at = model.last_t / 2
    where = lanes.mapViewToScene(QPointF(at, top - consumer))
    described = plots.describe_at(where)
    assert described is not None and described.startswith("consumer-0") and "since" in described
    hits = []
    plots.lane_clicked.connect(hits.append)
    plots._on_clicked(type("Click", (), {"scenePos": lambda self: where})())
    assert hits == ["consumer-0"]


def test_the_log_and_the_plots_point_at_each_other(window, qtbot):
    _finished_seed(window, qtbot)
    log, plots = window.log, window.plots
    index = log.table.model().index(5, 0)
    log.table.clicked.emit(index)
    picked = log.model.event_at(5)
    assert all(line.isVisible() and line.value() == pytest.approx(picked.t) for line in plots._moment)
    last = log.model.event_at(log.model.rowCount() - 1)
    plots.moment_clicked.emit(last.t + 1e-6)
    selected = log.table.selectionModel().selectedRows()
    assert selected and log.model.event_at(selected[0].row()).t == pytest.approx(last.t, abs=1e-3)


def test_the_quiz_is_answered_from_the_keyboard(window, qtbot):
    window.start_run(scenario("seed", speed=100.0, seed=5), step=True)
    teaching = window.teaching
    teaching.quiz.setChecked(True)
    qtbot.waitUntil(lambda: bool(teaching.ready()), timeout=20_000)
    for _ in range(12):
        if not teaching.step():
            break
        qtbot.waitUntil(lambda: bool(teaching.ready()) or teaching.question is not None, timeout=10_000)
    assert teaching.question is not None, "a question within a dozen steps"
    qtbot.waitUntil(lambda: all(button.isVisible() for button in teaching.answer_buttons), timeout=5_000)
    assert teaching.answer_buttons[0].text().startswith("1 ")
    answered = []
    teaching.answered.connect(lambda right, correct: answered.append(right))
    qtbot.keyClick(window, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: bool(answered), timeout=10_000)
    window.controller.shutdown()
