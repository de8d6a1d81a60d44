"""The "Using a pool of workers" example of the multiprocessing documentation (Python 3.11), as it
is there, except that the process ids it prints are counted (they differ from run to run) and the
last part, which sleeps ten seconds to show a timeout, is left out.  Usage: docs_pool.py START_METHOD
"""
import os
import sys
from multiprocessing import get_context


def f(x):
    return x*x


if __name__ == '__main__':
    # start 4 worker processes
    with get_context(sys.argv[1]).Pool(processes=4) as pool:

        # print "[0, 1, 4,..., 81]"
        print(pool.map(f, range(10)))

        # print same numbers in arbitrary order
        print(sorted(pool.imap_unordered(f, range(10))))

        # evaluate "f(20)" asynchronously
        res = pool.apply_async(f, (20,))      # runs in *only* one process
        print(res.get(timeout=1))             # prints "400"

        # evaluate "os.getpid()" asynchronously
        res = pool.apply_async(os.getpid, ()) # runs in *only* one process
        print(res.get(timeout=1) > 0)         # prints True (the docs print the PID)

        # launching multiple evaluations asynchronously *may* use more processes
        multiple_results = [pool.apply_async(os.getpid, ()) for i in range(4)]
        print(len([res.get(timeout=1) for res in multiple_results]))

    # exiting the 'with'-block has stopped the pool
    print("Now the pool is closed and no longer available")
