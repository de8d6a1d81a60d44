"""A bounded queue from ``multiprocessing.get_context(METHOD).JoinableQueue(maxsize)``.

Usage: context_queue.py METHOD [TASKS]
"""
import multiprocessing
import sys


def produce(queue, count):
    for number in range(count):
        queue.put(("task", number))
    queue.put(None)


def consume(queue):
    seen = 0
    while True:
        item = queue.get()
        queue.task_done()
        if item is None:
            break
        seen += 1
    print(f"consumed {seen}", flush=True)


def main():
    ctx = multiprocessing.get_context(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    queue = ctx.JoinableQueue(3)
    processes = [ctx.Process(target=produce, args=(queue, count)), ctx.Process(target=consume, args=(queue,))]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    queue.join()
    print(f"{ctx.get_start_method()}: exit codes {[p.exitcode for p in processes]}")


if __name__ == "__main__":
    main()
