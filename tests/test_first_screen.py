"""What a newcomer meets: empty plots that look ready and say what to do, step mode shown before
Start, another scenario picked clearing the last run's picture, the zoom and the dark scheme."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app import theme
from app.appearance import appearance
from app.bridge.controller import FINISHED_STATE, IDLE
from core.scenarios import scenario

pytestmark = pytest.mark.timeout(60)


def test_the_empty_plots_look_ready_and_say_what_to_do(window):
    low, high = window.plots.counts.viewRange()[1]
    assert low == 0 and high >= 5  # counts from 0, not −400…400 "(x0.001)"
    assert "x0.001" not in window.plots.counts.getAxis("left").labelString()
    assert window.plots.lanes.getAxis("left")._tickLevels == [[]]  # no lane numbers before there are lanes
    assert window.plots.hint.isVisible()
    hint = window.plots.hint.toPlainText()
    assert "Press Start (Ctrl+R)" in hint and "seed" in hint


def test_step_mode_shows_its_panel_before_start_and_s_says_what_to_do(window, qtbot):
    window.controls.step_mode.setChecked(True)
    assert window.teaching.dock.isVisible() and "Press Start (Ctrl+R)" in window.teaching.narration.text()
    assert "S lets one go" in window.plots.hint.toPlainText()
    with qtbot.waitSignal(window.controller.refused, timeout=2_000) as said:
        qtbot.keyClick(window, Qt.Key.Key_S)
    assert "Press Start (Ctrl+R) first" in said.args[0]
    assert window.controller.state == IDLE  # nothing started behind the learner's back
    window.controls.step_mode.setChecked(False)
    assert not window.teaching.dock.isVisible() and window.side_action.isChecked()


def test_picking_another_scenario_clears_the_last_runs_picture(window, qtbot):
    with qtbot.waitSignal(window.run_over, timeout=30_000):
        window.start_run(scenario("race", speed=40.0, seed=1))
    assert window.controller.state == FINISHED_STATE and window.banner.isVisible()
    assert "too early" in window.banner.text()
    window.controls.select_scenario("crash")
    assert window.controller.state == IDLE and not window.banner.isVisible()
    assert window.controller.model.events_seen == 0 and window.log.model.rowCount() == 0
    assert not window.plots._join_lines and "crash" in window.plots.hint.toPlainText()


def test_zoom_and_the_dark_scheme_reach_the_plots_and_the_banner(window, qtbot):
    looks = appearance()
    base = QApplication.font().pointSizeF()
    try:
        qtbot.keyClick(window, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
        assert looks.zoom > 1 and QApplication.font().pointSizeF() > base
        assert window.plots.counts.getAxis("left").label.font().pointSizeF() > theme.PLOT_FONT_PT
        looks.use_dark(True)
        assert window.plots.backgroundBrush().color().name() == theme.DARK.background
        window._show_banner("<b>Finished.</b>", "clean")
        assert theme.DARK.foreground not in window.banner.styleSheet()
        assert window.banner.styleSheet() == theme.banner_style("clean") and "#16331f" in window.banner.styleSheet()
        qtbot.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
        assert looks.zoom == 1 and QApplication.font().pointSizeF() == pytest.approx(base)
    finally:
        looks.use_dark(False)
        looks.set_zoom(1.0)
    assert window.plots.backgroundBrush().color().name() == theme.LIGHT.background
