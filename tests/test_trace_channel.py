"""The trace channel: private, authenticated, and unpickling plain data only."""
from __future__ import annotations

import os
import pickle
import stat
import sys
import threading
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client
from pathlib import Path

import pytest

from core.recordings.trace import check_counts
from core.tracing.channel import QUEUE_CREATED, load_message
from core.tracing.session import TraceSession

PROGRAMS = Path(__file__).resolve().parent / "programs"
#: The program's children start as they may on this system (fork where there is fork, as macOS allows).
START_METHOD = "fork" if sys.platform == "linux" else "spawn"


def test_messages_of_plain_data_load():
    batch = [(1.5, "put", "producer", 42, "queue-1", 1, (1, "x", None, 2.5), 1, 1)]
    assert load_message(pickle.dumps(batch, 5)) == batch
    assert load_message(pickle.dumps((QUEUE_CREATED, "queue-1"))) == (QUEUE_CREATED, "queue-1")


@pytest.mark.parametrize("payload", [os.system, Path("/"), {1, 2}.__class__, [pickle.PickleError("x")]])
def test_a_message_naming_any_class_or_function_is_refused(payload):
    with pytest.raises(pickle.UnpicklingError):
        load_message(pickle.dumps(payload))


def test_the_listener_is_private_and_a_wrong_key_is_turned_away():
    with TraceSession(str(PROGRAMS / "hang.py")) as session:
        session.start()
        events = []
        while not any(e.kind == "join_enter" and e.queue for e in events):
            events += session.poll(0.05)
        address = session._listener.address
        folder = session._dir
        if sys.platform != "win32":  # a Unix socket, in a folder only this user may enter
            assert os.path.dirname(address) == folder and stat.S_IMODE(os.stat(folder).st_mode) == 0o700
        else:  # a named pipe
            assert address.startswith("\\\\.\\pipe\\joinscope-")
        refused: list[BaseException] = []
        stranger = threading.Thread(target=_connect_with_a_wrong_key, args=(address, refused))
        stranger.start()
        while stranger.is_alive():  # the session turns the stranger away and carries on
            events += session.poll(0.05)
        stranger.join()
        assert len(refused) == 1 and isinstance(refused[0], (AuthenticationError, EOFError, ConnectionError))
        session.stop()
        while not session.finished:
            events += session.poll(0.05)
    assert session.closed and not os.path.exists(folder)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


def _connect_with_a_wrong_key(address: str, refused: list) -> None:
    try:
        Client(address, authkey=b"not the key")
    except BaseException as error:
        refused.append(error)


def test_a_peer_that_says_nothing_is_dropped_and_the_run_goes_on(monkeypatch):
    monkeypatch.setattr("core.tracing.listener.HANDSHAKE_S", 0.3)
    with TraceSession(str(PROGRAMS / "plain_module.py"), [START_METHOD, "10"]) as session:
        session.start()
        silent = Client(session._listener.address)  # connects, and never answers the challenge
        try:
            events = []
            while not session.finished:
                events += session.poll(0.05)
        finally:
            silent.close()
    assert session.returncode == 0
    assert check_counts(events) is None and sum(e.kind == "task_done" for e in events) == 11


def test_a_flusher_asked_to_flush_sends_the_buffer_and_answers(monkeypatch):
    """What a traced ``terminate()`` relies on: the target's buffered records are sent when asked."""
    from multiprocessing import get_context

    from core.queues import reporter as reporting
    from core.tracing.handshake import FlushHandshake

    handshake = FlushHandshake(get_context("spawn"))
    monkeypatch.setattr(reporting, "flush_requests", handshake)
    sent: list[list] = []

    class Channel:
        def put(self, batch: list) -> None:
            sent.append(batch)

    reporter = reporting.Reporter(Channel())
    reporter.record((0.0, "put"))  # the first record goes at once and starts the flusher
    reporter.flush_due = float("inf")  # the next ones wait, as within a flush interval
    reporter.record((0.1, "put"))
    reporter.record((0.2, "get"))
    try:
        assert handshake.flush_now(timeout=10.0)
        assert sent == [[(0.0, "put")], [(0.1, "put"), (0.2, "get")]]
    finally:
        reporter.close()
    assert not reporter._thread.is_alive()


def test_a_parent_s_word_on_a_child_s_exit_is_kept_until_the_child_is_heard_from():
    """On a loaded machine the parent's join() can report a terminated child before the child's own
    first records are read; the child, reaped by then, can no longer be asked who its parent was.
    Its exit still gets the code the parent told, not none."""
    from core.events import ACTOR_EXIT, ACTOR_START, WIRE_FIELDS, wire_record
    from core.tracing.session import TraceSession, _Peer

    class Ended:
        def recv_bytes(self):
            raise EOFError

        def close(self):
            pass

    class Merger:
        def note_exit(self):
            pass

    session = TraceSession("program.py")
    session._merger = Merger()
    records: list = []
    session._child_exited(4242, "worker", -15, records)  # the parent's word comes first
    assert records == []
    peer = _Peer()
    session._note_peer(peer, [wire_record(1.0, ACTOR_START, "worker", 4242)])  # then the child's records
    assert peer.child and peer.pid == 4242
    ended = Ended()
    session._peers[ended] = peer
    session._read(ended, records)  # and its connection closes: it died without a word
    assert [(r[1], r[2], r[3]) for r in records] == [(ACTOR_EXIT, "worker", 4242)]
    assert records[0][WIRE_FIELDS.index("exitcode")] == -15
    assert not session._missing_exits and not session._exit_codes
    session.close()
