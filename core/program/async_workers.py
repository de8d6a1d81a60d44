"""The tutorial's program and its classic mistakes, on asyncio: what the asyncio backend runs.

The same code as :mod:`core.program.workers`, line for line, with ``async``/``await`` where
asyncio needs them: ``await queue.put(...)``, ``await queue.get()``,
``await queue.join()``, and the work is ``await asyncio.sleep(...)`` (in
:class:`~core.sessions.asyncio_tasks.AsyncPlan`).  ``task_done()`` stays a plain
call: it never waits.  Each producer and consumer is one ``asyncio`` task; ``main``
is another.
"""
from __future__ import annotations

from typing import Any

# -- producers ------------------------------------------------------------------------


async def producer(queue: Any, plan: Any) -> None:
    await plan.wait_to_start()
    for i in plan.task_numbers():
        task = (i, plan.random())
        await queue.put(task)
        await plan.pause_between_tasks()
    if plan.last_producer_to_finish():
        for _ in range(plan.sentinels()):
            await queue.put(None)  # one sentinel: "no more tasks"


async def producer_numbers(queue: Any, plan: Any) -> None:
    await plan.wait_to_start()
    for i in plan.task_numbers():
        await queue.put(i)  # a task is just its number: the first one is 0
        await plan.pause_between_tasks()
    if plan.last_producer_to_finish():
        for _ in range(plan.sentinels()):
            await queue.put(None)


# -- consumers ------------------------------------------------------------------------


async def consumer(queue: Any, plan: Any) -> None:
    while True:
        task = await queue.get()
        if task is None:
            break
        await plan.work_on(task)
        queue.task_done()
    queue.task_done()  # the sentinel was a task too


async def consumer_double_done(queue: Any, plan: Any) -> None:
    while True:
        task = await queue.get()
        if task is None:
            break
        await plan.work_on(task)
        queue.task_done()
    queue.task_done()
    queue.task_done()  # one call too many: ValueError


async def consumer_forgets_task_done(queue: Any, plan: Any) -> None:
    while True:
        task = await queue.get()
        if task is None:
            break
        if task[0] % 4 == 3:
            continue  # skipped... and task_done() is forgotten
        await plan.work_on(task)
        queue.task_done()
    queue.task_done()


async def consumer_crashes(queue: Any, plan: Any) -> None:
    while True:
        task = await queue.get()
        if task is None:
            break
        await plan.work_on(task)
        plan.crash_on_second_task(task)  # consumer-0 raises here
        queue.task_done()
    queue.task_done()


async def consumer_resubmits(queue: Any, plan: Any) -> None:
    while True:
        task = await queue.get()
        if task is None:
            break
        try:
            await plan.work_on(task)
            plan.crash_on_second_task(task)  # consumer-0 raises here...
        except Exception:
            await queue.put(task)  # ...so the task goes back on the queue first
        queue.task_done()  # then this attempt is done, failed or not
    queue.task_done()


async def consumer_retries(queue: Any, plan: Any) -> None:
    while True:
        task = await queue.get()
        if task is None:
            break
        await plan.work_on(task)
        if plan.failed(task):
            await queue.put(plan.retry_of(task))  # back on the queue first...
            queue.task_done()  # ...then this attempt is done
            continue
        queue.task_done()
    queue.task_done()


async def consumer_walrus(queue: Any, plan: Any) -> None:
    while task := await queue.get():  # stops at None... and at 0, "" and ()
        await plan.work_on(task)
        queue.task_done()
    queue.task_done()  # the sentinel was a task too


async def consumer_walrus_is_not_none(queue: Any, plan: Any) -> None:
    while (task := await queue.get()) is not None:  # stops at the sentinel only
        await plan.work_on(task)
        queue.task_done()
    queue.task_done()  # the sentinel was a task too


# -- main -----------------------------------------------------------------------------


async def main(queue: Any, run: Any) -> None:
    await run.join_producers()
    for _ in range(run.sentinels_not_yet_sent()):  # several producers: main sends them
        await queue.put(None)
    await queue.join()
    await run.join_consumers()


async def main_joins_queue_first(queue: Any, run: Any) -> None:
    await queue.join()  # too early: nothing may have been added yet
    await run.join_producers()
    for _ in range(run.sentinels_not_yet_sent()):
        await queue.put(None)
    await run.join_consumers()


async def main_sends_sentinels(queue: Any, run: Any) -> None:
    await run.join_producers()
    await queue.join()  # every task, retries included, is done
    for _ in range(run.sentinels_not_yet_sent()):
        await queue.put(None)
    await run.join_consumers()


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
