"""The window of ``joinscope trace``: the live window, fed by a traced program instead of a scenario.

The run controller plays any event source, so the program's events fill the same
plots, swimlanes, event log and narration as a scenario's.  The window stays open
when the program ends, to be looked at; closing it while the program runs stops the
program and every process it started.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.scenarios import ScenarioConfig
from core.sources import EventSource
from core.system import handle_stop_signals

if TYPE_CHECKING:
    from app.windows.main_window import MainWindow
    from core.tracing.session import TraceSession

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")


def open_trace_window(source: EventSource, config: ScenarioConfig, remember_place: bool = True) -> MainWindow:
    """A shown main window already playing ``source`` (a traced program, or its recording);
    ``remember_place`` as :class:`app.windows.main_window.MainWindow` takes it."""
    from app.windows.main_window import MainWindow

    window = MainWindow(remember_place=remember_place)
    window.trace(config.title)
    # A scenario's Start/Pause/Reset do not apply to someone else's program; Stop (which ends it
    # and every process it started) and Follow newest do.
    controls = window.controls
    for button in (controls.start_button, controls.pause_button, controls.reset_button):
        button.hide()
    window.controller.start(config, source)
    window.show()
    return window


def show_trace(program: TraceSession, source: EventSource, config: ScenarioConfig,
               on_events: Callable[[list], None], scale: float | None = None) -> None:
    """Run the window on ``source`` (``program``, or a recording of it), drawn ``scale``
    times as big, until the user closes it; ``on_events`` sees every batch of events."""
    from PySide6.QtCore import QTimer

    from app.windows.application import make_application, run_until_closed

    app = make_application(scale)
    window = open_trace_window(source, config, remember_place=scale is None)
    window.controller.events_applied.connect(on_events)
    ctrl_c = _CtrlC(window, program)
    handle_stop_signals(lambda: QTimer.singleShot(0, ctrl_c.pressed), lambda: QTimer.singleShot(0, window.close))
    run_until_closed(app, window)


class _CtrlC:
    """Ctrl-C: the program got it too, from the terminal.  As without the window, it may end
    by itself (JoinScope passes a SIGINT on after a second where it can, and stops it after another);
    the window closes when it has ended.  A second Ctrl-C, or one after the end, closes it now."""

    def __init__(self, window: MainWindow, program: TraceSession) -> None:
        self._window = window
        self._program = program
        self._pressed = False

    def pressed(self) -> None:
        from app.bridge.controller import OVER

        window, controller = self._window, self._window.controller
        if controller.state in OVER or self._pressed:
            window.close()
            return
        self._pressed = True
        controller.state_changed.connect(lambda state: state in OVER and window.close())
        self._program.interrupt()
