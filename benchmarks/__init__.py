"""Benchmarks of JoinScope's own cost (not timed tests: run them by hand, see each module)."""
