"""A consumer thread dies of a ValueError on task 5, holding it: that task is never marked done."""
import queue
import threading


def consumer(tasks):
    while True:
        task = tasks.get()
        if task is None:
            tasks.task_done()
            return
        if task == 5:
            raise ValueError(f"cannot process task {task}")
        tasks.task_done()


if __name__ == "__main__":
    tasks = queue.Queue()
    worker = threading.Thread(target=consumer, args=(tasks,), name="consumer-0")
    worker.start()
    for task in range(10):
        tasks.put(task)
    tasks.put(None)
    worker.join()
    print(f"unfinished {tasks.unfinished_tasks}")
