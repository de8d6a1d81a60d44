"""The private parts of the stdlib's JoinableQueue that the observed queue mirrors, typed once.

:class:`core.queues.observed.ObservedJoinableQueue` re-implements ``put``, ``get``,
``task_done`` and ``join`` on the stdlib's own state (CPython 3.10–3.13's
``multiprocessing/queues.py``), which typeshed does not declare.  For a type checker
it derives from :class:`StdlibJoinableQueue`, which declares it; at run time that is
the stdlib class itself.  (:mod:`core.queues.async_queue` does the same for
``asyncio.Queue``, in its own module: a process that only uses a JoinableQueue never
imports asyncio.)
"""
from __future__ import annotations

from multiprocessing.queues import JoinableQueue
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import threading
    from collections import deque
    from collections.abc import Callable
    from multiprocessing.connection import Connection
    from multiprocessing.synchronize import BoundedSemaphore, Condition, Lock, Semaphore

    class _SemLock:
        def _is_zero(self) -> bool: ...

    class _Semaphore(Semaphore):
        _semlock: _SemLock

    class _Condition(Condition):
        _lock: Lock

    class StdlibJoinableQueue(JoinableQueue[Any]):
        _cond: _Condition
        _unfinished_tasks: _Semaphore
        _sem: BoundedSemaphore
        _rlock: Lock
        _wlock: Lock | None
        _notempty: threading.Condition
        _buffer: deque[Any]
        _reader: Connection
        _writer: Connection
        _closed: bool
        _thread: threading.Thread | None
        _send_bytes: Callable[[bytes], None]
        _recv_bytes: Callable[[], bytes]
        _poll: Callable[..., bool]

        def _start_thread(self) -> None: ...

        def _reset(self, after_fork: bool = False) -> None: ...

        def _on_queue_feeder_error(self, e: Exception, obj: Any) -> None: ...

        # typeshed makes the pickled state opaque; the stdlib's is a tuple, which the subclasses extend.
        def __getstate__(self) -> tuple[Any, ...]: ...  # type: ignore[override]

        def __setstate__(self, state: tuple[Any, ...]) -> None: ...  # type: ignore[override]
else:
    StdlibJoinableQueue = JoinableQueue
