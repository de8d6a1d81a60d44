"""What an actor needs besides the queue: its tasks, its random values, its work,
and the run's decisions (retire, sentinels).  Keeping it here keeps the code in
:mod:`core.program.workers` as plain as the program a learner would write.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any, Protocol

from core.events import CONSUMER, PRODUCER
from core.program import termination
from core.program.control import RunControl
from core.scenarios import SENTINELS_FROM_PRODUCER, ScenarioConfig

RETRY_MARK = "retry"


class Plan:
    """One producer's or consumer's view of its run, built inside its own process."""

    def __init__(self, config: ScenarioConfig, control: RunControl, role: str, number: int, slot: int) -> None:
        self.config = config
        self.role = role
        self.number = number
        self.slot = slot
        self._control = control
        seed = None if config.seed is None else f"{config.seed}:{role}-{number}"
        self._rng = random.Random(seed)
        self._tasks_seen = 0

    @property
    def name(self) -> str:
        return f"{self.role}-{self.number}"

    # -- producers -----------------------------------------------------------------
    # -- how this plan sleeps and looks for a stop ----------------------------------
    # In a process: SIGTERM-aware (core.program.termination).  Thread and asyncio sessions
    # (core.sessions) give their own, since a thread cannot be signalled or killed.
    def _sleep(self, seconds: float) -> None:
        termination.sleep(seconds)

    def _check(self) -> None:
        termination.check()

    def wait_to_start(self) -> None:
        if self.config.producer_delay_ms:
            self._sleep(self.start_delay_s())

    def start_delay_s(self) -> float:
        return self.config.scaled_s(self.config.producer_delay_ms)

    def task_numbers(self) -> Iterator[int]:
        """This producer's task numbers (producer-1 continues where producer-0 ends);
        stops early when the producer is retired."""
        first = self.number * self.config.tasks
        for i in range(first, first + self.config.tasks):
            self._check()
            if self._control.is_retired(PRODUCER, self.slot):
                return
            yield i

    def random(self) -> float:
        return self._rng.random()

    def pause_between_tasks(self) -> None:
        if self.config.interval_ms:
            self._sleep(self.config.scaled_s(self.config.interval_ms))

    def last_producer_to_finish(self) -> bool:
        """Whether this producer should send the sentinels (see ``RunControl.finish_producer``)."""
        return self._control.finish_producer(self.slot) and self.config.sentinels_from == SENTINELS_FROM_PRODUCER

    def sentinels(self) -> int:
        return self._control.claim_sentinels(self.config.sentinels)

    # -- consumers -----------------------------------------------------------------
    def work_on(self, task: Any) -> None:
        """Sleep for the task's work: its own value in seconds, as in the tutorial, or ``work_ms``."""
        seconds = self.work_s(task)
        if seconds > 0:
            self._sleep(seconds)

    def work_s(self, task: Any) -> float:
        """Count ``task`` as seen (after a stop check) and say how long its work lasts."""
        self._tasks_seen += 1
        self._check()
        if self.config.work_ms is None:
            return float(task[1]) / self.config.speed
        return self.config.scaled_s(self.config.work_ms)

    def crash_on_second_task(self, task: Any) -> None:
        if self.number == 0 and self._tasks_seen == 2:
            raise RuntimeError(f"{self.name} crashed while working on task {task!r}")

    @staticmethod
    def failed(task: Any) -> bool:
        """A first attempt at a task worth more than 0.7 fails (deterministic, so runs repeat)."""
        return len(task) == 2 and task[1] > 0.7

    @staticmethod
    def retry_of(task: Any) -> tuple:
        return (task[0], task[1], RETRY_MARK)

    def retired(self) -> bool:
        return self._control.is_retired(self.role, self.slot)


class MainRun(Protocol):
    """What the ``main`` functions of :mod:`core.program.workers` may ask of their run."""

    def join_producers(self) -> None: ...

    def join_consumers(self) -> None: ...

    def sentinels_not_yet_sent(self) -> int: ...


__all__ = ["CONSUMER", "PRODUCER", "MainRun", "Plan"]
