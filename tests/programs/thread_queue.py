"""The tutorial's program on threads: a queue.Queue, a producer and two consumer threads."""
import queue
import random
import threading

TASKS = 20


def producer(tasks, consumers):
    for i in range(TASKS):
        tasks.put((i, random.random()))
    for _ in range(consumers):
        tasks.put(None)


def consumer(tasks, done):
    while True:
        task = tasks.get()
        if task is None:
            tasks.task_done()
            break
        done.append(task[0])
        tasks.task_done()


if __name__ == "__main__":
    tasks = queue.Queue(maxsize=3)
    assert isinstance(tasks, queue.Queue) and type(tasks).__name__ == "Queue"
    done = []
    threads = [threading.Thread(target=producer, args=(tasks, 2), name="producer")]
    threads += [threading.Thread(target=consumer, args=(tasks, done), name=f"consumer-{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    threads[0].join()
    tasks.join()
    for thread in threads[1:]:
        thread.join()
    print(f"done {sorted(done) == list(range(TASKS))}, unfinished {tasks.unfinished_tasks}")
