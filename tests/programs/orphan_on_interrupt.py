"""On Ctrl-C, main leaves at once (``os._exit``) and its worker, which ignores SIGINT, is left
waiting in ``get()``: an orphan that nobody will ever end."""
import multiprocessing
import os
import signal
import time


def work(queue):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        queue.get()
        queue.task_done()


if __name__ == "__main__":
    queue = multiprocessing.JoinableQueue()
    worker = multiprocessing.Process(target=work, args=(queue,), name="worker")
    worker.start()
    queue.put(1)
    queue.join()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(0.05)
    except KeyboardInterrupt:
        os._exit(0)
