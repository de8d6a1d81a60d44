"""A child exits with code 3 (``sys.exit``); then main raises: exit code 1 and a traceback.

Usage: crash.py START_METHOD
"""
import multiprocessing
import sys


def give_up(queue):
    queue.get()
    queue.task_done()
    print("child gives up", file=sys.stderr, flush=True)
    sys.exit(3)


def check(code):
    if code != 0:
        raise RuntimeError(f"the child failed with exit code {code}")


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    queue = multiprocessing.JoinableQueue()
    child = multiprocessing.Process(target=give_up, args=(queue,), name="quitter")
    child.start()
    queue.put("only task")
    queue.join()
    child.join()
    print("main saw the task done")
    sys.stdout.flush()
    check(child.exitcode)
