"""Pool workers put results on a JoinableQueue given to them by ``initializer``.

Leaving the ``with Pool(...)`` block terminates the workers (SIGTERM) a moment after
their last put.  Usage: pool_workers.py START_METHOD
"""
import multiprocessing
import sys

results = None


def keep(queue):
    global results
    results = queue


def square(number):
    results.put(number * number)
    return number


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    queue = ctx.JoinableQueue()
    with ctx.Pool(3, initializer=keep, initargs=(queue,)) as pool:
        print(sorted(pool.map(square, range(12))))
        total = 0
        for _ in range(12):  # every result is in before the workers are terminated
            total += queue.get()
            queue.task_done()
        queue.join()
    print(f"sum {total}")
