"""Uses multiprocessing, but no JoinableQueue: a plain Queue and a Process."""
import multiprocessing
import sys


def greet(queue):
    queue.put("hello from a child")


if __name__ == "__main__":
    queue = multiprocessing.Queue()
    child = multiprocessing.Process(target=greet, args=(queue,))
    child.start()
    print(queue.get())
    child.join()
    print(f"args: {sys.argv[1:]}", file=sys.stderr)
