"""CPython's own multiprocessing queue tests (spawn: JoinableQueue, Queue, and a Manager's
queues served by a spawned server process), as a program nobody here wrote, to trace."""
import sys
import unittest

import test._test_multiprocessing as tmp

tmp.install_tests_in_module_dict(globals(), "spawn")

if __name__ == "__main__":
    import multiprocessing
    multiprocessing.set_start_method("spawn", force=True)
    names = [n for n in list(globals()) if "Queue" in n and n.startswith("With")]
    suite = unittest.TestSuite()
    for n in names:
        suite.addTests(unittest.defaultTestLoader.loadTestsFromTestCase(globals()[n]))
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    sys.exit(not result.wasSuccessful())
