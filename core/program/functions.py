"""Which functions a scenario's actors run: the producer's, the consumer's and ``main``'s.

The scenario names its producer and consumer code (:mod:`core.program.workers`, or
their asyncio twins in :mod:`core.program.async_workers`); ``main``'s follows from how
it joins and who sends the sentinels.  Every actor, the code panel of step mode and
Fix it ask here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.backends import ASYNCIO
from core.events import CONSUMER, MAIN_ACTOR, PRODUCER
from core.program import async_workers, workers
from core.scenarios import JOIN_QUEUE_FIRST, SENTINELS_FROM_MAIN, ScenarioConfig


def main_code_name(config: ScenarioConfig) -> str:
    """The name of ``main``'s function in :mod:`core.program.workers` for ``config``."""
    if config.join_order == JOIN_QUEUE_FIRST:
        return workers.main_joins_queue_first.__name__
    if config.sentinels_from == SENTINELS_FROM_MAIN:
        return workers.main_sends_sentinels.__name__
    return workers.main.__name__


def actor_functions(config: ScenarioConfig) -> dict[str, Callable[..., Any]]:
    """The functions that the producers, consumers and ``main`` of ``config`` run, by role."""
    module = async_workers if config.backend == ASYNCIO else workers
    return {PRODUCER: module.PRODUCER_CODE[config.producer_code],
            CONSUMER: module.CONSUMER_CODE[config.consumer_code],
            MAIN_ACTOR: module.MAIN_CODE[main_code_name(config)]}
