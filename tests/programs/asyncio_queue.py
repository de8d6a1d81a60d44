"""The tutorial's program on asyncio: an asyncio.Queue, a producer and two consumer tasks."""
import asyncio
import sys

TASKS = 20


async def producer(tasks):
    for i in range(TASKS):
        await tasks.put(i)


async def consumer(tasks, done):
    while True:
        item = await tasks.get()
        done.append(item)
        tasks.task_done()


async def main():
    tasks = asyncio.Queue()
    done = []
    workers = [asyncio.create_task(consumer(tasks, done), name=f"consumer-{n}") for n in range(2)]
    await producer(tasks)
    await tasks.join()  # every task done: the consumers can be cancelled
    for worker in workers:
        worker.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    print(f"done {sorted(done) == list(range(TASKS))}")
    sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)


asyncio.run(main())
