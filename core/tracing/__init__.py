"""Tracing a user's own program: ``joinscope trace script.py``.

The program runs in a child process of JoinScope, unmodified.  A bootstrap
(:mod:`core.tracing.bootstrap`) makes every ``JoinableQueue`` it creates an
:class:`core.queues.observed.ObservedJoinableQueue` (:mod:`core.tracing.patch`) whose
records travel over a private, authenticated Unix socket (:mod:`core.tracing.channel`)
to :class:`core.tracing.session.TraceSession`, which merges them with the same
:class:`core.queues.merge.EventMerger` as a scenario run.  Nothing here imports Qt.
"""
