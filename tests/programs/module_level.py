"""Makes a JoinableQueue at the top level of the module, outside the main guard.

Under spawn and forkserver each child re-imports the module and makes a queue of its own
(unused); the work goes through the queue main passes to the worker.
Usage: module_level.py START_METHOD
"""
import multiprocessing
import sys

spare = multiprocessing.JoinableQueue()


def work(queue):
    for _ in range(3):
        queue.get()
        queue.task_done()


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    tasks = ctx.JoinableQueue()
    worker = ctx.Process(target=work, args=(tasks,), name="worker")
    worker.start()
    for number in range(3):
        tasks.put(number)
    tasks.join()
    worker.join()
    print("done")
