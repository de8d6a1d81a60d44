"""Reads lines from standard input and passes each through a JoinableQueue to a worker that echoes it."""
import multiprocessing
import sys


def echo(queue):
    while (line := queue.get()) is not None:
        print(f"echo: {line}", flush=True)
        queue.task_done()
    queue.task_done()


if __name__ == "__main__":
    queue = multiprocessing.JoinableQueue()
    worker = multiprocessing.Process(target=echo, args=(queue,), name="echo")
    worker.start()
    for line in sys.stdin:
        queue.put(line.rstrip("\n"))
        queue.join()  # one at a time: the output stays in order
    queue.put(None)
    worker.join()
