"""Main puts the tasks itself; two named workers from ``from multiprocessing import JoinableQueue``.

Usage: from_import.py START_METHOD [TASKS]
"""
import sys
from multiprocessing import JoinableQueue, Process, set_start_method


def work(tasks, results):
    while True:
        number = tasks.get()
        if number is None:
            tasks.task_done()
            return
        results.put(number * number)
        tasks.task_done()


if __name__ == "__main__":
    set_start_method(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    tasks = JoinableQueue()
    results = JoinableQueue()
    workers = [Process(target=work, args=(tasks, results), name=f"worker-{name}") for name in "ab"]
    for worker in workers:
        worker.start()
    for number in range(count):
        tasks.put(number)
    tasks.join()
    for _ in workers:
        tasks.put(None)
    for worker in workers:
        worker.join()
    total = 0
    for _ in range(count):
        total += results.get()
        results.task_done()
    results.join()
    print(f"sum of squares below {count}: {total}")
    print("done", file=sys.stderr)
