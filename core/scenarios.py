"""Scenario configuration and the named library of scenarios.

A :class:`ScenarioConfig` says everything a run needs: how many actors, how much
work, how the queue is bounded, which code the actors run (the tutorial's, or one
of its classic mistakes) and how ``main`` waits.  The library maps names to
configurations; callers override fields with :func:`dataclasses.replace`.
"""
from __future__ import annotations

import dataclasses
import multiprocessing
import os
from dataclasses import dataclass

from core.backends import BACKENDS, PROCESS
from core.system import PLATFORM_NAME, max_queue_size, start_method_refusal

JOIN_PRODUCERS_FIRST = "producers-first"
JOIN_QUEUE_FIRST = "queue-first"
JOIN_ORDERS = (JOIN_PRODUCERS_FIRST, JOIN_QUEUE_FIRST)

SENTINELS_FROM_PRODUCER = "producer"
SENTINELS_FROM_MAIN = "main"

#: The most producers or consumers a run can have alive at once.
MAX_ACTORS_PER_ROLE = 64

#: A scenario's ``program``: the tutorial's producers and consumers on a queue …
QUEUE_PROGRAM = "queue"
#: … or a real program with a pool, one of :data:`core.program.pool_programs.PROGRAMS`.
POOL_PROGRAMS = frozenset({
    "pool_with_callbacks", "pool_recycling_workers", "pool_without_error_callback", "pool_join_before_close",
    "pool_with_a_hung_task", "pool_with_a_deadline", "pool_map_of_a_generator", "pool_imap_of_a_generator",
    "executor_retries", "executor_submit_and_map", "queue_fed_pool"})
#: The most worker processes a pool scenario may ask for.
MAX_POOL_WORKERS = 64



def default_pool_workers() -> int:
    """A pool's size when a scenario leaves it at 0: ``cpu_count() - 1`` (at least 1), the reader's."""
    return max((os.cpu_count() or 1) - 1, 1)

@dataclass(frozen=True)
class ScenarioConfig:
    """One run's settings.  Times are in milliseconds of *real* work before ``speed``
    divides them: ``speed=10`` runs every sleep ten times faster."""

    name: str = "seed"
    title: str = "The tutorial's program"
    description: str = ""
    producers: int = 1
    consumers: int = 1
    tasks: int = 10
    #: Work per task; ``None`` sleeps for the task's own random value (0–1 s), as the tutorial does.
    work_ms: float | None = None
    speed: float = 1.0
    interval_ms: float = 0.0
    maxsize: int = 0
    seed: int | None = None
    start_method: str = "spawn"
    #: ``process``, ``thread`` or ``asyncio`` (:data:`BACKENDS`); ``start_method`` matters for processes only.
    backend: str = PROCESS
    join_order: str = JOIN_PRODUCERS_FIRST
    #: Who puts the ``None`` sentinels: the last producer to finish, or ``main`` after ``queue.join()``.
    sentinels_from: str = SENTINELS_FROM_PRODUCER
    #: How many sentinels are put; ``None`` means one per consumer.
    sentinels: int | None = None
    #: Names of the functions in :mod:`core.program.workers` that the actors run.
    producer_code: str = "producer"
    consumer_code: str = "consumer"
    #: A delay before the producers begin (``race`` uses it so main always joins too early).
    producer_delay_ms: float = 0.0
    #: Seconds with no event, while something waits, before a run is declared stalled.
    stall_timeout_s: float = 10.0
    #: What a run of this scenario is expected to end in: ``completed`` or ``stalled``.
    expected: str = "completed"
    #: Which program runs: :data:`QUEUE_PROGRAM` (producers and consumers on the backend's
    #: queue, the fields above) or one of :data:`POOL_PROGRAMS` (a program with a process pool
    #: of ``workers`` processes, given ``tasks`` tasks of ``work_ms`` each, run on processes only).
    program: str = QUEUE_PROGRAM
    #: A pool's worker processes; 0: ``cpu_count() - 1`` (at least 1), as the reader's pool.
    workers: int = 0
    #: ``Pool(maxtasksperchild=…)``: a worker exits after this many tasks and a new one starts (0: never).
    maxtasksperchild: int = 0
    #: Every ``fail_every``-th task of a pool misbehaves: raises, fails (and is retried), or hangs (0: none).
    fail_every: int = 0

    @property
    def pooled(self) -> bool:
        """It runs a program with a pool (not the tutorial's producers and consumers)."""
        return self.program != QUEUE_PROGRAM

    def __post_init__(self) -> None:
        problems = validate(self)
        if problems:
            raise ValueError(problems[0])

    def scaled_s(self, ms: float) -> float:
        """``ms`` of scenario time as seconds of real time at this run's speed."""
        return ms / 1000.0 / self.speed


#: Tasks per producer at most: enough for an hour-long soak at full rate.
MAX_TASKS = 1_000_000_000


def validate(config: ScenarioConfig) -> list[str]:
    """Every problem with ``config``, worded for a command line (empty when it is valid)."""
    problems = []
    for name, low, high in (("producers", 0, MAX_ACTORS_PER_ROLE), ("consumers", 0, MAX_ACTORS_PER_ROLE),
                            ("tasks", 0, MAX_TASKS), ("maxsize", 0, 1_000_000)):
        value = getattr(config, name)
        if type(value) is not int or not low <= value <= high:
            problems.append(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    for name in ("interval_ms", "producer_delay_ms"):
        value = getattr(config, name)
        if not isinstance(value, (int, float)) or not 0 <= value <= 3_600_000:
            problems.append(f"{name} must be between 0 and 3600000 ms, not {value!r}")
    work_ms = config.work_ms
    if work_ms is not None and (not isinstance(work_ms, (int, float)) or not 0 <= work_ms <= 3_600_000):
        problems.append(f"work time must be between 0 and 3600000 ms, not {config.work_ms!r}")
    if not isinstance(config.speed, (int, float)) or not 0.001 <= config.speed <= 100_000:
        problems.append(f"speed must be between 0.001 and 100000, not {config.speed!r}")
    if not isinstance(config.stall_timeout_s, (int, float)) or not 0.1 <= config.stall_timeout_s <= 86_400:
        problems.append(f"timeout must be between 0.1 and 86400 s, not {config.stall_timeout_s!r}")
    if config.start_method not in multiprocessing.get_all_start_methods():
        problems.append(f"start method must be one of {', '.join(multiprocessing.get_all_start_methods())}, "
                        f"not {config.start_method!r}")
    if config.backend not in BACKENDS:
        problems.append(f"backend must be one of {', '.join(BACKENDS)}, not {config.backend!r}")
    if config.join_order not in JOIN_ORDERS:
        problems.append(f"join order must be one of {', '.join(JOIN_ORDERS)}, not {config.join_order!r}")
    if config.sentinels_from not in (SENTINELS_FROM_PRODUCER, SENTINELS_FROM_MAIN):
        problems.append(f"sentinels come from 'producer' or 'main', not {config.sentinels_from!r}")
    if config.sentinels is not None and (type(config.sentinels) is not int or config.sentinels < 0):
        problems.append(f"sentinels must be a whole number >= 0, not {config.sentinels!r}")
    if config.seed is not None and type(config.seed) is not int:
        problems.append(f"seed must be a whole number, not {config.seed!r}")
    if config.program != QUEUE_PROGRAM and config.program not in POOL_PROGRAMS:
        problems.append(f"program must be {QUEUE_PROGRAM!r} or one of {', '.join(sorted(POOL_PROGRAMS))}, "
                        f"not {config.program!r}")
    for name, high in (("workers", MAX_POOL_WORKERS), ("maxtasksperchild", MAX_TASKS), ("fail_every", MAX_TASKS)):
        value = getattr(config, name)
        if type(value) is not int or not 0 <= value <= high:
            problems.append(f"{name} must be a whole number from 0 to {high}, not {value!r}")
    if config.program != QUEUE_PROGRAM and config.backend != PROCESS:
        problems.append(f"scenario {config.name!r} runs a process pool: it runs on the process backend only, "
                        f"not {config.backend!r}")
    return problems


def _pool(**settings: object) -> ScenarioConfig:
    """A pool scenario: a few thousand short tasks by default, every 50th raising."""
    defaults: dict[str, object] = {"producers": 0, "consumers": 0, "tasks": 2000, "work_ms": 2.0,
                                   "fail_every": 50, "stall_timeout_s": 10.0}
    return ScenarioConfig(**{**defaults, **settings})  # type: ignore[arg-type]
def refusal_here(config: ScenarioConfig) -> str | None:
    """Why ``config`` cannot run on this system, worded for a command line (``None``: it can).

    Limits of the system, not of the scenario (a recording made elsewhere still replays
    here): processes may start only as this system allows, and a process queue's ``maxsize``
    is a semaphore's count, which macOS caps at 32,767 (:func:`core.system.max_queue_size`)."""
    if config.backend != PROCESS:
        return None
    refusal = start_method_refusal(config.start_method)
    if refusal is not None:
        return refusal
    limit = max_queue_size()
    if config.maxsize > limit:
        return (f"maxsize can be at most {limit:,} for processes on {PLATFORM_NAME} (the system's limit for a "
                f"semaphore, which counts a JoinableQueue's free slots), not {config.maxsize:,}")
    return None


SCENARIOS: dict[str, ScenarioConfig] = {
    config.name: config
    for config in (
        ScenarioConfig(
            name="seed",
            title="The tutorial's program",
            description="One producer adds ten (i, random()) tasks and a None sentinel; one consumer sleeps "
                        "for each value and marks it done; main joins the producer, then the queue.",
        ),
        ScenarioConfig(
            name="race",
            title="Joining the queue too early",
            description="Main calls queue.join() before the producer has added anything. Unfinished is 0, "
                        "so join() returns at once, long before the work is done.",
            join_order=JOIN_QUEUE_FIRST,
            producer_delay_ms=500.0,
        ),
        ScenarioConfig(
            name="too-many-task-done",
            title="task_done() once too often",
            description="The consumer marks the sentinel done twice. The second call finds unfinished at 0 "
                        "and raises ValueError; the work itself is complete.",
            consumer_code="consumer_double_done",
        ),
        ScenarioConfig(
            name="forgot-task-done",
            title="A forgotten task_done()",
            description="The consumer skips every fourth task with `continue` and never marks it done, so "
                        "unfinished never reaches 0 and queue.join() waits forever.",
            consumer_code="consumer_forgets_task_done",
            stall_timeout_s=3.0,
            expected="stalled",
        ),
        ScenarioConfig(
            name="crash",
            title="A consumer dies holding a task",
            description="consumer-0 raises an exception while working on its second task. Nobody will ever "
                        "call task_done() for it, so queue.join() waits forever.",
            consumers=2,
            consumer_code="consumer_crashes",
            stall_timeout_s=3.0,
            expected="stalled",
        ),
        ScenarioConfig(
            name="too-few-sentinels",
            title="One sentinel for three consumers",
            description="The producer puts a single None for three consumers. queue.join() returns, but two "
                        "consumers wait in get() forever, so main's join of them never returns.",
            consumers=3,
            sentinels=1,
            stall_timeout_s=3.0,
            expected="stalled",
        ),
        ScenarioConfig(
            name="bounded",
            title="Backpressure on a bounded queue",
            description="A queue of maxsize 3 and two fast producers: put() blocks while the queue is full, "
                        "until a consumer makes room.",
            producers=2,
            consumers=1,
            tasks=8,
            work_ms=150.0,
            maxsize=3,
        ),
        ScenarioConfig(
            name="retry",
            title="Failed tasks are put back",
            description="A task that fails is put back on the queue before it is marked done, so unfinished "
                        "never drops to 0 early; main sends the sentinels after queue.join().",
            consumers=2,
            tasks=12,
            consumer_code="consumer_retries",
            sentinels_from=SENTINELS_FROM_MAIN,
            seed=3,
        ),
        ScenarioConfig(
            name="walrus",
            title="while task := queue.get(): a falsy task ends the loop",
            description="A reader's suggestion: `while task := queue.get():` instead of testing for None. It "
                        "works with the tutorial's tuples, but these tasks are numbers and the first one is 0: "
                        "the consumer leaves its loop at once, and join() waits forever for the rest.",
            producer_code="producer_numbers",
            consumer_code="consumer_walrus",
            work_ms=100.0,
            stall_timeout_s=3.0,
            expected="stalled",
        ),
        ScenarioConfig(
            name="throughput",
            title="Many tiny tasks",
            description="Two producers and two consumers move 20,000 tasks with no work at all: the cost of "
                        "the queue itself.",
            producers=2,
            consumers=2,
            tasks=10_000,
            work_ms=0.0,
        ),
        # -- the readers' pools -------------------------------------------------------------
        _pool(
            name="pool",
            title="A pool of cpu_count() - 1 processes, with callbacks",
            description="The reader's program: Pool(cpu_count() - 1) given 2,000 tasks with apply_async(..., "
                        "callback=..., error_callback=...); every 50th task raises. close(), then join(). Each "
                        "task goes through the pool's own queues: submitted, taken by a worker, finished, "
                        "delivered, and its callback run on the pool's result-handler thread.",
            program="pool_with_callbacks",
        ),
        _pool(
            name="pool-retry",
            title="Failed tasks are submitted again (ProcessPoolExecutor)",
            description="The author's answer to 'how to handle a failed task': submit it again. A "
                        "ProcessPoolExecutor takes 500 tasks; as_completed() yields each as it is done, and each "
                        "one that failed is submitted again until every task has succeeded.",
            program="executor_retries",
            tasks=500,
            fail_every=10,
        ),
        _pool(
            name="executor",
            title="ProcessPoolExecutor: submit, wait, map, shutdown",
            description="Half the tasks with executor.submit() and concurrent.futures.wait() for them; the other "
                        "half with executor.map(..., chunksize=50), its results in order; then "
                        "shutdown(wait=True).",
            program="executor_submit_and_map",
            tasks=1000,
            fail_every=0,
        ),
        _pool(
            name="pool-recycle",
            title="maxtasksperchild: workers exit and new ones start",
            description="Pool(workers, maxtasksperchild=25): each worker exits after 25 tasks and the pool starts "
                        "a new one in its place (a leak in a task's code cannot grow forever). New lanes appear "
                        "as workers are replaced.",
            program="pool_recycling_workers",
            tasks=300,
            maxtasksperchild=25,
        ),
        _pool(
            name="queue-fed-pool",
            title="A JoinableQueue feeding a pool",
            description="The reader's shape: a producer process puts the tasks on a JoinableQueue, main takes "
                        "them and hands each to a Pool with apply_async, and the callbacks call task_done() as "
                        "results come back. Compare it with 'pool' on the same tasks.",
            program="queue_fed_pool",
            producers=1,
        ),
        _pool(
            name="pool-no-error-callback",
            title="No error_callback: a failure vanishes until get()",
            description="apply_async with a callback and no error_callback: a task that raises calls nobody, "
                        "and the run looks fine until main finally calls get() on its result and the exception "
                        "surfaces there, long after it happened.",
            program="pool_without_error_callback",
            tasks=200,
        ),
        _pool(
            name="pool-join-before-close",
            title="join() before close(): ValueError",
            description="Pool.join() waits for the workers to exit, and they exit only after close() (or "
                        "terminate()). Called first, join() raises ValueError: Pool is still running.",
            program="pool_join_before_close",
            tasks=200,
        ),
        _pool(
            name="pool-hung-task",
            title="A task that never returns keeps join() waiting",
            description="One task waits for something that never comes. close() then join() waits for every "
                        "task, so join() never returns: the worker holding it is busy forever.",
            program="pool_with_a_hung_task",
            tasks=40,
            work_ms=20.0,
            fail_every=40,
            stall_timeout_s=3.0,
            expected="stalled",
        ),
        _pool(
            name="pool-huge-map",
            title="map() of a generator reads it all first",
            description="pool.map() needs len(): a generator of 50,000 records is read into a list before a "
                        "single task is submitted, all in memory at once, while the workers wait.",
            program="pool_map_of_a_generator",
            tasks=50_000,
            work_ms=0.0,
        ),
    )
}


def scenario(name: str, **overrides: object) -> ScenarioConfig:
    """The library scenario ``name`` with ``overrides`` applied (raises ``KeyError``/``ValueError``)."""
    return dataclasses.replace(SCENARIOS[name], **overrides)  # type: ignore[arg-type]
