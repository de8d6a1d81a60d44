"""The one bridge from a session's event queue to Qt.

``EventPump`` lives on its own QThread.  It polls the session (which drains the
multiprocessing queue and merges the streams), gathers what arrives, and emits at
most one batch per frame (:data:`FRAME_S`) to the GUI thread — and only when the
GUI has shown the previous one (:meth:`EventPump.acknowledge`), so a flood of events
never floods the event loop and the window keeps time to redraw.  A batch holds as
many events as the GUI folds in :data:`FOLD_BUDGET_S` (it says how fast it folds
when it acknowledges).  While the GUI is behind, the pump stops reading once it
holds a few batches: the session's bounded channel then fills, and the actors wait
for the window instead of outrunning it.  Stopping and
closing the session — calls that wait on processes — also run here, never on the
GUI thread.
"""
from __future__ import annotations

import time
import weakref

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from core.sources import EventSource

FRAME_S = 1 / 60
POLL_S = 0.01
#: The most events handed to the GUI in one batch (folding them takes a few ms).
#: How long the GUI may spend folding one batch: the rest of a frame is for drawing it.
FOLD_BUDGET_S = 0.010
#: Bounds of a batch, in events, whatever the GUI's folding speed.
MIN_BATCH, MAX_BATCH = 1_000, 60_000
#: Batches the pump holds for a GUI that is behind before it stops reading the session.
PENDING_BATCHES = 4


class EventPump(QObject):
    """Runs :meth:`run` on a QThread; talk to it only through its thread-safe requests."""

    #: A list of events (``object``: a ``list`` signal would copy it into a QVariantList).
    events_arrived = Signal(object)
    #: The session could not start (why, in one line: ``Type: message``); ``drained`` follows.
    failed = Signal(str)
    #: The run is over, every event was delivered, and the session is closed.
    drained = Signal()

    def __init__(self, session: EventSource) -> None:
        super().__init__()
        self.session = session
        self._stop_requested = False
        self._emitted = 0
        self._acknowledged = 0
        #: Events in the next batch (see :meth:`acknowledge`).
        self.batch_size = MIN_BATCH

    def request_stop(self) -> None:
        """Ask the pump thread to stop the session (returns at once)."""
        self._stop_requested = True

    def acknowledge(self, fold_s_per_event: float | None = None) -> None:
        """The GUI has shown a batch, folding it at ``fold_s_per_event`` (called on the GUI
        thread; plain attribute stores, thread-safe)."""
        if fold_s_per_event:
            self.batch_size = int(min(MAX_BATCH, max(MIN_BATCH, FOLD_BUDGET_S / fold_s_per_event)))
        self._acknowledged += 1

    @Slot()
    def run(self) -> None:
        session = self.session
        pending: list = []
        last_emit = 0.0
        stopping = False
        try:
            try:
                session.start()
            except Exception as error:  # (on this thread nobody else would hear of it)
                self.failed.emit(f"{type(error).__name__}: {error}")
                return
            while not session.finished:
                if self._stop_requested:
                    self._stop_requested = False
                    stopping = True
                    session.stop()
                gui_ready = self._emitted == self._acknowledged
                # Stopping, read to the end whatever the GUI does: it may be waiting for us.
                if len(pending) < PENDING_BATCHES * self.batch_size or stopping:
                    pending.extend(session.poll(POLL_S))
                else:
                    time.sleep(POLL_S / 4)  # the GUI is behind: let the channel fill
                now = time.monotonic()
                if pending and gui_ready and now - last_emit >= FRAME_S:
                    size = self.batch_size
                    batch, pending = pending[:size], pending[size:]
                    self._emit(batch)
                    last_emit = now
        finally:
            session.close()
            for start in range(0, len(pending), MAX_BATCH):
                self._emit(pending[start:start + MAX_BATCH])
            # Back to the GUI thread, whose deleteLater() can then free it: this thread's
            # event loop is about to end, and a deferred delete posted to it would never run.
            self.moveToThread(QCoreApplication.instance().thread())
            self.drained.emit()

    def _emit(self, batch: list) -> None:
        self._emitted += 1
        self.events_arrived.emit(batch)


_threads: weakref.WeakSet[QThread] = weakref.WeakSet()


def running_pump_threads() -> list[QThread]:
    """Pump threads still running (the tests' leak check asks)."""
    running = []
    for thread in list(_threads):
        try:
            if thread.isRunning():
                running.append(thread)
        except RuntimeError:  # its C++ object is gone: so is the thread
            pass
    return running


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
