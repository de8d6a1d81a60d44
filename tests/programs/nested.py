"""A spawned child creates its own JoinableQueue and hands it to a grandchild.

Usage: nested.py START_METHOD
"""
import multiprocessing
import sys


def grandchild(queue):
    for number in range(3):
        queue.put(number)


def child():
    ctx = multiprocessing.get_context(sys.argv[1])
    queue = ctx.JoinableQueue()
    worker = ctx.Process(target=grandchild, args=(queue,), name="grandchild")
    worker.start()
    worker.join()
    got = [queue.get() for _ in range(3)]
    for _ in got:
        queue.task_done()
    queue.join()
    print(f"child got {got}", flush=True)


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    middle = ctx.Process(target=child, name="child")
    middle.start()
    middle.join()
    print(f"child exit code {middle.exitcode}")
