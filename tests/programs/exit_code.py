"""Ends with ``sys.exit(5)`` after its queue work."""
import multiprocessing
import sys

if __name__ == "__main__":
    queue = multiprocessing.JoinableQueue()
    for word in ("a", "b"):
        queue.put(word)
    for _ in range(2):  # (not qsize(), which macOS lacks)
        print(queue.get(timeout=5))
        queue.task_done()
    queue.join()
    sys.exit(5)
