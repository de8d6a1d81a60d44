"""``joinscope gui``, ``joinscope compare`` and ``joinscope replay``: open the window,
optionally start a run (or play a recording) and screenshot its end."""
from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from app.cli.exit_codes import EXIT_BAD_INPUT
from core.recordings.replay import Recording
from core.scenarios import ScenarioConfig
from core.system import handle_stop_signals

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication, QWidget


def run_until_closed(app: QApplication, window: QWidget) -> int:
    from app.windows.application import run_until_closed as run

    return run(app, window)


def _application(args: argparse.Namespace) -> QApplication:
    """Qt and the windows are loaded here, when a command opens one: not by the command line."""
    from app.windows.application import make_application

    return make_application(getattr(args, "scale", None))


def remembering(args: argparse.Namespace) -> dict[str, bool]:
    """What the window remembers (see :mod:`app.preferences`): nothing for a scripted run
    (a screenshot, an exit when done), and not its place when scaled for a projector."""
    scripted = bool(args.screenshot or args.exit_when_done)
    return {"remember_place": not scripted and getattr(args, "scale", None) is None,
            "remember_recordings": not scripted}


def _close_on_signals(window) -> None:
    """Ctrl-C or SIGTERM (on Windows, Ctrl-Break too) close the window, which stops every
    process first.  (Python runs the handler at the next slot, at most a redraw tick away.)"""
    from PySide6.QtCore import QTimer

    def close() -> None:
        QTimer.singleShot(0, window.close)
    handle_stop_signals(close, close)


def _when_over(args: argparse.Namespace, app, window) -> None:
    """The run (or the replay) is over: ``--screenshot`` saves the window, ``--exit-when-done`` quits.

    A screenshot that cannot be written after all (the disk filled up since the start) is said
    in one line with the system's reason, and the command ends with exit code 2."""
    failed = False
    if args.screenshot:
        story = getattr(window, "story", None)
        if story is not None:
            story.flush()  # its newest lines, not those of its last refresh
        from app.plots.export_image import save_image
        try:
            save_image(window.grab().toImage(), args.screenshot)
        except OSError as error:
            print(f"joinscope {args.command}: error: argument --screenshot: cannot write {args.screenshot}: "
                  f"{error.strerror or error}", file=sys.stderr)
            failed = True
    if args.exit_when_done:
        window.close()
        if failed:
            from PySide6.QtCore import QTimer
            QTimer.singleShot(0, lambda: app.exit(EXIT_BAD_INPUT))  # from within the event loop
        else:
            app.quit()


def run_replay_gui(args: argparse.Namespace, recording: Recording) -> int:
    """``joinscope replay``: the window showing ``recording``, playing it with ``--play``."""
    app = _application(args)
    from app.windows.main_window import MainWindow

    window = MainWindow(**remembering(args))
    panel = window.open_replay(recording, args.speed)
    panel.replay_finished.connect(lambda: _when_over(args, app, window))
    _close_on_signals(window)
    window.show()
    if args.play or args.exit_when_done:
        panel.play()
    return run_until_closed(app, window)


def run_gui(args: argparse.Namespace, config: ScenarioConfig) -> int:
    app = _application(args)
    from app.windows.main_window import MainWindow

    window = MainWindow(**remembering(args))
    window.controls.select_scenario(config.name)
    window.controls.show_config(config)
    window.controls.step_mode.setChecked(bool(getattr(args, "step", False)))
    window.run_over.connect(lambda state: _when_over(args, app, window))
    _close_on_signals(window)
    window.show()
    if args.autostart or args.exit_when_done:  # a window that quits when the run is over starts it too
        window.start_run(config)
    return run_until_closed(app, window)


def run_compare_gui(args: argparse.Namespace, config: ScenarioConfig, backends: tuple[str, str],
                    versus: ScenarioConfig | None = None) -> int:
    """``joinscope compare``: ``config`` on two backends at once (or ``config`` and ``versus``), in the
    comparison window alone."""
    app = _application(args)
    from app.windows.compare import CompareWindow

    window = CompareWindow(config, backends, versus=versus)
    window.compared.connect(lambda: _when_over(args, app, window))
    _close_on_signals(window)
    window.show()
    return run_until_closed(app, window)
