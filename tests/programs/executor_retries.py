"""The author's answer to a reader: resubmit a failed task to the process pool until it succeeds.
A task fails the first times it is tried; as_completed() hands each future back as it is done.
Usage: executor_retries.py START_METHOD TASKS
"""
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed


def flaky(task):
    number, failures_left = task
    time.sleep(0.003)
    if failures_left:
        raise ConnectionError(f"task {number}: try again")
    return number * 2


if __name__ == "__main__":
    context = multiprocessing.get_context(sys.argv[1])
    count = int(sys.argv[2])
    attempts = 0
    done = {}
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as executor:
        pending = {executor.submit(flaky, (n, n % 3)): (n, n % 3) for n in range(count)}
        while pending:
            retry = {}
            for future in as_completed(pending):
                attempts += 1
                number, failures_left = pending[future]
                if future.exception() is not None:
                    retry[executor.submit(flaky, (number, failures_left - 1))] = (number, failures_left - 1)
                else:
                    done[number] = future.result()
            pending = retry
    print(f"{len(done)} tasks done after {attempts} attempts, sum {sum(done.values())}")
