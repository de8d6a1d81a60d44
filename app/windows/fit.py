"""Windows that fit the screen they open on: a 13" laptop's 1280 × 720, a projector's 1920 × 1080
at ``--scale 1.5``, a small 1024 × 700.

A window asks for the size it would like and gets it, or the screen's free area (less its
frame) when that is smaller, placed inside that area; a size remembered from a bigger screen
is brought back inside too.  Every window stays usable down to :data:`MIN_WINDOW` (logical
pixels): that is also what limits ``--scale``, which is lowered so that the window still fits
the screen at the scale it gets (see :func:`largest_scale`).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

#: The smallest size every window is laid out to stay usable in (logical pixels): 1024 × 700 at
#: scale 1 with room for a frame and a taskbar.
MIN_WINDOW = QSize(960, 600)
#: Room kept for the window's frame (title bar, borders), which a window's own size leaves out.
FRAME = QSize(16, 40)
#: How fine a lowered scale is (Qt draws any factor; a round one reads better in a message).
SCALE_STEP = 0.05


def fitted_geometry(preferred: QSize, available: QRect) -> QRect:
    """Where a window that would like ``preferred`` goes on a screen whose free area is
    ``available``: that size or the area less its frame, whichever is smaller, centred."""
    room = QSize(max(available.width() - FRAME.width(), 1), max(available.height() - FRAME.height(), 1))
    size = preferred.boundedTo(room)
    x = available.x() + (available.width() - size.width()) // 2
    y = available.y() + max((available.height() - FRAME.height() - size.height()) // 2, 0) + FRAME.height() // 2
    return QRect(x, y, size.width(), size.height())


def fit_to_screen(window: QWidget, preferred: QSize) -> None:
    """Size ``window`` as it would like (``preferred``), within its screen's free area."""
    available = _available(window)
    if available is not None:
        window.setGeometry(fitted_geometry(preferred, available))
    else:
        window.resize(preferred)


def keep_on_screen(window: QWidget) -> None:
    """Bring a window (placed where it was last closed, maybe on a bigger screen) inside its
    screen's free area, as small as it must be."""
    available = _available(window)
    if available is None:
        return
    geometry = window.geometry()
    inside = available.adjusted(0, FRAME.height() // 2, 0, 0)
    if inside.contains(geometry):
        return
    window.setGeometry(fitted_geometry(geometry.size(), available))


def _available(window: QWidget) -> QRect | None:
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else None


# -- --scale ---------------------------------------------------------------------------------
def largest_scale(asked: float, screen: QSize) -> float:
    """``asked``, or the largest scale at which :data:`MIN_WINDOW` still fits a screen whose
    free area is ``screen`` (device pixels), if that is smaller (never below 1: a scale asked
    below 1 stays as asked)."""
    room = min((screen.width() - FRAME.width()) / MIN_WINDOW.width(),
               (screen.height() - FRAME.height()) / MIN_WINDOW.height())
    fits = int(room / SCALE_STEP) * SCALE_STEP
    if asked <= 1.0 or asked <= fits:
        return asked
    return round(max(fits, 1.0), 2)


_PROBE = """
import json, sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv[:1])
screen = app.primaryScreen()
area = screen.availableGeometry() if screen is not None else None
print(json.dumps(None if area is None else [area.width(), area.height(), screen.devicePixelRatio()]))
"""


def screen_before_application(scale_variable: str) -> QSize | None:
    """The primary screen's free area in device pixels, asked before this process makes its
    application object (whose scale cannot change afterwards): a short-lived process asks Qt.
    ``None`` if it cannot tell."""
    environment = {key: value for key, value in os.environ.items() if key != scale_variable}
    try:
        answer = subprocess.run([sys.executable, "-c", _PROBE], env=environment, capture_output=True, text=True,
                                timeout=20, check=False)
        found = json.loads(answer.stdout.strip().splitlines()[-1]) if answer.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None
    if not isinstance(found, list) or len(found) != 3:
        return None
    width, height, ratio = found
    return QSize(round(width * ratio), round(height * ratio))
