"""A producer and a consumer on ``multiprocessing.JoinableQueue()``; main joins the queue.

Usage: plain_module.py [START_METHOD] [TASKS]
"""
import multiprocessing
import sys


def produce(queue, tasks):
    for i in range(tasks):
        queue.put(i)
    queue.put(None)


def consume(queue):
    total = 0
    while True:
        item = queue.get()
        if item is None:
            queue.task_done()
            break
        total += item
        queue.task_done()
    print(f"consumer total {total}")


if __name__ == "__main__":
    method = sys.argv[1] if len(sys.argv) > 1 else None
    tasks = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    if method:
        multiprocessing.set_start_method(method)
    queue = multiprocessing.JoinableQueue()
    producer = multiprocessing.Process(target=produce, args=(queue, tasks), name="producer")
    consumer = multiprocessing.Process(target=consume, args=(queue,))
    producer.start()
    consumer.start()
    producer.join()
    queue.join()
    consumer.join()
    print("main: all tasks done", file=sys.stderr)
