"""map() with a chunksize, imap_unordered(), starmap() and a map() of a generator, on one pool.
Usage: pool_map_chunks.py START_METHOD
"""
import multiprocessing
import sys


def square(number):
    return number * number


def power(base, exponent):
    return base ** exponent


if __name__ == "__main__":
    with multiprocessing.get_context(sys.argv[1]).Pool(2) as pool:
        print(sum(pool.map(square, range(200), chunksize=16)))
        print(sum(pool.imap_unordered(square, range(100), chunksize=7)))
        print(sorted(pool.imap_unordered(square, range(10))))
        print(pool.starmap(power, [(2, 3), (3, 2), (10, 2)]))
        print(sum(pool.map(square, (n for n in range(500)))))  # read into a list first
        pool.close()
        pool.join()
