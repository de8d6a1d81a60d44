"""The application object every window of JoinScope runs in, drawn at the scale asked for
(lowered, if need be, so that a window still fits the screen: see :mod:`app.windows.fit`).

``--scale`` must be known when the application object is made: it travels in Qt's own
``QT_SCALE_FACTOR``, which is put back as it was at once, so that the processes started
later (a traced program, which may use Qt itself) inherit the environment unchanged.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import PySide6  # noqa: F401  (the binding pyqtgraph must use, imported first)
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication, QWidget

from app import preferences
from app.windows.fit import MIN_WINDOW, largest_scale, screen_before_application

SCALE_VARIABLE = "QT_SCALE_FACTOR"
#: The smallest point size of the application's font: legible on a projector.
MIN_POINT_SIZE = 11
#: What became of the ``--scale`` asked for, when it was lowered to fit the screen (a window
#: shows it in its status bar).
scale_note: str | None = None


def run_until_closed(app: QApplication, window: QWidget) -> int:
    """Run the event loop until the application quits, then delete ``window`` while Qt and
    Python are both still whole: left to the interpreter's exit, the plots' graphics items are
    destroyed in no particular order, and one whose layout changed can crash it then."""
    code = app.exec()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return code


def make_application(scale: float | None = None) -> QApplication:
    """The application (made now, or the one there is), drawn ``scale`` times as big, or as
    big as a window still fits the screen."""
    global scale_note
    if scale is not None and scale > 1.0 and QApplication.instance() is None:
        screen = screen_before_application(SCALE_VARIABLE)
        fitting = largest_scale(scale, screen) if screen is not None else scale
        if screen is not None and fitting < scale:
            scale_note = (f"--scale {scale:g} would not fit this {screen.width()} × {screen.height()} screen (a "
                          f"window needs {MIN_WINDOW.width()} × {MIN_WINDOW.height()} at least): drawn at {fitting:g}")
            print(f"joinscope: {scale_note}", file=sys.stderr)
            scale = fitting
    with qt_scale(scale):
        app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("JoinScope")
    preferences.use_folder_from_environment()
    font = app.font()
    font.setPointSize(max(font.pointSize(), MIN_POINT_SIZE))
    app.setFont(font)
    return app


@contextmanager
def qt_scale(scale: float | None) -> Iterator[None]:
    """Around making the application object: ask Qt to draw ``scale`` times as big.

    Qt reads the variable then; it is put back as it was afterwards, so that the processes
    started later (a traced program, which may use Qt itself) inherit the environment
    unchanged."""
    if scale is None:
        yield
        return
    previous = os.environ.get(SCALE_VARIABLE)
    os.environ[SCALE_VARIABLE] = f"{scale:g}"
    try:
        yield
    finally:
        if previous is None:
            del os.environ[SCALE_VARIABLE]
        else:
            os.environ[SCALE_VARIABLE] = previous
