"""Observing ``concurrent.futures``: ``ProcessPoolExecutor``, ``ThreadPoolExecutor`` and the waits on their futures.

A ``ProcessPoolExecutor`` keeps a task as a work item in ``_pending_work_items`` (keyed by
its work id) from ``submit()`` until its result comes back; its manager thread moves it to
``_call_queue`` (a pipe), a worker process takes it, runs it and sends the outcome through
``_result_queue``, and the manager thread pops the work item and sets the future's result.
:func:`patch` makes each executor report on a :class:`~core.queues.pool_state.PoolCounts`:

- ``submit`` when the work item is filed in ``_pending_work_items`` (under ``submit()``'s own
  lock, before its id is queued), ``task_start`` when a worker takes it from ``_call_queue``,
  ``task_finish`` when the worker sends its outcome, ``deliver`` when its future gets its
  result or exception (before anything waiting on the future is woken), ``cancel`` when a
  pending future is cancelled (``cancel()``, ``shutdown(cancel_futures=True)``) or its
  task cannot be pickled, ``callback``/``callback_return`` around done callbacks;
- a ``ThreadPoolExecutor``'s ``submit``, ``task_start`` (once its future is running, so it can
  no longer be cancelled), ``task_finish`` and ``deliver`` on its worker threads' own lanes;
- ``join_enter``/``join_return`` around ``shutdown(wait=True)``, around every moment
  ``wait()`` and ``as_completed()`` block (each released by the delivery that woke them),
  and around ``Future.result()``/``exception()`` when the future is not done yet.

``ThreadPoolExecutor``'s ``_WorkItem.run`` and ``Future._invoke_callbacks`` mirror CPython
3.10–3.13's bodies (a later version keeps its own, unobserved); every other hook wraps the
stdlib's own method or changes the class of an object the stdlib made, so executors block,
raise and pickle as before.
"""
from __future__ import annotations

import sys
from concurrent.futures import _base as _stdlib_base
from concurrent.futures import process as _stdlib_process
from concurrent.futures import thread as _stdlib_thread
from multiprocessing import queues as _stdlib_queues
from queue import SimpleQueue as ThreadSimpleQueue
from typing import Any

from core.events import CANCEL, SUBMIT, TASK_FINISH, TASK_START
from core.queues.acting import named, unnamed_actor
from core.queues.pool_state import (
    CarriesCounts,
    PoolCounts,
    building_pool,
    call_text,
    join_wrapper,
    new_counts,
    outcome_text,
    released_by_last_zero,
    released_by_own_delivery,
)

#: The stdlib's modules and pipe class, whose private parts typeshed does not declare.
_base: Any = _stdlib_base
futures_process: Any = _stdlib_process
futures_thread: Any = _stdlib_thread
SimpleQueue: Any = _stdlib_queues.SimpleQueue
_originals: dict[str, Any] = {}
#: Whether the stdlib's bodies mirrored here are the ones this Python runs.
MIRRORED_VERSIONS = sys.version_info[:2] <= (3, 13)
_DONE = (_base.CANCELLED_AND_NOTIFIED, _base.FINISHED, _base.CANCELLED)


def _describe(function: Any, args: tuple) -> str:
    """What a work item calls; a ``map()``'s chunk is ``partial(_process_chunk, fn)`` of a chunk."""
    inner = getattr(function, "func", None)
    if inner is futures_process._process_chunk and args:
        return call_text(function.args[0], (), pieces=len(args[0]))
    return call_text(function, args)


# -- ProcessPoolExecutor ----------------------------------------------------------------------------
class ObservedWorkItems(dict):
    """``_pending_work_items``: filing a work item is its submission."""

    def __init__(self, counts: PoolCounts) -> None:
        super().__init__()
        self._joinscope_pool = counts

    def __setitem__(self, work_id: int, work_item: Any) -> None:
        counts = self._joinscope_pool
        counts.record(SUBMIT, (work_id, _describe(work_item.fn, work_item.args)), 1, 1)
        future = work_item.future
        future._joinscope_task = (counts, work_id, counts.results_actor)
        future._joinscope_owner, future._joinscope_key = counts, work_id
        super().__setitem__(work_id, work_item)


class ObservedCallQueue(CarriesCounts, futures_process._SafeQueue):
    """``_call_queue``: a worker's ``get()`` reports the task it takes; a task that cannot be
    pickled (the feeder thread's error) leaves the pool unrun."""


    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        self._joinscope_pool.first_wait()
        item = super().get(block, timeout)
        if item is not None:
            self._joinscope_pool.record(TASK_START, item.work_id, -1, 0)
        return item

    def _on_queue_feeder_error(self, e: Exception, obj: Any) -> None:
        if isinstance(obj, futures_process._CallItem):
            work_item = self.pending_work_items.get(obj.work_id)
            if work_item is not None and getattr(work_item.future, "_joinscope_task", None) is not None:
                work_item.future._joinscope_task = None  # it is not delivered: it left unrun
                self._joinscope_pool.record(CANCEL, (obj.work_id, f"could not be sent: {outcome_text(False, e)}"),
                                            -1, -1)
        super()._on_queue_feeder_error(e, obj)


class ObservedResultQueue(CarriesCounts, SimpleQueue):
    """``_result_queue``: a worker's ``put()`` of an outcome reports the task finished."""


    def put(self, obj: Any) -> None:
        if isinstance(obj, futures_process._ResultItem) and obj.work_id is not None:
            ok = obj.exception is None
            self._joinscope_pool.record(TASK_FINISH, (obj.work_id, ok,
                                                      outcome_text(ok, obj.result if ok else obj.exception)))
        super().put(obj)


def _process_executor_init(self: Any, *args: Any, **kwargs: Any) -> None:
    token = building_pool.set(True)
    try:
        _originals["process_init"](self, *args, **kwargs)
    finally:
        building_pool.reset(token)
    counts = new_counts(self._mp_context, "executor",
                        ((self._call_queue, ObservedCallQueue), (self._result_queue, ObservedResultQueue)))
    if counts is None:
        return
    self._joinscope_pool = counts
    items = ObservedWorkItems(counts)
    self._pending_work_items = self._call_queue.pending_work_items = items


# -- ThreadPoolExecutor -----------------------------------------------------------------------------
class ObservedWorkQueue(ThreadSimpleQueue):
    """A thread pool's ``_work_queue``: putting a work item in it is its submission."""

    def __init__(self, counts: PoolCounts) -> None:
        self._joinscope_pool = counts
        self._numbers = 0

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        work_item = item[0] if type(item) is tuple else item
        if isinstance(work_item, futures_thread._WorkItem):
            counts = self._joinscope_pool
            task = self._numbers
            self._numbers += 1
            counts.record(SUBMIT, (task, _describe(work_item.fn, work_item.args)), 1, 1)
            work_item._joinscope_task = (counts, task)
            future = work_item.future
            future._joinscope_task = (counts, task, None)
            future._joinscope_owner, future._joinscope_key = counts, task
        super().put(item, block, timeout)


def _thread_executor_init(self: Any, *args: Any, **kwargs: Any) -> None:
    _originals["thread_init"](self, *args, **kwargs)
    counts = new_counts(None, "executor") if MIRRORED_VERSIONS else None
    if counts is None:
        return
    self._joinscope_pool = counts
    self._work_queue = ObservedWorkQueue(counts)


def _run_work_item(self: Any) -> None:
    """``_WorkItem.run`` (CPython 3.10–3.13's body): the task starts once its future runs, and
    finishes before its future is set."""
    task = getattr(self, "_joinscope_task", None)
    if task is None:
        return _originals["run"](self)
    counts, key = task
    if not self.future.set_running_or_notify_cancel():
        return None
    actor = unnamed_actor()
    counts.record(TASK_START, key, -1, 0, actor)
    try:
        result = self.fn(*self.args, **self.kwargs)
    except BaseException as exc:
        counts.record(TASK_FINISH, (key, False, outcome_text(False, exc)), actor=actor)
        self.future.set_exception(exc)
        # Break a reference cycle with the exception 'exc'
        self = None
    else:
        counts.record(TASK_FINISH, (key, True, outcome_text(True, result)), actor=actor)
        self.future.set_result(result)
    return None


# -- futures: delivery, cancelling, callbacks, waiting -------------------------------------------------
def _delivering(original: Any, ok: bool) -> Any:
    def deliver(self: Any, value: Any) -> None:
        task = getattr(self, "_joinscope_task", None)
        if task is not None:
            self._joinscope_task = None
            counts, key, actor = task
            if actor is None:
                actor = unnamed_actor()
            elif named() != actor:
                counts.name_results_thread()  # the manager thread: its done callbacks' queue work too
            self._joinscope_delivered = counts.deliver(key, ok, None, actor)
            self._joinscope_by = actor  # the done callbacks run on the same thread, next
        return original(self, value)
    deliver.__name__ = deliver.__qualname__ = original.__name__
    deliver.__doc__ = original.__doc__
    return deliver


def _cancel(self: Any) -> bool:
    task = getattr(self, "_joinscope_task", None)
    if task is None:
        return _originals["cancel"](self)
    with self._condition:  # an RLock: the stdlib's cancel() takes it again
        if self._state == _base.PENDING:
            self._joinscope_task = None
            counts, key, _ = task
            counts.record(CANCEL, (key, "cancelled"), -1, -1)
        return _originals["cancel"](self)


def _invoke_callbacks(self: Any) -> None:
    """``Future._invoke_callbacks`` (CPython 3.10–3.13's body), each done callback reported."""
    counts = getattr(self, "_joinscope_owner", None)
    if counts is None or not self._done_callbacks:
        return _originals["_invoke_callbacks"](self)
    key = getattr(self, "_joinscope_key", None)
    actor = getattr(self, "_joinscope_by", None) or unnamed_actor()
    self._joinscope_by = None
    for callback in self._done_callbacks:
        try:
            counts.callback(key, "done_callback", callback, self, actor)
        except Exception:
            _base.LOGGER.exception('exception calling callback for %r', self)
    return None


class _WaitingEvent:
    """The event a ``wait()`` or ``as_completed()`` blocks on: each time it blocks is a join of the
    pool, released by the delivery that set it (the first of a batch; for ``ALL_COMPLETED``, the last)."""

    def __init__(self, event: Any, waiter: Any, counts: PoolCounts, call: str, last: bool) -> None:
        self._event, self._waiter, self._counts, self._call, self._last = event, waiter, counts, call, last

    def __getattr__(self, name: str) -> Any:
        return getattr(self._event, name)

    def wait(self, timeout: float | None = None) -> bool:
        if self._event.is_set():
            return self._event.wait(timeout)
        entered = self._counts.enter_join(self._call)
        try:
            return self._event.wait(timeout)
        finally:
            # What set the event came after it was found unset: the first future the waiter was given
            # since (the last, for ALL_COMPLETED) — its delivery may be numbered a hair before the wait
            # began, as it is reported just before the future wakes its waiters.
            finished = list(self._waiter.finished_futures)
            ops = [op for op in (getattr(future, "_joinscope_delivered", None) for future in finished)
                   if op is not None]
            released = (max(ops) if self._last else ops[0]) if ops else None
            self._counts.leave_join(self._call, entered, released, after_entry=False)


def _create_and_install_waiters(fs: Any, return_when: str) -> Any:
    waiter = _originals["_create_and_install_waiters"](fs, return_when)
    counts = next((counts for counts in (getattr(f, "_joinscope_owner", None) for f in fs) if counts is not None),
                  None)
    if counts is not None:
        call = "as_completed()" if return_when == _base._AS_COMPLETED else "wait()"
        waiter.event = _WaitingEvent(waiter.event, waiter, counts, call, return_when == _base.ALL_COMPLETED)
    return waiter


def _not_done(self: Any, timeout: float | None = None) -> PoolCounts | None:
    """A ``result()``/``exception()`` that will wait: its future is not done yet."""
    counts = getattr(self, "_joinscope_owner", None)
    return counts if counts is not None and self._state not in _DONE else None


def _shutdown_counts(self: Any, wait: bool = True, **kwargs: Any) -> PoolCounts | None:
    return getattr(self, "_joinscope_pool", None) if wait else None


def patch(module: Any = None) -> None:
    """Hook ``concurrent.futures`` (once): new executors report while :func:`observe` has a channel."""
    if _originals:
        return
    future, process_pool, thread_pool = _base.Future, futures_process.ProcessPoolExecutor, \
        futures_thread.ThreadPoolExecutor
    _originals.update(process_init=process_pool.__init__, thread_init=thread_pool.__init__,
                      process_shutdown=process_pool.shutdown, thread_shutdown=thread_pool.shutdown,
                      set_result=future.set_result, set_exception=future.set_exception, cancel=future.cancel,
                      result=future.result, exception=future.exception,
                      _create_and_install_waiters=_base._create_and_install_waiters)
    setattr(process_pool, "__init__", _process_executor_init)
    setattr(thread_pool, "__init__", _thread_executor_init)
    for pool_class, name in ((process_pool, "process_shutdown"), (thread_pool, "thread_shutdown")):
        setattr(pool_class, "shutdown",
                join_wrapper(_shutdown_counts, "shutdown()", released_by_last_zero)(_originals[name]))
    setattr(future, "set_result", _delivering(future.set_result, True))
    setattr(future, "set_exception", _delivering(future.set_exception, False))
    setattr(future, "cancel", _cancel)
    for name in ("result", "exception"):
        setattr(future, name,
                join_wrapper(_not_done, f"{name}()", released_by_own_delivery, after_entry=False)(_originals[name]))
    setattr(_base, "_create_and_install_waiters", _create_and_install_waiters)
    if MIRRORED_VERSIONS:
        _originals.update(run=futures_thread._WorkItem.run, _invoke_callbacks=future._invoke_callbacks)
        setattr(futures_thread._WorkItem, "run", _run_work_item)
        setattr(future, "_invoke_callbacks", _invoke_callbacks)


def unpatch() -> None:
    """Put the stdlib's methods back (the benchmark's plain rounds)."""
    if not _originals:
        return
    future = _base.Future
    setattr(futures_process.ProcessPoolExecutor, "__init__", _originals["process_init"])
    setattr(futures_thread.ThreadPoolExecutor, "__init__", _originals["thread_init"])
    setattr(futures_process.ProcessPoolExecutor, "shutdown", _originals["process_shutdown"])
    setattr(futures_thread.ThreadPoolExecutor, "shutdown", _originals["thread_shutdown"])
    for name in ("set_result", "set_exception", "cancel", "result", "exception"):
        setattr(future, name, _originals[name])
    setattr(_base, "_create_and_install_waiters", _originals["_create_and_install_waiters"])
    if "run" in _originals:
        setattr(futures_thread._WorkItem, "run", _originals["run"])
        setattr(future, "_invoke_callbacks", _originals["_invoke_callbacks"])
    _originals.clear()
