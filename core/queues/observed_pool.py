"""Observing ``multiprocessing.Pool``: its tasks, its workers, its result handler and the calls that wait on it.

``Pool`` moves a task through four of its own structures: ``apply_async`` (or the task
handler thread, for a ``map()``'s chunks) puts it in ``_taskqueue``; the task handler sends
it down ``_inqueue`` (a pipe); a worker process takes it, runs it and sends the outcome up
``_outqueue``; the result handler thread hands it to the task's ``AsyncResult`` (running its
callback) and removes the job from ``_cache``.  :func:`patch` hooks the class so that each
pool reports, on one :class:`~core.queues.pool_state.PoolCounts`:

- ``submit`` where the task is made (before it is queued), ``task_start`` where a worker
  takes it from ``_inqueue`` (in the worker), ``task_finish`` where the worker sends its
  outcome, ``deliver`` where the result handler receives it (before its callback runs and
  before anything waiting for it is released), ``callback``/``callback_return`` around the
  program's callbacks, ``cancel`` for a task that could not be sent (it cannot be pickled);
- ``join_enter``/``join_return`` around ``Pool.join()`` and an ``AsyncResult.get()`` that
  waits, released by the delivery that let them go; an ``error`` for ``join()`` before
  ``close()`` and for a task submitted to a closed pool;
- ``map_listed`` when ``map()`` reads an iterable with no ``len()`` into a list before it
  submits anything.

The pool's pipes become subclasses of themselves (``__class__`` is set on the objects the
stdlib made), so they pickle to the workers with the counts and block, raise and behave as
before.  ``apply_async`` mirrors CPython 3.10–3.13's body, with the report added before the
task is queued; every other hook wraps the stdlib's own method.  A ``ThreadPool`` (its
queues are not pipes) is left as it is.
"""
from __future__ import annotations

import time
from multiprocessing import pool as _stdlib_pool
from multiprocessing import queues as _stdlib_queues
from typing import Any

from core.events import CANCEL, MAP_LISTED, SUBMIT, TASK_FINISH, TASK_START, task_key
from core.queues.acting import named
from core.queues.pool_state import (
    CarriesCounts,
    PoolCounts,
    call_text,
    join_wrapper,
    new_counts,
    observed_callback,
    outcome_text,
    released_by_last_zero,
    released_by_own_delivery,
)

#: The stdlib's module and pipe class, whose private parts typeshed does not declare.
mp_pool: Any = _stdlib_pool
SimpleQueue: Any = _stdlib_queues.SimpleQueue
#: The functions a ``map()``'s chunk runs in a worker (a chunk is one task of the pool).
_CHUNK_RUNNERS = (mp_pool.mapstar, mp_pool.starmapstar)
_NO_HOOKS = object()
#: The results made of several tasks, whose ``_set`` each task's delivery goes through.
_CHUNK_RESULTS = (mp_pool.MapResult, mp_pool.IMapIterator, mp_pool.IMapUnorderedIterator)
_originals: dict[str, Any] = {}
#: In a worker: the task it took last, so its outcome is reported under the same name.
_taken: tuple[int, int, Any] = (-1, -1, None)


def _counts(pool: Any) -> PoolCounts | None:
    return getattr(pool, "_joinscope_pool", None)


class ObservedTaskPipe(CarriesCounts, SimpleQueue):
    """A pool's ``_inqueue``: a worker's ``get()`` reports the task it takes."""


    def get(self) -> Any:
        global _taken
        self._joinscope_pool.first_wait()
        task = super().get()
        if task is not None:
            job, index, function = task[0], task[1], task[2]
            key = task_key(job, index, function in _CHUNK_RUNNERS)
            _taken = (job, index, key)
            self._joinscope_pool.record(TASK_START, key, -1, 0)
        return task


class ObservedResultPipe(CarriesCounts, SimpleQueue):
    """A pool's ``_outqueue``: a worker's ``put()`` of an outcome reports the task finished."""


    def put(self, obj: Any) -> None:
        if type(obj) is tuple and len(obj) == 3 and self._joinscope_pool is not None:
            job, index, (ok, value) = obj
            key = _taken[2] if _taken[:2] == (job, index) else task_key(job, index, False)
            self._joinscope_pool.record(TASK_FINISH, (key, ok, outcome_text(ok, value)))
        super().put(obj)


def _observe(pool: Any, counts: PoolCounts) -> None:
    """Make ``pool`` report (called once its queues and cache exist, before any worker or thread starts)."""
    pool._joinscope_pool = counts
    #: Jobs whose tasks are chunks of a map(): their tasks are named ``job.index``.
    chunked: set[int] = set()
    pool._joinscope_chunked = chunked
    #: Tasks that could not be sent: the task handler hands their error to their result itself.
    unsent: set[int | str] = set()
    pool._joinscope_unsent = unsent
    send = pool._inqueue._writer.send

    def sending(task: Any) -> None:
        """The task handler's ``put``: a task that cannot be sent leaves the pool unrun."""
        try:
            send(task)
        except Exception as error:
            if task is not None:
                job, index = task[0], task[1]
                key = task_key(job, index, job in chunked)
                unsent.add(key)
                counts.record(CANCEL, (key, f"could not be sent: {outcome_text(False, error)}"), -1, -1,
                              actor=counts.tasks_actor)
            raise

    pool._quick_put = sending


def _repopulate_pool(self: Any) -> Any:
    if _counts(self) is None and type(self._inqueue) is SimpleQueue:  # a ThreadPool's queues are no pipes
        pipes = ((self._inqueue, ObservedTaskPipe), (self._outqueue, ObservedResultPipe))
        counts = new_counts(self._ctx, "pool", pipes)
        if counts is not None:
            _observe(self, counts)
    return _originals["_repopulate_pool"](self)


def _note_refusal(counts: PoolCounts, error: Exception, why: str) -> None:
    """An ``error`` event on the pool: a call the pool refused (the program gets the exception as before)."""
    counts.error(f"{type(error).__name__}: {error} — {why}")


def _check_running(self: Any, counts: PoolCounts) -> None:
    try:
        self._check_running()
    except ValueError as error:
        _note_refusal(counts, error, "a task was submitted after close() or terminate()")
        raise


def apply_async(self: Any, func: Any, args: tuple = (), kwds: Any = {},  # noqa: B006 (the stdlib's signature)
                callback: Any = None, error_callback: Any = None) -> Any:
    """``Pool.apply_async`` (CPython 3.10–3.13's body), the task reported before it is queued."""
    counts = _counts(self)
    if counts is None:
        return _originals["apply_async"](self, func, args, kwds, callback, error_callback)
    _check_running(self, counts)
    result = mp_pool.ApplyResult(self, callback, error_callback)
    job = result._job
    counts.record(SUBMIT, (job, call_text(func, args)), 1, 1)
    self._taskqueue.put(([(job, 0, func, args, kwds)], None))
    return result


def _set(self: Any, i: int, obj: Any) -> None:
    """``ApplyResult._set`` (CPython 3.10–3.13's body): run by the result handler, the task is
    delivered before its callback runs and before anything waiting for it is released, and a callback
    that runs starts with the delivery (see :meth:`PoolCounts.deliver_to_callback`).  Reported here, from the
    result's own pool, rather than by a wrapper around each callback: a tiny task's cost is counted
    in objects too, and a wrapper kept with every pending result is one more for the garbage collector
    to walk."""
    pool = self._pool
    counts = getattr(pool, "_joinscope_pool", None)
    if counts is None:
        return _originals["_set"](self, i, obj)
    self._success, self._value = obj
    job, ok = self._job, self._success
    callback = self._callback if ok else self._error_callback
    which = None if not callback else "callback" if ok else "error_callback"
    unsent = pool._joinscope_unsent  # (the common path inline: a tiny task's result passes here)
    if unsent and job in unsent:
        unsent.discard(job)  # the task handler hands over the error of a task it could not send: cancelled
        if which is not None:
            counts.callback(job, which, callback, self._value, counts.tasks_actor)
    else:
        if named() is None:
            counts.name_results_thread()
        actor = counts.results_actor
        if which is None:
            self._joinscope_delivered = counts.deliver(job, ok, callback is not None, actor)
        else:
            self._joinscope_delivered = counts.deliver_to_callback(job, ok, which, actor)
            counts.run_callback(job, which, callback, self._value, actor)
    self._event.set()
    del self._cache[self._job]
    self._pool = None


def _set_chunk(original: Any) -> Any:
    """The ``_set`` of a ``map()``'s or ``imap()``'s result, run by the result handler for each of its
    tasks: the task is delivered before the stdlib's method runs (and, on the last one, the callback
    and anything waiting for the whole)."""
    def _set(self: Any, i: int, obj: Any) -> None:
        pool = self._pool
        counts = getattr(pool, "_joinscope_pool", None)
        if counts is not None:
            ok, job = obj[0], self._job
            key = task_key(job, i, job in pool._joinscope_chunked)
            if not _was_unsent(pool, key):
                hook = getattr(self, "_callback" if ok else "_error_callback", _NO_HOOKS)  # imap() has none
                heard = None if hook is _NO_HOOKS else hook is not None
                self._joinscope_delivered = counts.deliver(key, ok, heard, _results_actor(counts))
        return original(self, i, obj)
    _set.__wrapped__ = original  # type: ignore[attr-defined]
    return _set


def _was_unsent(pool: Any, key: int | str) -> bool:
    """Whether the task handler is handing over the error of task ``key``, which it could not send
    (reported then as cancelled): no delivery, and its callback runs on the task handler's lane."""
    unsent = pool._joinscope_unsent
    if unsent and key in unsent:
        unsent.discard(key)
        return True
    return False


def _results_actor(counts: PoolCounts) -> str:
    """The lane of the result handler, which is the calling thread: named so the first time, so what
    its callbacks do on a queue (a ``task_done()``) is recorded on its lane too."""
    if named() is None:
        counts.name_results_thread()
    return counts.results_actor


def _guarded_task_generation(self: Any, result_job: int, func: Any, iterable: Any) -> Any:
    """The tasks of a ``map()``/``imap()``, each reported as the task handler makes it."""
    tasks = _originals["_guarded_task_generation"](self, result_job, func, iterable)
    counts = _counts(self)
    return tasks if counts is None else _submitting(counts, self._joinscope_chunked, tasks)


def _submitting(counts: PoolCounts, chunked: set[int], tasks: Any) -> Any:
    for task in tasks:
        job, index, function, args = task[0], task[1], task[2], task[3]
        if function in _CHUNK_RUNNERS:
            chunked.add(job)
            inner, pieces = args[0]
            what = call_text(inner, (), pieces=len(pieces))
        else:
            what = call_text(function, args)
        counts.record(SUBMIT, (task_key(job, index, job in chunked), what), 1, 1, actor=counts.tasks_actor)
        yield task


def _map_async(self: Any, func: Any, iterable: Any, mapper: Any, chunksize: Any = None, callback: Any = None,
               error_callback: Any = None) -> Any:
    """``map()`` and friends: an iterable with no ``len()`` is read into a list first (the stdlib
    does the same), which is reported; the callbacks are reported when they run."""
    counts = _counts(self)
    if counts is None:
        return _originals["_map_async"](self, func, iterable, mapper, chunksize, callback, error_callback)
    _check_running(self, counts)
    if not hasattr(iterable, "__len__"):
        began = time.monotonic()
        iterable = list(iterable)
        counts.record(MAP_LISTED, (len(iterable), round(time.monotonic() - began, 6)))
    hooks = [observed_callback(counts, None, which, function)
             for which, function in (("callback", callback), ("error_callback", error_callback))]
    result = _originals["_map_async"](self, func, iterable, mapper, chunksize, *hooks)
    for hook in hooks:
        if hook is not None:
            hook._task = result._job
    return result


def _join_counts(self: Any) -> PoolCounts | None:
    counts = _counts(self)
    if counts is not None and self._state == mp_pool.RUN:
        _note_refusal(counts, ValueError("Pool is still running"),
                      "join() waits for the workers to exit, and they exit only after close() or terminate()")
        return None  # the stdlib raises it
    return counts


def _get_counts(self: Any, timeout: float | None = None) -> PoolCounts | None:
    """A ``get()`` that will wait: its result is not ready yet."""
    if self._event.is_set():
        return None
    return getattr(self._pool, "_joinscope_pool", None)  # until it is ready, a result knows its pool


def patch(module: Any = None) -> None:
    """Hook ``multiprocessing.pool`` (once): new pools report while :func:`observe` has a channel."""
    if _originals:
        return
    pool_class, result_class = mp_pool.Pool, mp_pool.ApplyResult
    _originals.update(_repopulate_pool=pool_class._repopulate_pool, apply_async=pool_class.apply_async,
                      _guarded_task_generation=pool_class._guarded_task_generation,
                      _map_async=pool_class._map_async, join=pool_class.join, get=result_class.get,
                      _set=result_class._set)
    setattr(pool_class, "_repopulate_pool", _repopulate_pool)
    setattr(pool_class, "apply_async", apply_async)
    setattr(pool_class, "_guarded_task_generation", _guarded_task_generation)
    setattr(pool_class, "_map_async", _map_async)
    setattr(pool_class, "join", join_wrapper(_join_counts, "join()", released_by_last_zero)(pool_class.join))
    setattr(result_class, "_set", _set)
    for chunks_class in _CHUNK_RESULTS:
        _originals[chunks_class.__name__] = chunks_class.__dict__["_set"]
        setattr(chunks_class, "_set", _set_chunk(chunks_class.__dict__["_set"]))
    waiting_for_a_result = join_wrapper(_get_counts, "get()", released_by_own_delivery, after_entry=False)
    setattr(result_class, "get", waiting_for_a_result(result_class.get))


def unpatch() -> None:
    """Put the stdlib's methods back (the benchmark's plain rounds)."""
    if not _originals:
        return
    for name in ("_repopulate_pool", "apply_async", "_guarded_task_generation", "_map_async", "join"):
        setattr(mp_pool.Pool, name, _originals[name])
    setattr(mp_pool.ApplyResult, "get", _originals["get"])
    setattr(mp_pool.ApplyResult, "_set", _originals["_set"])
    for chunks_class in _CHUNK_RESULTS:
        setattr(chunks_class, "_set", _originals[chunks_class.__name__])
    _originals.clear()
