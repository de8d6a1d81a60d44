"""A worker puts items, then sleeps; main takes them all and terminates it at once.

The worker's puts after its first are still in its buffer when main is done with
them (its flusher sends every 20 ms): a traced run must not lose them to SIGTERM.
Usage: terminated_worker.py START_METHOD [ITEMS]
"""
import multiprocessing
import sys
import time


def work(queue, items):
    for i in range(items):
        queue.put(i)
    time.sleep(60)


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    items = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    queue = ctx.JoinableQueue()
    worker = ctx.Process(target=work, args=(queue, items), name="worker")
    worker.start()
    for _ in range(items):
        queue.get()
        queue.task_done()
    worker.terminate()
    worker.join()
    print(f"worker ended with exit code {worker.exitcode}")
