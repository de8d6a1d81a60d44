"""The live plots: queue depth and unfinished tasks, tasks done per second, the swimlanes."""
