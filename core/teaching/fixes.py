"""Break it, fix it: each pitfall scenario next to the program that does it right.

A :class:`Fix` names the scenario with the mistake corrected and says, in a
sentence, what changed and why it works.  The window runs both side by side and
shows the two versions of the code that differ; nothing here is Qt.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from core.events import MAIN_ACTOR
from core.program.functions import actor_functions
from core.program.pool_programs import PROGRAMS
from core.scenarios import JOIN_PRODUCERS_FIRST, SCENARIOS, SENTINELS_FROM_MAIN, ScenarioConfig


@dataclass(frozen=True)
class Fix:
    pitfall: str
    fixed: ScenarioConfig
    explanation: str

    @property
    def broken(self) -> ScenarioConfig:
        return SCENARIOS[self.pitfall]

    def changed_functions(self) -> list[tuple[str, Callable[..., object], Callable[..., object]]]:
        """(role, broken function, fixed function) for each role whose code differs (a pool
        scenario's program is all main's)."""
        if self.broken.pooled:
            return [(MAIN_ACTOR, PROGRAMS[self.broken.program], PROGRAMS[self.fixed.program])]
        broken, fixed = actor_functions(self.broken), actor_functions(self.fixed)
        return [(role, broken[role], fixed[role]) for role in broken if broken[role] is not fixed[role]]

    def changed_settings(self) -> list[tuple[str, object, object]]:
        """(setting, broken value, fixed value) for the settings that differ, other than the code and the names."""
        ignored = {"name", "title", "description", "expected", "stall_timeout_s", "producer_code",
                   "consumer_code", "join_order", "program"}
        return [(f.name, getattr(self.broken, f.name), getattr(self.fixed, f.name))
                for f in dataclasses.fields(ScenarioConfig)
                if f.name not in ignored and getattr(self.broken, f.name) != getattr(self.fixed, f.name)]


def _fixed(pitfall: str, title: str, **changes: object) -> ScenarioConfig:
    return dataclasses.replace(SCENARIOS[pitfall], name=f"{pitfall}-fixed", title=title, expected="completed",
                               **changes)  # type: ignore[arg-type]


FIXES: dict[str, Fix] = {fix.pitfall: fix for fix in (
    Fix("forgot-task-done", _fixed("forgot-task-done", "Every task marked done", consumer_code="consumer"),
        "Every get() is matched by one task_done(), also for the tasks the consumer skips, so unfinished "
        "reaches 0 and join() returns."),
    Fix("race", _fixed("race", "Join the producer first", join_order=JOIN_PRODUCERS_FIRST),
        "main joins the producer before the queue: by then every task has been put, so unfinished can only "
        "reach 0 when all of them are done."),
    Fix("too-few-sentinels", _fixed("too-few-sentinels", "One sentinel per consumer", sentinels=None),
        "The producer puts one None per consumer, so every consumer leaves its loop and main's join() of "
        "each consumer returns."),
    Fix("crash", _fixed("crash", "The failed task is put back", consumer_code="consumer_resubmits",
                        sentinels_from=SENTINELS_FROM_MAIN),
        "The consumer catches the failure, puts the task back on the queue and then marks this attempt done, "
        "so unfinished never counts a task nobody holds; main sends the sentinels after queue.join(), so a "
        "task put back cannot land behind them."),
    Fix("too-many-task-done", _fixed("too-many-task-done", "task_done() once per get()", consumer_code="consumer"),
        "One task_done() per get(), the sentinel's included: no call finds unfinished already at 0."),
    Fix("walrus", _fixed("walrus", "while (task := queue.get()) is not None:",
                         consumer_code="consumer_walrus_is_not_none"),
        "The loop tests for the sentinel itself, `is not None`, not for truth: task 0 (and '' or ()) is a task "
        "like any other, so the consumer works through every one and join() returns."),
    Fix("pool-no-error-callback", _fixed("pool-no-error-callback", "An error_callback for every task",
                                         program="pool_with_callbacks"),
        "apply_async gets error_callback= as well as callback=: each failure is handed to it on the result "
        "handler's thread the moment it is delivered, instead of waiting, unseen, for a get()."),
    Fix("pool-join-before-close", _fixed("pool-join-before-close", "close() first, then join()",
                                         program="pool_with_callbacks"),
        "close() tells the pool no more tasks are coming; only then can its workers finish and exit, which is "
        "what join() waits for."),
    Fix("pool-hung-task", _fixed("pool-hung-task", "get(timeout=...), then terminate()",
                                 program="pool_with_a_deadline"),
        "main waits for each result only until a deadline (get(timeout=...)), then terminate() ends the "
        "workers, the one stuck in its task too, and join() returns."),
    Fix("pool-huge-map", _fixed("pool-huge-map", "imap_unordered() with a chunksize",
                                program="pool_imap_of_a_generator"),
        "imap_unordered() reads the generator a chunk at a time as the workers need tasks, so work starts at "
        "once and the records are never all in memory together."),
)}
