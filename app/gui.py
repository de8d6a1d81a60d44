"""``joinscope gui``: open the window, optionally start a run and screenshot its end."""
from __future__ import annotations

import argparse
import os
import signal
import sys

from core.scenarios import ScenarioConfig

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")


def run_gui(args: argparse.Namespace, config: ScenarioConfig) -> int:
    import PySide6  # noqa: F401  (the binding pyqtgraph must use)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("JoinScope")
    font = app.font()
    font.setPointSize(max(font.pointSize(), 11))  # legible on a projector
    app.setFont(font)
    window = MainWindow()
    window.controls.select_scenario(config.name)
    window.controls.show_config(config)
    if args.screenshot or args.exit_when_done:
        def finish(state: str) -> None:
            if args.screenshot:
                window.grab().save(args.screenshot)
            if args.exit_when_done:
                window.close()
                app.quit()
        window.run_over.connect(finish)
    # Ctrl-C or SIGTERM close the window, which stops every process first.  (Python
    # runs the handler at the next slot, at most a redraw tick away.)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: QTimer.singleShot(0, window.close))
    window.show()
    if args.autostart:
        window.start_run(config)
    return app.exec()
