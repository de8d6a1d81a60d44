"""Items with the default repr (which holds an address) through a process's queue and a thread's."""
import multiprocessing
import queue
import threading


class Job:
    def __init__(self, n):
        self.n = n


def work(tasks):
    while (job := tasks.get()) is not None:
        assert isinstance(job, (Job, tuple))
        tasks.task_done()
    tasks.task_done()


if __name__ == "__main__":
    tasks = multiprocessing.get_context("spawn").JoinableQueue()
    worker = multiprocessing.get_context("spawn").Process(target=work, args=(tasks,), name="worker")
    worker.start()
    for n in range(3):
        tasks.put(Job(n))
    tasks.put((Job(7), Job(8)))
    tasks.put(None)
    tasks.join()
    worker.join()
    local = queue.Queue()
    thread = threading.Thread(target=work, args=(local,), name="thread-worker")
    thread.start()
    local.put(Job(9))
    local.put(None)
    local.join()
    thread.join()
    print("done")
