"""Waits for Ctrl-C with a worker (which leaves SIGINT to main) waiting in ``get()``, then:

- ``on_interrupt.py cleanup``: takes a moment to clean up, ends its worker, says so and ends by itself;
- ``on_interrupt.py orphan``: leaves at once (``os._exit``), its worker left waiting for ever.
"""
import multiprocessing
import os
import signal
import sys
import time


def work(queue):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the interrupt is main's to handle
    while queue.get() is not None:
        queue.task_done()
    queue.task_done()


if __name__ == "__main__":
    queue = multiprocessing.JoinableQueue()
    worker = multiprocessing.Process(target=work, args=(queue,), name="worker")
    worker.start()
    queue.put(1)
    queue.join()
    try:
        print("ready", flush=True)  # inside the try: the Ctrl-C may come as soon as "ready" is out
        while True:
            time.sleep(0.05)
    except KeyboardInterrupt:
        if sys.argv[1] == "orphan":
            os._exit(0)
        time.sleep(0.15)  # cleaning up
        queue.put(None)
        queue.join()
        worker.join()
        print("cleaned up", flush=True)
