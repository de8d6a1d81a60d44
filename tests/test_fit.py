"""Every window fits the common screens: a laptop's 1280 × 720, a small 1024 × 700, 1366 × 768 and
1920 × 1080, and a projector's at --scale 1.5 (the scale lowered when the window would not fit)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, QSize

from app.windows.application import SCALE_VARIABLE
from app.windows.compare import CompareWindow
from app.windows.fit import FRAME, MIN_WINDOW, fitted_geometry, largest_scale, screen_before_application
from app.windows.fix_dialog import FixDialog
from app.windows.main_window import PREFERRED_SIZE, MainWindow
from core.scenarios import scenario
from core.teaching.fixes import FIXES

pytestmark = pytest.mark.timeout(120)

SCREENS = [QSize(1024, 700), QSize(1280, 720), QSize(1366, 768), QSize(1920, 1080)]


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s.width()}x{s.height()}")
def test_a_window_opens_inside_the_screen_at_the_size_it_likes_or_smaller(screen):
    available = QRect(QPoint(0, 0), screen)
    for preferred in (PREFERRED_SIZE, QSize(1600, 1000), QSize(800, 500)):
        placed = fitted_geometry(preferred, available)
        assert available.contains(placed.adjusted(0, -FRAME.height() // 2, 0, 0))  # its frame too
        assert placed.width() <= preferred.width() and placed.height() <= preferred.height()
        if preferred.width() <= screen.width() - FRAME.width():
            assert placed.width() == preferred.width()  # a screen big enough gives what is asked


def test_the_scale_is_lowered_only_as_far_as_the_window_needs():
    assert largest_scale(1.5, QSize(1920, 1080)) == 1.5  # a projector at 1.5: as asked
    lowered = largest_scale(2.0, QSize(1920, 1080))
    assert 1.5 <= lowered < 2.0
    assert MIN_WINDOW.height() * lowered + FRAME.height() <= 1080
    assert largest_scale(2.0, QSize(1280, 720)) == pytest.approx(1.1)
    assert largest_scale(1.5, QSize(800, 600)) == 1.0  # never below 1 for a scale asked above it
    assert largest_scale(0.75, QSize(800, 600)) == 0.75


def test_the_screen_is_measured_before_the_application_object_exists():
    screen = screen_before_application(SCALE_VARIABLE)
    assert screen is not None and screen.width() > 0 and screen.height() > 0


def _inside(widget, window) -> bool:
    """``widget`` is shown, with some size, wholly inside ``window``."""
    if not widget.isVisible() or widget.width() < 20 or widget.height() < 10:
        return False
    corner = widget.mapTo(window, QPoint(0, 0))
    return QRect(QPoint(0, 0), window.size()).contains(QRect(corner, widget.size()))


@pytest.mark.parametrize("screen", SCREENS[:2], ids=lambda s: f"{s.width()}x{s.height()}")
def test_step_mode_shows_its_controls_narration_and_code_on_a_small_screen(qtbot, screen):
    window = MainWindow(remember_place=False, remember_recordings=False)
    qtbot.addWidget(window)
    room = screen - FRAME
    window.resize(room)
    window.show()
    qtbot.waitExposed(window)
    window.start_run(scenario("seed", speed=50.0, seed=1), step=True)
    teaching = window.teaching
    qtbot.waitUntil(lambda: bool(teaching.ready()), timeout=20_000)
    qtbot.waitUntil(lambda: window.width() <= room.width() and window.minimumSizeHint().width() <= room.width(),
                    timeout=5_000)
    assert window.height() <= room.height()
    for widget in (teaching.step_button, teaching.back_button, teaching.forward_button, teaching.present_button,
                   teaching.narration, teaching.code, window.plots):
        assert _inside(widget, window), widget
    assert teaching.code.marks  # the marked lines are there, and scrolled to
    window.controller.shutdown()
    # Back from step mode, the run's settings come back.
    window.controller.reset()
    qtbot.waitUntil(lambda: not window.teaching.dock.isVisible(), timeout=5_000)
    assert _inside(window.controls, window) and window.side_action.isChecked()
    window.close()


def test_every_window_is_usable_at_the_smallest_size(qtbot):
    main = MainWindow(remember_place=False, remember_recordings=False)
    qtbot.addWidget(main)
    compare = CompareWindow(scenario("seed", tasks=3, speed=100.0, seed=1), ("thread", "asyncio"))
    qtbot.addWidget(compare)
    fix = FixDialog(FIXES["forgot-task-done"])
    qtbot.addWidget(fix)
    for window in (main, compare, fix):
        hint = window.minimumSizeHint()
        assert hint.width() <= MIN_WINDOW.width() and hint.height() <= MIN_WINDOW.height(), (window, hint)
    fix.close()
    compare.close()
    main.close()
