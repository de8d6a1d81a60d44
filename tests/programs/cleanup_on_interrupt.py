"""Waits for Ctrl-C, then takes a moment to clean up (its worker too), says so and ends by itself."""
import multiprocessing
import signal
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
    print("ready", flush=True)
    try:
        while True:
            time.sleep(0.05)
    except KeyboardInterrupt:
        time.sleep(0.15)  # cleaning up
        queue.put(None)
        queue.join()
        worker.join()
        print("cleaned up", flush=True)
