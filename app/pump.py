"""The one bridge from a session's event queue to Qt.

``EventPump`` lives on its own QThread.  It polls the session (which drains the
multiprocessing queue and merges the streams), gathers what arrives, and emits at
most one batch per frame (:data:`FRAME_S`) to the GUI thread, so a flood of events
never floods the event loop.  Stopping and closing the session — calls that wait
on processes — also run here, never on the GUI thread.
"""
from __future__ import annotations

import time
import weakref
from typing import Protocol

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from core.events import Event


class EventSource(Protocol):
    """What the pump drains: a :class:`core.session.Session`, or a recording or a
    synthetic stream with the same shape."""

    finished: bool

    def start(self) -> None: ...

    def poll(self, timeout: float = 0.0) -> list[Event]: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...

FRAME_S = 1 / 60
POLL_S = 0.01


class EventPump(QObject):
    """Runs :meth:`run` on a QThread; talk to it only through its thread-safe requests."""

    events_arrived = Signal(list)
    #: The run is over, every event was delivered, and the session is closed.
    drained = Signal()

    def __init__(self, session: EventSource) -> None:
        super().__init__()
        self.session = session
        self._stop_requested = False

    def request_stop(self) -> None:
        """Ask the pump thread to stop the session (returns at once)."""
        self._stop_requested = True

    @Slot()
    def run(self) -> None:
        session = self.session
        pending: list = []
        last_emit = 0.0
        try:
            session.start()
            while not session.finished:
                if self._stop_requested:
                    self._stop_requested = False
                    session.stop()
                pending.extend(session.poll(POLL_S))
                now = time.monotonic()
                if pending and now - last_emit >= FRAME_S:
                    self.events_arrived.emit(pending)
                    pending = []
                    last_emit = now
        finally:
            session.close()
            if pending:
                self.events_arrived.emit(pending)
            self.drained.emit()


_threads: "weakref.WeakSet[QThread]" = weakref.WeakSet()


def running_pump_threads() -> list[QThread]:
    """Pump threads still running (the tests' leak check asks)."""
    return [thread for thread in list(_threads) if thread.isRunning()]


def start_pump(session: EventSource) -> tuple[EventPump, QThread]:
    """A pump on a new thread, started; the thread quits when the pump has drained."""
    thread = QThread()
    _threads.add(thread)
    thread.setObjectName("joinscope-event-pump")
    pump = EventPump(session)
    pump.moveToThread(thread)
    thread.started.connect(pump.run)
    # Direct: QThread.quit is thread-safe, and the GUI thread may be blocked in wait().
    pump.drained.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    thread.start()
    return pump, thread
