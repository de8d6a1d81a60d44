"""Recorded runs: the trace file format, replaying a trace, exporting it, recording a live run."""
