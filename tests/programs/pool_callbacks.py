"""A reader's pool: apply_async with a callback and an error_callback, some tasks raising, and one
task whose argument cannot be pickled (its error_callback hears of it too).  close(), then join().
Usage: pool_callbacks.py START_METHOD TASKS
"""
import multiprocessing
import sys
import time


def work(number):
    time.sleep(0.002)
    if number % 9 == 4:
        raise ValueError(f"task {number} failed")
    return number * number


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    count = int(sys.argv[2])
    results, failures = [], []
    pool = ctx.Pool(3)
    for number in range(count):
        pool.apply_async(work, (number,), callback=results.append, error_callback=failures.append)
    pool.apply_async(work, (lambda: 0,), error_callback=failures.append)  # a lambda cannot be pickled
    pool.close()
    pool.join()
    print(f"{len(results)} results, sum {sum(results)}")
    print(sorted(type(error).__name__ for error in failures))
