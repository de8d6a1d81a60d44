"""Making a program's JoinableQueues observed, in its main process and in every child.

:func:`install` replaces ``multiprocessing.context.BaseContext.JoinableQueue`` (the
method behind ``multiprocessing.JoinableQueue``, ``from multiprocessing import
JoinableQueue`` and ``get_context(m).JoinableQueue``) by one that returns an
:class:`core.queues.observed.ObservedJoinableQueue` reporting to the trace channel.  Forked
children inherit the patch; spawn and forkserver children get it from an object
added to multiprocessing's own preparation data, whose unpickling in the child (before
the main module is re-imported and before the process object is unpickled) installs
it there too.  Children also report their start (on first use of the channel), their
exit code, and their joins of other processes.
"""
from __future__ import annotations

import itertools
import multiprocessing
import os
import time
from multiprocessing import context, process, spawn
from typing import Any

from core.backends import POOL, PROCESS
from core.backends import TRACEABLE as KINDS
from core.events import JOIN_ENTER, JOIN_RETURN, MAIN_ACTOR, wire_record
from core.queues import acting
from core.queues import reporter as _reporting
from core.queues.acting import current_actor, current_pid
from core.queues.observed import ObservedJoinableQueue
from core.queues.pools import observe_pools, pool_worker_actor
from core.system import terminating_popen
from core.tracing import channel as _channel_module
from core.tracing.channel import TraceChannel, channel_for
from core.tracing.handshake import FlushHandshake
from core.tracing.task_queues import install as install_task_queues

#: How long a termination waits for its target's last events (its flusher sends every 20 ms).
TERMINATE_DELAY_S = 0.05
_last_delay = 0.0
#: The preparation-data key that carries the channel to spawn and forkserver children.
PREPARATION_KEY = "joinscope_trace"

_installed: TraceChannel | None = None
_originals: dict[str, Any] = {}
#: The pid of the traced program's main process (only that process sets it).
_program_pid: int | None = None
_queue_numbers = itertools.count(1)
#: Which queues are observed: JoinableQueue ("process"), queue.Queue ("thread"), asyncio.Queue.
_queue_kinds: tuple[str, ...] = KINDS


def install(channel: TraceChannel, *, program_main: bool = False, queues: tuple[str, ...] = KINDS) -> None:
    """Observe every JoinableQueue this process (and its children) create from now on —
    and every ``queue.Queue`` and ``asyncio.Queue``, as ``queues`` says (see
    :mod:`core.tracing.task_queues`); ``program_main`` in the traced program's main process."""
    global _installed, _program_pid, _queue_kinds
    if _installed is not None:
        return
    _installed = channel
    _queue_kinds = tuple(queues)
    if program_main:
        _program_pid = os.getpid()
    install_task_queues(channel, _queue_kinds, _next_queue_name)
    if POOL in _queue_kinds:
        observe_pools(channel, channel.note_queue_created)
    # The stdlib's own names are replaced (setattr: they are private, or typed as classes).
    _originals.update(JoinableQueue=context.BaseContext.JoinableQueue, get_preparation_data=spawn.get_preparation_data,
                      bootstrap=getattr(process.BaseProcess, "_bootstrap"), join=process.BaseProcess.join,
                      start=process.BaseProcess.start, terminate=terminating_popen().terminate,
                      cleanup=getattr(process, "_cleanup"))
    if PROCESS in _queue_kinds:
        setattr(context.BaseContext, "JoinableQueue", _observed_joinable_queue)
        # ``multiprocessing.JoinableQueue`` was bound to the default context when multiprocessing
        # was imported; bind it again so the module-level name (and a later from-import) is patched.
        setattr(multiprocessing, "JoinableQueue", getattr(context, "_default_context").JoinableQueue)
    setattr(spawn, "get_preparation_data", _preparation_data)
    setattr(process.BaseProcess, "_bootstrap", _bootstrap)
    setattr(process.BaseProcess, "join", _join)
    setattr(process.BaseProcess, "start", _start)
    setattr(process, "_cleanup", _cleanup)
    setattr(terminating_popen(), "terminate", _terminate)


def _start(self: Any) -> None:
    """``Process.start``: a child of a process that reports is given a :class:`FlushHandshake`;
    an observed pool's worker, its lane name."""
    worker = pool_worker_actor(self)
    if worker is not None:
        self._joinscope_actor = worker
    if _installed is not None and id(_installed) in _reporting._reporters:
        # Made only where queues are in use: a semaphore can start multiprocessing's
        # resource tracker, which a program with no JoinableQueue should not get from us.
        try:
            ctx = context._default_context.get_context(getattr(self, "_start_method", None))
            self._joinscope_flush = FlushHandshake(ctx)
        except Exception:
            pass
    _originals["start"](self)
    handshake = getattr(self, "_joinscope_flush", None)
    if handshake is not None and self._popen is not None:
        self._popen._joinscope_flush = handshake


def _terminate(self: Any) -> None:
    """``Popen.terminate`` (behind ``Process.terminate()``, a pool's exit and multiprocessing's
    ending of daemon children at exit), once the target has sent its buffered events: a
    process that SIGTERM ends takes them with it.  The target's flusher thread sends them
    when asked (see :mod:`core.tracing.handshake`); a target that cannot be asked, or does
    not answer, is given :data:`TERMINATE_DELAY_S`, in which its flusher sends them by
    itself (several such terminations in a row wait once)."""
    global _last_delay
    if self.returncode is None:
        # Just after a whole delay, every flusher has had its turn: no need to wait again.
        recently = time.monotonic() - _last_delay <= TERMINATE_DELAY_S
        handshake = getattr(self, "_joinscope_flush", None)
        if handshake is not None:
            try:
                answered = handshake.flush_now(0.0 if recently else TERMINATE_DELAY_S)
            except Exception:
                answered = False
            if not answered and not recently:
                _last_delay = time.monotonic()
        elif not recently:
            time.sleep(TERMINATE_DELAY_S)
            _last_delay = time.monotonic()
    _originals["terminate"](self)


def _next_queue_name() -> str:
    """A queue's name, unique in the run: numbered by the process that makes it."""
    pid = os.getpid()
    return f"queue-{next(_queue_numbers)}" + ("" if pid == _program_pid else f"@{pid}")


def _observed_joinable_queue(self: Any, maxsize: int = 0) -> ObservedJoinableQueue:
    """``BaseContext.JoinableQueue``, observed."""
    # Named by the process that makes it: a spawn child re-importing a main module that makes
    # a queue at its top level does so before it knows it is a child.
    queue = ObservedJoinableQueue(maxsize, ctx=self.get_context(), events=_installed, name=_next_queue_name())
    _installed.note_queue_created(queue.name)  # type: ignore[union-attr]
    return queue


class _Activation:
    """Pickled into a child's preparation data; unpickling it installs the patch there."""

    def __init__(self, channel: TraceChannel) -> None:
        self.channel = channel

    def __reduce__(self) -> tuple:
        return (activate, (self.channel.address, self.channel._authkey, _queue_kinds))


def activate(address: str, authkey: bytes, queues: tuple[str, ...] = KINDS) -> _Activation:
    channel = channel_for(address, authkey)
    install(channel, queues=queues)
    return _Activation(channel)


def _preparation_data(name: str) -> dict[str, Any]:
    data = _originals["get_preparation_data"](name)
    data[PREPARATION_KEY] = _Activation(_installed)  # type: ignore[arg-type]
    return data


def _bootstrap(self: Any, parent_sentinel: Any = None) -> int:
    """A child's whole life (``BaseProcess._bootstrap``), noting when it started and how it ended."""
    _channel_module.process_started_at = time.monotonic()
    _reporting.flush_requests = getattr(self, "_joinscope_flush", None)
    # Named afresh once this process knows its own name (a spawn child's re-import of the main
    # module runs before, as "MainProcess").
    acting.set_process_actor(None)
    exitcode = _originals["bootstrap"](self, parent_sentinel)
    # The reporter's last flush already ran in the exit function of the original.
    if _installed is not None:
        _installed.note_exit(exitcode)
    return exitcode


def _join(self: Any, timeout: float | None = None) -> None:
    """``Process.join``, reported as a join of the process when this process reports at all;
    and, whenever it finds the child ended, its exit code, for the child that could not say it."""
    reporter = _reporting._reporters.get(id(_installed))
    if reporter is None or not _installed.connected:  # type: ignore[union-attr]
        _originals["join"](self, timeout)
        _note_child_exit(self)
        return
    if getattr(self, "_joinscope_actor", None):
        # (A pool joins its own workers: that is part of the pool's join, reported by the pool.)
        return _originals["join"](self, timeout)
    target = self.name if self.name != "MainProcess" else MAIN_ACTOR
    actor, pid = current_actor(), current_pid()
    entered = time.monotonic()
    reporter.record(wire_record(entered, JOIN_ENTER, actor, pid, item=target))
    reporter.flush()
    try:
        _originals["join"](self, timeout)
    finally:
        returned = time.monotonic()
        reporter.record(wire_record(returned, JOIN_RETURN, actor, pid, item=target, waited=returned - entered))
        reporter.flush()  # multiprocessing joins children at exit, after the reporter's last flush
        _note_child_exit(self)


def _cleanup() -> None:
    """``multiprocessing.process._cleanup``: the children found ended without a ``join()`` (as
    ``active_children()`` finds them, at the program's exit too, where a terminated daemon that
    died at once is never joined) still have their exit codes told."""
    children = getattr(process, "_children")
    before = set(children)
    _originals["cleanup"]()
    for child in before - children:
        _note_child_exit(child)


_exits_noted: set[int] = set()


def _note_child_exit(process: Any) -> None:
    """Tell JoinScope how a child ended (once): a daemon that multiprocessing terminates at its
    parent's exit, or any child killed outright, dies before it can say so itself."""
    exitcode, pid = process.exitcode, process.pid
    if exitcode is None or pid is None or pid in _exits_noted or _installed is None:
        return
    _exits_noted.add(pid)
    _installed.note_child_exit(pid, process.name, exitcode)
