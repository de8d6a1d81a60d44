"""A queue.PriorityQueue: the items come out smallest first, task_done() and join() as on a Queue."""
import queue
import threading

if __name__ == "__main__":
    tasks = queue.PriorityQueue()
    for priority in (3, 1, 2):
        tasks.put((priority, f"job {priority}"))
    order = []

    def work():
        while not tasks.empty():
            order.append(tasks.get()[0])
            tasks.task_done()

    worker = threading.Thread(target=work, name="worker")
    worker.start()
    tasks.join()
    worker.join()
    print(order, isinstance(tasks, queue.Queue))
