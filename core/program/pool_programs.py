"""The pool programs the tutorial's readers asked about, as the pool scenarios run them.

A reader wants "a function I want to run a few thousand times with unique inputs" on a
pool of ``cpu_count() - 1`` processes, a callback for every result and an error callback
"which comes in handy for debugging"; another asks what to do with a failed task (the
author: submit it again, on a process pool); a third puts a ``JoinableQueue`` in front of
the pool.  These functions are those programs, written as a learner would write them: the
pool scenarios run them for real (:mod:`core.program.pool_main` is the script), JoinScope
watches them from outside (:mod:`core.queues.pools`), and Fix it shows two of them side by
side.  Nothing here knows JoinScope is watching.

A task is a tuple: its number, the seconds its work takes, and one more field that says how
it misbehaves (``work`` raises when it is true, ``flaky_work`` raises that many times more,
``work_or_hang`` never returns when it is true).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed, wait
from multiprocessing import JoinableQueue, Pool, Process, TimeoutError
from typing import Any

Task = tuple[int, float, Any]
#: Chunk sizes of the programs that read their tasks in chunks.
MAP_CHUNKSIZE = 50
#: Bytes of data each record of ``read_records`` carries (what a list of all of them costs).
RECORD_BYTES = 1000
#: ``read_records`` reads its records in blocks, each taking a while (a disk, a network).
RECORDS_PER_READ = 1000
READ_S = 0.01


# -- what one task does ------------------------------------------------------------------
def work(task: Task) -> int:
    """One task: sleep for its work, then square its number — or raise, as some tasks do."""
    number, seconds, fails = task
    time.sleep(seconds)
    if fails:
        raise ValueError(f"task {number} failed")
    return number * number


def flaky_work(task: Task) -> int:
    """A task that fails the first times it is tried (its last field: how many more times)."""
    number, seconds, failures_left = task
    time.sleep(seconds)
    if failures_left:
        raise ConnectionError(f"task {number} failed, {failures_left} more failure(s) to come")
    return number * number


def work_or_hang(task: Task) -> int:
    """A task that, once in a while, never returns (it waits for something that never comes)."""
    number, seconds, hangs = task
    if hangs:
        threading.Event().wait()
    time.sleep(seconds)
    return number * number


def square(record: tuple[int, str]) -> int:
    number, _data = record
    return number * number


def read_records(count: int) -> Iterator[tuple[int, str]]:
    """Records as a file or a database would give them: one at a time, with no length known."""
    for number in range(count):
        if number % RECORDS_PER_READ == 0:
            time.sleep(READ_S)  # the next block of records comes in
        yield number, f"{number:>{RECORD_BYTES}}"


def produce(queue: Any, tasks: list[Task]) -> None:
    """The producer of the queue-fed pool: every task, then the sentinel."""
    for task in tasks:
        queue.put(task)
    queue.put(None)


# -- the programs ------------------------------------------------------------------------------
def pool_with_callbacks(tasks: list[Task], workers: int) -> None:
    results: list[int] = []
    failures: list[BaseException] = []
    pool = Pool(workers)
    for task in tasks:
        pool.apply_async(work, (task,), callback=results.append, error_callback=failures.append)
    pool.close()  # no more tasks: the workers exit once every task is done
    pool.join()  # wait for every task, its callback included


def pool_recycling_workers(tasks: list[Task], workers: int, maxtasksperchild: int) -> None:
    results: list[int] = []
    failures: list[BaseException] = []
    pool = Pool(workers, maxtasksperchild=maxtasksperchild)  # a worker exits after that many tasks
    for task in tasks:
        pool.apply_async(work, (task,), callback=results.append, error_callback=failures.append)
    pool.close()
    pool.join()


def pool_without_error_callback(tasks: list[Task], workers: int) -> None:
    results: list[int] = []
    pool = Pool(workers)
    pending = [pool.apply_async(work, (task,), callback=results.append) for task in tasks]
    pool.close()
    pool.join()  # every task is over: some raised, and nobody has heard of it yet
    for result in pending:
        result.get()  # the first failure surfaces here, long after it happened


def pool_join_before_close(tasks: list[Task], workers: int) -> None:
    results: list[int] = []
    failures: list[BaseException] = []
    pool = Pool(workers)
    for task in tasks:
        pool.apply_async(work, (task,), callback=results.append, error_callback=failures.append)
    pool.join()  # ValueError: the pool is still running (close() comes first)
    pool.close()


def pool_with_a_hung_task(tasks: list[Task], workers: int) -> None:
    results: list[int] = []
    failures: list[BaseException] = []
    pool = Pool(workers)
    for task in tasks:
        pool.apply_async(work_or_hang, (task,), callback=results.append, error_callback=failures.append)
    pool.close()
    pool.join()  # waits for every task, also the one that never returns


def pool_with_a_deadline(tasks: list[Task], workers: int, deadline_s: float) -> None:
    results: list[int] = []
    failures: list[BaseException] = []
    pool = Pool(workers)
    pending = [pool.apply_async(work_or_hang, (task,), callback=results.append, error_callback=failures.append)
               for task in tasks]
    pool.close()
    deadline = time.monotonic() + deadline_s
    for result in pending:
        try:
            result.get(timeout=max(deadline - time.monotonic(), 0.0))
        except TimeoutError:
            pass  # not back by the deadline: given up on
    pool.terminate()  # ends the workers, the one stuck in its task too
    pool.join()


def pool_map_of_a_generator(count: int, workers: int) -> None:
    with Pool(workers) as pool:
        squares = pool.map(square, read_records(count))  # the records are all read into a list first
    print(sum(squares))


def pool_imap_of_a_generator(count: int, workers: int) -> None:
    with Pool(workers) as pool:
        total = sum(pool.imap_unordered(square, read_records(count), chunksize=MAP_CHUNKSIZE))  # read as needed
    print(total)


def executor_retries(tasks: list[Task], workers: int) -> None:
    with ProcessPoolExecutor(workers) as executor:
        pending = {executor.submit(flaky_work, task): task for task in tasks}
        while pending:
            retries = {}
            for future in as_completed(pending):
                if future.exception() is not None:  # it failed: submit it again
                    number, seconds, failures_left = pending[future]
                    again = (number, seconds, failures_left - 1)
                    retries[executor.submit(flaky_work, again)] = again
            pending = retries


def executor_submit_and_map(tasks: list[Task], workers: int) -> None:
    executor = ProcessPoolExecutor(workers)
    half = len(tasks) // 2
    futures = [executor.submit(work, task) for task in tasks[:half]]
    wait(futures)  # until every one of them is done
    squares = list(executor.map(work, tasks[half:], chunksize=MAP_CHUNKSIZE))  # results in order
    executor.shutdown(wait=True)  # the workers exit
    print(sum(f.result() for f in futures) + sum(squares))


def queue_fed_pool(tasks: list[Task], workers: int) -> None:
    queue: Any = JoinableQueue()
    producer = Process(target=produce, args=(queue, tasks), name="producer-0")
    producer.start()
    results: list[int] = []
    failures: list[BaseException] = []

    def done(result: int) -> None:
        results.append(result)
        queue.task_done()  # the task is done when its result is back

    def failed(error: BaseException) -> None:
        failures.append(error)
        queue.task_done()

    pool = Pool(workers)
    while (task := queue.get()) is not None:  # main is the queue's consumer
        pool.apply_async(work, (task,), callback=done, error_callback=failed)
    queue.task_done()  # the sentinel
    producer.join()
    queue.join()  # every task's result has come back
    pool.close()
    pool.join()


#: The programs by name (a scenario's ``program``).
PROGRAMS: dict[str, Callable[..., None]] = {function.__name__: function for function in (
    pool_with_callbacks, pool_recycling_workers, pool_without_error_callback, pool_join_before_close,
    pool_with_a_hung_task, pool_with_a_deadline, pool_map_of_a_generator, pool_imap_of_a_generator, executor_retries,
    executor_submit_and_map, queue_fed_pool)}
