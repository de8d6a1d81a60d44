"""Who is acting: the actor each event is recorded as, its process, and what its blocking waits poll.

One answer for every observed queue and every kind of actor.  A thread or an asyncio
task that acts for a scenario names itself with :class:`acting_as` (context
variables: each thread and each task has its own, and a task's ends with it).  An
event of a thread or task that did not is recorded as the process's actor — a
worker process sets it (:func:`set_process_actor`), otherwise it is ``main`` or the
process's own name — except on the thread and asyncio queues of a traced program,
which name such an actor after its thread or task (:func:`name_unnamed_by`).

The queues' hot paths read :data:`named` and :data:`process_actor` themselves: an event
costs one lookup, not a call.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from contextvars import ContextVar, Token
from multiprocessing import current_process

from core.events import MAIN_ACTOR
from core.system import after_fork_in_child

#: How often a wait that may be interrupted (a retired consumer, a stopped ``main``) looks up.
WAIT_SLICE_S = 0.05


class Stopped(Exception):
    """Raised inside an actor's blocking queue call when its run asks it to stop waiting."""


class Retired(Stopped):
    """Raised in a retired consumer's ``get()``: it takes no new task and ends."""


_actor: ContextVar[str | None] = ContextVar("joinscope_actor", default=None)
_check: ContextVar[Callable[[], None] | None] = ContextVar("joinscope_check", default=None)
#: The name the calling thread or task gave itself with :class:`acting_as`, or ``None``.
named = _actor.get
#: The actor of this process's events when no thread or task named itself (``None``: not known yet).
process_actor: str | None = None
_process_interrupt: Callable[[], None] | None = None
_unnamed: Callable[[], str] | None = None
#: This process's id (kept here: ``os.getpid()`` is a system call on some platforms).
pid = os.getpid()


def set_process_actor(name: str | None) -> None:
    """Name the actor of this process's events (a worker calls this first; ``None``: find it again)."""
    global process_actor
    process_actor = name


def default_actor_name() -> str:
    """``main`` in a program's main process, a multiprocessing child's own name elsewhere — or
    the lane name an observed pool gave its worker (``worker-3``; its process keeps its name)."""
    process = current_process()
    given = getattr(process, "_joinscope_actor", None)
    if given is not None:
        return given
    return MAIN_ACTOR if process.name == "MainProcess" else process.name


def current_actor() -> str:
    """The actor of the calling thread or task: its :class:`acting_as` name, else the process's."""
    name = _actor.get()
    if name is not None:
        return name
    if process_actor is None:
        set_process_actor(default_actor_name())
    return process_actor  # type: ignore[return-value]


def unnamed_actor() -> str:
    """The actor of a thread or task that did not name itself, on the thread and asyncio queues."""
    return _unnamed() if _unnamed is not None else current_actor()


def name_unnamed_by(namer: Callable[[], str] | None) -> None:
    """Name the threads and tasks that do not name themselves by ``namer()`` (a traced program)."""
    global _unnamed
    _unnamed = namer


def current_pid() -> int:
    return pid


class acting_as:
    """Context manager: the events of the current thread (or asyncio task) are recorded as
    ``actor``, and its blocking queue calls poll ``interrupt`` (which raises :class:`Stopped`
    to stop waiting)."""

    def __init__(self, actor: str, interrupt: Callable[[], None] | None = None) -> None:
        self._actor = actor
        self._interrupt = interrupt
        self._tokens: tuple[Token[str | None], Token[Callable[[], None] | None]] | None = None

    def __enter__(self) -> acting_as:
        self._tokens = _actor.set(self._actor), _check.set(self._interrupt)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._tokens is not None:
            actor, check = self._tokens
            _actor.reset(actor)
            _check.reset(check)


def name_this_thread(name: str) -> None:
    """The calling thread's events are recorded as ``name`` from now on (a pool's own thread, which
    lives as long as its pool: no context to leave)."""
    _actor.set(name)


def set_process_interrupt(check: Callable[[], None] | None) -> None:
    """Make the blocking queue calls of this process poll ``check``."""
    global _process_interrupt
    _process_interrupt = check


def interrupt_check() -> Callable[[], None] | None:
    """What the calling thread's or task's blocking waits poll (``None``: wait as the stdlib does)."""
    check = _check.get()
    return check if check is not None else _process_interrupt


def forget_process() -> None:
    """In a new child process: nothing of the parent's actor is ours."""
    global pid, _process_interrupt
    pid = os.getpid()
    set_process_actor(None)
    _process_interrupt = None
    _actor.set(None)  # the forking thread's name, copied into this process's only thread
    _check.set(None)


after_fork_in_child(forget_process)
