"""The consumer forgets one ``task_done()``: main's ``queue.join()`` never returns."""
import multiprocessing


def consume(queue):
    while True:
        item = queue.get()
        if item is None:
            return
        if item != 2:
            queue.task_done()


if __name__ == "__main__":
    queue = multiprocessing.JoinableQueue()
    consumer = multiprocessing.Process(target=consume, args=(queue,), name="forgetful")
    consumer.start()
    for number in range(5):
        queue.put(number)
    print("joining", flush=True)
    queue.join()
    queue.put(None)
    consumer.join()
