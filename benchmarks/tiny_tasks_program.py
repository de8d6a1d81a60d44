"""The plain program that ``benchmarks.trace_overhead`` runs: 1 producer, 1 consumer, tiny tasks, main joins.

Usage: ``python tiny_tasks_program.py [TASKS]``.  It knows nothing of JoinScope.
"""
import multiprocessing
import sys


def produce(queue, tasks):
    for i in range(tasks):
        queue.put(i)


def consume(queue):
    while True:
        queue.get()
        queue.task_done()


if __name__ == "__main__":
    tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    queue = multiprocessing.JoinableQueue()
    producer = multiprocessing.Process(target=produce, args=(queue, tasks), name="producer")
    consumer = multiprocessing.Process(target=consume, args=(queue,), name="consumer", daemon=True)
    producer.start()
    consumer.start()
    producer.join()
    queue.join()
