"""The event vocabulary shared by workers, the run model, the CLI, the GUI and trace files.

Everything that JoinScope observes is an :class:`Event`.  Worker processes build a
compact *wire record* for each queue operation (see :data:`WIRE_FIELDS`); the
observer's :class:`core.queues.merge.EventMerger` turns wire records into numbered
:class:`Event` tuples.  Trace files store events as JSON objects with the same
field names, so a reader needs nothing but this module to understand them.

Events are plain tuples (a ``NamedTuple``) on purpose: the observer may handle
hundreds of thousands of them per second, and a tuple costs one allocation.
"""
from __future__ import annotations

import itertools
import math
import os
import re
import zlib
from collections.abc import Callable
from typing import Any, NamedTuple

# -- kinds -------------------------------------------------------------------
PUT = "put"
GET = "get"
TASK_DONE = "task_done"
JOIN_ENTER = "join_enter"
JOIN_RETURN = "join_return"
ACTOR_START = "actor_start"
ACTOR_EXIT = "actor_exit"
ERROR = "error"
#: The session launched an actor's process (its lane starts, in "starting").
ACTOR_LAUNCH = "actor_launch"
#: The session asked an actor to retire: it finishes what it holds, then exits.
ACTOR_RETIRE = "actor_retire"
#: An actor is about to block in ``get()`` because the queue is empty.
GET_WAIT = "get_wait"
#: An actor is about to block in ``put()`` because a bounded queue is full.
PUT_WAIT = "put_wait"
#: ``get()`` raised ``Empty``: nothing came within its timeout (or, not blocking, none was there).
GET_EMPTY = "get_empty"
#: ``put()`` raised ``Full``: no room came within its timeout (or, not blocking, none was there).
PUT_FULL = "put_full"
#: ``actor_exit``'s exit code for an actor that raised (a process that dies of an exception
#: exits with it too).
EXIT_RAISED = 1
#: ``actor_exit``'s item for an actor of a traced program that is a thread or an asyncio task,
#: not a process (its exit code is then 0, :data:`EXIT_RAISED`, a task's ``sys.exit`` code, or
#: ``None`` when cancelled).
THREAD_UNIT = "thread"
TASK_UNIT = "task"
ACTOR_UNITS = frozenset({THREAD_UNIT, TASK_UNIT})
#: The user stopped the run (actor :data:`OBSERVER_ACTOR`): the actors that end after it
#: were stopped, not crashed, whatever their exit code.
RUN_STOP = "run_stop"
#: The user paused the run (actor :data:`OBSERVER_ACTOR`): every actor is held where it is
#: until :data:`RUN_RESUME`.  Waits that span a pause include it; the plots mark it.
RUN_PAUSE = "run_pause"
RUN_RESUME = "run_resume"
#: The run was declared stalled (actor :data:`OBSERVER_ACTOR`): no event came for its stall
#: timeout while something waited, or, in step mode, nobody can take another step.  Its
#: ``item`` is the diagnosis, as the window and the command line said it then.
STALL = "stall"
#: Step mode: an actor has paused before its next operation, which its ``item`` names
#: as ``[operation, target, function, line]`` (see :mod:`core.stepping.gate`).
STEP_READY = "step_ready"
#: Step mode: the actor may now make the operation it paused before (same ``item``).
STEP_GRANT = "step_grant"

# -- a pool's kinds (multiprocessing.Pool, ProcessPoolExecutor, ThreadPoolExecutor) ------
# A pool is a queue whose ``depth`` counts the tasks submitted and not yet taken by a worker,
# and whose ``unfinished`` counts the tasks submitted and not yet delivered (their result or
# exception handed to the program), read under the pool's own counts lock with each operation
# (see :mod:`core.queues.pool_state`).  ``item`` starts with the task's key: see :func:`task_key`.
#: A task went into the pool (``item``: ``[task, what it calls]``).
SUBMIT = "submit"
#: A worker took the task and runs it (``item``: the task).
TASK_START = "task_start"
#: The worker finished it (``item``: ``[task, ok, outcome]``: its result, briefly, or ``"Type: message"``).
TASK_FINISH = "task_finish"
#: Its result or exception reached the program's side of the pool (``item``: ``[task, ok, heard]``,
#: ``heard`` whether a callback for that outcome is registered, null when the pool has no such thing).
DELIVER = "deliver"
#: The task left the pool without running: cancelled, or it could not be sent (``item``: ``[task, why]``).
CANCEL = "cancel"
#: A callback began (``item``: ``[task, "callback" | "error_callback" | "done_callback"]``) …
CALLBACK = "callback"
#: … and returned (``item``: ``[task, which, ok]``).
CALLBACK_RETURN = "callback_return"
#: ``Pool.map()`` read its whole iterable into a list before it submitted a task (``item``:
#: ``[how many items, seconds it took]``): an iterable with no ``len()`` is consumed up front.
MAP_LISTED = "map_listed"
#: How observed pools are named (``pool-1``, ``executor-2@4242``): by the kind of pool and a number.
POOL_NAME_PREFIXES = ("pool-", "executor-")
POOL_KINDS: frozenset[str] = frozenset({SUBMIT, TASK_START, TASK_FINISH, DELIVER, CANCEL, CALLBACK,
                                        CALLBACK_RETURN, MAP_LISTED})

KINDS: frozenset[str] = frozenset(
    {PUT, GET, TASK_DONE, JOIN_ENTER, JOIN_RETURN, ACTOR_LAUNCH, ACTOR_START, ACTOR_RETIRE, ACTOR_EXIT, ERROR,
     GET_WAIT, PUT_WAIT, GET_EMPTY, PUT_FULL, RUN_STOP, RUN_PAUSE, RUN_RESUME, STALL, STEP_READY, STEP_GRANT} \
    | POOL_KINDS
)

#: How each kind changes (depth, unfinished) of its queue.  Every other kind changes neither.
COUNT_DELTAS: dict[str, tuple[int, int]] = {PUT: (1, 1), GET: (-1, 0), TASK_DONE: (0, -1),
                                            SUBMIT: (1, 1), TASK_START: (-1, 0), DELIVER: (0, -1),
                                            CANCEL: (-1, -1)}

#: The roles of a scenario's actors; an actor is named after its role and number
#: (``producer-0``, ``consumer-2``), except ``main``, of which there is one.
PRODUCER = "producer"
CONSUMER = "consumer"
MAIN_ACTOR = "main"
#: The actor named on events that the observer itself reports.
OBSERVER_ACTOR = "joinscope"
#: A pool's actors: its worker processes (``worker-0``, ``worker-1``, …), the thread that hands
#: results back (``multiprocessing.Pool``'s result handler, a ``ProcessPoolExecutor``'s manager),
#: where the callbacks run, and ``Pool``'s task handler, which makes a ``map()``'s tasks.
WORKER = "worker"
RESULT_HANDLER = "result-handler"
TASK_HANDLER = "task-handler"


def role_of(actor: str) -> str:
    """The role in an actor's name: what comes before its last ``-`` (``main`` is its own, and a
    pool's threads are theirs: ``result-handler``, ``result-handler-2``)."""
    for thread in (RESULT_HANDLER, TASK_HANDLER):
        if actor.startswith(thread) and (len(actor) == len(thread) or actor[len(thread)] == "-"):
            return thread
    role, dash, _ = actor.rpartition("-")
    return role if dash else actor


class Event(NamedTuple):
    """One observed fact, numbered in the order of the whole run.

    ``depth`` and ``unfinished`` are the counts of ``queue`` right after the event,
    read under the queue's own lock; both are ``None`` when ``queue`` is ``None``.
    ``released_by`` (on ``join_return``) is the ``seq`` of the ``task_done`` that
    brought unfinished to 0, ``None`` when ``join()`` returned at once.
    ``op`` numbers the operations of one queue (1, 2, …) and fixes their order.
    A ``join_enter``/``join_return`` with ``queue`` ``None`` is a join of a process,
    whose actor name is the ``item``.
    """

    seq: int
    t: float
    kind: str
    actor: str
    pid: int
    queue: str | None
    op: int
    item: Any
    depth: int | None
    unfinished: int | None
    released_by: int | None = None
    waited: float | None = None
    error: str | None = None
    exitcode: int | None = None


#: The fields of a wire record: an Event without ``seq``, with ``t`` on the
#: absolute ``time.monotonic()`` clock and ``released_by`` as a queue ``op``.
#: A record may stop after ``unfinished`` (the rest are then ``None``): the
#: put/get/task_done records do, which makes every batch cheaper to pickle.
WIRE_FIELDS: tuple[str, ...] = Event._fields[1:]



def wire_record(t: float, kind: str, actor: str, pid: int, queue: str | None = None, op: int = 0, item: Any = None,
                depth: int | None = None, unfinished: int | None = None, released_by: int | None = None,
                waited: float | None = None, error: str | None = None, exitcode: int | None = None) -> tuple:
    """A whole wire record, by field name: for the events that are no queue's hot path
    (the queues build theirs inline, and stop after ``unfinished``)."""
    return (t, kind, actor, pid, queue, op, item, depth, unfinished, released_by, waited, error, exitcode)


ITEM_TEXT_LIMIT = 200


def jsonable_item(item: Any, pickled: Callable[[], bytes | memoryview] | None = None) -> Any:
    """Return ``item`` as a JSON-ready value: scalars as they are, tuples and lists
    of scalars as tuples, anything else as its (shortened) ``repr``.

    A default repr holds the object's address (``<Job object at 0x7f…>``), which differs
    between the process that put an item and the one that got its copy: each address becomes
    a short id (``<Job object #3fa2c1>``) taken from ``pickled()``, the item's bytes on the
    pipe, the same at both ends.  Without ``pickled`` (a queue within one process, where put
    and get see the same object) the id is taken from the address itself.

    Runs in the worker on every put and get, so the common shapes take the fast path.
    """
    kind = type(item)
    if kind is bool or item is None or (kind is int and -_BIG_INT < item < _BIG_INT):
        return item
    if kind is float:
        return item if math.isfinite(item) else repr(item)
    if kind is str and (item.isascii() or _encodable(item)):
        return item if len(item) <= ITEM_TEXT_LIMIT else item[:ITEM_TEXT_LIMIT] + "…"
    if (kind is tuple or kind is list) and len(item) <= 16:
        for part in item:
            if jsonable_item(part) is not part or type(part) in (tuple, list):
                break
        else:
            return tuple(item)
    if kind is int:
        return f"<int of {item.bit_length()} bits>"
    if (kind is bytes or kind is bytearray) and len(item) > ITEM_TEXT_LIMIT:
        return f"<{kind.__name__} of {len(item)} bytes>"  # not a repr of megabytes, only to cut it
    try:
        text = repr(item)
    except Exception as error:  # a user's __repr__ may fail; the event must not
        text = f"<{kind.__name__} whose repr() failed: {type(error).__name__}>"
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if " at 0x" in text:
        text = _stable_ids(text, pickled)
    return text if len(text) <= ITEM_TEXT_LIMIT else text[:ITEM_TEXT_LIMIT] + "…"


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _stable_ids(text: str, pickled: Callable[[], bytes | memoryview] | None) -> str:
    """``text`` with each `` at 0x…`` address replaced by a short id that the other end of
    the queue computes alike (see :func:`jsonable_item`), and the script's module named alike
    too: a spawned child imports it as ``__mp_main__``."""
    text = text.replace("<__mp_main__.", "<__main__.")
    base: int | None = None
    if pickled is not None:
        try:
            base = zlib.crc32(pickled())
        except Exception:  # cannot be pickled: it will not cross the pipe either (an error event says so)
            base = None
    count = itertools.count()

    def short_id(match: re.Match[str]) -> str:
        n = next(count)
        if base is None:
            return f" #{zlib.crc32(match.group().encode()) & 0xFFFFFF:06x}"
        return f" #{base & 0xFFFFFF:06x}" + (f".{n}" if n else "")

    return _ADDRESS.sub(short_id, text)


#: Integers beyond this are shown as their size: JSON readers lose precision past 2**53,
#: and Python refuses to print ints of more than 4300 digits.
_BIG_INT = 2**63


def _encodable(text: str) -> bool:
    """Whether ``text`` survives UTF-8 (a lone surrogate does not)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def task_key(job: int, index: int, chunked: bool) -> int | str:
    """A pool task's name in events: its job's number (``apply_async``, ``submit``), or
    ``"job.index"`` for a piece of a job that has several (a ``map()``'s chunk)."""
    return job if index == 0 and not chunked else f"{job}.{index}"


def counts_of(event: Event) -> tuple[int, int]:
    """``(depth, unfinished)`` right after ``event``, an operation of a queue (which always carries them)."""
    if event.depth is None or event.unfinished is None:
        raise ValueError(f"event {event.seq} ({event.kind}) carries no queue counts")
    return event.depth, event.unfinished


def event_to_json(event: Event) -> dict[str, Any]:
    """The trace-file object of ``event``: the fields its kind uses, tuples as lists."""
    record: dict[str, Any] = {
        "seq": event.seq,
        "t": round(event.t, 6),
        "kind": event.kind,
        "actor": event.actor,
        "pid": event.pid,
        "queue": event.queue,
        "op": event.op,
        "item": list(event.item) if type(event.item) is tuple else event.item,
        "depth": event.depth,
        "unfinished": event.unfinished,
    }
    if event.kind == JOIN_RETURN:
        record["released_by"] = event.released_by
        record["waited"] = None if event.waited is None else round(event.waited, 6)
    elif event.kind == ERROR:
        record["error"] = event.error
    elif event.kind == ACTOR_EXIT:
        record["exitcode"] = event.exitcode
    return record


def describe_exception(error: BaseException) -> str:
    """An ``error`` event's text: ``Type: message (at file:line in function)`` of where it was raised."""
    import traceback  # here: a traced program's processes import this module, and rarely fail

    where = ""
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        last = frames[-1]
        where = f" (at {os.path.basename(last.filename)}:{last.lineno} in {last.name})"
    return f"{type(error).__name__}: {error}{where}"


def describe_item(item: Any) -> str:
    """A short human text for an item, as the narration prints it."""
    if type(item) is tuple:
        return "(" + ", ".join(_short(part) for part in item) + ("," if len(item) == 1 else "") + ")"
    return _short(item)


def _short(value: Any) -> str:
    return f"{value:.3f}" if type(value) is float else repr(value)
