"""ThreadPoolExecutor: submit, done callbacks, wait(FIRST_COMPLETED), map, cancelling what has not started.
Usage: thread_executor.py
"""
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

gate = threading.Event()
called = []


def slow(number):
    gate.wait(5)
    return number


def quick(number):
    if number == 3:
        raise KeyError(number)
    return number + 1


if __name__ == "__main__":
    with ThreadPoolExecutor(max_workers=2) as executor:
        blockers = [executor.submit(slow, n) for n in range(2)]  # both workers busy
        waiting = [executor.submit(quick, n) for n in range(5)]
        cancelled = [future.cancel() for future in waiting[3:]]  # not started yet: cancelled
        waiting[0].add_done_callback(lambda future: called.append(future.result()))
        gate.set()
        done, _ = wait(blockers, return_when=FIRST_COMPLETED)
        print(len(done) >= 1, cancelled)
        print(list(executor.map(quick, [10, 20, 30])))
        print([f.result() for f in waiting[:3]], called)
