"""The code the actors run: the tutorial's producer, consumer and main, and the
classic mistakes made with them.

These functions are what JoinScope shows and what really runs.  Everything that is
not about the queue (random values, sleeping for the work, retiring when a slider
goes down) lives in :class:`core.program.plan.Plan`, so the functions read like the program
a learner would write.
"""
from __future__ import annotations

from typing import Any

from core.program.plan import MainRun, Plan

# -- producers ------------------------------------------------------------------------


def producer(queue: Any, plan: Plan) -> None:
    plan.wait_to_start()
    for i in plan.task_numbers():
        task = (i, plan.random())
        queue.put(task)
        plan.pause_between_tasks()
    if plan.last_producer_to_finish():
        for _ in range(plan.sentinels()):
            queue.put(None)  # one sentinel: "no more tasks"


def producer_numbers(queue: Any, plan: Plan) -> None:
    plan.wait_to_start()
    for i in plan.task_numbers():
        queue.put(i)  # a task is just its number: the first one is 0
        plan.pause_between_tasks()
    if plan.last_producer_to_finish():
        for _ in range(plan.sentinels()):
            queue.put(None)


# -- consumers ------------------------------------------------------------------------


def consumer(queue: Any, plan: Plan) -> None:
    while True:
        task = queue.get()
        if task is None:
            break
        plan.work_on(task)
        queue.task_done()
    queue.task_done()  # the sentinel was a task too


def consumer_double_done(queue: Any, plan: Plan) -> None:
    while True:
        task = queue.get()
        if task is None:
            break
        plan.work_on(task)
        queue.task_done()
    queue.task_done()
    queue.task_done()  # one call too many: ValueError


def consumer_forgets_task_done(queue: Any, plan: Plan) -> None:
    while True:
        task = queue.get()
        if task is None:
            break
        if task[0] % 4 == 3:
            continue  # skipped... and task_done() is forgotten
        plan.work_on(task)
        queue.task_done()
    queue.task_done()


def consumer_crashes(queue: Any, plan: Plan) -> None:
    while True:
        task = queue.get()
        if task is None:
            break
        plan.work_on(task)
        plan.crash_on_second_task(task)  # consumer-0 raises here
        queue.task_done()
    queue.task_done()


def consumer_resubmits(queue: Any, plan: Plan) -> None:
    while True:
        task = queue.get()
        if task is None:
            break
        try:
            plan.work_on(task)
            plan.crash_on_second_task(task)  # consumer-0 raises here...
        except Exception:
            queue.put(task)  # ...so the task goes back on the queue first
        queue.task_done()  # then this attempt is done, failed or not
    queue.task_done()


def consumer_retries(queue: Any, plan: Plan) -> None:
    while True:
        task = queue.get()
        if task is None:
            break
        plan.work_on(task)
        if plan.failed(task):
            queue.put(plan.retry_of(task))  # back on the queue first...
            queue.task_done()  # ...then this attempt is done
            continue
        queue.task_done()
    queue.task_done()


def consumer_walrus(queue: Any, plan: Plan) -> None:
    while task := queue.get():  # stops at None... and at 0, "" and ()
        plan.work_on(task)
        queue.task_done()
    queue.task_done()  # the sentinel was a task too


def consumer_walrus_is_not_none(queue: Any, plan: Plan) -> None:
    while (task := queue.get()) is not None:  # stops at the sentinel only
        plan.work_on(task)
        queue.task_done()
    queue.task_done()  # the sentinel was a task too


# -- main -----------------------------------------------------------------------------


def main(queue: Any, run: MainRun) -> None:
    run.join_producers()
    for _ in range(run.sentinels_not_yet_sent()):  # several producers: main sends them
        queue.put(None)
    queue.join()
    run.join_consumers()


def main_joins_queue_first(queue: Any, run: MainRun) -> None:
    queue.join()  # too early: nothing may have been added yet
    run.join_producers()
    for _ in range(run.sentinels_not_yet_sent()):
        queue.put(None)
    run.join_consumers()


def main_sends_sentinels(queue: Any, run: MainRun) -> None:
    run.join_producers()
    queue.join()  # every task, retries included, is done
    for _ in range(run.sentinels_not_yet_sent()):
        queue.put(None)
    run.join_consumers()


PRODUCER_CODE = {"producer": producer, "producer_numbers": producer_numbers}
CONSUMER_CODE = {
    "consumer": consumer,
    "consumer_double_done": consumer_double_done,
    "consumer_forgets_task_done": consumer_forgets_task_done,
    "consumer_crashes": consumer_crashes,
    "consumer_retries": consumer_retries,
    "consumer_resubmits": consumer_resubmits,
    "consumer_walrus": consumer_walrus,
    "consumer_walrus_is_not_none": consumer_walrus_is_not_none,
}
MAIN_CODE = {"main": main, "main_joins_queue_first": main_joins_queue_first,
             "main_sends_sentinels": main_sends_sentinels}
